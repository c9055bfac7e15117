/* model: what balie knows, as plain C data.
 *
 * Conversations, their transcripts (loaded lazily), queues and agents. A
 * change is applied only if its version is newer than what is held, so late
 * or repeated fetches never move the state backwards. No libpq, no curses:
 * this is testable with nothing around it. */
#ifndef BALIE_MODEL_H
#define BALIE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum model_state { MODEL_BOT, MODEL_WAITING, MODEL_HUMAN, MODEL_CLOSED, MODEL_STATE_UNKNOWN };
enum model_author { AUTHOR_CUSTOMER, AUTHOR_BOT, AUTHOR_AGENT, AUTHOR_SYSTEM, AUTHOR_NOTE, AUTHOR_UNKNOWN };

struct model_source {
	char *title;
	char *url;
};

struct model_msg {
	int64_t id;
	int seq;			/* 1..n per conversation, gap-free */
	enum model_author kind;
	char *author;
	char *body;
	struct model_source *sources;
	size_t nsources;
	int64_t created_at;		/* unix seconds */
	char *whisper_to;		/* a supervisor's whisper: the agent's login */
};

struct model_conv {
	int64_t id;
	int64_t version;
	char *queue;
	enum model_state state;
	char *agent;			/* owner's login or NULL */
	char *customer_ref;
	char *customer_name;
	char *channel;
	char *intent;
	double confidence;
	bool has_confidence;
	char *reason;			/* escalation reason or NULL */
	char *summary;			/* bot summary or NULL */
	int64_t created_at, escalated_at, taken_at, closed_at;	/* 0 = never */
	int message_count;
	enum model_author last_kind;	/* last message, for the queue row */
	char *last_body;		/* its start, or NULL */
	char *json;			/* the server-built JSON line (watch) */
	char *lang;			/* the customer's language (BCP 47) or NULL */
	int my_read_seq;		/* the caller's read mark, 0 = none */
	int64_t customer_waiting_since;	/* oldest unanswered customer message, 0 = none */
	char *viewers;			/* JSON array of {login,name,activity} or NULL */
	int64_t hand_raised_at;		/* 0 = no hand raised */

	/* The loaded part of the transcript: msgs[0..nmsgs) in seq order,
	 * covering seq first_seq..first_seq+nmsgs-1. It is a window of at most
	 * window_msgs messages and window_bytes of text (struct model). */
	struct model_msg *msgs;
	size_t nmsgs, msgs_cap;
	size_t msgs_bytes;		/* text held by msgs (model_msg_bytes) */
	int focus_seq;			/* the message the agent looks at, 0 = unknown */
	bool newer_unloaded;		/* newer messages were dropped from the window:
					 * they load on request, not by themselves */
	bool transcript_open;		/* the UI shows it: keep it current */
};

struct model_queue {
	char *id;
	char *name;
	int sla_seconds;
	int priority;
	bool bot_paused;
	int waiting;			/* conversations waiting (read_queues) */
	int agents_online;		/* its agents online (read_queues) */
};

struct model_agent {
	char *login;
	char *display_name;
	bool is_supervisor;
	int64_t last_seen;		/* unix seconds, 0 = never */
};

/* An earlier conversation of the same customer, for the pane's history. */
struct model_history {
	int64_t id;
	enum model_state state;
	char *queue;
	char *intent;
	char *reason;
	char *summary;
	int64_t created_at;
};

/* How much of one transcript the model holds at most: paging further back
 * drops the newest messages, paging forward again drops the oldest, so an
 * agent can read a conversation of any length in bounded memory. */
#define MODEL_WINDOW_MSGS 1000
#define MODEL_WINDOW_BYTES ((size_t)4 << 20)
/* What a transcript keeps once its pane is closed: the newest messages only,
 * enough to show it again at once (also offline). */
#define MODEL_KEPT_MSGS 50
#define MODEL_KEPT_BYTES ((size_t)64 << 10)

struct model {
	struct model_conv **convs;	/* sorted by id */
	size_t nconvs, convs_cap;
	struct model_queue *queues;
	size_t nqueues;
	struct model_agent *agents;
	size_t nagents;
	char *me;			/* login, NULL if not an agent */
	char *me_name;
	bool me_supervisor;
	int64_t clock_offset;		/* server clock minus ours, seconds */
	size_t window_msgs, window_bytes;	/* MODEL_WINDOW_* unless a test says */
	uint64_t generation;		/* bumped by every change: views redraw */
};

enum model_apply {
	MODEL_STALE,		/* what we hold is as new or newer: dropped */
	MODEL_ADDED,
	MODEL_CHANGED,
};

void model_init(struct model *m);
void model_free(struct model *m);

struct model_conv *model_conv_new(void);
void model_conv_free(struct model_conv *c);
void model_msg_clear(struct model_msg *msg);
/* Frees an array of N earlier conversations (NULL is fine). */
void model_history_free(struct model_history *h, size_t n);
/* Free arrays of N queues or agents and their strings (NULL is fine). */
void model_queues_free(struct model_queue *q, size_t n);
void model_agents_free(struct model_agent *a, size_t n);

/* Takes ownership of C: merges it if its version is newer (the loaded
 * transcript is kept), else frees it. *OUT points at the held copy. */
enum model_apply model_apply_conv(struct model *m, struct model_conv *c,
				  struct model_conv **out);

struct model_conv *model_find(const struct model *m, int64_t id);

/* Forgets a conversation (it is no longer visible to us). Returns whether it
 * was held. */
bool model_remove(struct model *m, int64_t id);

/* Merges messages (taking ownership of each element's contents; the array
 * itself stays the caller's): duplicates by seq are dropped, order kept.
 * Then, while the window holds more than m->window_msgs messages or
 * m->window_bytes of text, drops messages from the end farther from
 * c->focus_seq (the oldest, when it is 0); dropping newer ones sets
 * newer_unloaded, which merging up to message_count clears. Returns how many
 * were new (before dropping). */
size_t model_add_messages(struct model *m, struct model_conv *c,
			  struct model_msg *msgs, size_t n);
/* The text bytes a message holds (body, author, sources). */
size_t model_msg_bytes(const struct model_msg *msg);
/* Drops C's whole loaded transcript. */
void model_clear_messages(struct model *m, struct model_conv *c);
/* Keeps only C's newest messages, at most MAX_MSGS and MAX_BYTES of text,
 * and none when the window does not reach the newest. */
void model_keep_newest(struct model *m, struct model_conv *c, size_t max_msgs,
		       size_t max_bytes);

/* Highest seq loaded for C, 0 if none. */
int model_last_seq(const struct model_conv *c);
/* Lowest seq loaded for C, 0 if none. */
int model_first_seq(const struct model_conv *c);

/* Replace the queue and agent lists (taking ownership of the arrays). */
void model_set_queues(struct model *m, struct model_queue *q, size_t n);
void model_set_agents(struct model *m, struct model_agent *a, size_t n);
void model_set_me(struct model *m, const char *login, const char *name, bool supervisor);

const struct model_queue *model_queue(const struct model *m, const char *id);
const struct model_agent *model_agent(const struct model *m, const char *login);
/* The display name for LOGIN, or LOGIN itself if unknown. */
const char *model_agent_name(const struct model *m, const char *login);

/* The server's idea of now, in unix seconds, given our clock. */
int64_t model_now(const struct model *m, int64_t local_now);

/* Seconds shown on the conversation's clock: waiting since escalation,
 * with a person since takeover, with the bot since it started. */
int64_t model_clock_seconds(const struct model_conv *c, int64_t now);

/* Fills OUT (room for m->nconvs) with the open conversations in queue order
 * (shift.c): the caller's own first — those whose customer waits for
 * an answer on top, longest wait first —, then waiting ones by queue
 * priority and longest wait, then the rest (with a person, with the bot).
 * Returns the count. */
size_t model_queue_order(const struct model *m, int64_t now,
			 struct model_conv **out);

/* The state/author names used by the store and the screen. */
const char *model_state_name(enum model_state s);	/* "bot", … */
const char *model_state_flag(enum model_state s);	/* "BOT", "WAIT", … */
enum model_state model_state_parse(const char *s);
const char *model_author_name(enum model_author a);
enum model_author model_author_parse(const char *s);

/* Whether the caller may reply to C (it owns it and a person talks). */
bool model_can_reply(const struct model *m, const struct model_conv *c);

#endif
