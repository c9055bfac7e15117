/* db_io: the server socket (one poll handle per socket number, libuv#2686),
 * sending queries one at a time (prepared from their second use), and
 * turning results and notifications into events. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balie/util.h"
#include "db_priv.h"

static void db_finish_inflight(struct db *db);
static void db_on_poll(uv_poll_t *handle, int status, int events);

/* Starts (or changes) watching W; a socket libuv cannot watch loses the
 * connection, which is then retried like any other loss. */
static void db_poll_start(struct db *db, struct db_watch *w)
{
	int err = uv_poll_start(&w->poll, w->events, db_on_poll);
	char line[160];

	if (err) {
		snprintf(line, sizeof line, "cannot watch the server socket: %s",
			 uv_strerror(err));
		db_lose(db, line);
	}
}

static void db_watch_open(struct db *db)
{
	struct db_watch *w = xcalloc(1, sizeof *w);
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
	db_poll_start(db, w);
}

static void db_on_watch_closed(uv_handle_t *handle)
{
	struct db_watch *w = container_of(handle, struct db_watch, poll);
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

void db_watch_close(struct db *db)
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
void db_watch(struct db *db, int fd, int events, bool force)
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
		db_poll_start(db, w);
	}
}

void db_enqueue(struct db *db, struct db_query *q)
{
	if (db->qtail)
		db->qtail->next = q;
	else
		db->qhead = q;
	db->qtail = q;
}

void db_enqueue_listen(struct db *db, const char *channel)
{
	struct db_query *q = xcalloc(1, sizeof *q);

	q->channel = xstrdup(channel);
	db_enqueue(db, q);
}

/* Keeps the socket watched for reading, and for writing while output waits. */
void db_update_watch(struct db *db)
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
	db->stmts[db->nstmts].sql = xstrdup(sql);
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

void db_send_next(struct db *db)
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
		sql = xcalloc(1, strlen(quoted) + 8);
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
		e = xcalloc(1, sizeof *e);
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
	struct db_watch *w = container_of(handle, struct db_watch, poll);
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
