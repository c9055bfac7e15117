/* sync_merge: sync's merge and re-sync decisions; see sync_merge.h. */
#include <stdlib.h>
#include <string.h>

#include "balie/sync_merge.h"
#include "balie/util.h"

void sync_merge_mark(struct sync_dirty *d, int64_t id)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->ids = xrealloc(d->ids, d->cap * sizeof *d->ids);
	}
	d->ids[d->n++] = id;
}

void sync_merge_dirty_free(struct sync_dirty *d)
{
	free(d->ids);
	*d = (struct sync_dirty){ 0 };
}

bool sync_merge_wanted(const struct model *m, int64_t id, int64_t version)
{
	const struct model_conv *c = model_find(m, id);

	return !c || c->version < version;
}

static int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

size_t sync_merge_take(struct sync_dirty *d, size_t max, int64_t **out)
{
	size_t i, w, take;

	*out = NULL;
	if (d->n == 0 || max == 0)
		return 0;
	qsort(d->ids, d->n, sizeof *d->ids, id_cmp);
	for (i = 0, w = 0; i < d->n; i++)
		if (w == 0 || d->ids[w - 1] != d->ids[i])
			d->ids[w++] = d->ids[i];
	d->n = w;
	take = d->n < max ? d->n : max;
	*out = xmalloc(take * sizeof **out);
	memcpy(*out, d->ids, take * sizeof **out);
	memmove(d->ids, d->ids + take, (d->n - take) * sizeof *d->ids);
	d->n -= take;
	return take;
}

size_t sync_merge_missing(const int64_t *asked, size_t nasked, int64_t *got, size_t ngot,
			  int64_t *out)
{
	size_t i, j, n = 0;

	qsort(got, ngot, sizeof *got, id_cmp);
	for (i = 0, j = 0; i < nasked; i++) {
		while (j < ngot && got[j] < asked[i])
			j++;
		if (j < ngot && got[j] == asked[i])
			continue;
		out[n++] = asked[i];
	}
	return n;
}

size_t sync_merge_unlisted(struct sync_dirty *d, const struct model *m, int64_t *got,
			   size_t ngot)
{
	size_t i, j, n = 0;

	qsort(got, ngot, sizeof *got, id_cmp);
	/* The model keeps its conversations sorted by id. */
	for (i = 0, j = 0; i < m->nconvs; i++) {
		int64_t id = m->convs[i]->id;

		while (j < ngot && got[j] < id)
			j++;
		if ((j == ngot || got[j] != id) && m->convs[i]->state != MODEL_CLOSED) {
			sync_merge_mark(d, id);
			n++;
		}
	}
	return n;
}

bool sync_merge_joins(const struct model_conv *c, enum sync_page kind, int edge)
{
	int first = model_first_seq(c), last = model_last_seq(c);

	if (kind == SYNC_PAGE_OLDER && edge == 0)
		return c->nmsgs == 0 || !c->newer_unloaded;
	if (kind == SYNC_PAGE_OLDER)
		return c->nmsgs > 0 && first <= edge && last >= edge - 1;
	if (kind == SYNC_PAGE_FOLLOW && c->newer_unloaded)
		return false;
	return first <= edge + 1 && last >= edge;
}

bool sync_merge_busy(const char *sqlstate)
{
	return sqlstate && (strcmp(sqlstate, "BL040") == 0 || strcmp(sqlstate, "55P03") == 0);
}

bool sync_merge_keeps_reply(enum store_outcome outcome)
{
	return outcome == STORE_NOT_SENT || outcome == STORE_LOST;
}
