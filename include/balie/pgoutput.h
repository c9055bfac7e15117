/* pgoutput: a decoder for PostgreSQL's built-in logical replication output
 * (protocol version 1: Begin, Commit, Origin, Relation, Type, Insert,
 * Update, Delete, Truncate; tuple data n/u/t), as read by `balie relay`.
 *
 * The decoder keeps the Relation messages it saw (the server sends one before
 * the first change of a table in a session, and again after DDL), so a change
 * is handed out with its table's name and column names. */
#ifndef BALIE_PGOUTPUT_H
#define BALIE_PGOUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pgo_relation {
	uint32_t oid;
	char *nspname, *relname;
	int natts;
	char **attnames;
};

/* One row image: per column 'n' (NULL), 'u' (unchanged TOASTed value, not
 * sent) or 't' (text in val[i], NUL-terminated). */
struct pgo_tuple {
	int natts;
	char *kind;
	char **val;
};

enum pgo_kind {
	PGO_BEGIN, PGO_COMMIT, PGO_INSERT, PGO_UPDATE, PGO_DELETE,
	PGO_TRUNCATE, PGO_OTHER	/* Relation, Type, Origin, Message: no change */
};

struct pgo_change {
	enum pgo_kind kind;
	const struct pgo_relation *rel;	/* Insert/Update/Delete */
	struct pgo_tuple oldt, newt;	/* oldt: key or old row if has_old */
	bool has_old;
	uint64_t end_lsn;		/* Commit: end of the transaction */
	int ntruncated;			/* Truncate: relations named */
	const struct pgo_relation **truncated;
};

struct pgo_decoder {
	struct pgo_relation *rels;
	int nrels, caprels;
	char error[160];
};

void pgo_init(struct pgo_decoder *d);
/* Forgets every relation (a new replication session starts afresh). */
void pgo_reset(struct pgo_decoder *d);

/* Decodes one pgoutput message of LEN bytes into OUT. Returns 0, or -1 with
 * d->error set on malformed input or a change of an unknown relation. Free
 * OUT with pgo_change_free whatever the result. */
int pgo_decode(struct pgo_decoder *d, const char *msg, size_t len, struct pgo_change *out);
void pgo_change_free(struct pgo_change *c);

/* Index of column NAME in REL, or -1. */
int pgo_column(const struct pgo_relation *rel, const char *name);

#endif
