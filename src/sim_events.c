/* sim_events: what the store tells `balie sim` (states on balie_bot,
 * changes on balie, (re)connects), new customers arriving, and the start and
 * end of a run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/cli.h"
#include "balie/store_sim.h"
#include "balie/util.h"
#include "sim_priv.h"

/* ------------------------------------------------------------- states */

/* Waiting for a person: the customer still asks the opening question (a
 * paused queue skips the bot), then nudges once after a long pause. */
void sim_enter_waiting(struct sim_conv *c)
{
	sim_set_phase(c, SIM_WAITING);
	if (!c->after && c->step == 0)
		sim_schedule(c, SIM_ACT_STEP, 0);
	else if (!c->nudged)
		sim_schedule(c, SIM_ACT_NUDGE, sim_scaled(c->sim, c->plan.nudge_pause_ms));
}

/* Follows the conversation to STATE as the store reports it. */
void sim_apply_state(struct sim_conv *c, const char *state)
{
	struct sim *s = c->sim;

	if (c->phase == SIM_DONE || c->phase == SIM_OPENING)
		return;
	if (strcmp(state, "closed") == 0) {
		s->stats.closed_by_people++;
		sim_log(s, c, "closed");
		sim_set_phase(c, SIM_DONE);
	} else if (strcmp(state, "human") == 0) {
		if (c->phase == SIM_HUMAN)
			return;
		s->stats.takeovers++;
		sim_log(s, c, "a person took over: the bot is quiet");
		sim_set_phase(c, SIM_HUMAN);
		c->person_pending = false;
		if (c->person == 0)
			sim_schedule_person(c);
		else
			sim_check_agent(c);
	} else if (strcmp(state, "waiting") == 0) {
		if (c->phase == SIM_WAITING)
			return;
		sim_enter_waiting(c);
	} else if (strcmp(state, "bot") == 0) {
		if (c->phase != SIM_HUMAN && c->phase != SIM_WAITING)
			return;
		s->stats.handbacks++;
		sim_log(s, c, "handed back: the bot resumes");
		sim_set_phase(c, SIM_AFTER);
		c->after = true;
		c->step = 0;
		c->cmid[0] = '\0';
		sim_next_step(c);
	}
}

static void sim_remember_early(struct sim *s, int64_t id, const char *state)
{
	unsigned i = s->early_next++ % SIM_EARLY;

	s->early[i].id = id;
	snprintf(s->early[i].state, sizeof s->early[i].state, "%s", state);
}

void sim_on_notify(struct db *db, const char *channel, const char *payload, void *user)
{
	struct sim *s = user;
	struct sim_conv *c;
	struct store_notice n;

	(void)db;
	if (s->stopping || store_parse_notice(payload, &n) != 0)
		return;
	c = sim_find(s, n.conv);
	if (strcmp(channel, STORE_CHANNEL_BOT) == 0) {
		if (!n.state[0])
			return;
		if (c)
			sim_apply_state(c, n.state);
		else
			sim_remember_early(s, n.conv, n.state);
	} else if (c && c->phase == SIM_HUMAN) {
		sim_check_agent(c);
	}
}

/* ------------------------------------------------------------ arrivals */

static void sim_on_open(const struct store_status *res, const char *value, void *arg)
{
	struct sim_req *r = arg;
	struct sim_conv *c = r->conv;
	struct sim *s = c->sim;
	unsigned i, k;

	if (res->outcome == STORE_OK && value) {
		c->id = strtoll(value, NULL, 10);
		snprintf(c->idtext, sizeof c->idtext, "%lld", (long long)c->id);
		s->stats.opened++;
	}
	if (sim_req_done(r))
		return;
	if (!c->id && res->outcome == STORE_NOT_SENT) {
		sim_schedule(c, SIM_ACT_OPEN, SIM_RETRY_MS);
		return;
	}
	if (!c->id) {
		/* Lost in flight, it may exist without us knowing its id: opening
		 * it again could make a twin, so this customer just leaves. */
		if (res->outcome != STORE_LOST)
			s->stats.errors++;
		sim_log(s, c, "could not open a conversation: %s", res->message);
		sim_set_phase(c, SIM_DONE);
		return;
	}
	sim_log(s, c, "opened (%s, %s, %s)", c->plan.channel, c->plan.sector->name,
		sim_outcome_reason(c->plan.outcome) ? sim_outcome_reason(c->plan.outcome) :
		"the bot will resolve it");
	sim_set_phase(c, SIM_BOT);
	/* Newest first: the latest state is the one that counts. */
	for (k = 0; k < SIM_EARLY; k++) {
		i = (s->early_next + SIM_EARLY - 1 - k) % SIM_EARLY;
		if (s->early[i].id == c->id) {
			sim_apply_state(c, s->early[i].state);
			break;
		}
	}
	/* The customer's question opens the chat (a waiting one schedules it). */
	if (c->phase == SIM_BOT)
		sim_schedule(c, SIM_ACT_STEP, 0);
}

void sim_send_open(struct sim_conv *c)
{
	struct sim *s = c->sim;

	store_sim_open(s->bot, s->queues[c->plan.queue].id, c->plan.customer_ref,
		       c->plan.customer_name, c->plan.channel,
		       c->plan.lang == SIM_NL ? "nl" : "en", sim_on_open,
		       sim_req_new(c, SIM_Q_OPEN));
}

static void sim_open_next(struct sim *s)
{
	struct sim_conv *c;

	if (s->active >= SIM_MAX_ACTIVE) {
		if (!s->full_logged)
			sim_log(s, NULL, "%u open conversations: no new customers until some close",
				s->active);
		s->full_logged = true;
		return;
	}
	s->full_logged = false;
	c = xcalloc(1, sizeof *c);
	c->sim = s;
	util_uv_check(uv_timer_init(s->loop, &c->timer), "sim step timer");
	sim_plan_make(&c->plan, s->seed, s->next_index++, s->queues, s->nqueues, s->lang);
	c->phase = SIM_OPENING;
	c->answered_seq = -1;
	c->next = s->convs;
	if (s->convs)
		s->convs->prev = c;
	s->convs = c;
	s->active++;
	sim_send_open(c);
}

static void sim_on_arrive(uv_timer_t *t)
{
	struct sim *s = container_of(t, struct sim, arrive);
	double mean = 60000.0 / s->rate;
	/* Between 0.3 and 1.7 times the mean: lively without long silences. */
	double factor = 0.3 + (double)sim_rng_below(&s->timing, 1401) / 1000.0;

	if (s->stopping)
		return;
	sim_open_next(s);
	util_uv_check(uv_timer_start(&s->arrive, sim_on_arrive, (uint64_t)(mean * factor), 0),
		      "sim arrivals");
}

/* --------------------------------------------------------------- setup */

void sim_stop(struct sim *s, int code)
{
	struct sim_conv *c, *next;
	int i;

	if (s->stopping)
		return;
	s->stopping = true;
	s->exit_code = code;
	for (i = 0; i < 3; i++)
		uv_close((uv_handle_t *)&s->sig[i], NULL);
	uv_close((uv_handle_t *)&s->arrive, NULL);
	uv_close((uv_handle_t *)&s->end, NULL);
	for (c = s->convs; c; c = next) {
		next = c->next;
		c->phase = SIM_DONE;
		sim_conv_release(c);
	}
	store_link_stop(s->bot);
	store_link_stop(s->customers);
}

static void sim_on_queues(const struct store_status *res, struct sim_queue *q, size_t n,
			  void *arg)
{
	struct sim *s = arg;
	size_t i;
	unsigned k;

	if (s->stopping || res->outcome != STORE_OK || n == 0)
		sim_queues_free(q, n);
	if (s->stopping)
		return;
	if (res->outcome != STORE_OK) {
		fprintf(stderr, "balie sim: cannot read the queues: %s\n", res->message);
		sim_stop(s, EXIT_FAILURE_RUNTIME);
		return;
	}
	if (n == 0) {
		fprintf(stderr, "balie sim: there are no queues in balie.queues; "
			"create them with balie.add_queue first\n");
		sim_stop(s, EXIT_FAILURE_RUNTIME);
		return;
	}
	s->queues = q;
	s->nqueues = n;
	for (i = 0; i < n; i++)
		s->queues[i].sector = sim_sector_of_queue(s->queues[i].id, s->queues[i].name);
	s->ready = true;
	sim_log(s, NULL, "playing as %s on %zu queues, seed %llu, %.4g conversations a minute",
		s->login, s->nqueues, (unsigned long long)s->seed, s->rate);
	for (k = 0; k < s->burst && !s->stopping; k++)
		sim_open_next(s);
	util_uv_check(uv_timer_start(&s->arrive, sim_on_arrive,
				     s->burst ? (uint64_t)(30000.0 / s->rate) : 0, 0),
		      "sim arrivals");
}

static void sim_on_role(const struct store_status *res, const char *login, bool is_bot,
			void *arg)
{
	struct sim *s = arg;

	if (s->stopping)
		return;
	if (res->outcome != STORE_OK) {
		fprintf(stderr, "balie sim: %s\n", res->message);
		if (strcmp(res->sqlstate, "42501") == 0)
			fprintf(stderr, "balie sim: the role must be a member of balie_bot "
				"and registered with balie.add_bot(login, queues)\n");
		sim_stop(s, EXIT_FAILURE_RUNTIME);
		return;
	}
	free(s->login);
	s->login = xstrdup(login);
	if (!is_bot) {
		fprintf(stderr, "balie sim: role %s is not a bot of this database "
			"(GRANT balie_bot TO %s; SELECT balie.add_bot('%s', ARRAY[…]);)\n",
			s->login, s->login, s->login);
		sim_stop(s, EXIT_FAILURE_RUNTIME);
		return;
	}
	store_sim_queues(s->bot, sim_on_queues, s);
}

static void sim_on_refresh(const struct store_status *res,
			   const struct store_sim_state *states, size_t n, void *arg)
{
	struct sim *s = arg;
	struct sim_conv *c;
	size_t i;

	if (s->stopping || res->outcome != STORE_OK)
		return;
	for (i = 0; i < n; i++) {
		c = sim_find(s, states[i].id);
		if (c)
			sim_apply_state(c, states[i].state);
	}
}

/* After a reconnect: notifications sent while away are lost, so re-read. */
static void sim_refresh_all(struct sim *s)
{
	struct sim_conv *c;
	int64_t *ids = xmalloc((s->active ? s->active : 1) * sizeof *ids);
	size_t n = 0;

	for (c = s->convs; c; c = c->next)
		if (c->id && n < s->active)
			ids[n++] = c->id;
	if (n)
		store_sim_states(s->bot, ids, n, sim_on_refresh, s);
	free(ids);
}

void sim_on_link_state(struct db *db, enum store_link st, const char *reason,
			    unsigned retry_ms, void *user)
{
	struct sim *s = user;
	const char *who = db == s->bot ? "bot" : "customers";

	if (s->stopping)
		return;
	if (st == STORE_LINK_STOPPED) {
		fprintf(stderr, "balie sim: %s\n", reason && *reason ? reason : "connection refused");
		sim_stop(s, EXIT_FAILURE_RUNTIME);
		return;
	}
	if (st == STORE_LINK_RETRY_WAIT && !s->quiet)
		fprintf(stderr, "balie sim: %s connection offline (%s); retrying in %u ms\n",
			who, reason, retry_ms);
	if (st != STORE_LINK_CONNECTED || db != s->bot)
		return;
	if (store_link_connects(db) == 1)
		store_sim_role(db, sim_on_role, s);
	else
		sim_refresh_all(s);
}
