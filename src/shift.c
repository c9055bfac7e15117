/* shift: the queue order of an agent with several conversations, unread
 * counts, the SLA's nearness and the alert rate limit. */
#include <stdlib.h>
#include <string.h>

#include "balie/shift.h"
#include "balie/util.h"

bool shift_mine(const struct model *m, const struct model_conv *c)
{
	return c->state == MODEL_HUMAN && m->me && c->agent && strcmp(c->agent, m->me) == 0;
}

int shift_unread(const struct model_conv *c)
{
	int n = c->message_count - c->my_read_seq;

	return n > 0 ? n : 0;
}

int64_t shift_customer_wait(const struct model_conv *c, int64_t now)
{
	if (!c->customer_waiting_since || c->state == MODEL_CLOSED)
		return 0;
	return now > c->customer_waiting_since ? now - c->customer_waiting_since : 0;
}

enum shift_sla shift_sla(const struct model *m, const struct model_conv *c, int64_t now,
			 unsigned share_pct)
{
	const struct model_queue *q = model_queue(m, c->queue);
	int64_t secs;

	if (c->state != MODEL_WAITING || !q || q->sla_seconds <= 0)
		return SHIFT_SLA_OK;
	secs = model_clock_seconds(c, now);
	if (secs > q->sla_seconds)
		return SHIFT_SLA_BREACHED;
	if (share_pct && secs * 100 >= (int64_t)q->sla_seconds * share_pct)
		return SHIFT_SLA_NEAR;
	return SHIFT_SLA_OK;
}

/* The queue order -------------------------------------------------------- */

/* Mine with the customer waiting, mine, waiting, with a person, with the bot. */
static int rank(const struct model *m, const struct model_conv *c)
{
	if (shift_mine(m, c))
		return c->customer_waiting_since ? 0 : 1;
	switch (c->state) {
	case MODEL_WAITING: return 2;
	case MODEL_HUMAN: return 3;
	default: return 4;
	}
}

/* The sort key of one conversation, computed once per sort rather than in
 * every comparison (the queue lookup is a linear search). */
struct order_key {
	struct model_conv *c;
	int rank;
	int priority;
	int64_t start;		/* earlier = waited longer */
};

static int order_cmp(const void *a, const void *b)
{
	const struct order_key *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	if (x->priority != y->priority)
		return y->priority - x->priority;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->c->id > y->c->id) - (x->c->id < y->c->id);
}

size_t model_queue_order(const struct model *m, int64_t now, struct model_conv **out)
{
	struct order_key *keys = xmalloc((m->nconvs ? m->nconvs : 1) * sizeof *keys);
	size_t i, n = 0;

	for (i = 0; i < m->nconvs; i++) {
		struct model_conv *c = m->convs[i];
		const struct model_queue *q;
		struct order_key *k;

		if (c->state == MODEL_CLOSED)
			continue;
		k = &keys[n++];
		k->c = c;
		k->rank = rank(m, c);
		q = model_queue(m, c->queue);
		/* Among my own, the customer's wait alone decides. */
		k->priority = k->rank <= 1 ? 0 : q ? q->priority : 0;
		k->start = k->rank == 0 ? c->customer_waiting_since :
			   now - model_clock_seconds(c, now);
	}
	qsort(keys, n, sizeof *keys, order_cmp);
	for (i = 0; i < n; i++)
		out[i] = keys[i].c;
	free(keys);
	return n;
}

/* The alert rate limit ---------------------------------------------------- */

void shift_ring_init(struct shift_ring *r, unsigned gap_ms)
{
	memset(r, 0, sizeof *r);
	r->gap_ms = gap_ms;
}

static bool ring_free(const struct shift_ring *r, int64_t now_ms)
{
	return !r->rung_once || now_ms - r->last_ms >= (int64_t)r->gap_ms;
}

bool shift_ring_ask(struct shift_ring *r, int64_t now_ms)
{
	if (ring_free(r, now_ms)) {
		r->rung_once = true;
		r->last_ms = now_ms;
		r->pending = false;
		return true;
	}
	r->pending = true;
	return false;
}

bool shift_ring_due(struct shift_ring *r, int64_t now_ms)
{
	if (!r->pending || !ring_free(r, now_ms))
		return false;
	r->pending = false;
	r->rung_once = true;
	r->last_ms = now_ms;
	return true;
}
