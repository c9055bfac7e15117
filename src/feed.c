/* feed: the relay client (ticket, attach, frames, backoff); see feed.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balie/feed.h"
#include "balie/relay_proto.h"
#include "balie/store_relay.h"
#include "balie/util.h"

#define RETRY_MIN_MS 250
#define RETRY_MAX_MS 5000
#define MAX_FIELDS 32

enum feed_state {
	FEED_IDLE,		/* the database is down: no ticket to be had */
	FEED_TICKET,		/* asking the database for a ticket */
	FEED_CONNECTING,	/* connecting to the socket */
	FEED_HELLO,		/* attach sent, waiting for ok/no */
	FEED_ATTACHED,
	FEED_WAIT,		/* waiting before the next attempt */
};

/* One socket connection; a new one per attempt, since closing is not
 * immediate. */
struct fconn {
	uv_pipe_t pipe;
	uv_connect_t req;
	uv_write_t wreq;
	char *hello;
	struct feed *f;		/* NULL once abandoned */
};

struct feed {
	uv_loop_t *loop;
	char *path;
	struct db *db;
	struct feed_events ev;
	enum feed_state state;
	bool db_up;
	bool stopping;
	unsigned retry_min, retry_max, attempt, retry_ms;
	uv_timer_t timer;
	struct fconn *conn;
	char *buf;		/* bytes of an unfinished line */
	size_t len, cap;
	bool discarding;	/* inside a line longer than FEED_MAX_LINE */
	unsigned tickets_out;	/* ticket queries not yet answered */
	bool timer_closed;
	struct feed_stats stats;
};

static void attempt(struct feed *f);

static void maybe_free(struct feed *f)
{
	if (!f->stopping || f->tickets_out || !f->timer_closed)
		return;
	free(f->buf);
	free(f->path);
	free(f);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct fconn *c = h->data;

	free(c->hello);
	free(c);
}

static void drop_conn(struct feed *f)
{
	if (!f->conn)
		return;
	f->conn->f = NULL;
	uv_close((uv_handle_t *)&f->conn->pipe, on_conn_closed);
	f->conn = NULL;
	f->len = 0;
	f->discarding = false;
}

static void on_retry(uv_timer_t *t)
{
	struct feed *f = t->data;

	if (f->state == FEED_WAIT)
		attempt(f);
}

/* Lost or refused: say so, and try again later (sooner the first time). */
static void detach(struct feed *f, const char *reason)
{
	char line[300];

	drop_conn(f);
	f->retry_ms = f->retry_min;
	for (unsigned i = 0; i < f->attempt && f->retry_ms < f->retry_max; i++)
		f->retry_ms *= 2;
	if (f->retry_ms > f->retry_max)
		f->retry_ms = f->retry_max;
	/* Jitter (half to all of it): a restarted relay is not met by every
	 * console at once, each re-reading everything. */
	f->retry_ms = f->retry_ms / 2 + (unsigned)(uv_hrtime() % (f->retry_ms / 2 + 1));
	f->attempt++;
	f->state = f->db_up ? FEED_WAIT : FEED_IDLE;
	if (f->state == FEED_WAIT)
		uv_timer_start(&f->timer, on_retry, f->retry_ms, 0);
	snprintf(line, sizeof line, "waiting for the relay: %s", reason);
	if (f->ev.detached)
		f->ev.detached(f, line, f->retry_ms, f->ev.user);
}

static int64_t server_now(void)
{
	return (int64_t)time(NULL);
}

static void frame(struct feed *f, char *line)
{
	char *fl[MAX_FIELDS];
	int got = relay_split(line, fl, MAX_FIELDS);
	size_t n = got > 0 ? (size_t)got : 0;
	const char *tag = n > 0 && fl[0] ? fl[0] : "";

	f->stats.frames++;
	if (got < 0 && f->state == FEED_ATTACHED)
		goto bad;
	if (f->state == FEED_HELLO) {
		if (strcmp(tag, "ok") == 0) {
			f->state = FEED_ATTACHED;
			f->attempt = 0;
			f->stats.attaches++;
			if (f->ev.attached)
				f->ev.attached(f, n > 1 && fl[1] ? fl[1] : "",
					       n > 2 && fl[2] ? fl[2] : "", f->ev.user);
		} else {
			char why[200];

			snprintf(why, sizeof why, "refused (%s)",
				 strcmp(tag, "no") == 0 && n > 1 && fl[1] ? fl[1] : "unexpected answer");
			detach(f, why);
		}
		return;
	}
	if (strcmp(tag, "conv") == 0) {
		struct model_conv *c = feed_parse_conv(fl + 1, n - 1, server_now());

		if (!c)
			goto bad;
		f->stats.convs++;
		if (f->ev.conv)
			f->ev.conv(f, c, f->ev.user);
		else
			model_conv_free(c);
	} else if (strcmp(tag, "msg") == 0) {
		struct model_msg m;
		int64_t conv;
		bool complete;

		if (feed_parse_msg(fl + 1, n - 1, &conv, &m, &complete) != 0)
			goto bad;
		f->stats.msgs++;
		if (f->ev.msg)
			f->ev.msg(f, conv, &m, complete, f->ev.user);
		else
			model_msg_clear(&m);
	} else if (strcmp(tag, "hint") == 0) {
		if (n < 2 || !fl[1])
			goto bad;
		f->stats.hints++;
		if (f->ev.hint)
			f->ev.hint(f, strtoll(fl[1], NULL, 10),
				   n > 2 && fl[2] ? strtoll(fl[2], NULL, 10) : 0, f->ev.user);
	} else if (strcmp(tag, "gap") == 0) {
		f->stats.gaps++;
		if (f->ev.gap)
			f->ev.gap(f, f->ev.user);
	} else if (strcmp(tag, "gone") == 0) {
		if (n < 2 || !fl[1])
			goto bad;
		if (f->ev.gone)
			f->ev.gone(f, strtoll(fl[1], NULL, 10), f->ev.user);
	} else if (strcmp(tag, "queue") == 0) {
		struct model_queue q = { 0 };

		if (feed_parse_queue(fl + 1, n - 1, &q) != 0)
			goto bad;
		if (f->ev.queue)
			f->ev.queue(f, &q, f->ev.user);
	} else if (strcmp(tag, "agent") == 0) {
		struct model_agent a = { 0 };

		if (feed_parse_agent(fl + 1, n - 1, &a) != 0)
			goto bad;
		if (f->ev.agent)
			f->ev.agent(f, &a, f->ev.user);
	}
	/* ping, presence and frames of later versions: nothing to do. */
	return;
bad:
	/* A frame we cannot read may have carried a change: re-read. */
	f->stats.bad_frames++;
	if (f->ev.gap)
		f->ev.gap(f, f->ev.user);
}

/* Splits what arrived into lines; a partial line waits for the rest, a line
 * beyond FEED_MAX_LINE is skipped (and read as a gap). */
static void take(struct feed *f, const char *data, size_t n)
{
	while (n > 0 && f->conn) {
		const char *nl = memchr(data, '\n', n);
		size_t part = nl ? (size_t)(nl - data) : n;

		if (f->discarding) {
			if (nl)
				f->discarding = false;
		} else if (f->len + part > FEED_MAX_LINE) {
			f->len = 0;
			f->discarding = !nl;
			f->stats.bad_frames++;
			if (f->ev.gap)
				f->ev.gap(f, f->ev.user);
		} else {
			if (f->len + part + 1 > f->cap) {
				f->cap = (f->len + part + 1) * 2;
				f->buf = xrealloc(f->buf, f->cap);
			}
			memcpy(f->buf + f->len, data, part);
			f->len += part;
			if (nl) {
				f->buf[f->len] = '\0';
				f->len = 0;
				frame(f, f->buf);
			}
		}
		if (!nl)
			break;
		data = nl + 1;
		n -= part + 1;
	}
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	b->base = xmalloc(65536);
	b->len = 65536;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct fconn *c = s->data;
	struct feed *f = c->f;

	if (f && nread > 0) {
		take(f, b->base, (size_t)nread);
		if (f->conn == c && f->ev.batch_end)
			f->ev.batch_end(f, f->ev.user);
	} else if (f && nread < 0) {
		detach(f, nread == UV_EOF ? "the relay closed the connection" : uv_strerror((int)nread));
	}
	free(b->base);
}

static void on_written(uv_write_t *w, int status)
{
	struct fconn *c = w->data;

	if (status < 0 && c->f)
		detach(c->f, uv_strerror(status));
}

static void on_connected(uv_connect_t *req, int status)
{
	struct fconn *c = req->data;
	struct feed *f = c->f;
	uv_buf_t b;

	if (!f)
		return;
	if (status < 0) {
		detach(f, uv_strerror(status));
		return;
	}
	f->state = FEED_HELLO;
	b = uv_buf_init(c->hello, (unsigned)strlen(c->hello));
	c->wreq.data = c;
	uv_write(&c->wreq, (uv_stream_t *)&c->pipe, &b, 1, on_written);
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

static void on_ticket(const struct store_status *st, const char *ticket, void *arg)
{
	struct feed *f = arg;
	struct fconn *c;
	char why[300], buf[256];

	f->tickets_out--;
	if (f->stopping) {
		maybe_free(f);
		return;
	}
	if (st->outcome != STORE_OK) {
		if (st->outcome == STORE_SQL_ERROR) {
			snprintf(why, sizeof why, "no ticket: %s", store_explain(st, buf, sizeof buf));
			detach(f, why);
		} else {
			f->state = FEED_IDLE;	/* the database is gone: wait for it */
		}
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->f = f;
	c->hello = xmalloc(strlen(ticket) + 16);
	sprintf(c->hello, "attach\t%s\n", ticket);	/* a ticket has no TAB or newline */
	uv_pipe_init(f->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->req.data = c;
	f->conn = c;
	f->state = FEED_CONNECTING;
	uv_pipe_connect(&c->req, &c->pipe, f->path, on_connected);
}

static void attempt(struct feed *f)
{
	if (!f->db_up || f->stopping) {
		f->state = FEED_IDLE;
		return;
	}
	f->state = FEED_TICKET;
	f->tickets_out++;
	store_relay_ticket(f->db, on_ticket, f);
}

struct feed *feed_new(uv_loop_t *loop, const char *path, struct db *db,
		      unsigned retry_min_ms, unsigned retry_max_ms,
		      const struct feed_events *ev)
{
	struct feed *f = xcalloc(1, sizeof *f);

	f->loop = loop;
	f->path = xstrdup(path);
	f->db = db;
	f->ev = *ev;
	f->retry_min = retry_min_ms ? retry_min_ms : RETRY_MIN_MS;
	f->retry_max = retry_max_ms ? retry_max_ms : RETRY_MAX_MS;
	uv_timer_init(loop, &f->timer);
	f->timer.data = f;
	return f;
}

void feed_db_up(struct feed *f)
{
	f->db_up = true;
	if (f->state == FEED_IDLE)
		attempt(f);
}

void feed_db_down(struct feed *f)
{
	f->db_up = false;
	/* An attached socket stays: its frames still apply. */
	if (f->state == FEED_WAIT) {
		uv_timer_stop(&f->timer);
		f->state = FEED_IDLE;
	}
}

static void on_timer_closed(uv_handle_t *h)
{
	struct feed *f = h->data;

	f->timer_closed = true;
	maybe_free(f);
}

void feed_stop(struct feed *f)
{
	if (f->stopping)
		return;
	f->stopping = true;
	drop_conn(f);
	uv_close((uv_handle_t *)&f->timer, on_timer_closed);
}

bool feed_attached(const struct feed *f)
{
	return f->state == FEED_ATTACHED;
}

unsigned feed_retry_in_ms(const struct feed *f)
{
	return f->state == FEED_WAIT ? (unsigned)uv_timer_get_due_in(&f->timer) : 0;
}

const char *feed_path(const struct feed *f)
{
	return f->path;
}

const struct feed_stats *feed_stats(const struct feed *f)
{
	return &f->stats;
}
