/* pgoutput: decode PostgreSQL logical replication messages (protocol 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/pgoutput.h"
#include "balie/util.h"

struct reader {
	const unsigned char *p, *end;
	bool bad;
};

static bool need(struct reader *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return false;
	}
	return true;
}

static uint8_t get8(struct reader *r)
{
	return need(r, 1) ? *r->p++ : 0;
}

static uint16_t get16(struct reader *r)
{
	uint16_t v;

	if (!need(r, 2))
		return 0;
	v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return v;
}

static uint32_t get32(struct reader *r)
{
	uint32_t v;

	if (!need(r, 4))
		return 0;
	v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	return v;
}

static uint64_t get64(struct reader *r)
{
	uint64_t hi = get32(r);

	return hi << 32 | get32(r);
}

/* A NUL-terminated string inside the message (copied). */
static char *getstr(struct reader *r)
{
	const unsigned char *z;

	if (r->bad)
		return NULL;
	z = memchr(r->p, '\0', (size_t)(r->end - r->p));
	if (!z) {
		r->bad = true;
		return NULL;
	}
	char *s = xstrndup((const char *)r->p, (size_t)(z - r->p));
	r->p = z + 1;
	return s;
}

void pgo_init(struct pgo_decoder *d)
{
	memset(d, 0, sizeof *d);
}

static void relation_free(struct pgo_relation *rel)
{
	int i;

	for (i = 0; i < rel->natts; i++)
		free(rel->attnames[i]);
	free(rel->attnames);
	free(rel->nspname);
	free(rel->relname);
}

void pgo_reset(struct pgo_decoder *d)
{
	int i;

	for (i = 0; i < d->nrels; i++)
		relation_free(&d->rels[i]);
	free(d->rels);
	pgo_init(d);
}

static struct pgo_relation *find_relation(struct pgo_decoder *d, uint32_t oid)
{
	int i;

	for (i = 0; i < d->nrels; i++)
		if (d->rels[i].oid == oid)
			return &d->rels[i];
	return NULL;
}

int pgo_column(const struct pgo_relation *rel, const char *name)
{
	int i;

	for (i = 0; i < rel->natts; i++)
		if (strcmp(rel->attnames[i], name) == 0)
			return i;
	return -1;
}

static int decode_relation(struct pgo_decoder *d, struct reader *r)
{
	struct pgo_relation rel = { 0 }, *slot;
	int i;

	rel.oid = get32(r);
	rel.nspname = getstr(r);
	rel.relname = getstr(r);
	get8(r);			/* replica identity */
	rel.natts = get16(r);
	rel.attnames = xcalloc((size_t)rel.natts + 1, sizeof *rel.attnames);
	for (i = 0; i < rel.natts && !r->bad; i++) {
		get8(r);		/* flags (part of the key) */
		rel.attnames[i] = getstr(r);
		get32(r);		/* type oid */
		get32(r);		/* type modifier */
	}
	if (r->bad) {
		rel.natts = i;
		relation_free(&rel);
		return -1;
	}
	slot = find_relation(d, rel.oid);
	if (slot) {
		relation_free(slot);
	} else {
		if (d->nrels == d->caprels) {
			d->caprels = d->caprels ? 2 * d->caprels : 16;
			d->rels = xrealloc(d->rels, (size_t)d->caprels * sizeof *d->rels);
		}
		slot = &d->rels[d->nrels++];
	}
	*slot = rel;
	return 0;
}

static void tuple_free(struct pgo_tuple *t)
{
	int i;

	for (i = 0; i < t->natts; i++)
		free(t->val[i]);
	free(t->val);
	free(t->kind);
	memset(t, 0, sizeof *t);
}

static int decode_tuple(struct reader *r, struct pgo_tuple *t)
{
	int n = get16(r), i;
	t->kind = xcalloc((size_t)n + 1, 1);
	t->val = xcalloc((size_t)n + 1, sizeof *t->val);
	t->natts = n;
	for (i = 0; i < n && !r->bad; i++) {
		char k = (char)get8(r);
		uint32_t len;

		t->kind[i] = k;
		if (k == 'n' || k == 'u')
			continue;
		if (k != 't') {
			r->bad = true;
			break;
		}
		len = get32(r);
		if (!need(r, len))
			break;
		t->val[i] = xstrndup((const char *)r->p, len);
		r->p += len;
	}
	return r->bad ? -1 : 0;
}

/* Insert, Update, Delete: the relation, then tagged tuples. */
static int decode_row(struct pgo_decoder *d, struct reader *r, char tag, struct pgo_change *c)
{
	uint32_t oid = get32(r);
	char t;

	c->rel = find_relation(d, oid);
	if (!c->rel) {
		snprintf(d->error, sizeof d->error, "change of unknown relation %u", oid);
		return -1;
	}
	c->kind = tag == 'I' ? PGO_INSERT : tag == 'U' ? PGO_UPDATE : PGO_DELETE;
	t = (char)get8(r);
	if (t == 'K' || t == 'O') {
		c->has_old = t == 'O';
		if (decode_tuple(r, &c->oldt) < 0)
			return -1;
		if (tag == 'D')
			return 0;
		t = (char)get8(r);
	}
	if (t != 'N') {
		r->bad = true;
		return -1;
	}
	return decode_tuple(r, &c->newt);
}

static int decode_truncate(struct pgo_decoder *d, struct reader *r, struct pgo_change *c)
{
	uint32_t n = get32(r), i;

	get8(r);			/* options */
	if (r->bad || n > 65536)
		return -1;
	c->kind = PGO_TRUNCATE;
	c->truncated = xcalloc(n + 1, sizeof *c->truncated);
	for (i = 0; i < n && !r->bad; i++) {
		const struct pgo_relation *rel = find_relation(d, get32(r));

		if (rel)
			c->truncated[c->ntruncated++] = rel;
	}
	return r->bad ? -1 : 0;
}

int pgo_decode(struct pgo_decoder *d, const char *msg, size_t len, struct pgo_change *c)
{
	struct reader r = { (const unsigned char *)msg, (const unsigned char *)msg + len, false };
	char tag = (char)get8(&r);
	int rc = 0;

	memset(c, 0, sizeof *c);
	c->kind = PGO_OTHER;
	d->error[0] = '\0';
	switch (tag) {
	case 'B':
		c->kind = PGO_BEGIN;
		break;
	case 'C':
		get8(&r);			/* flags */
		get64(&r);			/* commit lsn */
		c->end_lsn = get64(&r);
		c->kind = PGO_COMMIT;
		break;
	case 'R':
		rc = decode_relation(d, &r);
		break;
	case 'I': case 'U': case 'D':
		rc = decode_row(d, &r, tag, c);
		break;
	case 'T':
		rc = decode_truncate(d, &r, c);
		break;
	default:			/* Origin, Type, Message, … */
		break;
	}
	if (r.bad || rc < 0) {
		if (!d->error[0])
			snprintf(d->error, sizeof d->error,
				 "malformed pgoutput message '%c' (%zu bytes)", tag, len);
		return -1;
	}
	return 0;
}

void pgo_change_free(struct pgo_change *c)
{
	tuple_free(&c->oldt);
	tuple_free(&c->newt);
	free(c->truncated);
	memset(c, 0, sizeof *c);
}
