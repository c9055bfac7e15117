/* sync: keeps the model current with the store; see sync.h. */
#include <stddef.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "balie/db.h"
#include "balie/feed.h"
#include "balie/store.h"
#include "balie/sync.h"
#include "balie/util.h"

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

/* Ids per conversation fetch: big enough that a burst takes few queries,
 * small enough that one answer never stalls the loop. */
#define FETCH_BATCH 1000
#define MESSAGE_BATCH 500

struct transcript {
	int64_t conv;
	bool fetching;		/* a fetch of newer messages is in flight */
	bool again;		/* more changed meanwhile: fetch once more */
};

struct outbox_item {
	struct action a;
	char *text, *arg;
	sync_action_cb *cb;
	void *cb_arg;
	bool in_flight;
	bool told_queued;
	struct sync *s;
	struct outbox_item *next;
};

struct sync {
	uv_loop_t *loop;
	struct db *db;
	struct model *m;
	struct sync_events ev;
	struct sync_options opt;
	enum sync_conn state;
	char *last_error;

	int64_t *dirty;		/* conversations to fetch (may hold repeats) */
	size_t ndirty, dirty_cap;
	int64_t *asked;		/* the batch in flight (sorted), or NULL */
	size_t nasked;
	bool resyncing;		/* the full re-read is in flight */

	struct transcript *tr;
	size_t ntr;

	struct outbox_item *outbox;

	struct model_history *history;
	size_t nhistory;

	struct sync_stats stats;
	struct feed *feed;	/* relay mode (feed.h), else NULL */
	bool gap_pending;	/* a gap came during a re-read: read again */
	unsigned outstanding;	/* our queries not yet answered */
	bool stopping;
	bool reaping;
	uv_timer_t reaper;	/* frees us on a later loop turn, see sync_stop */
};

static void fetch_dirty(struct sync *s);
static void flush_outbox(struct sync *s);
static void fetch_newer_messages(struct sync *s, struct transcript *t);
static struct feed *relay_new(struct sync *s);
static bool relay_db_state(struct sync *s, enum db_state st);
static void relay_resynced(struct sync *s);

static void set_state(struct sync *s, enum sync_conn st, const char *reason, unsigned ms)
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
	struct outbox_item *o, *next;

	for (o = s->outbox; o; o = next) {
		next = o->next;
		free(o->text);
		free(o->arg);
		free(o);
	}
	model_history_free(s->history, s->nhistory);
	free(s->dirty);
	free(s->tr);
	free(s->last_error);
	free(s);
}

static void on_reaper_closed(uv_handle_t *h)
{
	sync_free(container_of(h, struct sync, reaper));
}

static void on_reap(uv_timer_t *t)
{
	struct sync *s = container_of(t, struct sync, reaper);

	uv_close((uv_handle_t *)&s->reaper, on_reaper_closed);
}

/* Frees the object once stopped and every query has been answered, never
 * synchronously: sync_stop may be called from inside one of our events, and
 * the code that sent the event still holds the pointer. */
static void maybe_reap(struct sync *s)
{
	if (!s->stopping || s->outstanding > 0 || s->reaping)
		return;
	s->reaping = true;
	uv_timer_start(&s->reaper, on_reap, 0, 0);
}

/* Every store callback starts here: after sync_stop only the bookkeeping
 * runs, and the last answer lets the object go. */
static bool answered(struct sync *s)
{
	s->outstanding--;
	if (!s->stopping)
		return true;
	maybe_reap(s);
	return false;
}

static void report_error(struct sync *s, const struct store_status *st, const char *what)
{
	char buf[512], line[600];

	if (st->outcome != DB_SQL_ERROR || !s->ev.error)
		return;	/* offline is shown by the connection state */
	snprintf(line, sizeof line, "%s: %s", what, store_explain(st, buf, sizeof buf));
	s->ev.error(s, line, s->ev.user);
}

static struct transcript *find_transcript(struct sync *s, int64_t conv)
{
	size_t i;

	for (i = 0; i < s->ntr; i++)
		if (s->tr[i].conv == conv)
			return &s->tr[i];
	return NULL;
}

static void mark_dirty(struct sync *s, int64_t id)
{
	if (s->ndirty == s->dirty_cap) {
		s->dirty_cap = s->dirty_cap ? s->dirty_cap * 2 : 256;
		s->dirty = xrealloc(s->dirty, s->dirty_cap * sizeof *s->dirty);
	}
	s->dirty[s->ndirty++] = id;
}

static int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Applies fetched rows; closed ones leave the model unless kept. */
static void apply_convs(struct sync *s, struct model_conv **convs, size_t n)
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
		t = find_transcript(s, id);
		if (t && held->message_count > model_last_seq(held))
			fetch_newer_messages(s, t);
		if (held->state == MODEL_CLOSED && !t && !s->opt.keep_closed)
			model_remove(s->m, id);
	}
}

/* Asked-for ids that did not come back are no longer visible to us. */
static void forget_missing(struct sync *s, const int64_t *asked, size_t nasked,
			   struct model_conv **convs, size_t n)
{
	size_t i, j;
	int64_t *got = xmalloc((n ? n : 1) * sizeof *got);

	for (i = 0; i < n; i++)
		got[i] = convs[i]->id;
	qsort(got, n, sizeof *got, id_cmp);
	for (i = 0, j = 0; i < nasked; i++) {
		while (j < n && got[j] < asked[i])
			j++;
		if (j < n && got[j] == asked[i])
			continue;
		if (model_remove(s->m, asked[i]) && s->ev.removed)
			s->ev.removed(s, asked[i], s->ev.user);
	}
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
	if (!answered(s) || st->outcome != DB_OK) {
		if (!s->stopping) {
			report_error(s, st, "reading conversations");
			/* Ask again after the next change or reconnect. */
			for (i = 0; i < nasked; i++)
				mark_dirty(s, asked[i]);
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
	apply_convs(s, convs, n);
	free(convs);
	free(asked);
	fetch_dirty(s);
}

/* Sends one batch of dirty ids if nothing is in flight. */
static void fetch_dirty(struct sync *s)
{
	size_t i, w, take;

	if (s->asked || s->resyncing || s->state != SYNC_ONLINE || s->ndirty == 0)
		return;
	qsort(s->dirty, s->ndirty, sizeof *s->dirty, id_cmp);
	for (i = 0, w = 0; i < s->ndirty; i++)
		if (w == 0 || s->dirty[w - 1] != s->dirty[i])
			s->dirty[w++] = s->dirty[i];
	s->ndirty = w;
	take = s->ndirty < FETCH_BATCH ? s->ndirty : FETCH_BATCH;
	s->asked = xmalloc(take * sizeof *s->asked);
	memcpy(s->asked, s->dirty, take * sizeof *s->asked);
	s->nasked = take;
	memmove(s->dirty, s->dirty + take, (s->ndirty - take) * sizeof *s->dirty);
	s->ndirty -= take;
	s->outstanding++;
	s->stats.fetch_queries++;
	store_fetch_convs(s->db, s->asked, take, on_dirty_fetched, s);
}

static void on_notify(struct db *db, const char *channel, const char *payload, void *user)
{
	struct sync *s = user;
	int64_t id, version;
	struct model_conv *c;

	(void)db;
	if (strcmp(channel, "balie") == 0 && store_parse_notify(payload, &id, &version) == 0) {
		s->stats.notifications++;
		c = model_find(s->m, id);
		if (!c || c->version < version) {
			mark_dirty(s, id);
			fetch_dirty(s);
		}
	}
	if (s->ev.notify)
		s->ev.notify(s, channel, payload, s->ev.user);
}

/* Messages ---------------------------------------------------------------- */

enum msgs_kind {
	MSGS_FOLLOW,		/* newer ones, as they arrive, until caught up */
	MSGS_OLDER,		/* one page before the window (or the newest page) */
	MSGS_NEWER,		/* one page after a window that lost its newest */
};

struct msg_req {
	struct sync *s;
	enum msgs_kind kind;
	int edge;		/* the seq asked after (FOLLOW, NEWER) or before (OLDER) */
	int limit;
};

static void free_msgs(struct model_msg *msgs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		model_msg_clear(&msgs[i]);
	free(msgs);
}

/* Whether an answer still joins the window it was asked for: the window may
 * have been trimmed or emptied meanwhile, and a page that no longer touches
 * it would leave a hole. */
static bool still_joins(const struct model_conv *c, enum msgs_kind kind, int edge)
{
	int first = model_first_seq(c), last = model_last_seq(c);

	if (kind == MSGS_OLDER && edge == 0)
		return c->nmsgs == 0 || !c->newer_unloaded;
	if (kind == MSGS_OLDER)
		return c->nmsgs > 0 && first <= edge && last >= edge - 1;
	if (kind == MSGS_FOLLOW && c->newer_unloaded)
		return false;
	return first <= edge + 1 && last >= edge;
}

static void on_msgs(const struct store_status *st, int64_t conv, struct model_msg *msgs,
		    size_t n, void *arg)
{
	struct msg_req *req = arg;
	struct sync *s = req->s;
	struct transcript *t;
	struct model_conv *c;
	enum msgs_kind kind = req->kind;
	int edge = req->edge;
	bool full = (int)n >= req->limit, tell;

	free(req);
	if (!answered(s)) {
		free_msgs(msgs, n);
		return;
	}
	t = find_transcript(s, conv);
	if (t && kind == MSGS_FOLLOW)
		t->fetching = false;
	c = model_find(s->m, conv);
	if (st->outcome != DB_OK || !c || !t || !still_joins(c, kind, edge)) {
		report_error(s, st, "reading messages");
		free_msgs(msgs, n);
		/* A page that did not come (or came too late) still ends the wait. */
		if (c && t && kind != MSGS_FOLLOW && s->ev.transcript)
			s->ev.transcript(s, c, s->ev.user);
		return;
	}
	tell = model_add_messages(s->m, c, msgs, n) > 0 || kind != MSGS_FOLLOW;
	free(msgs);
	if (kind == MSGS_FOLLOW && !c->newer_unloaded &&
	    (full || t->again || c->message_count > model_last_seq(c))) {
		t->again = false;
		fetch_newer_messages(s, t);
	} else if (kind == MSGS_NEWER && !c->newer_unloaded &&
		   c->message_count > model_last_seq(c)) {
		/* Caught up with the newest: from here on they come by themselves. */
		fetch_newer_messages(s, t);
	}
	if (tell && s->ev.transcript)
		s->ev.transcript(s, c, s->ev.user);
}

static void fetch_msgs(struct sync *s, int64_t conv, enum msgs_kind kind, int edge, int limit)
{
	struct msg_req *req = xmalloc(sizeof *req);

	*req = (struct msg_req){ s, kind, edge, limit };
	s->outstanding++;
	if (kind == MSGS_OLDER)
		store_fetch_messages_before(s->db, conv, edge, limit, on_msgs, req);
	else
		store_fetch_messages_after(s->db, conv, edge, limit, on_msgs, req);
}

static void fetch_newer_messages(struct sync *s, struct transcript *t)
{
	struct model_conv *c = model_find(s->m, t->conv);

	if (!c || s->state != SYNC_ONLINE || c->newer_unloaded)
		return;
	if (t->fetching) {
		t->again = true;
		return;
	}
	if (c->nmsgs == 0 && c->message_count > 0)
		return;	/* the first page is on its way */
	t->fetching = true;
	fetch_msgs(s, t->conv, MSGS_FOLLOW, model_last_seq(c), MESSAGE_BATCH);
}

static void fetch_page(struct sync *s, int64_t conv, int before)
{
	fetch_msgs(s, conv, MSGS_OLDER, before, (int)s->opt.page);
}

void sync_open_transcript(struct sync *s, int64_t conv)
{
	struct model_conv *c = model_find(s->m, conv);
	struct transcript *t;

	if (!c)
		return;
	c->transcript_open = true;
	t = find_transcript(s, conv);
	if (!t) {
		s->tr = xrealloc(s->tr, (s->ntr + 1) * sizeof *s->tr);
		t = &s->tr[s->ntr++];
		*t = (struct transcript){ conv, false, false };
	}
	if (s->state != SYNC_ONLINE)
		return;		/* the re-sync after connecting loads it */
	if (c->nmsgs == 0)
		fetch_page(s, conv, 0);
	else
		fetch_newer_messages(s, t);
}

void sync_close_transcript(struct sync *s, int64_t conv)
{
	struct model_conv *c = model_find(s->m, conv);
	size_t i;

	for (i = 0; i < s->ntr; i++) {
		if (s->tr[i].conv == conv) {
			s->tr[i] = s->tr[--s->ntr];
			break;
		}
	}
	if (c) {
		c->transcript_open = false;
		if (c->state == MODEL_CLOSED && !s->opt.keep_closed)
			model_remove(s->m, conv);
		else
			model_keep_newest(s->m, c, MODEL_KEPT_MSGS, MODEL_KEPT_BYTES);
	}
}

int sync_load_older(struct sync *s, int64_t conv)
{
	struct model_conv *c = model_find(s->m, conv);

	if (!c || !find_transcript(s, conv) || s->state != SYNC_ONLINE)
		return 0;
	if (c->nmsgs && model_first_seq(c) <= 1)
		return 0;
	fetch_page(s, conv, c->nmsgs ? model_first_seq(c) : 0);
	return 1;
}

int sync_load_newer(struct sync *s, int64_t conv)
{
	struct model_conv *c = model_find(s->m, conv);

	if (!c || !find_transcript(s, conv) || s->state != SYNC_ONLINE || !c->newer_unloaded ||
	    c->nmsgs == 0)
		return 0;
	fetch_msgs(s, conv, MSGS_NEWER, model_last_seq(c), (int)s->opt.page);
	return 1;
}

int sync_load_newest(struct sync *s, int64_t conv)
{
	struct model_conv *c = model_find(s->m, conv);
	struct transcript *t = find_transcript(s, conv);

	if (!c || !t || s->state != SYNC_ONLINE || !c->newer_unloaded)
		return 0;
	/* Answers still on their way no longer join the window: still_joins
	 * drops them. */
	model_clear_messages(s->m, c);
	t->fetching = false;
	t->again = false;
	fetch_page(s, conv, 0);
	return 1;
}

struct history_req {
	struct sync *s;
	int64_t conv;
};

static void on_history(const struct store_status *st, struct model_history *h, size_t n,
		       void *arg)
{
	struct history_req *req = arg;
	struct sync *s = req->s;
	int64_t conv = req->conv;

	free(req);
	if (!answered(s)) {
		model_history_free(h, n);
		return;
	}
	if (st->outcome != DB_OK) {
		report_error(s, st, "reading earlier conversations");
		model_history_free(h, n);
		return;
	}
	model_history_free(s->history, s->nhistory);
	s->history = h;
	s->nhistory = n;
	if (s->ev.history)
		s->ev.history(s, conv, h, n, s->ev.user);
}

void sync_fetch_history(struct sync *s, int64_t conv)
{
	struct model_conv *c = model_find(s->m, conv);
	struct history_req *req;

	if (!c || !c->customer_ref || s->state != SYNC_ONLINE)
		return;
	req = xmalloc(sizeof *req);
	*req = (struct history_req){ s, conv };
	s->outstanding++;
	store_fetch_history(s->db, c->customer_ref, conv, on_history, req);
}

/* The re-read after (re)connecting ------------------------------------------ */

static void on_me(const struct store_status *st, struct store_me *me, void *arg)
{
	struct sync *s = arg;

	if (!answered(s) || st->outcome != DB_OK) {
		if (!s->stopping)
			report_error(s, st, "reading who you are");
		return;
	}
	model_set_me(s->m, me->login, me->display_name, me->is_supervisor);
	if (s->ev.meta)
		s->ev.meta(s, s->ev.user);
}

static void on_queues(const struct store_status *st, struct model_queue *q, size_t n,
		      void *arg)
{
	struct sync *s = arg;
	size_t i;

	if (!answered(s) || st->outcome != DB_OK) {
		if (!s->stopping)
			report_error(s, st, "reading queues");
		for (i = 0; i < n; i++) {
			free(q[i].id);
			free(q[i].name);
		}
		free(q);
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
	size_t i;

	if (!answered(s) || st->outcome != DB_OK) {
		if (!s->stopping)
			report_error(s, st, "reading agents");
		for (i = 0; i < n; i++) {
			free(a[i].login);
			free(a[i].display_name);
		}
		free(a);
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
	size_t i, j;

	if (!answered(s) || st->outcome != DB_OK) {
		if (!s->stopping) {
			s->resyncing = false;
			report_error(s, st, "reading the queue");
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
	qsort(got, n, sizeof *got, id_cmp);
	for (i = 0, j = 0; i < s->m->nconvs; i++) {
		int64_t id = s->m->convs[i]->id;

		while (j < n && got[j] < id)
			j++;
		if ((j == n || got[j] != id) && s->m->convs[i]->state != MODEL_CLOSED)
			mark_dirty(s, id);
	}
	free(got);
	if (!s->feed || feed_attached(s->feed))	/* the relay may have gone meanwhile */
		set_state(s, SYNC_ONLINE, "", 0);
	apply_convs(s, convs, n);
	free(convs);
	for (i = 0; i < s->ntr; i++) {
		struct model_conv *c = model_find(s->m, s->tr[i].conv);

		s->tr[i].fetching = false;
		if (c && c->nmsgs == 0)
			fetch_page(s, c->id, 0);
		else if (c)
			fetch_newer_messages(s, &s->tr[i]);
	}
	fetch_dirty(s);
	relay_resynced(s);
}

static void resync(struct sync *s)
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
	flush_outbox(s);
}

static void on_db_state(struct db *db, enum db_state st, const char *reason,
			unsigned retry_in_ms, void *user)
{
	struct sync *s = user;

	(void)db;
	if (s->stopping || relay_db_state(s, st))
		return;
	switch (st) {
	case DB_IDLE:
		break;
	case DB_CONNECTING:
		if (s->state != SYNC_RETRY_WAIT)
			set_state(s, SYNC_CONNECTING, reason, 0);
		break;
	case DB_CONNECTED:
		if (s->stats.resyncs)
			s->stats.reconnects++;
		resync(s);
		break;
	case DB_RETRY_WAIT:
		s->resyncing = false;
		set_state(s, SYNC_RETRY_WAIT, reason, retry_in_ms);
		break;
	case DB_STOPPED:
		set_state(s, SYNC_FAILED, reason, 0);
		break;
	}
}

/* Actions and the outbox ------------------------------------------------------ */

struct act_req {
	struct sync *s;
	struct action a;
	char *text, *arg;
	sync_action_cb *cb;
	void *cb_arg;
};

static void result_from(const struct store_status *st, const char *value,
			struct action_result *r, char *buf, size_t len)
{
	r->value = value;
	r->sqlstate = st->sqlstate;
	r->message = store_explain(st, buf, len);
	switch (st->outcome) {
	case DB_OK:
		r->outcome = ACTION_DONE;
		break;
	case DB_SQL_ERROR:
		r->outcome = ACTION_REFUSED;
		break;
	case DB_NOT_SENT:
		r->outcome = ACTION_NOT_SENT;
		break;
	case DB_LOST:
		r->outcome = ACTION_UNKNOWN;
		r->message = "the connection broke before the server answered; "
			     "the screen shows what happened once back online";
		break;
	}
}

static void on_act(const struct store_status *st, const char *value, void *arg)
{
	struct act_req *req = arg;
	struct sync *s = req->s;
	struct action_result r;
	char buf[512];

	if (answered(s) && req->cb) {
		result_from(st, value, &r, buf, sizeof buf);
		req->cb(&r, &req->a, req->cb_arg);
	}
	free(req->text);
	free(req->arg);
	free(req);
}

static void on_outbox(const struct store_status *st, const char *value, void *arg)
{
	struct outbox_item *o = arg, **pp;
	struct sync *s = o->s;
	struct action_result r;
	char buf[512];

	if (!answered(s))
		return;		/* sync_free released the item */
	o->in_flight = false;
	if (st->outcome == DB_NOT_SENT || st->outcome == DB_LOST) {
		/* Kept: resent with the same client_msg_id after reconnect. */
		if (!o->told_queued && o->cb) {
			o->told_queued = true;
			r = (struct action_result){ ACTION_QUEUED, NULL,
				"offline: the reply is kept and sent when the connection is back", "" };
			o->cb(&r, &o->a, o->cb_arg);
		}
		return;
	}
	for (pp = &s->outbox; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	}
	if (o->cb) {
		result_from(st, value, &r, buf, sizeof buf);
		o->cb(&r, &o->a, o->cb_arg);
	}
	free(o->text);
	free(o->arg);
	free(o);
}

static void send_outbox_item(struct sync *s, struct outbox_item *o)
{
	o->in_flight = true;
	s->outstanding++;
	store_call(s->db, &o->a, on_outbox, o);
}

static void flush_outbox(struct sync *s)
{
	struct outbox_item *o;

	for (o = s->outbox; o; o = o->next)
		if (!o->in_flight)
			send_outbox_item(s, o);
}

void sync_act(struct sync *s, const struct action *a, sync_action_cb *cb, void *arg)
{
	if (a->kind == ACTION_REPLY) {
		struct outbox_item *o = xcalloc(1, sizeof *o), **pp;

		o->a = *a;
		o->text = xstrdup(a->text);
		o->arg = xstrdup(a->arg);
		o->a.text = o->text;
		o->a.arg = o->arg;
		if (!o->a.uuid[0])
			store_new_uuid(o->a.uuid);
		o->cb = cb;
		o->cb_arg = arg;
		o->s = s;
		for (pp = &s->outbox; *pp; pp = &(*pp)->next)
			;
		*pp = o;
		/* While offline db_query answers DB_NOT_SENT, which queues it. */
		send_outbox_item(s, o);
		return;
	}
	{
		struct act_req *req = xcalloc(1, sizeof *req);

		req->s = s;
		req->a = *a;
		req->text = xstrdup(a->text);
		req->arg = xstrdup(a->arg);
		req->a.text = req->text;
		req->a.arg = req->arg;
		req->cb = cb;
		req->cb_arg = arg;
		s->outstanding++;
		store_call(s->db, &req->a, on_act, req);
	}
}

size_t sync_outbox_count(const struct sync *s)
{
	size_t n = 0;
	const struct outbox_item *o;

	for (o = s->outbox; o; o = o->next)
		n++;
	return n;
}

/* Life cycle ------------------------------------------------------------------ */

struct sync *sync_new(uv_loop_t *loop, const char *conninfo, struct model *m,
		      const struct sync_options *opt, const struct sync_events *ev)
{
	struct sync *s = xcalloc(1, sizeof *s);
	struct db_options dopt = { 0 };
	struct db_events dev = { on_db_state, on_notify, s };

	s->loop = loop;
	s->m = m;
	if (ev)
		s->ev = *ev;
	if (opt)
		s->opt = *opt;
	if (!s->opt.page)
		s->opt.page = 50;
	dopt.retry_min_ms = s->opt.retry_min_ms;
	dopt.retry_max_ms = s->opt.retry_max_ms;
	dopt.fatal_auth = true;
	s->state = SYNC_CONNECTING;
	uv_timer_init(loop, &s->reaper);
	s->db = db_new(loop, conninfo, &dopt, &dev);
	if (s->opt.relay)
		s->feed = relay_new(s);	/* no LISTEN balie: changes come from the relay */
	else
		db_listen(s->db, "balie");
	return s;
}

int sync_start(struct sync *s)
{
	if (db_start(s->db) != 0) {
		free(s->last_error);
		s->last_error = xstrdup(db_last_error(s->db));
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
	db_stop(s->db);
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
	if (s->feed && db_get_state(s->db) == DB_CONNECTED)
		return feed_retry_in_ms(s->feed);
	return db_retry_in_ms(s->db);
}

void sync_listen(struct sync *s, const char *channel)
{
	db_listen(s->db, channel);
}

struct db *sync_db(struct sync *s)
{
	return s->db;
}

const struct sync_stats *sync_stats(const struct sync *s)
{
	return &s->stats;
}

/* Relay mode (feed.h) ----------------------------------------------------------
 * Changes come as rows from the relay instead of NOTIFY + re-read. ONLINE
 * means the database is connected, the relay attached, and the re-read
 * after attaching done; the re-read starts only once attached, so nothing
 * committed in between is missed (the newer-version rule sorts out rows that
 * arrive twice). */

static void relay_attached(struct feed *f, const char *login, const char *kind, void *user)
{
	struct sync *s = user;

	(void)f;
	(void)login;
	(void)kind;
	if (db_get_state(s->db) == DB_CONNECTED)
		resync(s);
}

static void relay_detached(struct feed *f, const char *reason, unsigned retry_ms, void *user)
{
	struct sync *s = user;

	(void)f;
	if (db_get_state(s->db) != DB_CONNECTED)
		return;		/* the database's own outage is shown */
	s->resyncing = false;
	set_state(s, SYNC_RETRY_WAIT, reason, retry_ms);
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
	if (held->state == MODEL_CLOSED && !find_transcript(s, id) && !s->opt.keep_closed)
		model_remove(s->m, id);
}

static void relay_msg(struct feed *f, int64_t conv, struct model_msg *m, bool complete,
		      void *user)
{
	struct sync *s = user;
	struct model_conv *c = model_find(s->m, conv);

	(void)f;
	if (c && complete && find_transcript(s, conv) && !c->newer_unloaded &&
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
		mark_dirty(s, conv);
		fetch_dirty(s);
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
	s->outstanding++;
	store_fetch_agents(s->db, on_agents, s);
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
		resync(s);
		return;
	}
	for (i = 0; i < s->ntr; i++) {
		struct model_conv *c = model_find(s->m, s->tr[i].conv);

		if (c && c->message_count > model_last_seq(c))
			fetch_newer_messages(s, &s->tr[i]);
	}
}

static void relay_resynced(struct sync *s)
{
	if (s->feed)
		relay_batch_end(s->feed, s);
}

static struct feed *relay_new(struct sync *s)
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

/* The database's state, as relay mode sees it; true when handled here. */
static bool relay_db_state(struct sync *s, enum db_state st)
{
	if (!s->feed)
		return false;
	if (st != DB_CONNECTED) {
		feed_db_down(s->feed);
		return false;
	}
	if (s->stats.resyncs)
		s->stats.reconnects++;
	s->gap_pending = false;
	feed_db_up(s->feed);
	if (feed_attached(s->feed)) {
		resync(s);
	} else {
		s->resyncing = false;
		set_state(s, SYNC_CONNECTING, "waiting for the relay", 0);
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
