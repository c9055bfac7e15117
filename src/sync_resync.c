/* sync_resync: the re-read after every (re)connect: notifications sent
 * while away are gone, so who we are, the queues, the agents and every open
 * conversation are read again, and held ones the answer missed are fetched
 * by id. */
#include <stdlib.h>
#include <time.h>

#include "balie/i18n.h"
#include "balie/util.h"
#include "balie/feed.h"
#include "sync_priv.h"

/* Whether an answer of the re-read is there to use: not after sync_stop,
 * and a refusal is reported instead. */
static bool usable(struct sync *s, const struct store_status *st, const char *what)
{
	if (!sync_answered(s))
		return false;
	if (st->outcome == STORE_OK)
		return true;
	sync_report_error(s, st, what);
	return false;
}

static void on_me(const struct store_status *st, struct store_me *me, void *arg)
{
	struct sync *s = arg;

	if (!usable(s, st, _("reading who you are")))
		return;
	model_set_me(s->m, me->login, me->display_name, me->is_supervisor);
	if (s->ev.meta)
		s->ev.meta(s, s->ev.user);
}

static void on_queues(const struct store_status *st, struct model_queue *q, size_t n,
		      void *arg)
{
	struct sync *s = arg;

	if (!usable(s, st, _("reading queues"))) {
		model_queues_free(q, n);
		return;
	}
	model_set_queues(s->m, q, n);
	if (s->ev.meta)
		s->ev.meta(s, s->ev.user);
}

static void on_agents(const struct store_status *st, struct model_agent *a, size_t n,
		      void *arg)
{
	struct sync *s = arg;

	if (!usable(s, st, _("reading agents"))) {
		model_agents_free(a, n);
		return;
	}
	model_set_agents(s->m, a, n);
	if (s->ev.meta)
		s->ev.meta(s, s->ev.user);
}

static void on_open_fetched(const struct store_status *st, struct model_conv **convs,
			    size_t n, int64_t server_now, void *arg)
{
	struct sync *s = arg;
	int64_t *got;
	size_t i;

	if (!sync_answered(s) || st->outcome != STORE_OK) {
		if (!s->stopping) {
			s->resyncing = false;
			sync_report_error(s, st, _("reading the queue"));
		}
		for (i = 0; i < n; i++)
			model_conv_free(convs[i]);
		free(convs);
		return;
	}
	s->resyncing = false;
	if (server_now)
		s->m->clock_offset = server_now - (int64_t)time(NULL);
	/* Held open conversations missing from the answer were closed or moved
	 * out of sight while we were away: fetch them by id to find out. */
	got = xmalloc((n ? n : 1) * sizeof *got);
	for (i = 0; i < n; i++)
		got[i] = convs[i]->id;
	sync_merge_unlisted(&s->dirty, s->m, got, n);
	free(got);
	if (!s->feed || feed_attached(s->feed))	/* the relay may have gone meanwhile */
		sync_set_state(s, SYNC_ONLINE, "", 0);
	sync_apply_convs(s, convs, n);
	free(convs);
	for (i = 0; i < s->ntr; i++) {
		struct model_conv *c = model_find(s->m, s->tr[i].conv);

		s->tr[i].fetching = false;
		if (c && c->nmsgs == 0)
			sync_fetch_page(s, c->id, 0);
		else if (c)
			sync_fetch_newer(s, &s->tr[i]);
	}
	sync_fetch_dirty(s);
	sync_relay_resynced(s);
}

void sync_fetch_agents(struct sync *s)
{
	s->outstanding++;
	store_fetch_agents(s->db, on_agents, s);
}

void sync_resync(struct sync *s)
{
	s->stats.resyncs++;
	s->resyncing = true;
	s->outstanding += 4;
	store_fetch_me(s->db, on_me, s);
	store_fetch_queues(s->db, on_queues, s);
	store_fetch_agents(s->db, on_agents, s);
	store_fetch_open(s->db, on_open_fetched, s);
	/* Replies kept while offline go out now, in the order they were typed;
	 * the client_msg_id makes a repeat of one already stored harmless. */
	s->state = SYNC_CONNECTING;
	sync_flush_outbox(s);
}
