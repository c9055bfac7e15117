/* db: one PostgreSQL connection driven entirely by a libuv loop; see db.h.
 *
 * Nothing here blocks the loop thread, with one exception that libpq gives us
 * no way around: PQconnectStartParams/PQconnectPoll resolve a host name with
 * getaddrinfo(), which blocks while DNS answers. Give `hostaddr=` (a numeric
 * address, with `host=` kept for TLS and .pgpass) or a Unix socket directory
 * to avoid it. PQexec, PQconnectdb, PQreset and PQcancel all block, so none of
 * them is used; libpq's connect_timeout is only enforced by the blocking
 * calls, so this module runs its own timer for it.
 *
 * Every callback into the application goes through one FIFO of events (state
 * changes, query results, notifications) that is drained only from libuv
 * callbacks, so the application is never re-entered from a db_* call. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balie/db.h"

#define db_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

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

static void db_on_poll(uv_poll_t *handle, int status, int events);
static void db_on_kick(uv_timer_t *timer);
static void db_lose(struct db *db, const char *why);
static void db_send_next(struct db *db);

/* Allocation failure leaves a console that cannot keep its promises, so stop. */
static void *db_alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p) {
		fputs("balie: out of memory\n", stderr);
		abort();
	}
	return p;
}

static char *db_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = db_alloc(n);

	memcpy(p, s, n);
	return p;
}

/* Removes the "SEVERITY:  " prefix and a verbose "SQLSTATE: " after it. */
static const char *db_skip_severity(const char *s)
{
	const char *p = s;
	size_t i;

	while (*p >= 'A' && *p <= 'Z')
		p++;
	if (p == s || strncmp(p, ":  ", 3) != 0)
		return s;
	p += 3;
	for (i = 0; i < 5; i++)
		if (!isdigit((unsigned char)p[i]) && !(p[i] >= 'A' && p[i] <= 'Z'))
			return p;
	if (p[5] == ':' && p[6] == ' ')
		return p + 7;
	return p;
}

const char *db_clean_message(const char *msg, char *buf, size_t len)
{
	const char *p;
	size_t n = 0;

	if (!len)
		return buf;
	if (!msg)
		msg = "";
	while (*msg == ' ' || *msg == '\t' || *msg == '\n' || *msg == '\r')
		msg++;
	p = db_skip_severity(msg);
	for (; *p && *p != '\n' && n + 1 < len; p++)
		buf[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return buf;
}

/* Lower-cases a strerror-style first word ("Connection refused") only. */
static void db_lower_first(char *s)
{
	if (isupper((unsigned char)s[0]) && islower((unsigned char)s[1]))
		s[0] = (char)tolower((unsigned char)s[0]);
}

/* The part of a libpq connect error that tells a person what went wrong. */
static void db_connect_reason(const char *raw, char *buf, size_t len)
{
	char line[400];
	const char *p, *sock;
	char *end;

	db_clean_message(raw, line, sizeof line);
	p = line;
	if (strncmp(p, "connection to server", 20) == 0 &&
	    (end = strstr(p, " failed: ")) != NULL)
		p = db_skip_severity(end + 9);
	/* libpq names its internal function: "fe_sendauth: no password supplied". */
	if (strncmp(p, "fe_sendauth: ", 13) == 0)
		p += 13;
	if (strcmp(p, "No such file or directory") == 0 &&
	    (sock = strstr(line, "on socket \"")) != NULL) {
		end = strchr(sock + 11, '"');
		snprintf(buf, len, "could not connect: no server socket %.*s "
			 "(is the server running?)",
			 end ? (int)(end - sock - 10) : 0, sock + 10);
		return;
	}
	snprintf(buf, len, "could not connect: %s", p);
	db_lower_first(buf + 19);
}

/* Whether a failure at db_start comes from the options, not from the network,
 * so that balie exits at once instead of retrying what cannot work. */
static bool db_is_config_error(const char *raw)
{
	char line[400];

	db_clean_message(raw, line, sizeof line);
	if (strstr(line, "invalid") && strstr(line, "value"))
		return true;
	return strncmp(line, "connection to server", 20) != 0 &&
	       strncmp(line, "could not translate host name", 29) != 0;
}

/* Whether the server refused us for a reason no retry can fix: wrong
 * password, unknown role or database, pg_hba.conf. */
static bool db_is_unfixable(const char *raw)
{
	static const char *const states[] = { "28P01", "28000", "3D000" };
	char pat[16];
	size_t i;

	for (i = 0; i < sizeof states / sizeof states[0]; i++) {
		snprintf(pat, sizeof pat, ":  %s: ", states[i]);
		if (strstr(raw, pat))
			return true;
	}
	return strstr(raw, "password authentication failed") != NULL ||
	       strstr(raw, "no password supplied") != NULL;
}

static void db_set_error(struct db *db, const char *line)
{
	snprintf(db->error, sizeof db->error, "%s", line);
}

/* Queues an event; outside our own callbacks a zero timer delivers it. */
static void db_post(struct db *db, struct db_event *e)
{
	if (db->etail)
		db->etail->next = e;
	else
		db->ehead = e;
	db->etail = e;
	if (!db->depth && !db->stopping)
		uv_timer_start(&db->kick, db_on_kick, 0, 0);
}

static void db_post_state(struct db *db, enum db_state st, const char *reason,
			  unsigned retry_in_ms)
{
	struct db_event *e = db_alloc(sizeof *e);

	db->state = st;
	e->kind = DB_EV_STATE;
	e->state = st;
	e->retry_in_ms = retry_in_ms;
	e->text = db_strdup(reason ? reason : "");
	db_post(db, e);
}

static void db_query_free(struct db_query *q)
{
	int i;

	if (q->params)
		for (i = 0; i < q->nparams; i++)
			free(q->params[i]);
	free(q->params);
	free(q->sql);
	free(q->channel);
	free(q);
}

/* Turns a query into its one result event; RES (if any) is taken over. */
static void db_post_result(struct db *db, struct db_query *q,
			   enum db_outcome outcome, PGresult *res,
			   const char *sqlstate, const char *message)
{
	struct db_event *e;

	if (q->channel) {
		PQclear(res);
		db_query_free(q);
		return;
	}
	e = db_alloc(sizeof *e);
	e->kind = DB_EV_RESULT;
	e->cb = q->cb;
	e->arg = q->arg;
	e->outcome = outcome;
	e->res = res;
	snprintf(e->sqlstate, sizeof e->sqlstate, "%s", sqlstate ? sqlstate : "");
	e->text = db_strdup(message ? message : "");
	db_query_free(q);
	db_post(db, e);
}

static void db_event_free(struct db_event *e)
{
	PQclear(e->res);
	if (e->notify)
		PQfreemem(e->notify);
	free(e->text);
	free(e);
}

/* Delivers queued events in order; after db_stop only query results go out,
 * since every query callback must run exactly once. */
static void db_flush(struct db *db)
{
	struct db_event *e;
	struct db_result r;

	if (db->flushing)
		return;
	db->flushing = true;
	while ((e = db->ehead) != NULL) {
		db->ehead = e->next;
		if (!db->ehead)
			db->etail = NULL;
		switch (e->kind) {
		case DB_EV_RESULT:
			r.outcome = e->outcome;
			r.res = e->res;
			r.sqlstate = e->sqlstate;
			r.message = e->text;
			e->cb(&r, e->arg);
			break;
		case DB_EV_STATE:
			if (!db->stopping && db->ev.state)
				db->ev.state(db, e->state, e->text,
					     e->retry_in_ms, db->ev.user);
			break;
		case DB_EV_NOTIFY:
			if (!db->stopping && db->ev.notify)
				db->ev.notify(db, e->notify->relname,
					      e->notify->extra, db->ev.user);
			break;
		}
		db_event_free(e);
	}
	db->flushing = false;
}

static void db_finalize(struct db *db)
{
	struct db_channel *c;

	db->depth++;
	db_flush(db);
	while ((c = db->channels) != NULL) {
		db->channels = c->next;
		free(c);
	}
	while (db->nstmts)
		free(db->stmts[--db->nstmts].sql);
	free(db->conninfo);
	if (db->ev.released)
		db->ev.released(db->ev.user);
	free(db);
}

/* Called from every close callback: the last one frees the object. */
static void db_release(struct db *db)
{
	db->open_handles--;
	if (db->stopping && db->open_handles == 0)
		db_finalize(db);
}

static void db_watch_open(struct db *db)
{
	struct db_watch *w = db_alloc(sizeof *w);
	int err = uv_poll_init(db->loop, &w->poll, db->want_fd);
	char line[160];

	if (err) {
		free(w);
		snprintf(line, sizeof line, "cannot watch the server socket: %s",
			 uv_strerror(err));
		db_lose(db, line);
		return;
	}
	db->open_handles++;
	w->db = db;
	w->fd = db->want_fd;
	w->events = db->want_events;
	db->watch = w;
	uv_poll_start(&w->poll, w->events, db_on_poll);
}

static void db_on_watch_closed(uv_handle_t *handle)
{
	struct db_watch *w = db_container_of(handle, struct db_watch, poll);
	struct db *db = w->db;

	free(w);
	db->watches_closing--;
	if (!db->stopping && !db->watches_closing && !db->watch &&
	    db->conn && db->want_fd >= 0 && PQsocket(db->conn) == db->want_fd) {
		db->depth++;
		db_watch_open(db);
		db_flush(db);
		db->depth--;
	}
	db_release(db);
}

static void db_watch_close(struct db *db)
{
	if (!db->watch)
		return;
	uv_close((uv_handle_t *)&db->watch->poll, db_on_watch_closed);
	db->watch = NULL;
	db->watches_closing++;
}

/* Watches FD for EVENTS; a new socket number gets a new handle, created only
 * once the old one is closed. FORCE re-registers the same number, because
 * libpq may have closed and reopened a socket that got the same number. */
static void db_watch(struct db *db, int fd, int events, bool force)
{
	struct db_watch *w = db->watch;

	if (w && w->fd != fd)
		db_watch_close(db);
	db->want_fd = fd;
	db->want_events = events;
	if (!db->watch) {
		if (!db->watches_closing)
			db_watch_open(db);
		return;
	}
	if (force || w->events != events) {
		w->events = events;
		uv_poll_start(&w->poll, events, db_on_poll);
	}
}

/* Drops the PGconn and its poll handle; queries are the caller's business. */
static void db_teardown(struct db *db)
{
	unsigned i;

	db_watch_close(db);
	db->want_fd = -1;
	if (db->conn) {
		PQfinish(db->conn);
		db->conn = NULL;
	}
	db->link = DB_LINK_NONE;
	db->inflight = false;
	db->preparing = -1;
	/* Prepared statements lived in that session; a new one tries again. */
	for (i = 0; i < db->nstmts; i++)
		db->stmts[i].prepared = db->stmts[i].unpreparable = false;
	db->want_write = false;
	PQclear(db->last);
	db->last = NULL;
	free(db->farewell);
	db->farewell = NULL;
	uv_timer_stop(&db->timer);
}

static uint32_t db_random(struct db *db)
{
	uint32_t x = db->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	db->rng = x;
	return x;
}

/* Capped exponential backoff with up to 25% jitter taken off, so that
 * delays still grow step by step and many consoles do not return at once. */
static unsigned db_backoff(struct db *db)
{
	unsigned base = db->opt.retry_min_ms;
	unsigned i;

	for (i = 0; i < db->attempt && base < db->opt.retry_max_ms; i++)
		base *= 2;
	if (base > db->opt.retry_max_ms)
		base = db->opt.retry_max_ms;
	if (db->attempt < 32)
		db->attempt++;
	base -= db_random(db) % (base / 4 + 1);
	return base ? base : 1;
}

static void db_on_timer(uv_timer_t *timer);

/* Arms the connect/backoff timer from now: the loop's cached time is stale
 * when we run outside a loop iteration or after a slow DNS lookup. */
static void db_arm_timer(struct db *db, uint64_t ms)
{
	uv_update_time(db->loop);
	uv_timer_start(&db->timer, db_on_timer, ms, 0);
}

static void db_schedule_retry(struct db *db, const char *reason)
{
	unsigned delay = db_backoff(db);

	db_post_state(db, DB_RETRY_WAIT, reason, delay);
	db_arm_timer(db, delay);
}

/* Moves every pending query into its failure event: the one in flight is
 * DB_LOST (the server may have run it), the rest DB_NOT_SENT. */
static void db_fail_queries(struct db *db, struct db_query *head, bool inflight,
			    PGresult *last, const char *reason)
{
	struct db_query *q;
	char msg[512];

	while ((q = head) != NULL) {
		head = q->next;
		if (inflight) {
			db_post_result(db, q, DB_LOST, NULL, "", reason);
			inflight = false;
		} else {
			snprintf(msg, sizeof msg, "not sent: %s", reason);
			db_post_result(db, q, DB_NOT_SENT, NULL, "", msg);
		}
	}
	PQclear(last);
}

/* The connection broke (or WHY says the server ended it): fail the queries,
 * drop the connection and schedule the next attempt. */
static void db_lose(struct db *db, const char *why)
{
	struct db_query *head = db->qhead;
	bool inflight = db->inflight;
	PGresult *last = db->last;
	char detail[400] = "", reason[480];

	if (db->farewell)
		db_clean_message(db->farewell, detail, sizeof detail);
	else if (why)
		db_clean_message(why, detail, sizeof detail);
	if (!*detail || strstr(detail, "server closed the connection") ||
	    strncmp(detail, "could not receive data", 22) == 0 ||
	    strncmp(detail, "could not send data", 19) == 0)
		snprintf(reason, sizeof reason, "connection to server lost");
	else
		snprintf(reason, sizeof reason, "connection to server lost: %s",
			 detail);
	db_set_error(db, reason);
	db->qhead = db->qtail = NULL;
	db->last = NULL;
	db_teardown(db);
	db_schedule_retry(db, reason);
	db_fail_queries(db, head, inflight, last, reason);
}

/* A connection attempt failed before DB_CONNECTED was reported. */
static void db_connect_failed(struct db *db, const char *raw)
{
	char reason[480];
	bool final = db->opt.fatal_auth && db->connects == 0 &&
		     db_is_unfixable(raw);
	struct db_query *head = db->qhead;

	db_connect_reason(raw, reason, sizeof reason);
	db_set_error(db, reason);
	db->qhead = db->qtail = NULL;
	db_teardown(db);
	db_fail_queries(db, head, false, NULL, reason);
	if (final)
		db_post_state(db, DB_STOPPED, reason, 0);
	else
		db_schedule_retry(db, reason);
}

/* libpq's idle-time errors arrive here; a FATAL one says why the server is
 * about to hang up, and nothing may reach stderr under curses. */
static void db_on_notice(void *arg, const PGresult *res)
{
	struct db *db = arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (sev && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0) &&
	    !db->farewell)
		db->farewell = db_strdup(msg ? msg : PQresultErrorMessage(res));
}

/* The keyword list: our defaults first, the user's conninfo last so that
 * everything in it wins; an empty conninfo is left out so PGDATABASE works. */
static PGconn *db_connect_start(struct db *db)
{
	const char *keywords[] = {
		"keepalives", "keepalives_idle", "keepalives_interval",
		"keepalives_count", "tcp_user_timeout", "connect_timeout",
		"fallback_application_name", NULL, NULL,
	};
	const char *values[] = {
		"1", "10", "5", "3", "20000", "10", "balie", NULL, NULL,
	};

	if (db->conninfo) {
		keywords[7] = "dbname";
		values[7] = db->conninfo;
	}
	return PQconnectStartParams(keywords, values, 1);
}

/* The effective connect_timeout in milliseconds, as libpq reads it (0 =
 * none; 1 second means 2), because only blocking libpq calls enforce it. */
static uint64_t db_connect_timeout_ms(PGconn *conn)
{
	PQconninfoOption *opts = PQconninfo(conn), *o;
	long secs = 0;

	for (o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "connect_timeout") == 0 && o->val)
			secs = strtol(o->val, NULL, 10);
	PQconninfoFree(opts);
	if (secs <= 0)
		return 0;
	return (uint64_t)(secs < 2 ? 2 : secs) * 1000;
}

/* Starts one connection attempt; at db_start a refusal by the options
 * themselves is returned as -1 instead of being retried. */
static int db_attempt(struct db *db, bool at_start)
{
	PGconn *conn = db_connect_start(db);
	uint64_t timeout;

	if (!conn) {
		db_set_error(db, "out of memory");
		if (at_start)
			return -1;
		db_schedule_retry(db, "could not connect: out of memory");
		return 0;
	}
	PQsetNoticeReceiver(conn, db_on_notice, db);
	/* Verbose errors carry the SQLSTATE, which tells unfixable refusals
	 * apart in any server language. */
	PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
	if (PQstatus(conn) == CONNECTION_BAD) {
		if (at_start && db_is_config_error(PQerrorMessage(conn))) {
			char line[400];

			db_set_error(db, db_clean_message(PQerrorMessage(conn),
							  line, sizeof line));
			PQfinish(conn);
			return -1;
		}
		db->conn = conn;
		db->link = DB_LINK_STARTING;
		db_connect_failed(db, PQerrorMessage(conn));
		return 0;
	}
	db->conn = conn;
	db->link = DB_LINK_STARTING;
	db_post_state(db, DB_CONNECTING, "", 0);
	timeout = db_connect_timeout_ms(conn);
	if (timeout)
		db_arm_timer(db, timeout);
	/* PQconnectStartParams has begun a connect(): wait until writable. */
	db_watch(db, PQsocket(conn), UV_WRITABLE, true);
	return 0;
}

static void db_link_ready(struct db *db)
{
	uv_timer_stop(&db->timer);
	db->link = DB_LINK_READY;
	db->connects++;
	db->attempt = 0;
	db->error[0] = '\0';
	db_post_state(db, DB_CONNECTED, "", 0);
}

static void db_enqueue(struct db *db, struct db_query *q)
{
	if (db->qtail)
		db->qtail->next = q;
	else
		db->qhead = q;
	db->qtail = q;
}

static void db_enqueue_listen(struct db *db, const char *channel)
{
	struct db_query *q = db_alloc(sizeof *q);

	q->channel = db_strdup(channel);
	db_enqueue(db, q);
}

/* Keeps the socket watched for reading, and for writing while output waits. */
static void db_update_watch(struct db *db)
{
	int fd;

	if (!db->conn)
		return;
	fd = PQsocket(db->conn);
	if (fd < 0) {
		db_lose(db, PQerrorMessage(db->conn));
		return;
	}
	db_watch(db, fd, UV_READABLE | (db->want_write ? UV_WRITABLE : 0),
		 false);
}

/* PQconnectPoll said OK: go non-blocking and LISTEN before reporting. */
static void db_link_up(struct db *db)
{
	struct db_channel *c;

	if (PQsetnonblocking(db->conn, 1) != 0) {
		db_connect_failed(db, PQerrorMessage(db->conn));
		return;
	}
	PQsetErrorVerbosity(db->conn, PQERRORS_DEFAULT);
	db->link = DB_LINK_LISTENING;
	for (c = db->channels; c; c = c->next)
		db_enqueue_listen(db, c->name);
	if (!db->qhead)
		db_link_ready(db);
	else
		db_send_next(db);
	if (db->conn)
		db_watch(db, PQsocket(db->conn), UV_READABLE |
			 (db->want_write ? UV_WRITABLE : 0), true);
}

/* One step of PQconnectPoll, then watch whatever socket libpq now has. */
static void db_connect_step(struct db *db)
{
	PostgresPollingStatusType st = PQconnectPoll(db->conn);
	int fd = PQsocket(db->conn);

	if (st == PGRES_POLLING_OK) {
		db_link_up(db);
		return;
	}
	if (st == PGRES_POLLING_FAILED || fd < 0) {
		db_connect_failed(db, PQerrorMessage(db->conn));
		return;
	}
	db_watch(db, fd, st == PGRES_POLLING_READING ? UV_READABLE : UV_WRITABLE,
		 true);
}

/* Sends pending output; a full socket is retried when it becomes writable. */
static bool db_flush_output(struct db *db)
{
	int r = PQflush(db->conn);

	if (r < 0) {
		db_lose(db, PQerrorMessage(db->conn));
		return false;
	}
	db->want_write = r == 1;
	return true;
}

/* The remembered statement for SQL (added if new), or NULL when the table is full. */
static struct db_statement *db_statement(struct db *db, const char *sql)
{
	unsigned i;

	for (i = 0; i < db->nstmts; i++)
		if (strcmp(db->stmts[i].sql, sql) == 0)
			return &db->stmts[i];
	if (db->nstmts == DB_MAX_STATEMENTS)
		return NULL;
	db->stmts[db->nstmts].sql = db_strdup(sql);
	return &db->stmts[db->nstmts++];
}

/* Whether RES is a prepared statement of Q refused because the schema
 * changed its result type under it ("cached plan must not change result
 * type", after a migration): that statement goes back to plain text for the
 * rest of the session, and Q is run again instead of failing. */
static bool db_stale_plan(struct db *db, const struct db_query *q, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	unsigned i;

	if (!state || strcmp(state, "0A000") != 0)
		return false;
	for (i = 0; i < db->nstmts; i++) {
		if (db->stmts[i].prepared && strcmp(db->stmts[i].sql, q->sql) == 0) {
			db->stmts[i].prepared = false;
			db->stmts[i].unpreparable = true;
			return true;
		}
	}
	return false;
}

/* Sends Q's own query: by name if prepared, else as text, or (the second
 * time its text is used) sends the prepare first; db_finish_inflight then
 * sends the query itself. */
static int db_send_query(struct db *db, struct db_query *q)
{
	struct db_statement *st = db_statement(db, q->sql);
	char name[32];

	if (!st || st->unpreparable || (!st->prepared && ++st->uses < 2))
		return PQsendQueryParams(db->conn, q->sql, q->nparams, NULL,
					 (const char *const *)q->params, NULL,
					 NULL, 0);
	snprintf(name, sizeof name, "balie_%u", (unsigned)(st - db->stmts));
	if (st->prepared)
		return PQsendQueryPrepared(db->conn, name, q->nparams,
					   (const char *const *)q->params,
					   NULL, NULL, 0);
	db->preparing = (int)(st - db->stmts);
	return PQsendPrepare(db->conn, name, q->sql, q->nparams, NULL);
}

static void db_send_next(struct db *db)
{
	struct db_query *q = db->qhead;
	char *quoted, *sql;
	int ok;

	if (!db->conn || db->inflight || !q ||
	    (db->link != DB_LINK_LISTENING && db->link != DB_LINK_READY))
		return;
	if (q->channel) {
		quoted = PQescapeIdentifier(db->conn, q->channel,
					    strlen(q->channel));
		if (!quoted) {
			db_lose(db, PQerrorMessage(db->conn));
			return;
		}
		sql = db_alloc(strlen(quoted) + 8);
		strcpy(sql, "LISTEN ");
		strcat(sql, quoted);
		PQfreemem(quoted);
		ok = PQsendQueryParams(db->conn, sql, 0, NULL, NULL, NULL,
				       NULL, 0);
		free(sql);
	} else {
		ok = db_send_query(db, q);
	}
	if (!ok) {
		/* libpq refused before anything was sent: the query may be
		 * retried, and the connection is rebuilt to be safe. */
		db->preparing = -1;
		db->qhead = q->next;
		if (!db->qhead)
			db->qtail = NULL;
		db_post_result(db, q, DB_NOT_SENT, NULL, "",
			       "not sent: the connection failed");
		db_lose(db, PQerrorMessage(db->conn));
		return;
	}
	db->inflight = true;
	db_flush_output(db);
}

/* Whether RES means the session is over rather than that the query failed. */
static bool db_result_is_fatal(const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);

	if (PQresultStatus(res) != PGRES_FATAL_ERROR)
		return false;
	if (!PQresultErrorField(res, PG_DIAG_SQLSTATE))
		return true;	/* made by libpq: the connection broke */
	return sev && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0);
}

static void db_listen_failed(struct db *db, struct db_query *q, PGresult *res)
{
	char line[300], why[400];

	snprintf(why, sizeof why, "LISTEN %s failed: %s", q->channel,
		 res ? db_clean_message(PQresultErrorField(res,
				PG_DIAG_MESSAGE_PRIMARY), line, sizeof line)
		     : "no result");
	PQclear(res);
	db_query_free(q);
	db_lose(db, why);
}

/* The head query's results are complete: turn them into its event. */
static void db_finish_inflight(struct db *db)
{
	struct db_query *q = db->qhead;
	PGresult *res = db->last;
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *sqlstate;
	char line[400];

	if (db->preparing >= 0 && res) {
		/* Only the prepare is done: the query itself goes next (as
		 * text if the server would not prepare it, so that its own
		 * error reaches the caller). */
		struct db_statement *prep = &db->stmts[db->preparing];

		db->preparing = -1;
		db->inflight = false;
		db->last = NULL;
		if (st == PGRES_COMMAND_OK)
			prep->prepared = true;
		else
			prep->unpreparable = true;
		PQclear(res);
		return;
	}
	db->preparing = -1;
	if (res && st == PGRES_FATAL_ERROR && !q->channel && db_stale_plan(db, q, res)) {
		/* Sent again, as text, by the caller of this function. */
		db->inflight = false;
		db->last = NULL;
		PQclear(res);
		return;
	}
	db->qhead = q->next;
	if (!db->qhead)
		db->qtail = NULL;
	db->inflight = false;
	db->last = NULL;
	if (q->channel) {
		if (st != PGRES_COMMAND_OK) {
			db_listen_failed(db, q, res);
			return;
		}
		PQclear(res);
		db_query_free(q);
		if (db->link == DB_LINK_LISTENING && !db->qhead)
			db_link_ready(db);
		return;
	}
	if (!res) {
		db_post_result(db, q, DB_LOST, NULL, "",
			       "connection to server lost: no result");
		return;
	}
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
	    st == PGRES_EMPTY_QUERY) {
		db_post_result(db, q, DB_OK, res, "", "");
		return;
	}
	sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	db_clean_message(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ?
			 PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
			 PQresultErrorMessage(res), line, sizeof line);
	db_post_result(db, q, DB_SQL_ERROR, res, sqlstate ? sqlstate : "XX000",
		       line);
}

/* COPY would leave the connection in a mode we do not drive: refuse the
 * query and start over with a fresh connection. */
static void db_refuse_copy(struct db *db, PGresult *res)
{
	struct db_query *q = db->qhead;

	PQclear(res);
	db->qhead = q->next;
	if (!db->qhead)
		db->qtail = NULL;
	db->inflight = false;
	PQclear(db->last);
	db->last = NULL;
	db_post_result(db, q, DB_SQL_ERROR, NULL, "0A000",
		       "COPY is not supported through db_query");
	db_lose(db, "reset after an unsupported COPY");
}

/* Reads every complete result, then every notification. */
static void db_read_results(struct db *db)
{
	PGresult *res;
	PGnotify *n;
	struct db_event *e;
	ExecStatusType st;

	while (db->conn && !PQisBusy(db->conn)) {
		res = PQgetResult(db->conn);
		if (!res) {
			if (!db->inflight)
				break;
			db_finish_inflight(db);
			db_send_next(db);
			continue;
		}
		if (db_result_is_fatal(res)) {
			char line[400];

			db_clean_message(PQresultErrorField(res,
					PG_DIAG_MESSAGE_PRIMARY) ?
				PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
				: PQresultErrorMessage(res), line, sizeof line);
			PQclear(res);
			db_lose(db, line);
			return;
		}
		st = PQresultStatus(res);
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT ||
		    st == PGRES_COPY_BOTH) {
			if (db->inflight) {
				db_refuse_copy(db, res);
			} else {
				PQclear(res);
				db_lose(db, "unexpected COPY");
			}
			return;
		}
		if (!db->inflight) {
			PQclear(res);
			continue;
		}
		PQclear(db->last);
		db->last = res;
	}
	while (db->conn && (n = PQnotifies(db->conn)) != NULL) {
		e = db_alloc(sizeof *e);
		e->kind = DB_EV_NOTIFY;
		e->notify = n;
		db_post(db, e);
	}
}

/* The socket is readable or writable (or broken) on a live connection. */
static void db_io(struct db *db, int status, int events)
{
	if (status < 0 || (events & UV_READABLE)) {
		if (!PQconsumeInput(db->conn)) {
			db_lose(db, PQerrorMessage(db->conn));
			return;
		}
		if (status < 0) {
			db_lose(db, uv_strerror(status));
			return;
		}
	}
	if (db->farewell) {
		db_lose(db, NULL);
		return;
	}
	if (db->want_write && !db_flush_output(db))
		return;
	db_read_results(db);
	db_send_next(db);
	db_update_watch(db);
}

static void db_on_poll(uv_poll_t *handle, int status, int events)
{
	struct db_watch *w = db_container_of(handle, struct db_watch, poll);
	struct db *db = w->db;

	if (w != db->watch || !db->conn)
		return;
	db->depth++;
	if (db->link == DB_LINK_STARTING)
		db_connect_step(db);
	else
		db_io(db, status, events);
	db_flush(db);
	db->depth--;
}

/* The connect timeout while connecting, the end of the backoff otherwise. */
static void db_on_timer(uv_timer_t *timer)
{
	struct db *db = db_container_of(timer, struct db, timer);

	db->depth++;
	if (db->link == DB_LINK_STARTING)
		db_connect_failed(db, "timeout expired");
	else if (db->link == DB_LINK_LISTENING)
		db_lose(db, "timeout expired while issuing LISTEN");
	else if (db->state == DB_RETRY_WAIT)
		db_attempt(db, false);
	db_flush(db);
	db->depth--;
}

static void db_on_kick(uv_timer_t *timer)
{
	struct db *db = db_container_of(timer, struct db, kick);

	db->depth++;
	db_flush(db);
	db->depth--;
}

static void db_on_timer_closed(uv_handle_t *handle)
{
	db_release(db_container_of(handle, struct db, timer));
}

static void db_on_kick_closed(uv_handle_t *handle)
{
	db_release(db_container_of(handle, struct db, kick));
}

struct db *db_new(uv_loop_t *loop, const char *conninfo,
		  const struct db_options *opt, const struct db_events *ev)
{
	struct db *db = db_alloc(sizeof *db);

	db->loop = loop;
	db->conninfo = conninfo && *conninfo ? db_strdup(conninfo) : NULL;
	db->opt.retry_min_ms = DB_DEFAULT_RETRY_MIN_MS;
	db->opt.retry_max_ms = DB_DEFAULT_RETRY_MAX_MS;
	db->opt.fatal_auth = true;
	if (opt) {
		if (opt->retry_min_ms)
			db->opt.retry_min_ms = opt->retry_min_ms;
		if (opt->retry_max_ms)
			db->opt.retry_max_ms = opt->retry_max_ms;
		db->opt.fatal_auth = opt->fatal_auth;
	}
	if (db->opt.retry_max_ms < db->opt.retry_min_ms)
		db->opt.retry_max_ms = db->opt.retry_min_ms;
	if (ev)
		db->ev = *ev;
	db->state = DB_IDLE;
	db->want_fd = -1;
	db->preparing = -1;
	db->rng = (uint32_t)uv_hrtime() ^ (uint32_t)getpid() ^
		  (uint32_t)(uintptr_t)db;
	if (!db->rng)
		db->rng = 0x9e3779b9u;
	uv_timer_init(loop, &db->timer);
	uv_timer_init(loop, &db->kick);
	db->open_handles = 2;
	return db;
}

void db_listen(struct db *db, const char *channel)
{
	struct db_channel *c;
	size_t n = strlen(channel) + 1;

	for (c = db->channels; c; c = c->next)
		if (strcmp(c->name, channel) == 0)
			return;
	c = db_alloc(sizeof *c + n);
	memcpy(c->name, channel, n);
	if (db->channels_tail)
		db->channels_tail->next = c;
	else
		db->channels = c;
	db->channels_tail = c;
	if (db->stopping || (db->link != DB_LINK_LISTENING &&
			     db->link != DB_LINK_READY))
		return;
	db_enqueue_listen(db, channel);
	db_send_next(db);
	db_update_watch(db);
}

int db_start(struct db *db)
{
	PQconninfoOption *opts;
	char *err = NULL;
	char line[400];
	const char *ci = db->conninfo;

	if (db->state != DB_IDLE || db->stopping) {
		db_set_error(db, "already started");
		return -1;
	}
	/* libpq expands dbname only when it looks like a conninfo or URI. */
	if (ci && (strchr(ci, '=') || strncmp(ci, "postgresql://", 13) == 0 ||
		   strncmp(ci, "postgres://", 11) == 0)) {
		opts = PQconninfoParse(ci, &err);
		if (!opts) {
			db_set_error(db, err ? db_clean_message(err, line,
					sizeof line) : "out of memory");
			PQfreemem(err);
			return -1;
		}
		PQconninfoFree(opts);
	}
	return db_attempt(db, true);
}

void db_query(struct db *db, const char *sql, int nparams,
	      const char *const *params, db_result_cb *cb, void *arg)
{
	struct db_query *q = db_alloc(sizeof *q);
	char msg[600];
	int i;

	q->cb = cb;
	q->arg = arg;
	if (nparams < 0 || nparams > DB_MAX_PARAMS) {
		snprintf(msg, sizeof msg, "too many query parameters (%d; at "
			 "most %d)", nparams, DB_MAX_PARAMS);
		db_post_result(db, q, DB_SQL_ERROR, NULL, "54023", msg);
		return;
	}
	if (db->stopping || db->state != DB_CONNECTED) {
		snprintf(msg, sizeof msg, "not sent: %s", db->stopping ?
			 "the connection was closed" : *db->error ? db->error :
			 "not connected to the server");
		db_post_result(db, q, DB_NOT_SENT, NULL, "", msg);
		return;
	}
	q->sql = db_strdup(sql);
	q->nparams = nparams;
	if (nparams) {
		q->params = db_alloc(sizeof *q->params * (size_t)nparams);
		for (i = 0; i < nparams; i++)
			q->params[i] = params[i] ? db_strdup(params[i]) : NULL;
	}
	db_enqueue(db, q);
	db_send_next(db);
	db_update_watch(db);
}

void db_stop(struct db *db)
{
	struct db_query *head;
	bool inflight;
	PGresult *last;

	if (!db || db->stopping)
		return;
	head = db->qhead;
	inflight = db->inflight;
	last = db->last;
	db->qhead = db->qtail = NULL;
	db->last = NULL;
	db->stopping = true;
	db->state = DB_STOPPED;
	db_teardown(db);
	db_fail_queries(db, head, inflight, last, "the connection was closed");
	uv_close((uv_handle_t *)&db->timer, db_on_timer_closed);
	uv_close((uv_handle_t *)&db->kick, db_on_kick_closed);
}

enum db_state db_get_state(const struct db *db)
{
	return db->state;
}

const char *db_last_error(const struct db *db)
{
	return db->error;
}

unsigned db_retry_in_ms(const struct db *db)
{
	if (db->state != DB_RETRY_WAIT)
		return 0;
	return (unsigned)uv_timer_get_due_in(&db->timer);
}

int db_backend_pid(const struct db *db)
{
	if (!db->conn || db->link == DB_LINK_STARTING)
		return 0;
	return PQbackendPID(db->conn);
}

unsigned db_connect_count(const struct db *db)
{
	return db->connects;
}
