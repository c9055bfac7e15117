/* sync_priv: what the files of sync share (sync.c: notices, fetching
 * changed conversations, the life cycle; sync_resync.c: the re-read after
 * (re)connecting; sync_msgs.c: transcripts and earlier conversations;
 * sync_act.c: actions and the outbox). The decisions themselves are pure
 * functions in sync_merge.c. */
#ifndef BALIE_SYNC_PRIV_H
#define BALIE_SYNC_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "balie/store.h"
#include "balie/sync.h"
#include "balie/sync_merge.h"

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
	bool told_busy;
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

	struct sync_dirty dirty;	/* conversations to fetch */
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
	uv_timer_t busy;	/* resends replies the store found busy */
	bool busy_armed;
	struct { sync_notify_fn *fn; void *user; } subs[SYNC_MAX_SUBSCRIBERS];
};

/* Every store callback starts here: false once stopped (only the
 * bookkeeping runs then, and the last answer lets the object go). */
bool sync_answered(struct sync *s);
/* Tells the user about a refused background read (offline is shown by the
 * connection state instead). */
void sync_report_error(struct sync *s, const struct store_status *st, const char *what);
void sync_set_state(struct sync *s, enum sync_conn st, const char *reason, unsigned ms);
/* Applies fetched rows; closed ones leave the model unless kept. */
void sync_apply_convs(struct sync *s, struct model_conv **convs, size_t n);
/* Sends one batch of dirty ids if nothing is in flight. */
void sync_fetch_dirty(struct sync *s);
/* The re-read after every (re)connect (sync_resync.c). */
void sync_resync(struct sync *s);

/* Transcripts (sync_msgs.c). */
struct transcript *sync_find_transcript(struct sync *s, int64_t conv);
/* Keeps T current: fetches what is newer than its window. */
void sync_fetch_newer(struct sync *s, struct transcript *t);
/* Fetches the page before seq BEFORE (0: the newest page). */
void sync_fetch_page(struct sync *s, int64_t conv, int before);

/* Reads the agent list again (sync_resync.c). */
void sync_fetch_agents(struct sync *s);

/* Relay mode (sync_relay.c): changes come from `balie relay`. */
struct feed *sync_relay_new(struct sync *s);
/* The connection's state as relay mode sees it; true when handled there. */
bool sync_relay_link_state(struct sync *s, enum store_link st);
/* After every full re-read: a gap that came meanwhile means another. */
void sync_relay_resynced(struct sync *s);

/* The outbox (sync_act.c). How long a reply the store found busy waits
 * before it is sent again. */
#define SYNC_BUSY_RETRY_MS 500
void sync_flush_outbox(struct sync *s);
/* Sends the outbox again after SYNC_BUSY_RETRY_MS. */
void sync_busy_retry(struct sync *s);
void sync_outbox_free(struct sync *s);

#endif
