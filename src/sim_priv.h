/* sim_priv: what the files of `balie sim` share (sim.c: the command line
 * and the run; sim_conv.c: one conversation's steps; sim_events.c: what the
 * store reports back, arrivals, (re)connects). */
#ifndef BALIE_SIM_PRIV_H
#define BALIE_SIM_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "balie/sim.h"
#include "balie/store.h"

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

/* Output: an event line on standard output unless --quiet. */
void sim_log(struct sim *s, const struct sim_conv *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One conversation (sim_conv.c). */
uint64_t sim_scaled(const struct sim *s, unsigned ms);
struct sim_conv *sim_find(struct sim *s, int64_t id);
struct sim_req *sim_req_new(struct sim_conv *c, enum sim_query what);
/* Drops the request; true if the conversation is gone or finished. */
bool sim_req_done(struct sim_req *r);
void sim_conv_release(struct sim_conv *c);
void sim_set_phase(struct sim_conv *c, enum sim_phase phase);
void sim_schedule(struct sim_conv *c, enum sim_action a, uint64_t ms);
void sim_next_step(struct sim_conv *c);
void sim_schedule_person(struct sim_conv *c);
void sim_check_agent(struct sim_conv *c);

/* What the store reports, arrivals, the run (sim_events.c). */
void sim_enter_waiting(struct sim_conv *c);
void sim_apply_state(struct sim_conv *c, const char *state);
void sim_send_open(struct sim_conv *c);
void sim_stop(struct sim *s, int code);
void sim_on_notify(struct db *db, const char *channel, const char *payload, void *user);
void sim_on_link_state(struct db *db, enum store_link st, const char *reason,
		       unsigned retry_ms, void *user);

#endif
