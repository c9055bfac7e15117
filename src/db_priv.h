/* db_priv: the inside of one db connection, shared by db.c (the API and
 * the event FIFO), db_conn.c (connecting, losing, backing off) and db_io.c
 * (the socket, sending queries, reading results). */
#ifndef BALIE_DB_PRIV_H
#define BALIE_DB_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>
#include <uv.h>

#include "balie/db.h"

#define DB_DEFAULT_RETRY_MIN_MS 250
#define DB_DEFAULT_RETRY_MAX_MS 1500
#define DB_MAX_PARAMS 65535
/* Distinct query texts remembered per db; the store has a dozen or so. */
#define DB_MAX_STATEMENTS 64

/* How far the connection itself has come, independent of what was reported. */
enum db_link {
	DB_LINK_NONE,		/* no PGconn */
	DB_LINK_STARTING,	/* PQconnectPoll has not said OK yet */
	DB_LINK_LISTENING,	/* connected, re-issuing the LISTENs */
	DB_LINK_READY,		/* connected and reported as DB_CONNECTED */
};

struct db_query {
	struct db_query *next;
	char *sql;
	char *channel;		/* set for our own LISTEN; sql is then NULL */
	int nparams;
	char **params;		/* NULL entries are SQL NULLs */
	db_result_cb *cb;
	void *arg;
};

enum db_event_kind {
	DB_EV_STATE,
	DB_EV_RESULT,
	DB_EV_NOTIFY,
};

struct db_event {
	struct db_event *next;
	enum db_event_kind kind;
	enum db_state state;
	unsigned retry_in_ms;
	char *text;		/* the state reason or the result message */
	db_result_cb *cb;
	void *arg;
	enum db_outcome outcome;
	PGresult *res;
	char sqlstate[6];
	PGnotify *notify;
};

/* One poll handle on one socket; replaced, never re-pointed (libuv#2686). */
struct db_watch {
	uv_poll_t poll;
	struct db *db;
	int fd;
	int events;
};

/* A query text seen on this db: the second time it is sent, it is prepared
 * on the connection and executed by name after that, so the server parses
 * and rewrites (expands the row-level security policies of) the console's
 * repeated fetches once per session instead of once per change. */
struct db_statement {
	char *sql;
	unsigned uses;
	bool prepared;		/* on the current connection */
	bool unpreparable;	/* the server refused to prepare it: send as text */
};

struct db_channel {
	struct db_channel *next;
	char name[];
};

struct db {
	uv_loop_t *loop;
	char *conninfo;
	struct db_options opt;
	struct db_events ev;
	enum db_state state;
	enum db_link link;
	PGconn *conn;

	struct db_watch *watch;		/* the live poll handle, or NULL */
	unsigned watches_closing;	/* poll handles whose close is pending */
	int want_fd;			/* socket to watch once those are closed */
	int want_events;

	uv_timer_t timer;	/* connect timeout, then the backoff wait */
	uv_timer_t kick;	/* drains events queued outside our callbacks */
	unsigned open_handles;
	bool stopping;
	unsigned depth;		/* > 0 while one of our loop callbacks runs */
	bool flushing;

	struct db_query *qhead, *qtail;
	bool inflight;		/* qhead has been sent */
	bool want_write;	/* PQflush said output is still pending */
	PGresult *last;		/* the in-flight query's latest result */
	char *farewell;		/* a FATAL the server sent while we were idle */

	struct db_event *ehead, *etail;
	struct db_channel *channels, *channels_tail;

	struct db_statement stmts[DB_MAX_STATEMENTS];
	unsigned nstmts;
	int preparing;		/* stmts index whose prepare is in flight, or -1 */

	unsigned attempt;	/* failed attempts since the last success */
	unsigned connects;
	uint32_t rng;
	char error[512];
};

/* The event FIFO and the object's life (db.c). */
void db_set_error(struct db *db, const char *line);
void db_post(struct db *db, struct db_event *e);
void db_post_state(struct db *db, enum db_state st, const char *reason,
	  unsigned retry_in_ms);
void db_query_free(struct db_query *q);
void db_post_result(struct db *db, struct db_query *q,
	   enum db_outcome outcome, PGresult *res,
	   const char *sqlstate, const char *message);
void db_flush(struct db *db);
void db_release(struct db *db);
void db_watch_close(struct db *db);
void db_watch(struct db *db, int fd, int events, bool force);
void db_teardown(struct db *db);
void db_fail_queries(struct db *db, struct db_query *head, bool inflight,
	    PGresult *last, const char *reason);
void db_lose(struct db *db, const char *why);
int db_attempt(struct db *db, bool at_start);
void db_link_ready(struct db *db);
void db_enqueue(struct db *db, struct db_query *q);
void db_enqueue_listen(struct db *db, const char *channel);
void db_update_watch(struct db *db);
void db_connect_step(struct db *db);
void db_send_next(struct db *db);

#endif
