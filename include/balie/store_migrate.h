/* store_migrate: the SQL of `balie migrate` (the store is the only module
 * that talks to PostgreSQL).
 *
 * Unlike the console's store this one blocks: migrate is a one-shot command
 * with no event loop, no screen and nothing else to serve while a schema
 * file runs, and the files are multi-statement scripts that need libpq's
 * simple query protocol, which db.c (extended protocol, prepared statements)
 * deliberately does not speak. Every result is checked and every error is
 * turned into one readable line. */
#ifndef BALIE_STORE_MIGRATE_H
#define BALIE_STORE_MIGRATE_H

#include <stddef.h>

struct store_migrate;

/* Connects with CONNINFO (NULL or "": the PG* environment, as psql does).
 * On failure returns NULL with the reason in err. */
struct store_migrate *store_migrate_connect(const char *conninfo, char *err,
					    size_t errlen);

/* A short description of where we are connected ("balie on /run/…:5432"). */
const char *store_migrate_target(struct store_migrate *m, char *buf, size_t len);

/* The schema versions recorded in balie.schema_version, ascending (none on
 * a database balie has never touched). *versions is malloc'd. Returns 0, or
 * -1 with the reason in err. */
int store_migrate_versions(struct store_migrate *m, int **versions,
			   size_t *count, char *err, size_t errlen);

/* Runs BODY (a schema file with its own BEGIN/COMMIT already taken off) and
 * records VERSION, in one transaction: all of it or nothing. Returns 0, or
 * -1 with the server's reason in err (the transaction is rolled back). */
int store_migrate_apply(struct store_migrate *m, int version, const char *body,
			char *err, size_t errlen);

void store_migrate_close(struct store_migrate *m);

#endif
