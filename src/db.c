/* db: one PostgreSQL connection driven entirely by a libuv loop; see db.h.
 * This file: the API and the one FIFO of events (state changes, query
 * results, notifications) that is drained only from libuv callbacks, so the
 * application is never re-entered from a db_* call. Connecting is in
 * db_conn.c, the socket and the queries in db_io.c. */
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

static void db_on_kick(uv_timer_t *timer);

void db_set_error(struct db *db, const char *line)
{
	snprintf(db->error, sizeof db->error, "%s", line);
}

/* Queues an event; outside our own callbacks a zero timer delivers it. */
void db_post(struct db *db, struct db_event *e)
{
	if (db->etail)
		db->etail->next = e;
	else
		db->ehead = e;
	db->etail = e;
	if (!db->depth && !db->stopping)
		util_uv_check(uv_timer_start(&db->kick, db_on_kick, 0, 0), "db event timer");
}

void db_post_state(struct db *db, enum db_state st, const char *reason,
			  unsigned retry_in_ms)
{
	struct db_event *e = xcalloc(1, sizeof *e);

	db->state = st;
	e->kind = DB_EV_STATE;
	e->state = st;
	e->retry_in_ms = retry_in_ms;
	e->text = xstrdup(reason ? reason : "");
	db_post(db, e);
}

void db_query_free(struct db_query *q)
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
void db_post_result(struct db *db, struct db_query *q,
			   enum db_outcome outcome, PGresult *res,
			   const char *sqlstate, const char *message)
{
	struct db_event *e;

	if (q->channel) {
		PQclear(res);
		db_query_free(q);
		return;
	}
	e = xcalloc(1, sizeof *e);
	e->kind = DB_EV_RESULT;
	e->cb = q->cb;
	e->arg = q->arg;
	e->outcome = outcome;
	e->res = res;
	snprintf(e->sqlstate, sizeof e->sqlstate, "%s", sqlstate ? sqlstate : "");
	e->text = xstrdup(message ? message : "");
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
void db_flush(struct db *db)
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
void db_release(struct db *db)
{
	db->open_handles--;
	if (db->stopping && db->open_handles == 0)
		db_finalize(db);
}

static void db_on_kick(uv_timer_t *timer)
{
	struct db *db = container_of(timer, struct db, kick);

	db->depth++;
	db_flush(db);
	db->depth--;
}

static void db_on_timer_closed(uv_handle_t *handle)
{
	db_release(container_of(handle, struct db, timer));
}

static void db_on_kick_closed(uv_handle_t *handle)
{
	db_release(container_of(handle, struct db, kick));
}

struct db *db_new(uv_loop_t *loop, const char *conninfo,
		  const struct db_options *opt, const struct db_events *ev)
{
	struct db *db = xcalloc(1, sizeof *db);

	db->loop = loop;
	db->conninfo = conninfo && *conninfo ? xstrdup(conninfo) : NULL;
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
	util_uv_check(uv_timer_init(loop, &db->timer), "db timer");
	util_uv_check(uv_timer_init(loop, &db->kick), "db event timer");
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
	c = xcalloc(1, sizeof *c + n);
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
	struct db_query *q = xcalloc(1, sizeof *q);
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
	q->sql = xstrdup(sql);
	q->nparams = nparams;
	if (nparams) {
		q->params = xcalloc(1, sizeof *q->params * (size_t)nparams);
		for (i = 0; i < nparams; i++)
			q->params[i] = params[i] ? xstrdup(params[i]) : NULL;
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
