/* sync_relay: sync's relay mode. Changes come as rows from `balie relay`
 * (feed.h) instead of NOTIFY + re-read. ONLINE means the database is
 * connected, the relay attached, and the re-read after attaching done; the
 * re-read starts only once attached, so nothing committed in between is
 * missed (the newer-version rule sorts out rows that arrive twice). */
#include <stdlib.h>
#include <string.h>

#include "balie/feed.h"
#include "balie/util.h"
#include "sync_priv.h"

static void relay_attached(struct feed *f, const char *login, const char *kind, void *user)
{
	struct sync *s = user;

	(void)f;
	(void)login;
	(void)kind;
	if (store_link_connected(s->db))
		sync_resync(s);
}

static void relay_detached(struct feed *f, const char *reason, unsigned retry_ms, void *user)
{
	struct sync *s = user;

	(void)f;
	if (!store_link_connected(s->db))
		return;		/* the database's own outage is shown */
	s->resyncing = false;
	sync_set_state(s, SYNC_RETRY_WAIT, reason, retry_ms);
}

static void relay_conv(struct feed *f, struct model_conv *row, void *user)
{
	struct sync *s = user;
	struct model_conv *held;
	int64_t id = row->id;
	enum model_apply how = model_apply_conv(s->m, row, &held);

	(void)f;
	if (how == MODEL_STALE)
		return;
	if (s->ev.changed)
		s->ev.changed(s, held, how, s->ev.user);
	/* Messages of open transcripts are checked at the end of the batch:
	 * their rows usually came in the same read. */
	if (held->state == MODEL_CLOSED && !sync_find_transcript(s, id) && !s->opt.keep_closed)
		model_remove(s->m, id);
}

static void relay_msg(struct feed *f, int64_t conv, struct model_msg *m, bool complete,
		      void *user)
{
	struct sync *s = user;
	struct model_conv *c = model_find(s->m, conv);

	(void)f;
	if (c && complete && sync_find_transcript(s, conv) && !c->newer_unloaded &&
	    (c->nmsgs > 0 || c->message_count == 0) && m->seq == model_last_seq(c) + 1) {
		if (model_add_messages(s->m, c, m, 1) > 0 && s->ev.transcript)
			s->ev.transcript(s, c, s->ev.user);
		return;
	}
	model_msg_clear(m);	/* not shown, or out of order: fetched if needed */
}

static void relay_hint(struct feed *f, int64_t conv, int64_t version, void *user)
{
	struct sync *s = user;
	struct model_conv *c = model_find(s->m, conv);

	(void)f;
	s->stats.notifications++;
	if (!c || version == 0 || c->version < version) {
		sync_merge_mark(&s->dirty, conv);
		sync_fetch_dirty(s);
	}
}

static void relay_gone(struct feed *f, int64_t conv, void *user)
{
	struct sync *s = user;

	(void)f;
	if (model_remove(s->m, conv) && s->ev.removed)
		s->ev.removed(s, conv, s->ev.user);
}

static int queue_cmp(const void *a, const void *b)
{
	return strcmp(((const struct model_queue *)a)->id, ((const struct model_queue *)b)->id);
}

/* A queue's or an agent's row changed: replaced in place (or added), so the
 * frequent agent changes (presence) cost no query. */
static void relay_queue(struct feed *f, struct model_queue *q, void *user)
{
	struct sync *s = user;
	struct model_queue *all = xcalloc(s->m->nqueues + 1, sizeof *all);
	size_t i, n = 0;

	(void)f;
	for (i = 0; i < s->m->nqueues; i++)
		if (strcmp(s->m->queues[i].id, q->id) != 0)
			all[n++] = (struct model_queue){ xstrdup(s->m->queues[i].id),
				xstrdup(s->m->queues[i].name), s->m->queues[i].sla_seconds,
				s->m->queues[i].priority, s->m->queues[i].bot_paused };
	all[n++] = *q;
	qsort(all, n, sizeof *all, queue_cmp);	/* the store's order */
	model_set_queues(s->m, all, n);
	if (s->ev.meta)
		s->ev.meta(s, s->ev.user);
}

static void relay_agent(struct feed *f, struct model_agent *a, void *user)
{
	struct sync *s = user;
	size_t i;

	(void)f;
	for (i = 0; i < s->m->nagents; i++) {
		struct model_agent *held = &s->m->agents[i];

		if (strcmp(held->login, a->login) != 0)
			continue;
		free(held->login);
		free(held->display_name);
		*held = *a;
		s->m->generation++;
		if (s->m->me && strcmp(s->m->me, a->login) == 0)
			s->m->me_supervisor = a->is_supervisor;
		if (s->ev.meta)
			s->ev.meta(s, s->ev.user);
		return;
	}
	/* A new agent: the list is read again (rare). */
	free(a->login);
	free(a->display_name);
	sync_fetch_agents(s);
}

static void relay_gap(struct feed *f, void *user)
{
	struct sync *s = user;

	(void)f;
	s->gap_pending = true;
}

/* After every read: a gap means a full re-read (once the one in flight is
 * done), and open transcripts behind their conversation are fetched. */
static void relay_batch_end(struct feed *f, void *user)
{
	struct sync *s = user;
	size_t i;

	(void)f;
	if (s->gap_pending && !s->resyncing && s->state == SYNC_ONLINE) {
		s->gap_pending = false;
		sync_resync(s);
		return;
	}
	for (i = 0; i < s->ntr; i++) {
		struct model_conv *c = model_find(s->m, s->tr[i].conv);

		if (c && c->message_count > model_last_seq(c))
			sync_fetch_newer(s, &s->tr[i]);
	}
}

void sync_relay_resynced(struct sync *s)
{
	if (s->feed)
		relay_batch_end(s->feed, s);
}

struct feed *sync_relay_new(struct sync *s)
{
	struct feed_events ev = { 0 };

	ev.attached = relay_attached;
	ev.detached = relay_detached;
	ev.conv = relay_conv;
	ev.msg = relay_msg;
	ev.hint = relay_hint;
	ev.gap = relay_gap;
	ev.gone = relay_gone;
	ev.queue = relay_queue;
	ev.agent = relay_agent;
	ev.batch_end = relay_batch_end;
	ev.user = s;
	return feed_new(s->loop, s->opt.relay, s->db, s->opt.retry_min_ms,
			s->opt.retry_max_ms ? s->opt.retry_max_ms * 4 : 0, &ev);
}

bool sync_relay_link_state(struct sync *s, enum store_link st)
{
	if (!s->feed)
		return false;
	if (st != STORE_LINK_CONNECTED) {
		feed_db_down(s->feed);
		return false;
	}
	if (s->stats.resyncs)
		s->stats.reconnects++;
	s->gap_pending = false;
	feed_db_up(s->feed);
	if (feed_attached(s->feed)) {
		sync_resync(s);
	} else {
		s->resyncing = false;
		sync_set_state(s, SYNC_CONNECTING, "waiting for the relay", 0);
	}
	return true;
}

const char *sync_relay_path(const struct sync *s)
{
	return s->feed ? feed_path(s->feed) : NULL;
}

struct feed *sync_feed(struct sync *s)
{
	return s->feed;
}
