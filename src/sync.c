/* sync: keeps the model current with the store; see sync.h. This file:
 * change notices, fetching changed conversations in batches, the
 * connection's states and the life cycle. */
#include <stddef.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "balie/i18n.h"
#include "balie/util.h"
#include "balie/feed.h"
#include "sync_priv.h"

void sync_set_state(struct sync *s, enum sync_conn st, const char *reason, unsigned ms)
{
	s->state = st;
	if (reason && *reason) {
		free(s->last_error);
		s->last_error = xstrdup(reason);
	}
	if (s->ev.conn)
		s->ev.conn(s, st, reason ? reason : "", ms, s->ev.user);
}

static void sync_free(struct sync *s)
{
	sync_outbox_free(s);
	model_history_free(s->history, s->nhistory);
	sync_merge_dirty_free(&s->dirty);
	free(s->tr);
	free(s->last_error);
	free(s);
}

static void on_reaper_closed(uv_handle_t *h)
{
	sync_free(container_of(h, struct sync, reaper));
}

static void on_busy_closed(uv_handle_t *h)
{
	struct sync *s = container_of(h, struct sync, busy);

	uv_close((uv_handle_t *)&s->reaper, on_reaper_closed);
}

static void on_reap(uv_timer_t *t)
{
	struct sync *s = container_of(t, struct sync, reaper);

	/* The busy timer first: the reaper's close frees us. */
	uv_close((uv_handle_t *)&s->busy, on_busy_closed);
}

/* Frees the object once stopped and every query has been answered, never
 * synchronously: sync_stop may be called from inside one of our events, and
 * the code that sent the event still holds the pointer. */
static void maybe_reap(struct sync *s)
{
	if (!s->stopping || s->outstanding > 0 || s->reaping)
		return;
	s->reaping = true;
	util_uv_check(uv_timer_start(&s->reaper, on_reap, 0, 0), "sync reaper");
}

bool sync_answered(struct sync *s)
{
	s->outstanding--;
	if (!s->stopping)
		return true;
	maybe_reap(s);
	return false;
}

void sync_report_error(struct sync *s, const struct store_status *st, const char *what)
{
	char buf[512], line[600];

	if (st->outcome != STORE_SQL_ERROR || !s->ev.error)
		return;	/* offline is shown by the connection state */
	snprintf(line, sizeof line, "%s: %s", what, store_explain(st, buf, sizeof buf));
	s->ev.error(s, line, s->ev.user);
}

struct transcript *sync_find_transcript(struct sync *s, int64_t conv)
{
	size_t i;

	for (i = 0; i < s->ntr; i++)
		if (s->tr[i].conv == conv)
			return &s->tr[i];
	return NULL;
}

void sync_apply_convs(struct sync *s, struct model_conv **convs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct model_conv *held;
		int64_t id = convs[i]->id;
		enum model_apply how = model_apply_conv(s->m, convs[i], &held);
		struct transcript *t;

		if (how == MODEL_STALE)
			continue;
		if (s->ev.changed)
			s->ev.changed(s, held, how, s->ev.user);
		t = sync_find_transcript(s, id);
		if (t && held->message_count > model_last_seq(held))
			sync_fetch_newer(s, t);
		if (held->state == MODEL_CLOSED && !t && !s->opt.keep_closed)
			model_remove(s->m, id);
	}
}

/* Asked-for ids that did not come back are no longer visible to us. */
static void forget_missing(struct sync *s, const int64_t *asked, size_t nasked,
			   struct model_conv **convs, size_t n)
{
	int64_t *got = xmalloc((n ? n : 1) * sizeof *got);
	int64_t *gone = xmalloc((nasked ? nasked : 1) * sizeof *gone);
	size_t i, ngone;

	for (i = 0; i < n; i++)
		got[i] = convs[i]->id;
	ngone = sync_merge_missing(asked, nasked, got, n, gone);
	for (i = 0; i < ngone; i++)
		if (model_remove(s->m, gone[i]) && s->ev.removed)
			s->ev.removed(s, gone[i], s->ev.user);
	free(gone);
	free(got);
}

static void on_dirty_fetched(const struct store_status *st, struct model_conv **convs,
			     size_t n, int64_t server_now, void *arg)
{
	struct sync *s = arg;
	int64_t *asked = s->asked;
	size_t nasked = s->nasked, i;

	s->asked = NULL;
	s->nasked = 0;
	if (!sync_answered(s) || st->outcome != STORE_OK) {
		if (!s->stopping) {
			sync_report_error(s, st, _("reading conversations"));
			/* Ask again after the next change or reconnect. */
			for (i = 0; i < nasked; i++)
				sync_merge_mark(&s->dirty, asked[i]);
		}
		for (i = 0; i < n; i++)
			model_conv_free(convs[i]);
		free(convs);
		free(asked);
		return;
	}
	if (server_now)
		s->m->clock_offset = server_now - (int64_t)time(NULL);
	forget_missing(s, asked, nasked, convs, n);
	sync_apply_convs(s, convs, n);
	free(convs);
	free(asked);
	sync_fetch_dirty(s);
}

void sync_fetch_dirty(struct sync *s)
{
	size_t take;

	if (s->asked || s->resyncing || s->state != SYNC_ONLINE || s->dirty.n == 0)
		return;
	take = sync_merge_take(&s->dirty, FETCH_BATCH, &s->asked);
	s->nasked = take;
	s->outstanding++;
	s->stats.fetch_queries++;
	store_fetch_convs(s->db, s->asked, take, on_dirty_fetched, s);
}

static void on_notify(struct db *db, const char *channel, const char *payload, void *user)
{
	struct sync *s = user;
	int64_t id, version;

	(void)db;
	if (strcmp(channel, STORE_CHANNEL_CHANGES) == 0 &&
	    store_parse_notify(payload, &id, &version) == 0) {
		s->stats.notifications++;
		if (sync_merge_wanted(s->m, id, version)) {
			sync_merge_mark(&s->dirty, id);
			sync_fetch_dirty(s);
		}
	}
	if (s->ev.notify)
		s->ev.notify(s, channel, payload, s->ev.user);
	for (size_t k = 0; k < SYNC_MAX_SUBSCRIBERS; k++)
		if (s->subs[k].fn)
			s->subs[k].fn(channel, payload, s->subs[k].user);
}

static void on_link_state(struct db *db, enum store_link st, const char *reason,
			unsigned retry_in_ms, void *user)
{
	struct sync *s = user;

	(void)db;
	if (s->stopping || sync_relay_link_state(s, st))
		return;
	switch (st) {
	case STORE_LINK_IDLE:
		break;
	case STORE_LINK_CONNECTING:
		if (s->state != SYNC_RETRY_WAIT)
			sync_set_state(s, SYNC_CONNECTING, reason, 0);
		break;
	case STORE_LINK_CONNECTED:
		if (s->stats.resyncs)
			s->stats.reconnects++;
		sync_resync(s);
		break;
	case STORE_LINK_RETRY_WAIT:
		s->resyncing = false;
		sync_set_state(s, SYNC_RETRY_WAIT, reason, retry_in_ms);
		break;
	case STORE_LINK_STOPPED:
		sync_set_state(s, SYNC_FAILED, reason, 0);
		break;
	}
}

/* Life cycle ------------------------------------------------------------------ */

struct sync *sync_new(uv_loop_t *loop, const char *conninfo, struct model *m,
		      const struct sync_options *opt, const struct sync_events *ev)
{
	struct sync *s = xcalloc(1, sizeof *s);
	struct store_link_options lopt = { 0 };
	struct store_link_events lev = { on_link_state, on_notify, s };

	s->loop = loop;
	s->m = m;
	if (ev)
		s->ev = *ev;
	if (opt)
		s->opt = *opt;
	if (!s->opt.page)
		s->opt.page = 50;
	lopt.retry_min_ms = s->opt.retry_min_ms;
	lopt.retry_max_ms = s->opt.retry_max_ms;
	s->state = SYNC_CONNECTING;
	util_uv_check(uv_timer_init(loop, &s->reaper), "sync reaper");
	util_uv_check(uv_timer_init(loop, &s->busy), "sync busy retry");
	s->db = store_link_new(loop, conninfo, &lopt, &lev);
	if (s->opt.relay)
		s->feed = sync_relay_new(s);	/* no LISTEN balie: changes come from the relay */
	else
		store_link_listen(s->db, STORE_CHANNEL_CHANGES);
	return s;
}

int sync_start(struct sync *s)
{
	if (store_link_start(s->db) != 0) {
		free(s->last_error);
		s->last_error = xstrdup(store_link_error(s->db));
		return -1;
	}
	return 0;
}

void sync_stop(struct sync *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	if (s->feed)
		feed_stop(s->feed);
	store_link_stop(s->db);
	maybe_reap(s);
}

const char *sync_last_error(const struct sync *s)
{
	return s->last_error ? s->last_error : "";
}

enum sync_conn sync_state(const struct sync *s)
{
	return s->state;
}

unsigned sync_retry_in_ms(const struct sync *s)
{
	if (s->feed && store_link_connected(s->db))
		return feed_retry_in_ms(s->feed);
	return store_link_retry_in_ms(s->db);
}

void sync_listen(struct sync *s, const char *channel)
{
	store_link_listen(s->db, channel);
}

int sync_subscribe(struct sync *s, sync_notify_fn *fn, void *user)
{
	for (size_t k = 0; k < SYNC_MAX_SUBSCRIBERS; k++) {
		if (!s->subs[k].fn || (s->subs[k].fn == fn && s->subs[k].user == user)) {
			s->subs[k].fn = fn;
			s->subs[k].user = user;
			return 0;
		}
	}
	return -1;
}

void sync_unsubscribe(struct sync *s, sync_notify_fn *fn, void *user)
{
	for (size_t k = 0; k < SYNC_MAX_SUBSCRIBERS; k++) {
		if (s->subs[k].fn == fn && s->subs[k].user == user) {
			s->subs[k].fn = NULL;
			s->subs[k].user = NULL;
		}
	}
}

struct db *sync_db(struct sync *s)
{
	return s->db;
}

const struct sync_stats *sync_stats(const struct sync *s)
{
	return &s->stats;
}
