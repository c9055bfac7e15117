/* sim: `balie sim`, customers and a chatbot talking through the SQL API.
 *
 * Two connections: the bot's (opens conversations, answers, escalates,
 * closes, and LISTENs on balie_bot for takeovers and handbacks, and on balie
 * for agents' replies) and the customers'. Every wait is a libuv timer; every
 * call goes through the db module's queue, so nothing blocks. The store has
 * the last word: a bot message that crosses a takeover is refused (BL012),
 * and sim then re-reads the conversation's state instead of insisting. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "balie/cli.h"
#include "balie/sim.h"
#include "balie/store_sim.h"
#include "balie/util.h"

/* A query that failed offline is tried again after this long (not scaled). */
#define SIM_RETRY_MS 1000
/* More open conversations than this and no new customers arrive. */
#define SIM_MAX_ACTIVE 2000
/* Notifications about conversations whose open_conversation result is not
 * back yet are remembered, so none is lost to that race. */
#define SIM_EARLY 256

enum sim_phase {
	SIM_OPENING,	/* open_conversation is under way */
	SIM_BOT,	/* the bot and the customer follow the plan */
	SIM_WAITING,	/* escalated or transferred: waiting for a person */
	SIM_HUMAN,	/* a person owns it: the bot is quiet */
	SIM_AFTER,	/* handed back: the bot wraps up and closes */
	SIM_DONE,	/* closed, given up, or the run ends */
};

enum sim_action {
	SIM_ACT_NONE,
	SIM_ACT_STEP,		/* the next step of the current list */
	SIM_ACT_PERSON,		/* the customer's next line to the person */
	SIM_ACT_NUDGE,		/* the waiting customer asks if anyone is there */
	SIM_ACT_OPEN,		/* open_conversation again: it was not sent */
};

enum sim_query {
	SIM_Q_OPEN,
	SIM_Q_STEP,
	SIM_Q_PERSON,
	SIM_Q_NUDGE,
	SIM_Q_CHECK,		/* the newest message, to see if an agent wrote */
	SIM_Q_STATE,		/* the conversation's state, after a refusal */
};

struct sim_stats {
	unsigned opened, customer_messages, bot_messages, escalations;
	unsigned reasons[SIM_OUTCOMES];
	unsigned bot_closed, takeovers, handbacks, closed_by_people;
	unsigned refused, errors;
};

struct sim;

struct sim_conv {
	struct sim *sim;
	struct sim_conv *prev, *next;
	struct sim_plan plan;
	int64_t id;
	char idtext[24];
	enum sim_phase phase;
	unsigned gen;			/* bumped at every phase change */
	bool after;			/* the steps are plan.after, not plan.steps */
	size_t step;			/* the next step of that list */
	char cmid[37];			/* client_msg_id of the step being sent */
	char pcmid[37];			/* the same for a line to the person */
	size_t person;			/* the next line for the person */
	long answered_seq;		/* the newest agent message answered */
	bool person_pending;		/* a line for the person is on its way */
	bool nudged;
	bool checking, recheck;
	enum sim_action pending;
	unsigned refs;			/* queries in flight */
	bool released;			/* finished: out of the list */
	bool closing;			/* the timer's uv_close is under way */
	uv_timer_t timer;
};

struct sim_req {
	struct sim_conv *conv;
	unsigned gen;
	enum sim_query what;
	enum sim_step_kind kind;
};

struct sim {
	uv_loop_t *loop;
	struct db *bot;
	struct db *customers;
	const char *conninfo;
	double rate;			/* conversations per minute */
	double duration;		/* seconds, 0 = until stopped */
	double speed;
	uint64_t seed;
	int lang;
	unsigned burst;
	bool quiet;
	bool print_stats;

	struct sim_queue *queues;
	size_t nqueues;
	char *login;
	bool ready;
	unsigned next_index;
	unsigned active;
	bool full_logged;
	struct sim_conv *convs;
	struct sim_rng timing;		/* arrivals; not part of the scripts */
	struct { int64_t id; char state[16]; } early[SIM_EARLY];
	unsigned early_next;

	uv_timer_t arrive, end;
	uv_signal_t sig[3];
	bool stopping;
	int exit_code;
	struct sim_stats stats;
};

static void sim_run_step(struct sim_conv *c);
static void sim_send_person(struct sim_conv *c);
static void sim_send_nudge(struct sim_conv *c);
static void sim_check_agent(struct sim_conv *c);
static void sim_apply_state(struct sim_conv *c, const char *state);
static void sim_enter_waiting(struct sim_conv *c);
static void sim_send_open(struct sim_conv *c);

/* ---------------------------------------------------------------- output */

static void sim_log(struct sim *s, const struct sim_conv *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void sim_log(struct sim *s, const struct sim_conv *c, const char *fmt, ...)
{
	va_list ap;
	time_t now = time(NULL);
	struct tm tm;
	char clock[16] = "";

	if (s->quiet)
		return;
	if (localtime_r(&now, &tm))
		strftime(clock, sizeof clock, "%H:%M:%S", &tm);
	if (c)
		printf("%s conv %s %-12s %s %s: ", clock, c->id ? c->idtext : "-",
		       s->queues[c->plan.queue].id, c->plan.lang == SIM_NL ? "nl" : "en",
		       c->plan.customer_name);
	else
		printf("%s ", clock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void sim_usage(FILE *to)
{
	fputs("Usage: balie sim [OPTION]...\n"
	      "Play customers and a chatbot against a balie ticket store: customers open\n"
	      "conversations and ask questions, the bot answers citing knowledge-base\n"
	      "articles, closes what it can and escalates the rest with a reason, an\n"
	      "intent, a confidence and a summary. The bot goes quiet when a person takes\n"
	      "over and comes back on a handback; customers keep talking to the person.\n"
	      "Conversations are in Dutch and English across five sectors (banking,\n"
	      "health insurance, parcels, energy, municipality), spread over the queues\n"
	      "in balie.queues. The role must be a member of balie_bot.\n"
	      "\n"
	      "  -d, --dbname=CONNINFO  conninfo string or URI (default: PG* environment,\n"
	      "                         service file, .pgpass, as psql)\n"
	      "  -r, --rate=N           new conversations per minute (default 6)\n"
	      "  -t, --duration=S       stop after S seconds (default: run until stopped)\n"
	      "  -s, --seed=N           the same seed plays the same conversations\n"
	      "                         (default: from the clock, printed at the start)\n"
	      "  -l, --lang=nl|en       only Dutch or only English customers (default both)\n"
	      "      --speed=X          pauses X times shorter (default 1: people's pace)\n"
	      "      --burst=N          open N conversations at once at the start\n"
	      "  -q, --quiet            no event lines on standard output\n"
	      "      --stats            print counters to standard error at exit\n"
	      "      --help             display this help and exit\n"
	      "      --version          output version information and exit\n"
	      "\n"
	      "Exit status: 0 at the end of --duration or when stopped by a signal, 1 if\n"
	      "the connection cannot be made or the role is no bot, 2 on a usage error.\n", to);
}

/* ------------------------------------------------------------- helpers */

static uint64_t sim_scaled(const struct sim *s, unsigned ms)
{
	return (uint64_t)((double)ms / s->speed);
}

static struct sim_conv *sim_find(struct sim *s, int64_t id)
{
	struct sim_conv *c;

	for (c = s->convs; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static struct sim_req *sim_req_new(struct sim_conv *c, enum sim_query what)
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
static void sim_conv_release(struct sim_conv *c)
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
static bool sim_req_done(struct sim_req *r)
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

static void sim_set_phase(struct sim_conv *c, enum sim_phase phase)
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

static void sim_schedule(struct sim_conv *c, enum sim_action a, uint64_t ms)
{
	c->pending = a;
	uv_timer_start(&c->timer, sim_on_timer, ms, 0);
}

static const struct sim_step *sim_current_step(const struct sim_conv *c)
{
	if (c->after)
		return c->step < c->plan.nafter ? &c->plan.after[c->step] : NULL;
	return c->step < c->plan.nsteps ? &c->plan.steps[c->step] : NULL;
}

/* Schedules the step after a success, with its pause, while the bot may talk. */
static void sim_next_step(struct sim_conv *c)
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

static void sim_schedule_person(struct sim_conv *c)
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
static void sim_check_agent(struct sim_conv *c)
{
	if (c->checking) {
		c->recheck = true;
		return;
	}
	c->checking = true;
	store_sim_last_message(c->sim->bot, c->id, sim_on_check, sim_req_new(c, SIM_Q_CHECK));
}

/* ------------------------------------------------------------- states */

/* Waiting for a person: the customer still asks the opening question (a
 * paused queue skips the bot), then nudges once after a long pause. */
static void sim_enter_waiting(struct sim_conv *c)
{
	sim_set_phase(c, SIM_WAITING);
	if (!c->after && c->step == 0)
		sim_schedule(c, SIM_ACT_STEP, 0);
	else if (!c->nudged)
		sim_schedule(c, SIM_ACT_NUDGE, sim_scaled(c->sim, c->plan.nudge_pause_ms));
}

/* Follows the conversation to STATE as the store reports it. */
static void sim_apply_state(struct sim_conv *c, const char *state)
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

static void sim_on_notify(struct db *db, const char *channel, const char *payload, void *user)
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

static void sim_send_open(struct sim_conv *c)
{
	struct sim *s = c->sim;

	store_sim_open(s->bot, s->queues[c->plan.queue].id, c->plan.customer_ref,
		       c->plan.customer_name, c->plan.channel, sim_on_open,
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
	uv_timer_init(s->loop, &c->timer);
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
	uv_timer_start(&s->arrive, sim_on_arrive, (uint64_t)(mean * factor), 0);
}

/* --------------------------------------------------------------- setup */

static void sim_stop(struct sim *s, int code)
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
	uv_timer_start(&s->arrive, sim_on_arrive, s->burst ? (uint64_t)(30000.0 / s->rate) : 0, 0);
}

static void sim_on_role(const struct store_status *res, const char *login, bool is_bot,
			void *arg)
{
	struct sim *s = arg;

	if (s->stopping)
		return;
	if (res->outcome != STORE_OK) {
		fprintf(stderr, "balie sim: %s\n", res->message);
		sim_stop(s, EXIT_FAILURE_RUNTIME);
		return;
	}
	free(s->login);
	s->login = xstrdup(login);
	if (!is_bot) {
		fprintf(stderr, "balie sim: role %s is not a member of balie_bot "
			"(GRANT balie_bot TO %s;)\n", s->login, s->login);
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

static void sim_on_link_state(struct db *db, enum store_link st, const char *reason,
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

static void sim_on_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	sim_stop(h->data, EXIT_OK);
}

static void sim_on_end(uv_timer_t *t)
{
	struct sim *s = container_of(t, struct sim, end);

	if (!s->ready) {
		fprintf(stderr, "balie sim: never got going in %.4g seconds: %s\n", s->duration,
			*store_link_error(s->bot) ? store_link_error(s->bot) : "no connection");
		sim_stop(s, EXIT_FAILURE_RUNTIME);
		return;
	}
	sim_log(s, NULL, "the run is over (--duration)");
	sim_stop(s, EXIT_OK);
}

static bool sim_parse_double(const char *arg, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

enum {
	SIM_OPT_SPEED = 256,
	SIM_OPT_BURST,
	SIM_OPT_STATS,
	SIM_OPT_HELP,
	SIM_OPT_VERSION,
};

int sim_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dbname", required_argument, NULL, 'd' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "lang", required_argument, NULL, 'l' },
		{ "speed", required_argument, NULL, SIM_OPT_SPEED },
		{ "burst", required_argument, NULL, SIM_OPT_BURST },
		{ "quiet", no_argument, NULL, 'q' },
		{ "stats", no_argument, NULL, SIM_OPT_STATS },
		{ "help", no_argument, NULL, SIM_OPT_HELP },
		{ "version", no_argument, NULL, SIM_OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	static const int signals[3] = { SIGINT, SIGTERM, SIGHUP };
	struct sim *s = xcalloc(1, sizeof *s);
	struct store_link_events ev = { 0 };
	bool seeded = false;
	double burst;
	char *end;
	int c, i, code;

	s->rate = 6;
	s->speed = 1;
	s->lang = SIM_LANG_MIXED;
	while ((c = getopt_long(argc, argv, "d:r:t:s:l:q", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			s->conninfo = optarg;
			break;
		case 'r':
			if (!sim_parse_double(optarg, 0.001, 1e6, &s->rate)) {
				cli_usage_error("balie sim", "invalid --rate '%s': give "
						"conversations per minute, more than 0", optarg);
				free(s);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (!sim_parse_double(optarg, 0, 1e9, &s->duration)) {
				cli_usage_error("balie sim", "invalid --duration '%s': give "
						"seconds, 0 or more", optarg);
				free(s);
				return EXIT_USAGE;
			}
			break;
		case 's':
			errno = 0;
			s->seed = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-') {
				cli_usage_error("balie sim", "invalid --seed '%s': give a "
						"whole number", optarg);
				free(s);
				return EXIT_USAGE;
			}
			seeded = true;
			break;
		case 'l':
			if (strcmp(optarg, "nl") == 0)
				s->lang = SIM_NL;
			else if (strcmp(optarg, "en") == 0)
				s->lang = SIM_EN;
			else {
				cli_usage_error("balie sim", "invalid --lang '%s': use nl or en",
						optarg);
				free(s);
				return EXIT_USAGE;
			}
			break;
		case SIM_OPT_SPEED:
			if (!sim_parse_double(optarg, 0.01, 10000, &s->speed)) {
				cli_usage_error("balie sim", "invalid --speed '%s': give a "
						"factor between 0.01 and 10000", optarg);
				free(s);
				return EXIT_USAGE;
			}
			break;
		case SIM_OPT_BURST:
			if (!sim_parse_double(optarg, 0, 1000, &burst) || burst != (unsigned)burst) {
				cli_usage_error("balie sim", "invalid --burst '%s': give a "
						"whole number up to 1000", optarg);
				free(s);
				return EXIT_USAGE;
			}
			s->burst = (unsigned)burst;
			break;
		case 'q':
			s->quiet = true;
			break;
		case SIM_OPT_STATS:
			s->print_stats = true;
			break;
		case SIM_OPT_HELP:
			sim_usage(stdout);
			free(s);
			return EXIT_OK;
		case SIM_OPT_VERSION:
			printf("balie sim %s\n", BALIE_VERSION);
			free(s);
			return EXIT_OK;
		default:
			fputs("Try 'balie sim --help' for more information.\n", stderr);
			free(s);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_usage_error("balie sim", "unexpected argument '%s'", argv[optind]);
		free(s);
		return EXIT_USAGE;
	}
	if (!seeded)
		s->seed = (uv_hrtime() ^ ((uint64_t)getpid() << 32)) % 1000000000ULL;
	sim_rng_seed(&s->timing, s->seed, 0x4000000000000000ULL);
	signal(SIGPIPE, SIG_IGN);

	s->loop = uv_default_loop();
	ev.state = sim_on_link_state;
	ev.notify = sim_on_notify;
	ev.user = s;
	s->bot = store_link_new(s->loop, s->conninfo, NULL, &ev);
	s->customers = store_link_new(s->loop, s->conninfo, NULL, &ev);
	store_link_listen(s->bot, STORE_CHANNEL_BOT);
	store_link_listen(s->bot, STORE_CHANNEL_CHANGES);
	uv_timer_init(s->loop, &s->arrive);
	uv_timer_init(s->loop, &s->end);
	for (i = 0; i < 3; i++) {
		uv_signal_init(s->loop, &s->sig[i]);
		s->sig[i].data = s;
		uv_signal_start(&s->sig[i], sim_on_signal, signals[i]);
	}
	if (s->duration > 0)
		uv_timer_start(&s->end, sim_on_end, (uint64_t)(s->duration * 1000), 0);
	if (store_link_start(s->bot) != 0) {
		fprintf(stderr, "balie sim: %s\n", store_link_error(s->bot));
		sim_stop(s, EXIT_USAGE);
	} else if (store_link_start(s->customers) != 0) {
		fprintf(stderr, "balie sim: %s\n", store_link_error(s->customers));
		sim_stop(s, EXIT_USAGE);
	}
	uv_run(s->loop, UV_RUN_DEFAULT);

	if (s->print_stats)
		fprintf(stderr, "balie sim: opened %u, customer messages %u, bot messages %u, "
			"escalations %u (customer_request %u, not_understood %u, "
			"sensitive_topic %u, negative_sentiment %u, bot_error %u), "
			"closed by the bot %u, takeovers %u, handbacks %u, closed by people %u, "
			"refused %u, errors %u\n",
			s->stats.opened, s->stats.customer_messages, s->stats.bot_messages,
			s->stats.escalations, s->stats.reasons[SIM_ESC_CUSTOMER_REQUEST],
			s->stats.reasons[SIM_ESC_NOT_UNDERSTOOD],
			s->stats.reasons[SIM_ESC_SENSITIVE_TOPIC],
			s->stats.reasons[SIM_ESC_NEGATIVE_SENTIMENT],
			s->stats.reasons[SIM_ESC_BOT_ERROR], s->stats.bot_closed,
			s->stats.takeovers, s->stats.handbacks, s->stats.closed_by_people,
			s->stats.refused, s->stats.errors);
	fflush(stdout);
	uv_loop_close(s->loop);
	sim_queues_free(s->queues, s->nqueues);
	free(s->login);
	code = s->exit_code;
	free(s);
	return code;
}
