/* sim_conv: one conversation's life in `balie sim`: its steps as the plan
 * says, the customer's lines to a person, and what to do when the store
 * refuses a step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/store_sim.h"
#include "balie/util.h"
#include "sim_priv.h"

static void sim_run_step(struct sim_conv *c);
static void sim_send_person(struct sim_conv *c);
static void sim_send_nudge(struct sim_conv *c);
static void sim_refresh_state(struct sim_conv *c);

/* ------------------------------------------------------------- helpers */

uint64_t sim_scaled(const struct sim *s, unsigned ms)
{
	return (uint64_t)((double)ms / s->speed);
}

struct sim_conv *sim_find(struct sim *s, int64_t id)
{
	struct sim_conv *c;

	for (c = s->convs; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

struct sim_req *sim_req_new(struct sim_conv *c, enum sim_query what)
{
	struct sim_req *r = xcalloc(1, sizeof *r);

	r->conv = c;
	r->gen = c->gen;
	r->what = what;
	c->refs++;
	return r;
}

/* ------------------------------------------------------ conversations */

static void sim_on_conv_closed(uv_handle_t *h)
{
	struct sim_conv *c = container_of(h, struct sim_conv, timer);

	sim_plan_free(&c->plan);
	free(c);
}

/* Frees a released conversation once no query refers to it any more. */
static void sim_conv_close_if_idle(struct sim_conv *c)
{
	if (c->released && c->refs == 0 && !c->closing) {
		c->closing = true;
		uv_close((uv_handle_t *)&c->timer, sim_on_conv_closed);
	}
}

/* Unlinks a finished conversation and frees it once no query refers to it. */
void sim_conv_release(struct sim_conv *c)
{
	struct sim *s = c->sim;

	if (!c->released) {
		c->released = true;
		if (c->prev)
			c->prev->next = c->next;
		else
			s->convs = c->next;
		if (c->next)
			c->next->prev = c->prev;
		c->prev = c->next = NULL;
		s->active--;
		uv_timer_stop(&c->timer);
	}
	sim_conv_close_if_idle(c);
}

/* Drops the request; true if the conversation is gone or finished. */
bool sim_req_done(struct sim_req *r)
{
	struct sim_conv *c = r->conv;

	free(r);
	c->refs--;
	if (c->released || c->phase == SIM_DONE || c->sim->stopping) {
		sim_conv_release(c);
		return true;
	}
	return false;
}

void sim_set_phase(struct sim_conv *c, enum sim_phase phase)
{
	c->phase = phase;
	c->gen++;
	c->pending = SIM_ACT_NONE;
	uv_timer_stop(&c->timer);
	if (phase == SIM_DONE)
		sim_conv_release(c);
}

static void sim_on_timer(uv_timer_t *t)
{
	struct sim_conv *c = container_of(t, struct sim_conv, timer);
	enum sim_action a = c->pending;

	c->pending = SIM_ACT_NONE;
	if (c->sim->stopping || c->phase == SIM_DONE)
		return;
	if (a == SIM_ACT_STEP)
		sim_run_step(c);
	else if (a == SIM_ACT_PERSON)
		sim_send_person(c);
	else if (a == SIM_ACT_NUDGE)
		sim_send_nudge(c);
	else if (a == SIM_ACT_OPEN)
		sim_send_open(c);
}

void sim_schedule(struct sim_conv *c, enum sim_action a, uint64_t ms)
{
	c->pending = a;
	util_uv_check(uv_timer_start(&c->timer, sim_on_timer, ms, 0), "sim step timer");
}

static const struct sim_step *sim_current_step(const struct sim_conv *c)
{
	if (c->after)
		return c->step < c->plan.nafter ? &c->plan.after[c->step] : NULL;
	return c->step < c->plan.nsteps ? &c->plan.steps[c->step] : NULL;
}

/* Schedules the step after a success, with its pause, while the bot may talk. */
void sim_next_step(struct sim_conv *c)
{
	const struct sim_step *st;

	if (c->phase != SIM_BOT && c->phase != SIM_AFTER)
		return;
	st = sim_current_step(c);
	if (st)
		sim_schedule(c, SIM_ACT_STEP, sim_scaled(c->sim, st->pause_ms));
}

/* Looks the state up again after the store refused something: the
 * notification that explains it may still be on its way, or lost. */
static void sim_on_state(const struct store_status *res, const char *value, void *arg);

static void sim_refresh_state(struct sim_conv *c)
{
	store_sim_state(c->sim->bot, c->id, sim_on_state, sim_req_new(c, SIM_Q_STATE));
}

static void sim_on_state(const struct store_status *res, const char *value, void *arg)
{
	struct sim_req *r = arg;
	struct sim_conv *c = r->conv;
	char state[16];

	snprintf(state, sizeof state, "%s", res->outcome == STORE_OK && value ? value : "");
	if (sim_req_done(r))
		return;
	if (*state)
		sim_apply_state(c, state);
}

/* Handles a refusal or failure of a step: retry offline, re-read the state
 * after a refusal (counted even when the takeover's notification came first),
 * give up on anything else. */
static void sim_step_failed(struct sim_conv *c, const struct store_status *res,
			    enum sim_step_kind kind, bool current)
{
	struct sim *s = c->sim;

	if (res->outcome == STORE_NOT_SENT || res->outcome == STORE_LOST) {
		/* Offline: the same step again later; client_msg_id makes it safe. */
		if (current)
			sim_schedule(c, SIM_ACT_STEP, SIM_RETRY_MS);
		return;
	}
	if (strcmp(res->sqlstate, "BL012") == 0) {
		s->stats.refused++;
		sim_log(s, c, "the store refused a late bot message (%s); the bot stays quiet",
			res->message);
		sim_refresh_state(c);
		return;
	}
	if (strcmp(res->sqlstate, "BL010") == 0 || strcmp(res->sqlstate, "BL011") == 0) {
		/* The conversation moved on (closed, or with a person). */
		sim_refresh_state(c);
		return;
	}
	s->stats.errors++;
	sim_log(s, c, "%s failed: %s (%s); leaving this conversation",
		kind == SIM_STEP_CUSTOMER ? "customer message" : kind == SIM_STEP_BOT ?
		"bot message" : kind == SIM_STEP_ESCALATE ? "escalation" : "close",
		res->message, res->sqlstate);
	sim_set_phase(c, SIM_DONE);
}

static void sim_on_step(const struct store_status *res, const char *value, void *arg)
{
	struct sim_req *r = arg;
	struct sim_conv *c = r->conv;
	struct sim *s = c->sim;
	enum sim_step_kind kind = r->kind;
	bool current = r->gen == c->gen;
	const struct sim_step *st;

	if (res->outcome == STORE_OK) {
		if (kind == SIM_STEP_CUSTOMER)
			s->stats.customer_messages++;
		else if (kind == SIM_STEP_BOT)
			s->stats.bot_messages++;
		else if (kind == SIM_STEP_ESCALATE) {
			s->stats.escalations++;
			s->stats.reasons[c->plan.outcome]++;
		} else
			s->stats.bot_closed++;
	}
	if (sim_req_done(r))
		return;
	if (res->outcome != STORE_OK) {
		sim_step_failed(c, res, kind, current);
		return;
	}
	st = sim_current_step(c);
	if (kind == SIM_STEP_ESCALATE)
		sim_log(s, c, "escalated: %s (intent %s, confidence %.2f)",
			sim_outcome_reason(c->plan.outcome), c->plan.intent, c->plan.confidence);
	else if (kind == SIM_STEP_CLOSE)
		sim_log(s, c, "closed by the bot: %s", st ? st->text : "");
	if (!current)
		return;		/* the phase changed meanwhile: that change decides */
	c->step++;
	c->cmid[0] = '\0';
	if (kind == SIM_STEP_ESCALATE) {
		sim_enter_waiting(c);
		return;
	}
	if (kind == SIM_STEP_CLOSE) {
		sim_set_phase(c, SIM_DONE);
		return;
	}
	if (c->phase == SIM_WAITING && !c->nudged)
		sim_schedule(c, SIM_ACT_NUDGE, sim_scaled(s, c->plan.nudge_pause_ms));
	sim_next_step(c);
}

static void sim_run_step(struct sim_conv *c)
{
	struct sim *s = c->sim;
	const struct sim_step *st = sim_current_step(c);
	struct sim_req *r;
	char *sources;

	if (!st)
		return;
	/* Only the customer's opening question is posted outside the bot's
	 * turn (a paused queue sends the conversation straight to waiting). */
	if (c->phase != SIM_BOT && c->phase != SIM_AFTER &&
	    !(c->step == 0 && !c->after && st->kind == SIM_STEP_CUSTOMER))
		return;
	if (!c->cmid[0])
		store_new_uuid(c->cmid);
	r = sim_req_new(c, SIM_Q_STEP);
	r->kind = st->kind;
	switch (st->kind) {
	case SIM_STEP_CUSTOMER:
		store_sim_post(s->customers, c->id, false, st->text, NULL, c->cmid,
			       sim_on_step, r);
		break;
	case SIM_STEP_BOT:
		sources = sim_sources_json(st);
		store_sim_post(s->bot, c->id, true, st->text, sources, c->cmid, sim_on_step, r);
		free(sources);
		break;
	case SIM_STEP_ESCALATE:
		store_sim_escalate(s->bot, c->id, sim_outcome_reason(c->plan.outcome),
				   c->plan.intent, c->plan.confidence, st->text, sim_on_step, r);
		break;
	case SIM_STEP_CLOSE:
		store_sim_close(s->bot, c->id, st->text, sim_on_step, r);
		break;
	}
}

/* ------------------------------------------- the customer and the person */

void sim_schedule_person(struct sim_conv *c)
{
	if (c->person_pending || c->person >= c->plan.nto_person)
		return;
	c->person_pending = true;
	sim_schedule(c, SIM_ACT_PERSON, sim_scaled(c->sim, c->plan.to_person_pause_ms[c->person]));
}

static void sim_on_person(const struct store_status *res, const char *value, void *arg)
{
	struct sim_req *r = arg;
	struct sim_conv *c = r->conv;
	struct sim *s = c->sim;
	bool current = r->gen == c->gen;
	bool nudge = r->what == SIM_Q_NUDGE;

	if (res->outcome == STORE_OK)
		s->stats.customer_messages++;
	if (sim_req_done(r))
		return;
	if (!nudge)
		c->person_pending = false;
	if (res->outcome == STORE_OK) {
		if (nudge)
			return;
		c->pcmid[0] = '\0';
		c->person++;
		/* An agent may have written while the customer typed. */
		if (current && c->phase == SIM_HUMAN)
			sim_check_agent(c);
		return;
	}
	if (res->outcome == STORE_NOT_SENT || res->outcome == STORE_LOST) {
		if (current && !nudge) {
			c->person_pending = true;
			sim_schedule(c, SIM_ACT_PERSON, SIM_RETRY_MS);
		}
		return;
	}
	if (strcmp(res->sqlstate, "BL010") == 0) {
		sim_refresh_state(c);
		return;
	}
	s->stats.errors++;
	sim_log(s, c, "customer message failed: %s (%s)", res->message, res->sqlstate);
}

/* Posts a customer line; CMID is kept by the caller for a retry (a nudge is
 * never retried, so it gets a fresh one). */
static void sim_post_customer(struct sim_conv *c, const char *text, enum sim_query what,
			      char cmid[37])
{
	if (!cmid[0])
		store_new_uuid(cmid);
	store_sim_post(c->sim->customers, c->id, false, text, NULL, cmid, sim_on_person,
		       sim_req_new(c, what));
}

static void sim_send_person(struct sim_conv *c)
{
	if (c->phase != SIM_HUMAN || c->person >= c->plan.nto_person) {
		c->person_pending = false;
		return;
	}
	sim_post_customer(c, c->plan.to_person[c->person], SIM_Q_PERSON, c->pcmid);
}

static void sim_send_nudge(struct sim_conv *c)
{
	char cmid[37] = "";

	if (c->phase != SIM_WAITING || c->nudged)
		return;
	c->nudged = true;
	sim_post_customer(c, c->plan.nudge, SIM_Q_NUDGE, cmid);
}

static void sim_on_check(const struct store_status *res, long seq, const char *kind,
			 void *arg)
{
	struct sim_req *r = arg;
	struct sim_conv *c = r->conv;
	bool agent = res->outcome == STORE_OK && kind && strcmp(kind, "agent") == 0;

	if (res->outcome != STORE_OK)
		seq = -1;
	if (sim_req_done(r))
		return;
	c->checking = false;
	if (c->phase != SIM_HUMAN)
		return;
	if (agent && seq > c->answered_seq) {
		c->answered_seq = seq;
		sim_schedule_person(c);
	}
	if (c->recheck) {
		c->recheck = false;
		sim_check_agent(c);
	}
}

/* Looks whether the newest message is an agent's that the customer has not
 * answered yet. */
void sim_check_agent(struct sim_conv *c)
{
	if (c->checking) {
		c->recheck = true;
		return;
	}
	c->checking = true;
	store_sim_last_message(c->sim->bot, c->id, sim_on_check, sim_req_new(c, SIM_Q_CHECK));
}
