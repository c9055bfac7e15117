/* super_refresh: keeps the supervisor figures current on sync's connection,
 * paced by super_pace; see super.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/i18n.h"
#include "balie/store.h"
#include "balie/super.h"
#include "balie/sync.h"
#include "balie/util.h"

#define DEFAULT_DEBOUNCE_MS 200
#define DEFAULT_MIN_INTERVAL_MS 500
#define DEFAULT_PERIODIC_MS 5000

struct super {
	uv_loop_t *loop;
	struct sync *sync;
	struct super_events ev;
	struct super_pace pace;
	struct super_data data;
	uv_timer_t timer;

	/* The refresh in flight: two queries, answered in order. */
	int awaiting;
	bool failed;
	char error[512];
	struct super_queue *next_queues;
	size_t next_nqueues;
	int64_t next_now;
	struct super_agent *next_agents;
	size_t next_nagents;

	bool stopping;
	bool timer_open;
};

static void on_timer(uv_timer_t *t);

static void super_free(struct super *s)
{
	super_queues_free(s->next_queues, s->next_nqueues);
	super_agents_free(s->next_agents, s->next_nagents);
	super_data_free(&s->data);
	free(s);
}

/* After super_stop the object lives until the timer is closed and the last
 * query answered; whichever comes last frees it. */
static void maybe_free(struct super *s)
{
	if (s->stopping && !s->timer_open && s->awaiting == 0)
		super_free(s);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct super *s = h->data;

	s->timer_open = false;
	maybe_free(s);
}

/* Sets the timer for AT (loop milliseconds), or stops it for 0. */
static void arm(struct super *s, uint64_t at)
{
	uint64_t now = uv_now(s->loop);

	if (s->stopping)
		return;
	if (!at) {
		uv_timer_stop(&s->timer);
		return;
	}
	uv_timer_start(&s->timer, on_timer, at > now ? at - now : 0, 0);
}

static void note_failure(struct super *s, const struct store_status *st)
{
	char buf[400];

	if (s->failed)
		return;
	s->failed = true;
	s->error[0] = '\0';
	/* Offline is shown by the connection state; only refusals are news. */
	if (st->outcome == STORE_SQL_ERROR)
		snprintf(s->error, sizeof s->error, _("reading the supervisor figures: %s"),
			 store_explain(st, buf, sizeof buf));
}

/* Both answers are in: take the new figures, or keep the old ones. */
static void finish(struct super *s)
{
	if (s->failed) {
		super_queues_free(s->next_queues, s->next_nqueues);
		super_agents_free(s->next_agents, s->next_nagents);
	} else {
		super_queues_free(s->data.queues, s->data.nqueues);
		super_agents_free(s->data.agents, s->data.nagents);
		s->data.queues = s->next_queues;
		s->data.nqueues = s->next_nqueues;
		s->data.agents = s->next_agents;
		s->data.nagents = s->next_nagents;
		s->data.server_now = s->next_now;
		s->data.loaded = true;
		s->data.generation++;
	}
	s->next_queues = NULL;
	s->next_agents = NULL;
	s->next_nqueues = s->next_nagents = 0;
	arm(s, super_pace_done(&s->pace, uv_now(s->loop)));
	if (s->failed && s->error[0] && s->ev.error)
		s->ev.error(s, s->error, s->ev.user);
	else if (!s->failed && s->ev.updated)
		s->ev.updated(s, s->ev.user);
}

static void on_queues(const struct store_status *st, struct super_queue *q, size_t n,
		      int64_t server_now, void *arg)
{
	struct super *s = arg;

	s->awaiting--;
	if (s->stopping || st->outcome != STORE_OK) {
		super_queues_free(q, n);
		if (!s->stopping)
			note_failure(s, st);
	} else {
		s->next_queues = q;
		s->next_nqueues = n;
		s->next_now = server_now;
	}
	if (s->stopping)
		maybe_free(s);
	else if (s->awaiting == 0)
		finish(s);
}

static void on_agents(const struct store_status *st, struct super_agent *a, size_t n, void *arg)
{
	struct super *s = arg;

	s->awaiting--;
	if (s->stopping || st->outcome != STORE_OK) {
		super_agents_free(a, n);
		if (!s->stopping)
			note_failure(s, st);
	} else {
		s->next_agents = a;
		s->next_nagents = n;
	}
	if (s->stopping)
		maybe_free(s);
	else if (s->awaiting == 0)
		finish(s);
}

static void on_timer(uv_timer_t *t)
{
	struct super *s = t->data;
	bool start;
	uint64_t at = super_pace_due(&s->pace, uv_now(s->loop), &start);

	if (!start) {
		arm(s, at);
		return;
	}
	s->failed = false;
	s->awaiting = 2;
	store_fetch_super_queues(sync_db(s->sync), on_queues, s);
	store_fetch_super_agents(sync_db(s->sync), on_agents, s);
}

static void on_notify(const char *channel, const char *payload, void *user)
{
	super_notify(user, channel, payload);
}

struct super *super_new(uv_loop_t *loop, struct sync *sync, const struct super_options *opt,
			const struct super_events *ev)
{
	struct super *s = xcalloc(1, sizeof *s);
	struct super_options o = { 0 };

	if (opt)
		o = *opt;
	s->loop = loop;
	s->sync = sync;
	if (ev)
		s->ev = *ev;
	super_pace_init(&s->pace, o.debounce_ms ? o.debounce_ms : DEFAULT_DEBOUNCE_MS,
			o.min_interval_ms ? o.min_interval_ms : DEFAULT_MIN_INTERVAL_MS,
			o.periodic_ms ? o.periodic_ms : DEFAULT_PERIODIC_MS);
	s->pace.online = sync_state(sync) == SYNC_ONLINE;
	super_data_init(&s->data);
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
	s->timer_open = true;
	/* Conversation changes come on "balie", which sync listens to already. */
	sync_listen(sync, STORE_CHANNEL_QUEUE);
	sync_listen(sync, STORE_CHANNEL_PRESENCE);
	/* Straight from sync: the figures need nobody in between. */
	sync_subscribe(sync, on_notify, s);
	return s;
}

void super_stop(struct super *s)
{
	sync_unsubscribe(s->sync, on_notify, s);
	s->stopping = true;
	uv_close((uv_handle_t *)&s->timer, on_timer_closed);
}

void super_show(struct super *s, bool visible)
{
	arm(s, super_pace_show(&s->pace, uv_now(s->loop), visible));
}

void super_notify(struct super *s, const char *channel, const char *payload)
{
	(void)payload;
	if (strcmp(channel, STORE_CHANNEL_CHANGES) != 0 && strcmp(channel, STORE_CHANNEL_QUEUE) != 0 &&
	    strcmp(channel, STORE_CHANNEL_PRESENCE) != 0)
		return;
	arm(s, super_pace_change(&s->pace, uv_now(s->loop)));
}

void super_online(struct super *s, bool online)
{
	if (online == s->pace.online)
		return;
	arm(s, super_pace_online(&s->pace, uv_now(s->loop), online));
}

const struct super_data *super_data(const struct super *s)
{
	return &s->data;
}

const struct super_pace *super_stats(const struct super *s)
{
	return &s->pace;
}
