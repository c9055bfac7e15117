/* relay_client: the Unix socket, attachments and their output buffers.
 *
 * A client's first line is "attach TICKET" (or "status"); the ticket is
 * redeemed in the database, which is the only authentication. Frames are
 * appended to the client's buffer during a loop turn and written once at
 * its end; a client whose backlog passes RELAY_CLIENT_MAX_BYTES loses it and
 * is sent "gap" instead, so a slow reader costs bounded memory. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balie/db.h"
#include "balie/relay.h"
#include "balie/util.h"

#define client_of(h) ((struct relay_client *)(void *)(h))

struct write_req {
	uv_write_t req;
	struct relay_client *client;
	char *data;
	size_t len;
};

static const char *const kind_names[] = { "agent", "supervisor", "bot" };

static void client_unref(struct relay_client *c)
{
	int i;

	if (--c->refs > 0)
		return;
	for (i = 0; i < c->nqueues; i++)
		free(c->queues[i]);
	free(c->queues);
	free(c->login);
	free(c->ticket);
	relay_buf_free(&c->out);
	free(c);
}

static void client_closed(uv_handle_t *h)
{
	client_unref(client_of(h));
}

static void presence_changed(struct relay *r, const char *login);

static void client_close(struct relay_client *c)
{
	struct relay *r = c->relay;

	if (c->closing)
		return;
	c->closing = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		r->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	r->nclients--;
	if (c->waiting_db) {
		c->waiting_db = false;
		free(c->ticket);
		c->ticket = NULL;
		client_unref(c);	/* the redeem that will not be sent */
	}
	if (c->attached) {
		c->attached = false;
		r->st.detaches++;
		fprintf(stderr, "balie relay: detach %s (%s)\n", c->login, kind_names[c->kind]);
		presence_changed(r, c->login);
	}
	uv_close((uv_handle_t *)&c->pipe, client_closed);
}

static void on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct relay_client *c = w->client;

	c->inflight -= w->len;
	free(w->data);
	free(w);
	if (status < 0 && !c->closing)
		client_close(c);
	else if (c->status_only && c->inflight == 0 && c->out.len == 0 && !c->closing)
		client_close(c);
	client_unref(c);
}

void relay_client_send(struct relay_client *c, const char *bytes, size_t n)
{
	struct relay *r = c->relay;

	if (c->closing || r->stopping)
		return;
	if (c->out.len + c->inflight + n > RELAY_CLIENT_MAX_BYTES) {
		/* Too far behind: drop the backlog, the client re-reads. */
		c->out.len = 0;
		c->overflows++;
		r->st.overflows++;
		r->st.gaps++;
		relay_buf_add(&c->out, "gap\n", 4);
		c->gap_queued = true;
		fprintf(stderr, "balie relay: %s fell %zu bytes behind: sent gap\n",
			c->login ? c->login : "?", c->inflight);
		if (c->inflight > RELAY_CLIENT_MAX_BYTES)
			return;
	}
	relay_buf_add(&c->out, bytes, n);
	if (!c->pending) {
		c->pending = true;
		c->refs++;		/* the pending list holds it until flushed */
		c->next_pending = r->pending;
		r->pending = c;
	}
}

void relay_client_frame(struct relay_client *c, const char *const *fields, int n)
{
	struct relay_buf b;

	relay_buf_init(&b);
	relay_line(&b, fields, n);
	relay_client_send(c, b.data, b.len);
	relay_buf_free(&b);
}

static void client_flush(struct relay_client *c)
{
	struct write_req *w;
	uv_buf_t buf;

	if (c->closing || c->out.len == 0)
		return;
	w = xcalloc(1, sizeof *w);
	w->client = c;
	w->data = relay_buf_take(&c->out, &w->len);
	c->gap_queued = false;
	buf = uv_buf_init(w->data, (unsigned)w->len);
	c->inflight += w->len;
	c->refs++;
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &buf, 1, on_written) < 0) {
		c->inflight -= w->len;
		free(w->data);
		free(w);
		c->refs--;
		client_close(c);
	}
}

void relay_flush_clients(struct relay *r)
{
	while (r->pending) {
		struct relay_client *c = r->pending;

		r->pending = c->next_pending;
		c->pending = false;
		c->next_pending = NULL;
		client_flush(c);
		client_unref(c);
	}
}

bool relay_client_sees(const struct relay_client *c, const char *queue, const char *agent)
{
	int i;

	if (c->all_queues)
		return true;
	if (c->kind == RELAY_AGENT && agent && c->login && strcmp(agent, c->login) == 0)
		return true;
	if (!queue)
		return false;
	for (i = 0; i < c->nqueues; i++)
		if (strcmp(c->queues[i], queue) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------ presence */

static int attach_count(struct relay *r, const char *login)
{
	struct relay_client *c;
	int n = 0;

	for (c = r->clients; c; c = c->next)
		if (c->attached && strcmp(c->login, login) == 0)
			n++;
	return n;
}

static void send_presence(struct relay *r, struct relay_client *to, const char *login)
{
	char n[16];
	const char *f[RELAY_PRESENCE_FIELDS] = { "presence", login, n };

	snprintf(n, sizeof n, "%d", attach_count(r, login));
	relay_client_frame(to, f, RELAY_PRESENCE_FIELDS);
}

static void presence_changed(struct relay *r, const char *login)
{
	struct relay_client *c;

	for (c = r->clients; c; c = c->next)
		if (c->attached && c->kind == RELAY_SUPERVISOR)
			send_presence(r, c, login);
}

/* A supervisor learns every login attached when it attaches. */
static void presence_all(struct relay *r, struct relay_client *to)
{
	struct relay_client *c, *d;

	for (c = r->clients; c; c = c->next) {
		if (!c->attached)
			continue;
		for (d = r->clients; d != c; d = d->next)
			if (d->attached && strcmp(d->login, c->login) == 0)
				break;
		if (d == c)
			send_presence(r, to, c->login);
	}
}

/* -------------------------------------------------------------- rights */

static void set_queues(struct relay_client *c, const char *list)
{
	const char *p = list;

	while (p && *p) {
		size_t n = strcspn(p, ",");

		c->queues = xrealloc(c->queues, (size_t)(c->nqueues + 1) * sizeof *c->queues);
		c->queues[c->nqueues++] = xstrndup(p, n);
		p += n;
		if (*p == ',')
			p++;
	}
}

static void send_gap(struct relay_client *c)
{
	/* One gap not yet written covers every later one: the re-read it
	 * starts happens after all of them. */
	if (c->gap_queued)
		return;
	c->gap_queued = true;
	relay_client_send(c, "gap\n", 4);
	c->relay->st.gaps++;
}

static bool is_login(const struct relay_client *c, const char *login, bool bots)
{
	return c->attached && strcmp(c->login, login) == 0 && (c->kind == RELAY_BOT) == bots;
}

void relay_rights_queue(struct relay *r, const char *login, const char *queue, bool add, bool bots)
{
	struct relay_client *c;
	int i;

	for (c = r->clients; c; c = c->next) {
		if (!is_login(c, login, bots))
			continue;
		for (i = 0; i < c->nqueues && strcmp(c->queues[i], queue) != 0; i++)
			;
		if (add && i == c->nqueues) {
			c->queues = xrealloc(c->queues, (size_t)(c->nqueues + 1) * sizeof *c->queues);
			c->queues[c->nqueues++] = xstrdup(queue);
		} else if (!add && i < c->nqueues) {
			free(c->queues[i]);
			c->queues[i] = c->queues[--c->nqueues];
		} else {
			continue;
		}
		if (!c->all_queues)
			send_gap(c);
	}
}

void relay_rights_supervisor(struct relay *r, const char *login, bool supervisor)
{
	struct relay_client *c;

	for (c = r->clients; c; c = c->next) {
		if (!is_login(c, login, false) || (c->kind == RELAY_SUPERVISOR) == supervisor)
			continue;
		c->kind = supervisor ? RELAY_SUPERVISOR : RELAY_AGENT;
		c->all_queues = supervisor;
		fprintf(stderr, "balie relay: %s is now %s\n", login, kind_names[c->kind]);
		send_gap(c);
	}
}

void relay_disconnect_login(struct relay *r, const char *login, bool bots, const char *reason)
{
	struct relay_client *c, *next;

	for (c = r->clients; c; c = next) {
		const char *f[2] = { "no", reason };

		next = c->next;
		if (!is_login(c, login, bots))
			continue;
		c->out.len = 0;		/* nothing more of what it may no longer see */
		relay_client_frame(c, f, 2);
		c->status_only = true;	/* close once written */
		c->attached = false;
		r->st.detaches++;
		fprintf(stderr, "balie relay: detach %s: %s\n", login, reason);
	}
	presence_changed(r, login);
}

void relay_rights_reset(struct relay *r, const char *login, bool bots)
{
	relay_disconnect_login(r, login, bots, "rights changed: attach again");
}

void relay_gap_all(struct relay *r)
{
	struct relay_client *c;

	for (c = r->clients; c; c = c->next)
		if (c->attached)
			send_gap(c);
}

/* -------------------------------------------------------------- attach */

static void on_redeemed(const struct db_result *res, void *arg);

static void redeem(struct relay_client *c)
{
	const char *params[1] = { c->ticket };

	db_query(c->relay->db, "SELECT login, kind, array_to_string(queues, ',')"
		 " FROM balie.relay_redeem($1)", 1, params, on_redeemed, c);
}

void relay_redeem_waiting(struct relay *r)
{
	struct relay_client *c;

	for (c = r->clients; c; c = c->next) {
		if (c->waiting_db && !c->closing) {
			c->waiting_db = false;
			redeem(c);
		}
	}
}

static void on_redeemed(const struct db_result *res, void *arg)
{
	struct relay_client *c = arg;
	struct relay *r = c->relay;

	if (res->outcome == DB_NOT_SENT && !c->closing && !r->stopping) {
		c->waiting_db = true;	/* the database went away meanwhile */
		return;
	}
	c->redeeming = false;
	free(c->ticket);
	c->ticket = NULL;
	if (c->closing || r->stopping) {
		client_unref(c);
		return;
	}
	if (res->outcome != DB_OK || PQntuples(res->res) != 1) {
		const char *f[2] = { "no", res->outcome == DB_OK ? "unknown ticket" : res->message };

		fprintf(stderr, "balie relay: attach refused: %s\n", f[1]);
		relay_client_frame(c, f, 2);
		c->status_only = true;
	} else {
		const char *kind = PQgetvalue(res->res, 0, 1);
		const char *f[3] = { "ok", PQgetvalue(res->res, 0, 0), kind };

		c->login = xstrdup(f[1]);
		c->kind = strcmp(kind, "supervisor") == 0 ? RELAY_SUPERVISOR :
			  strcmp(kind, "bot") == 0 ? RELAY_BOT : RELAY_AGENT;
		c->all_queues = c->kind == RELAY_SUPERVISOR || PQgetisnull(res->res, 0, 2);
		set_queues(c, PQgetvalue(res->res, 0, 2));
		c->attached = true;
		r->st.attaches++;
		fprintf(stderr, "balie relay: attach %s (%s), %d clients\n", c->login, kind,
			r->nclients);
		relay_client_frame(c, f, 3);
		presence_changed(r, c->login);
		if (c->kind == RELAY_SUPERVISOR)
			presence_all(r, c);
	}
	relay_flush_clients(r);
	client_unref(c);
}

static void client_line(struct relay_client *c, char *line)
{
	struct relay *r = c->relay;
	char *f[3];
	int n = relay_split(line, f, 3);

	if (n == 1 && f[0] && strcmp(f[0], "ping") == 0 && c->attached) {
		relay_route_flush(r);	/* rows decoded before the ping go first */
		relay_client_send(c, "ping\n", 5);
	} else if (n == 1 && f[0] && strcmp(f[0], "status") == 0 && !c->attached && !c->redeeming) {
		char s[400];

		relay_status_line(r, s, sizeof s);
		relay_client_send(c, s, strlen(s));
		relay_client_send(c, "\n", 1);
		c->status_only = true;
	} else if (n == 2 && f[0] && f[1] && strcmp(f[0], "attach") == 0 && !c->attached &&
		   !c->redeeming && !c->status_only) {
		c->ticket = xstrdup(f[1]);
		c->redeeming = true;
		c->refs++;		/* until on_redeemed */
		if (db_get_state(r->db) == DB_CONNECTED)
			redeem(c);
		else
			c->waiting_db = true;	/* redeemed once the database is back */
	} else {
		const char *no[2] = { "no", "expected: attach TICKET" };

		relay_client_frame(c, no, 2);
		c->status_only = true;
		c->attached = false;
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct relay_client *c = client_of(h);

	(void)suggested;
	*buf = uv_buf_init(c->in + c->inlen, (unsigned)(sizeof c->in - c->inlen));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct relay_client *c = client_of(s);
	char *nl;

	(void)buf;
	if (n < 0) {
		client_close(c);
		return;
	}
	c->inlen += (size_t)n;
	while (!c->closing && (nl = memchr(c->in, '\n', c->inlen))) {
		size_t used = (size_t)(nl - c->in) + 1;

		*nl = '\0';
		if (!c->status_only)
			client_line(c, c->in);
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
	}
	if (c->inlen == sizeof c->in)
		client_close(c);	/* a line that long is no client of ours */
	relay_flush_clients(c->relay);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct relay *r = server->data;
	struct relay_client *c;

	if (status < 0)
		return;
	c = xcalloc(1, sizeof *c);
	c->relay = r;
	c->refs = 1;
	uv_pipe_init(r->loop, &c->pipe, 0);
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
		uv_close((uv_handle_t *)&c->pipe, client_closed);
		return;
	}
	c->next = r->clients;
	if (r->clients)
		r->clients->prev = c;
	r->clients = c;
	r->nclients++;
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

int relay_listen(struct relay *r)
{
	int rc;

	/* A socket file left by a relay that died is in the way; a live relay
	 * on the same path would also be replaced, so the unit runs one. */
	unlink(r->socket_path);
	uv_pipe_init(r->loop, &r->server, 0);
	r->server.data = r;
	rc = uv_pipe_bind(&r->server, r->socket_path);
	if (rc == 0)
		rc = uv_pipe_chmod(&r->server, UV_READABLE | UV_WRITABLE);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&r->server, 511, on_connection);
	if (rc < 0) {
		fprintf(stderr, "balie relay: cannot listen on %s: %s\n", r->socket_path,
			uv_strerror(rc));
		return -1;
	}
	return 0;
}

void relay_close_all(struct relay *r)
{
	while (r->clients)
		client_close(r->clients);
	/* Nothing more is written: the pending list lets go of its clients. */
	while (r->pending) {
		struct relay_client *c = r->pending;

		r->pending = c->next_pending;
		c->pending = false;
		client_unref(c);
	}
	uv_close((uv_handle_t *)&r->server, NULL);
	unlink(r->socket_path);
}
