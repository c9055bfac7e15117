/* super: what the supervisor screen shows, and what keeps it current.
 *
 * The figures are plain data (struct super_data): one row per queue with
 * the counts, clocks, containment, escalations by reason and the waiting
 * history, one row per agent with presence and open conversations. They come
 * from the store's aggregate functions (balie.supervisor_queues and
 * balie.supervisor_agents), never from counting conversations in the client.
 *
 * The refresher (struct super) runs those two queries on sync's connection,
 * paced so that a burst of changes costs a handful of refreshes: the first
 * change is followed by a refresh after a short delay (debounce_ms), later
 * ones wait for at least min_interval_ms after the previous refresh began,
 * and changes arriving meanwhile are folded into the next. While the screen
 * is shown it also refreshes every periodic_ms, because presence and SLA
 * breaches change by time passing; while hidden it sends nothing at all and
 * refreshes at once when shown again. No libpq and no curses here. */
#ifndef BALIE_SUPER_H
#define BALIE_SUPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "balie/i18n.h"

struct sync;

/* Minutes of waiting history per queue, oldest first, the last being now. */
#define SUPER_SPARK_POINTS 60

/* X(ENUM, name in the store): ONLINE heartbeats and keys pressed lately,
 * AWAY heartbeats but idle longer than away_after, OFFLINE no heartbeat
 * for 30 s (the store's rule). */
#define SUPER_PRESENCES(X) \
	X(ONLINE,	"online") \
	X(AWAY,		"away") \
	X(OFFLINE,	"offline") \
	X(PRESENCE_UNKNOWN, "unknown")

#define SUPER_PRESENCE_ENUM_(e, name) SUPER_##e,
enum super_presence {
	SUPER_PRESENCES(SUPER_PRESENCE_ENUM_)
};
#undef SUPER_PRESENCE_ENUM_

/* X(ENUM, name in the store, label on the screen), in the store's order. */
#define SUPER_REASONS(X) \
	X(CUSTOMER_REQUEST,	"customer_request",	N_("asked for a person")) \
	X(NOT_UNDERSTOOD,	"not_understood",	N_("not understood")) \
	X(SENSITIVE_TOPIC,	"sensitive_topic",	N_("sensitive topic")) \
	X(NEGATIVE_SENTIMENT,	"negative_sentiment",	N_("negative sentiment")) \
	X(BOT_ERROR,		"bot_error",		N_("bot error")) \
	X(OTHER,		"other",		N_("other")) \
	X(BOT_PAUSED,		"bot_paused",		N_("bot paused"))

#define SUPER_REASON_ENUM_(e, name, label) SUPER_REASON_##e,
enum super_reason {
	SUPER_REASONS(SUPER_REASON_ENUM_)
	SUPER_REASON_COUNT
};
#undef SUPER_REASON_ENUM_

struct super_queue {
	char *id;
	char *name;
	int sla_seconds;
	int priority;
	bool bot_paused;
	int with_bot, waiting, with_person;
	int64_t oldest_waiting_since;	/* unix seconds; 0 = nobody waits */
	int sla_breaches;		/* waiting longer than sla_seconds */
	int agents_online, agents_away;	/* of this queue's agents */
	int closed_today, contained_today;	/* contained: never had a person */
	int escalations_today;
	int by_reason[SUPER_REASON_COUNT];	/* today's escalations */
	int spark[SUPER_SPARK_POINTS];	/* waiting per minute, oldest first */
};

struct super_agent {
	char *login;
	char *display_name;
	bool is_supervisor;
	enum super_presence presence;
	int64_t presence_since;		/* unix seconds; 0 = never seen */
	int64_t last_seen;		/* last heartbeat; 0 = never */
	char *queues;			/* "billing, health" */
	int open_count;			/* conversations they have now */
	int64_t *convs;			/* the oldest of them (at most 50) */
	size_t nconvs;
};

struct super_data {
	struct super_queue *queues;	/* highest priority first */
	size_t nqueues;
	struct super_agent *agents;	/* by display name */
	size_t nagents;
	int64_t server_now;		/* the server's clock when read */
	bool loaded;			/* at least one refresh arrived */
	uint64_t generation;		/* bumped by every refresh */
};

void super_data_init(struct super_data *d);
void super_data_free(struct super_data *d);
void super_queues_free(struct super_queue *q, size_t n);
void super_agents_free(struct super_agent *a, size_t n);

/* Names and labels. */
const char *super_presence_name(enum super_presence p);	/* "online", … */
enum super_presence super_presence_parse(const char *s);
const char *super_reason_name(enum super_reason r);		/* "not_understood" */
const char *super_reason_label(enum super_reason r);		/* "not understood" */

/* The queue's longest wait at NOW (server seconds), ticking between
 * refreshes; 0 when nobody waits. */
int64_t super_longest_wait(const struct super_queue *q, int64_t now);

/* Today's bot containment in whole percent (rounded down), or -1 when
 * nothing closed today. */
int super_containment_percent(const struct super_queue *q);

/* Whether an agent's conversations need a person: offline but owning some. */
bool super_agent_stranded(const struct super_agent *a);

/* Draws POINTS (N values) as a sparkline of WIDTH cells into OUT (NUL
 * terminated, truncated to LEN): each cell the highest value of its share of
 * the points, scaled to the highest value overall. UNICODE uses the eight
 * blocks U+2581..U+2588, otherwise the five ASCII levels "_.-=#". A cell is
 * the lowest level only for zero, so "some" never looks like "none". Returns
 * the number of cells drawn. */
size_t super_sparkline(const int *points, size_t n, size_t width, bool unicode,
		       char *out, size_t len);

/* The refresher ------------------------------------------------------------ */

/* The pacing rule on its own, free of any loop: each call returns the
 * moment (milliseconds, the caller's clock) at which super_pace_due should
 * be called next, or 0 when no timer is needed. */
struct super_pace {
	unsigned debounce_ms;		/* first change -> refresh (200) */
	unsigned min_interval_ms;	/* between refresh starts (500) */
	unsigned periodic_ms;		/* while shown and quiet (5000) */
	bool visible;
	bool online;
	bool in_flight;
	uint64_t want;			/* a change wants a refresh from then; 0 = none */
	uint64_t last_start;		/* 0 = never */
	unsigned long changes, refreshes;
};

void super_pace_init(struct super_pace *p, unsigned debounce_ms, unsigned min_interval_ms,
		     unsigned periodic_ms);
/* Something the figures depend on changed. */
uint64_t super_pace_change(struct super_pace *p, uint64_t now);
/* The screen was shown (refresh at once) or hidden (stop). */
uint64_t super_pace_show(struct super_pace *p, uint64_t now, bool visible);
/* The connection came back (refresh at once) or went away (wait). */
uint64_t super_pace_online(struct super_pace *p, uint64_t now, bool online);
/* The timer fired: *START says whether to send a refresh now. */
uint64_t super_pace_due(struct super_pace *p, uint64_t now, bool *start);
/* The refresh in flight was answered (or failed: the periodic one retries). */
uint64_t super_pace_done(struct super_pace *p, uint64_t now);

struct super;

struct super_events {
	/* New figures are in super_data(). */
	void (*updated)(struct super *s, void *user);
	/* A refresh was refused (the last figures stay); MESSAGE is readable.
	 * Offline is not reported here: sync's connection state says it. */
	void (*error)(struct super *s, const char *message, void *user);
	void *user;
};

struct super_options {
	unsigned debounce_ms, min_interval_ms, periodic_ms;	/* 0 = defaults */
};

/* Creates a refresher on SYNC's connection, subscribed to its
 * notifications; hidden and idle until shown. */
struct super *super_new(uv_loop_t *loop, struct sync *sync, const struct super_options *opt,
			const struct super_events *ev);
/* Stops and frees (after the query in flight is answered and the timer
 * closed); call it before sync_stop(). */
void super_stop(struct super *s);

void super_show(struct super *s, bool visible);
/* A notification (super_new subscribes to sync's): changes of
 * conversations, queues and presence start a paced refresh. */
void super_notify(struct super *s, const char *channel, const char *payload);
/* Feed sync's connection state here (true once online and re-synced). */
void super_online(struct super *s, bool online);

const struct super_data *super_data(const struct super *s);
const struct super_pace *super_stats(const struct super *s);

#endif
