/* sync: keeps a model current with the store.
 *
 * LISTENs on "balie"; a notification marks its conversation dirty unless the
 * model already holds that version; dirty conversations are fetched in
 * batches (one query in flight, so a burst of thousands of notifications
 * costs a handful of queries). After every (re)connect it re-reads
 * everything it may have missed, because notifications sent while away are
 * gone. Open transcripts are kept current by seq. Replies go through an
 * outbox with a client_msg_id, so one sent around a drop is stored exactly
 * once. No libpq and no curses here: both the console and `balie watch` sit
 * on top of this. */
#ifndef BALIE_SYNC_H
#define BALIE_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "balie/action.h"
#include "balie/model.h"

struct sync;
struct db;

enum sync_conn {
	SYNC_CONNECTING,
	SYNC_ONLINE,		/* connected and re-synced */
	SYNC_RETRY_WAIT,	/* offline; retrying in retry_ms */
	SYNC_FAILED,		/* gave up (bad password, no such database…) */
};

struct sync_events {
	void (*conn)(struct sync *s, enum sync_conn st, const char *reason,
		     unsigned retry_ms, void *user);
	/* A conversation was added or changed (already applied to the model). */
	void (*changed)(struct sync *s, struct model_conv *c, enum model_apply how,
			void *user);
	/* A conversation is no longer visible to us (already removed). */
	void (*removed)(struct sync *s, int64_t id, void *user);
	/* New messages were merged into an open transcript. */
	void (*transcript)(struct sync *s, struct model_conv *c, void *user);
	/* The earlier conversations of C's customer arrived (owned by sync
	 * until the next call for the same conversation). */
	void (*history)(struct sync *s, int64_t conv, const struct model_history *h,
			size_t n, void *user);
	/* Queues, agents or who we are changed. */
	void (*meta)(struct sync *s, void *user);
	/* A background read failed (shown, then retried on the next change). */
	void (*error)(struct sync *s, const char *message, void *user);
	void *user;
	/* Any notification on a LISTENed channel (see sync_listen), after sync
	 * has handled its own: for modules with their own figures (super). */
	void (*notify)(struct sync *s, const char *channel, const char *payload,
		       void *user);
};

struct sync_options {
	unsigned retry_min_ms, retry_max_ms;	/* 0 = defaults */
	unsigned page;				/* messages per page (default 50) */
	bool keep_closed;			/* keep closed conversations in the model */
	const char *relay;			/* relay mode: the relay's socket (feed.h) */
};

struct sync *sync_new(uv_loop_t *loop, const char *conninfo, struct model *m,
		      const struct sync_options *opt, const struct sync_events *ev);
/* Returns 0, or -1 with the reason in sync_last_error. */
int sync_start(struct sync *s);
/* Stops; the object is freed on a later loop turn, once every query has
 * been answered. Safe to call from inside any of sync's events; no event
 * comes after it. */
void sync_stop(struct sync *s);
const char *sync_last_error(const struct sync *s);
enum sync_conn sync_state(const struct sync *s);
/* Milliseconds until the next reconnect attempt while offline. */
unsigned sync_retry_in_ms(const struct sync *s);

/* Loads the newest page of CONV's transcript and keeps it current. */
void sync_open_transcript(struct sync *s, int64_t conv);
/* Stops keeping it current; the model keeps only its newest messages
 * (MODEL_KEPT_MSGS), to show it again at once. */
void sync_close_transcript(struct sync *s, int64_t conv);
/* Loads one more page of older messages. Returns false if there are none. The
 * model's window may drop the newest messages to make room (newer_unloaded);
 * they are no longer kept current until loaded again. */
bool sync_load_older(struct sync *s, int64_t conv);
/* Loads one page after the window when it lost its newest messages; the one
 * that reaches the newest keeps the transcript current again. Returns false if
 * there is nothing to load. */
bool sync_load_newer(struct sync *s, int64_t conv);
/* Replaces such a window by the newest page, for a jump to the end. Returns
 * false if the window has the newest already (or we are offline). */
bool sync_load_newest(struct sync *s, int64_t conv);
/* Fetches the customer's earlier conversations (answer: events.history). */
void sync_fetch_history(struct sync *s, int64_t conv);

/* Runs an action. A reply gets a client_msg_id; while offline, or if the
 * connection drops mid-flight, it stays in the outbox and is resent with the
 * same id after reconnecting (the store stores it once). Other actions are
 * not repeated: they report ACTION_NOT_SENT / ACTION_UNKNOWN. CB may be
 * NULL; it runs later, from the loop. */
typedef void sync_action_cb(const struct action_result *r, const struct action *a, void *arg);
void sync_act(struct sync *s, const struct action *a, sync_action_cb *cb, void *arg);
/* Replies waiting in the outbox. */
size_t sync_outbox_count(const struct sync *s);

/* Also LISTENs on CHANNEL (after every reconnect too); its notifications
 * reach events.notify. */
void sync_listen(struct sync *s, const char *channel);
/* Also calls FN with every notification on a LISTENed channel, after
 * events.notify: a module with figures of its own (super) hears the store
 * directly, with nobody in between. Returns 0, or -1 when
 * SYNC_MAX_SUBSCRIBERS are taken. */
#define SYNC_MAX_SUBSCRIBERS 4
typedef void sync_notify_fn(const char *channel, const char *payload, void *user);
int sync_subscribe(struct sync *s, sync_notify_fn *fn, void *user);
void sync_unsubscribe(struct sync *s, sync_notify_fn *fn, void *user);
/* The connection, for modules that run their own read queries through the
 * store on it (they get STORE_NOT_SENT while offline, like sync does). */
struct db *sync_db(struct sync *s);

/* Counters for tests and benchmarks. */
struct sync_stats {
	unsigned long notifications;	/* received on "balie" */
	unsigned long fetch_queries;	/* conversation fetches sent */
	unsigned long resyncs;		/* full re-reads after (re)connect */
	unsigned long reconnects;
};
const struct sync_stats *sync_stats(const struct sync *s);

#endif
