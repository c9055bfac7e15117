/* db_conn: connecting, losing a connection, and backing off before the
 * next attempt.
 *
 * Nothing here blocks the loop thread, with one exception that libpq gives us
 * no way around: PQconnectStartParams/PQconnectPoll resolve a host name with
 * getaddrinfo(), which blocks while DNS answers. Give `hostaddr=` (a numeric
 * address, with `host=` kept for TLS and .pgpass) or a Unix socket directory
 * to avoid it. PQexec, PQconnectdb, PQreset and PQcancel all block, so none of
 * them is used; libpq's connect_timeout is only enforced by the blocking
 * calls, so this module runs its own timer for it. */
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

static void db_on_timer(uv_timer_t *timer);

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
			 end ? (int)(end - sock - 9) : 0, sock + 10);
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

/* Drops the PGconn and its poll handle; queries are the caller's business. */
void db_teardown(struct db *db)
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

/* Arms the connect/backoff timer from now: the loop's cached time is stale
 * when we run outside a loop iteration or after a slow DNS lookup. */
static void db_arm_timer(struct db *db, uint64_t ms)
{
	uv_update_time(db->loop);
	util_uv_check(uv_timer_start(&db->timer, db_on_timer, ms, 0), "db timer");
}

static void db_schedule_retry(struct db *db, const char *reason)
{
	unsigned delay = db_backoff(db);

	db_post_state(db, DB_RETRY_WAIT, reason, delay);
	db_arm_timer(db, delay);
}

/* Moves every pending query into its failure event: the one in flight is
 * DB_LOST (the server may have run it), the rest DB_NOT_SENT. */
void db_fail_queries(struct db *db, struct db_query *head, bool inflight,
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
void db_lose(struct db *db, const char *why)
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
		db->farewell = xstrdup(msg ? msg : PQresultErrorMessage(res));
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
int db_attempt(struct db *db, bool at_start)
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

void db_link_ready(struct db *db)
{
	uv_timer_stop(&db->timer);
	db->link = DB_LINK_READY;
	db->connects++;
	db->attempt = 0;
	db->error[0] = '\0';
	db_post_state(db, DB_CONNECTED, "", 0);
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
void db_connect_step(struct db *db)
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

/* The connect timeout while connecting, the end of the backoff otherwise. */
static void db_on_timer(uv_timer_t *timer)
{
	struct db *db = container_of(timer, struct db, timer);

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
