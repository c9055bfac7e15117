/* relay_repl: the relay's replication connection, non-blocking on libuv.
 *
 * Connects with replication=database, creates a TEMPORARY logical slot
 * (it vanishes with the session, so a stopped relay never holds WAL), starts
 * pgoutput on publication balie_feed and reads the COPY BOTH stream with
 * PQgetCopyData(async). Standby status updates go back on keepalive requests
 * and every few seconds so the server can recycle WAL. Any loss ends the
 * session; the next one gets a new slot and clients get "gap". */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "balie/relay.h"
#include "balie/util.h"

#define FEEDBACK_MS 5000
#define RETRY_MIN_MS 250
#define RETRY_MAX_MS 4000
/* Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
#define PG_EPOCH_OFFSET_US 946684800000000LL

enum repl_step { STEP_IDLE, STEP_CONNECTING, STEP_SET, STEP_SLOT, STEP_START,
		 STEP_STREAMING, STEP_RETRY };

struct relay_repl {
	struct relay *relay;
	PGconn *conn;
	uv_poll_t *poll;		/* heap: freed in its close callback */
	int poll_fd, poll_events;
	bool poll_closing;
	uv_timer_t retry, feedback;
	enum repl_step step;
	unsigned attempt, sessions;
	char slot[64];
	uint64_t received_lsn;		/* highest WAL end seen */
	bool stopping;
	int closing_handles;
};

static void on_poll(uv_poll_t *h, int status, int events);
static void watch(struct relay_repl *p, int events);
static void session_lost(struct relay_repl *p, const char *why);
static void attempt(struct relay_repl *p);

static void release(struct relay_repl *p)
{
	if (--p->closing_handles == 0)
		free(p);
}

static void poll_closed(uv_handle_t *h)
{
	struct relay_repl *p = h->data;
	int ev = p->poll_events;

	free(h);
	p->poll = NULL;
	p->poll_closing = false;
	p->poll_fd = -1;
	p->poll_events = 0;
	if (p->stopping) {
		release(p);
		return;
	}
	/* A new socket waited for the old handle to go (libuv#2686). */
	if (p->conn && ev)
		watch(p, ev);
}

/* Watches the connection's current socket for EVENTS. */
static void watch(struct relay_repl *p, int events)
{
	int fd = p->conn ? PQsocket(p->conn) : -1;

	if (p->poll_closing) {
		p->poll_events = events;	/* applied in poll_closed */
		return;
	}
	if (p->poll && (fd != p->poll_fd || fd < 0)) {
		p->poll_closing = true;
		p->poll_events = fd < 0 ? 0 : events;
		uv_close((uv_handle_t *)p->poll, poll_closed);
		return;
	}
	if (fd < 0)
		return;
	if (!p->poll) {
		p->poll = xcalloc(1, sizeof *p->poll);
		p->poll->data = p;
		p->poll_fd = fd;
		uv_poll_init(p->relay->loop, p->poll, fd);
		p->poll_events = 0;
	}
	if (events != p->poll_events) {
		p->poll_events = events;
		uv_poll_start(p->poll, events, on_poll);
	}
}

static void unwatch(struct relay_repl *p)
{
	if (p->poll && !p->poll_closing) {
		p->poll_closing = true;
		p->poll_events = 0;
		uv_close((uv_handle_t *)p->poll, poll_closed);
	}
}

static void put64(unsigned char *b, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)(v & 0xff);
}

static uint64_t get64(const unsigned char *b)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Flushes libpq's output, watching for writability while some is left. */
static void flush_out(struct relay_repl *p)
{
	int rc = PQflush(p->conn);

	if (rc < 0) {
		session_lost(p, PQerrorMessage(p->conn));
		return;
	}
	watch(p, UV_READABLE | (rc == 1 ? UV_WRITABLE : 0));
}

/* A standby status update: everything up to the processed position is done. */
static void send_feedback(struct relay_repl *p, bool reply)
{
	unsigned char m[34];
	uint64_t lsn = p->relay->st.processed_lsn;
	uv_timeval64_t tv;
	int64_t now_us;

	if (p->step != STEP_STREAMING)
		return;
	uv_gettimeofday(&tv);
	now_us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec - PG_EPOCH_OFFSET_US;
	m[0] = 'r';
	put64(m + 1, lsn);
	put64(m + 9, lsn);
	put64(m + 17, lsn);
	put64(m + 25, (uint64_t)now_us);
	m[33] = reply ? 1 : 0;
	if (PQputCopyData(p->conn, (const char *)m, sizeof m) != 1) {
		session_lost(p, PQerrorMessage(p->conn));
		return;
	}
	flush_out(p);
}

static void on_feedback(uv_timer_t *t)
{
	send_feedback(t->data, false);
}

/* One CopyData message of the stream: XLogData or a keepalive. */
static int handle_copydata(struct relay_repl *p, const unsigned char *buf, int len)
{
	struct relay *r = p->relay;

	if (len >= 25 && buf[0] == 'w') {
		struct pgo_change ch;
		uint64_t end = get64(buf + 9);
		int rc;

		if (end > p->received_lsn)
			p->received_lsn = end;
		r->st.server_lsn = p->received_lsn;
		rc = pgo_decode(&r->dec, (const char *)buf + 25, (size_t)len - 25, &ch);
		if (rc == 0)
			relay_route_change(r, &ch);
		pgo_change_free(&ch);
		if (rc < 0) {
			session_lost(p, r->dec.error);
			return -1;
		}
		return 0;
	}
	if (len >= 18 && buf[0] == 'k') {
		uint64_t end = get64(buf + 1);

		if (end > p->received_lsn)
			p->received_lsn = end;
		r->st.server_lsn = p->received_lsn;
		/* Between transactions everything sent so far is handled. */
		if (!r->in_xact && r->ndirty == 0 && end > r->st.processed_lsn)
			r->st.processed_lsn = end;
		if (buf[17])
			send_feedback(p, false);
	}
	return 0;
}

static void read_stream(struct relay_repl *p)
{
	char *buf;
	int n;

	if (!PQconsumeInput(p->conn)) {
		session_lost(p, PQerrorMessage(p->conn));
		return;
	}
	while ((n = PQgetCopyData(p->conn, &buf, 1)) > 0) {
		int rc = handle_copydata(p, (const unsigned char *)buf, n);

		PQfreemem(buf);
		if (rc < 0)
			return;
	}
	if (n == 0) {
		flush_out(p);
		return;
	}
	/* -1: the server ended the copy; -2: an error. */
	{
		PGresult *res = PQgetResult(p->conn);
		char why[300];

		snprintf(why, sizeof why, "replication stream ended: %s",
			 res ? PQresultErrorMessage(res) : PQerrorMessage(p->conn));
		PQclear(res);
		session_lost(p, why);
	}
}

/* Sends the setup command of the current step. */
static void send_step(struct relay_repl *p)
{
	char q[300];

	if (p->step == STEP_SET) {
		/* Timestamps as the relay parses them; floats as clients read them. */
		snprintf(q, sizeof q, "SET DateStyle = ISO; SET TimeZone = 'UTC'; "
			 "SET extra_float_digits = 1");
	} else if (p->step == STEP_SLOT) {
		snprintf(p->slot, sizeof p->slot, "balie_relay_%ld_%u",
			 (long)getpid(), p->sessions);
		snprintf(q, sizeof q, "CREATE_REPLICATION_SLOT %s TEMPORARY LOGICAL pgoutput "
			 "NOEXPORT_SNAPSHOT", p->slot);
	} else {
		snprintf(q, sizeof q, "START_REPLICATION SLOT %s LOGICAL 0/0 "
			 "(proto_version '1', publication_names '\"balie_feed\"')", p->slot);
	}
	if (!PQsendQuery(p->conn, q)) {
		session_lost(p, PQerrorMessage(p->conn));
		return;
	}
	flush_out(p);
}

/* Reads the answers to a setup command; moves on when it is done. */
static void read_setup(struct relay_repl *p)
{
	PGresult *res;

	if (!PQconsumeInput(p->conn)) {
		session_lost(p, PQerrorMessage(p->conn));
		return;
	}
	while (!PQisBusy(p->conn) && (res = PQgetResult(p->conn))) {
		ExecStatusType s = PQresultStatus(res);

		if (s == PGRES_COPY_BOTH) {
			PQclear(res);
			p->step = STEP_STREAMING;
			p->attempt = 0;
			uv_timer_start(&p->feedback, on_feedback, FEEDBACK_MS, FEEDBACK_MS);
			fprintf(stderr, "balie relay: streaming from slot %s\n", p->slot);
			relay_stream_started(p->relay);
			read_stream(p);
			return;
		}
		if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
			char why[400];

			snprintf(why, sizeof why, "%s", PQresultErrorMessage(res));
			PQclear(res);
			session_lost(p, why);
			return;
		}
		PQclear(res);
	}
	if (PQisBusy(p->conn))
		return;
	p->step = p->step == STEP_SET ? STEP_SLOT : STEP_START;
	send_step(p);
}

static void connect_poll(struct relay_repl *p)
{
	switch (PQconnectPoll(p->conn)) {
	case PGRES_POLLING_READING:
		watch(p, UV_READABLE);
		break;
	case PGRES_POLLING_WRITING:
		watch(p, UV_WRITABLE);
		break;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(p->conn, 1) != 0) {
			session_lost(p, PQerrorMessage(p->conn));
			return;
		}
		p->step = STEP_SET;
		send_step(p);
		break;
	default:
		session_lost(p, PQerrorMessage(p->conn));
		break;
	}
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct relay_repl *p = h->data;

	if (p->poll != h || !p->conn)
		return;
	if (p->step == STEP_CONNECTING) {
		connect_poll(p);
		return;
	}
	if (events & UV_WRITABLE || status < 0) {
		flush_out(p);
		if (!p->conn)
			return;
	}
	if (p->step == STEP_STREAMING)
		read_stream(p);
	else
		read_setup(p);
}

static void on_retry(uv_timer_t *t)
{
	attempt(t->data);
}

static void session_lost(struct relay_repl *p, const char *why)
{
	unsigned delay = RETRY_MIN_MS << (p->attempt < 5 ? p->attempt : 5);
	char line[400];
	size_t n;

	if (delay > RETRY_MAX_MS)
		delay = RETRY_MAX_MS;
	snprintf(line, sizeof line, "%s", why && *why ? why : "connection lost");
	n = strcspn(line, "\n");
	line[n] = '\0';
	uv_timer_stop(&p->feedback);
	unwatch(p);
	if (p->conn)
		PQfinish(p->conn);
	p->conn = NULL;
	if (p->step == STEP_STREAMING)
		relay_stream_lost(p->relay, line);
	else
		fprintf(stderr, "balie relay: replication connection failed: %s; retrying in %u ms\n",
			line, delay);
	p->step = STEP_RETRY;
	p->attempt++;
	uv_timer_start(&p->retry, on_retry, delay, 0);
}

static void attempt(struct relay_repl *p)
{
	const char *kw[] = { "fallback_application_name", "connect_timeout",
			     "keepalives", "keepalives_idle", NULL, "replication", NULL };
	const char *val[] = { "balie-relay", "10", "1", "10", NULL, "database", NULL };

	if (p->relay->conninfo && *p->relay->conninfo) {
		kw[4] = "dbname";
		val[4] = p->relay->conninfo;
	} else {
		kw[4] = "replication";
		val[4] = "database";
		kw[5] = NULL;
	}
	p->sessions++;
	p->received_lsn = 0;
	p->conn = PQconnectStartParams(kw, val, 1);
	if (!p->conn || PQstatus(p->conn) == CONNECTION_BAD) {
		p->step = STEP_CONNECTING;
		session_lost(p, p->conn ? PQerrorMessage(p->conn) : "out of memory");
		return;
	}
	p->step = STEP_CONNECTING;
	watch(p, UV_WRITABLE);
}

struct relay_repl *relay_repl_new(struct relay *r)
{
	struct relay_repl *p = xcalloc(1, sizeof *p);

	p->relay = r;
	p->poll_fd = -1;
	uv_timer_init(r->loop, &p->retry);
	uv_timer_init(r->loop, &p->feedback);
	p->retry.data = p->feedback.data = p;
	return p;
}

int relay_repl_start(struct relay_repl *p)
{
	attempt(p);
	return 0;
}

static void timer_closed(uv_handle_t *h)
{
	release(h->data);
}

void relay_repl_stop(struct relay_repl *p)
{
	p->stopping = true;
	p->closing_handles = 2 + (p->poll ? 1 : 0);
	if (p->poll && !p->poll_closing)
		uv_close((uv_handle_t *)p->poll, poll_closed);
	if (p->conn)
		PQfinish(p->conn);
	p->conn = NULL;
	uv_close((uv_handle_t *)&p->retry, timer_closed);
	uv_close((uv_handle_t *)&p->feedback, timer_closed);
}
