/* feed: the relay client. In relay mode a console (or `balie watch`) gets
 * its changes from `balie relay` over a Unix socket instead of LISTEN balie:
 * it asks the database for a one-time ticket over its own connection,
 * presents it (`attach\t<ticket>`), and then reads frames, newline-ended
 * lines of TAB-separated fields escaped as PostgreSQL's COPY text format
 * (see balie(1), "The relay protocol"). Rows that arrive are applied like
 * fetched rows (the newer-version rule makes any race with the first read
 * harmless); a hint is re-read by id; a gap or a lost relay is a full
 * re-read once attached again. No libpq and no curses here. */
#ifndef BALIE_FEED_H
#define BALIE_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "balie/model.h"

struct db;
struct sync;
struct feed;

/* The longest frame accepted: a longer line is dropped and read as a gap
 * (the relay sends big bodies as hints, so this only guards the memory). */
#define FEED_MAX_LINE (1u << 20)

/* What the relay client tells its owner (sync). */
struct feed_events {
	void (*attached)(struct feed *f, const char *login, const char *kind, void *user);
	/* Not attached any more (or not yet): REASON is readable; the next
	 * attempt is in RETRY_MS. */
	void (*detached)(struct feed *f, const char *reason, unsigned retry_ms, void *user);
	void (*conv)(struct feed *f, struct model_conv *c, void *user);	/* owned */
	void (*msg)(struct feed *f, int64_t conv, struct model_msg *m, bool complete,
		    void *user);	/* contents owned; complete: sources included */
	void (*hint)(struct feed *f, int64_t conv, int64_t version, void *user);
	void (*gap)(struct feed *f, void *user);
	void (*gone)(struct feed *f, int64_t conv, void *user);
	void (*queue)(struct feed *f, struct model_queue *q, void *user);	/* owned */
	void (*agent)(struct feed *f, struct model_agent *a, void *user);	/* owned */
	/* Every frame of one read has been handled (a loop turn's worth). */
	void (*batch_end)(struct feed *f, void *user);
	void *user;
};

struct feed_stats {
	unsigned long frames, convs, msgs, hints, gaps, attaches, bad_frames;
};

/* DB is the console's own connection, used only to ask for tickets. */
struct feed *feed_new(uv_loop_t *loop, const char *path, struct db *db,
		      unsigned retry_min_ms, unsigned retry_max_ms,
		      const struct feed_events *ev);
/* The database connection is up (ask for a ticket and attach) or down. */
void feed_db_up(struct feed *f);
void feed_db_down(struct feed *f);
/* Closes the socket; freed once libuv has closed the handles. No event
 * after this. */
void feed_stop(struct feed *f);
bool feed_attached(const struct feed *f);
/* Milliseconds until the next attempt while waiting, else 0. */
unsigned feed_retry_in_ms(const struct feed *f);
const char *feed_path(const struct feed *f);
const struct feed_stats *feed_stats(const struct feed *f);

/* Frames (feed_frame.c), split out so they can be tested alone ----------- */

/* A `conv` frame's fields (after the tag) as a new model_conv with its
 * watch JSON built the way the store's query builds it; NULL if malformed.
 * SERVER_NOW is the server's clock (for "waited"). */
struct model_conv *feed_parse_conv(char **f, size_t n, int64_t server_now);
/* A `msg` frame: conv, seq, id, author_kind, author, body, created epoch,
 * sources (JSON text). Returns 0, or -1 if malformed. *COMPLETE is false
 * when the message cites sources (they are read through the read API). */
int feed_parse_msg(char **f, size_t n, int64_t *conv, struct model_msg *m, bool *complete);
/* `queue` and `agent` frames (fields after the tag); 0 or -1. */
int feed_parse_queue(char **f, size_t n, struct model_queue *q);
int feed_parse_agent(char **f, size_t n, struct model_agent *a);

/* sync's side (sync.c): what a feed frame does to the model ---------------- */

/* (Relay mode is chosen with sync_options.relay.) The relay path in use,
 * or NULL in notify mode. */
const char *sync_relay_path(const struct sync *s);
struct feed *sync_feed(struct sync *s);

#endif
