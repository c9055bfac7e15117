/* relaytest: `balie relay` as a child process and small test clients. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "balie/relay_proto.h"
#include "pgtest.h"
#include "relaytest.h"

#define CONV_COLS \
	"c.id, c.version, c.queue, c.state, c.agent, c.customer_ref, c.customer_name," \
	" c.channel, c.intent, c.confidence, c.escalation_reason, c.bot_summary," \
	" extract(epoch FROM c.created_at)::bigint, extract(epoch FROM c.escalated_at)::bigint," \
	" extract(epoch FROM c.taken_at)::bigint, extract(epoch FROM c.closed_at)::bigint," \
	" c.message_count, lm.author_kind, left(lm.body, 200)"
#define CONV_FROM \
	" FROM balie.conversations c LEFT JOIN LATERAL (SELECT m.author_kind, m.body" \
	" FROM balie.messages m WHERE m.conversation = c.id ORDER BY m.seq DESC LIMIT 1) lm ON true"

/* ---------------------------------------------------------------- model */

static bool has_read_api(PGconn *c)
{
	char *s = pgt_scalar(c, "SELECT pg_catalog.to_regprocedure("
			     "'balie.read_conversations(bigint[], int)') IS NOT NULL"
			     " OR pg_catalog.to_regprocedure('balie.read_conversations(bigint[])') IS NOT NULL");
	bool yes = strcmp(s, "t") == 0;

	free(s);
	return yes;
}

static struct rt_conv *find_conv(struct rt_client *c, long long id)
{
	int i;

	for (i = 0; i < c->nconvs; i++)
		if (c->convs[i].id == id)
			return &c->convs[i];
	return NULL;
}

static void free_conv_fields(struct rt_conv *v)
{
	int i;

	for (i = 0; i < 20; i++)
		free(v->f[i]);
}

static void drop_conv(struct rt_client *c, long long id)
{
	struct rt_conv *v = find_conv(c, id);
	int i;

	if (v) {
		free_conv_fields(v);
		*v = c->convs[--c->nconvs];
	}
	for (i = 0; i < c->nmsgs; ) {
		if (c->msgs[i].conv == id) {
			free(c->msgs[i].line);
			c->msgs[i] = c->msgs[--c->nmsgs];
		} else {
			i++;
		}
	}
}

/* Sets conversation fields (f[1..19], NULL allowed) if VERSION is newer. */
static bool put_conv(struct rt_client *c, char *const *f, bool force)
{
	long long id = atoll(f[1]), version = atoll(f[2]);
	struct rt_conv *v = find_conv(c, id);
	bool isnew = !v;
	int i;

	if (v && v->version >= version && !force)
		return false;
	if (!v) {
		if (c->nconvs == c->capconvs) {
			c->capconvs = c->capconvs ? 2 * c->capconvs : 64;
			c->convs = realloc(c->convs, (size_t)c->capconvs * sizeof *c->convs);
		}
		v = &c->convs[c->nconvs++];
		memset(v, 0, sizeof *v);
	}
	free_conv_fields(v);
	v->id = id;
	v->version = version;
	for (i = 1; i < 20; i++)
		v->f[i] = f[i] ? strdup(f[i]) : NULL;
	return isnew;
}

static char *msg_line(const char *seq, const char *id, const char *kind, const char *author,
		      const char *body, const char *created)
{
	char *s = NULL;

	assert_true(asprintf(&s, "%s|%s|%s|%s|%s|%s", seq, id, kind, author ? author : "\\N",
			     body, created ? created : "\\N") > 0);
	return s;
}

static void put_msg(struct rt_client *c, long long conv, long long seq, char *line)
{
	int i;

	for (i = 0; i < c->nmsgs; i++) {
		if (c->msgs[i].conv == conv && c->msgs[i].seq == seq) {
			free(c->msgs[i].line);
			c->msgs[i].line = line;
			return;
		}
	}
	if (c->nmsgs == c->capmsgs) {
		c->capmsgs = c->capmsgs ? 2 * c->capmsgs : 256;
		c->msgs = realloc(c->msgs, (size_t)c->capmsgs * sizeof *c->msgs);
	}
	c->msgs[c->nmsgs].conv = conv;
	c->msgs[c->nmsgs].seq = seq;
	c->msgs[c->nmsgs].line = line;
	c->nmsgs++;
}

/* The role's conversations: every open one it may see, and IDS in any state. */
static PGresult *read_convs(struct rt_client *c, const char *ids)
{
	if (has_read_api(c->conn))
		return pgt_ok(c->conn, "SELECT * FROM balie.read_conversations(NULL) UNION"
			      " SELECT * FROM balie.read_conversations($1::bigint[])", ids);
	return pgt_ok(c->conn, "SELECT " CONV_COLS CONV_FROM
		      " WHERE c.state <> 'closed' OR c.id = ANY($1::bigint[])", ids);
}

/* The role's messages of CONV: rows of (seq, id, kind, author, body, created). */
static PGresult *read_msgs(struct rt_client *c, long long conv)
{
	char id[24];

	snprintf(id, sizeof id, "%lld", conv);
	if (has_read_api(c->conn))
		return pgt_ok(c->conn, "SELECT r.seq, r.id, r.author_kind, r.author, r.body, r.created_at"
			      " FROM balie.read_messages($1::bigint, 0, 0, 100000) r"
			      " WHERE r.part = 0 ORDER BY r.seq", id);
	return pgt_ok(c->conn, "SELECT seq, id, author_kind, author, body,"
		      " extract(epoch FROM created_at)::bigint FROM balie.messages"
		      " WHERE conversation = $1::bigint ORDER BY seq", id);
}

static const char *val(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static void fetch_msgs(struct rt_client *c, long long conv)
{
	PGresult *res = read_msgs(c, conv);
	int i;

	for (i = 0; i < PQntuples(res); i++)
		put_msg(c, conv, atoll(val(res, i, 0)),
			msg_line(val(res, i, 0), val(res, i, 1), val(res, i, 2), val(res, i, 3),
				 val(res, i, 4), val(res, i, 5)));
	PQclear(res);
}

static char *held_ids(struct rt_client *c)
{
	size_t cap = 16 + (size_t)c->nconvs * 24, len;
	char *s = malloc(cap);
	int i;

	strcpy(s, "{");
	for (i = 0; i < c->nconvs; i++) {
		len = strlen(s);
		snprintf(s + len, cap - len, "%s%lld", i ? "," : "", c->convs[i].id);
	}
	strcat(s, "}");
	return s;
}

/* Replaces the model with the role's reads of CONV (0: everything). */
static void reread(struct rt_client *c, long long only)
{
	char one[32], *ids = NULL;
	PGresult *res;
	int i, j;

	if (only)
		snprintf(one, sizeof one, "{%lld}", only);
	else
		ids = held_ids(c);
	res = only ? pgt_ok(c->conn, has_read_api(c->conn)
			    ? "SELECT * FROM balie.read_conversations($1::bigint[])"
			    : "SELECT " CONV_COLS CONV_FROM " WHERE c.id = ANY($1::bigint[])", one)
		   : read_convs(c, ids);
	free(ids);
	/* Drop what is no longer visible. */
	for (i = 0; i < c->nconvs; ) {
		long long id = c->convs[i].id;
		bool seen = false;

		if (only && id != only) {
			i++;
			continue;
		}
		for (j = 0; j < PQntuples(res) && !seen; j++)
			seen = atoll(PQgetvalue(res, j, 0)) == id;
		if (!seen)
			drop_conv(c, id);
		else
			i++;
	}
	for (j = 0; j < PQntuples(res); j++) {
		char *f[20] = { NULL };

		for (i = 1; i < 20; i++)
			f[i] = (char *)val(res, j, i - 1);
		put_conv(c, f, true);
		fetch_msgs(c, atoll(f[1]));
	}
	PQclear(res);
}

void rt_reread(struct rt_client *c)
{
	reread(c, 0);
}

/* ---------------------------------------------------------------- client */

static bool in_my_queues(const struct rt_client *c, const char *queue)
{
	int i;

	for (i = 0; i < c->nmy_queues; i++)
		if (queue && strcmp(c->my_queues[i], queue) == 0)
			return true;
	return false;
}

static void apply(struct rt_client *c, char *line)
{
	char *f[RELAY_CONV_FIELDS + 1];
	int n = relay_split(line, f, RELAY_CONV_FIELDS + 1);

	assert_true(n >= 1 && f[0] != NULL);
	if (strcmp(f[0], "conv") == 0 && n == RELAY_CONV_FIELDS) {
		c->n_conv++;
		if (c->my_queues && !in_my_queues(c, f[RC_QUEUE]) &&
		    !(f[RC_AGENT] && strcmp(f[RC_AGENT], c->role) == 0)) {
			fprintf(stderr, "%s was sent conv %s of queue %s\n", c->role, f[1], f[RC_QUEUE]);
			c->violations++;
		}
		if (put_conv(c, f, false))
			fetch_msgs(c, atoll(f[1]));
	} else if (strcmp(f[0], "msg") == 0 && n == RELAY_MSG_FIELDS) {
		c->n_msg++;
		if (strcmp(c->role, "botty") == 0 && strcmp(f[RM_AUTHOR_KIND], "note") == 0) {
			fprintf(stderr, "bot was sent a note\n");
			c->violations++;
		}
		put_msg(c, atoll(f[RM_CONV]), atoll(f[RM_SEQ]),
			msg_line(f[RM_SEQ], f[RM_ID], f[RM_AUTHOR_KIND], f[RM_AUTHOR], f[RM_BODY],
				 f[RM_CREATED]));
	} else if (strcmp(f[0], "hint") == 0 && n == RELAY_HINT_FIELDS) {
		c->n_hint++;
		reread(c, atoll(f[1]));
	} else if (strcmp(f[0], "gone") == 0 && n == RELAY_GONE_FIELDS) {
		c->n_gone++;
		drop_conv(c, atoll(f[1]));
	} else if (strcmp(f[0], "gap") == 0) {
		c->n_gap++;
		rt_reread(c);
	} else if (strcmp(f[0], "queue") == 0 && n == RELAY_QUEUE_FIELDS) {
		c->n_queue++;
		snprintf(c->last_queue_name, sizeof c->last_queue_name, "%s", f[2] ? f[2] : "");
	} else if (strcmp(f[0], "agent") == 0) {
		c->n_agent++;
	} else {
		c->n_other++;
	}
}

void rt_pump(struct rt_client *c)
{
	for (;;) {
		ssize_t n;
		char *nl;

		if (c->incap - c->inlen < 65536) {
			c->incap = c->incap ? 2 * c->incap : 1 << 17;
			c->in = realloc(c->in, c->incap);
		}
		n = read(c->fd, c->in + c->inlen, c->incap - c->inlen - 1);
		if (n == 0)
			c->eof = true;
		if (n <= 0)
			break;
		c->inlen += (size_t)n;
		while ((nl = memchr(c->in, '\n', c->inlen))) {
			size_t used = (size_t)(nl - c->in) + 1;

			*nl = '\0';
			apply(c, c->in);
			memmove(c->in, c->in + used, c->inlen - used);
			c->inlen -= used;
		}
	}
}

/* Reads one line synchronously (for the attach answer). */
static char *read_line(struct rt_client *c, double seconds)
{
	double deadline = pgt_now_s() + seconds;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	for (;;) {
		char *nl = c->in ? memchr(c->in, '\n', c->inlen) : NULL;
		ssize_t n;

		if (nl) {
			size_t used = (size_t)(nl - c->in) + 1;
			char *s = strndup(c->in, used - 1);

			memmove(c->in, c->in + used, c->inlen - used);
			c->inlen -= used;
			return s;
		}
		if (pgt_now_s() > deadline || c->eof)
			return NULL;
		if (poll(&p, 1, 100) <= 0)
			continue;
		if (c->incap - c->inlen < 4096) {
			c->incap = c->incap ? 2 * c->incap : 1 << 17;
			c->in = realloc(c->in, c->incap);
		}
		n = read(c->fd, c->in + c->inlen, c->incap - c->inlen - 1);
		if (n == 0)
			c->eof = true;
		if (n > 0)
			c->inlen += (size_t)n;
	}
}

static void do_attach(struct rt_client *c, const struct rt_relay *r)
{
	char *ticket = pgt_scalar(c->conn, "SELECT balie.relay_ticket()");
	char msg[200], *line, *f[4];
	double deadline = pgt_now_s() + 10;
	int n;

	while ((c->fd = rt_connect_sock(r->sock)) < 0) {
		assert_true(pgt_now_s() < deadline);
		pgt_pause_ms(20);
	}
	c->eof = false;
	c->inlen = 0;
	snprintf(msg, sizeof msg, "attach\t%s\n", ticket);
	assert_int_equal(write(c->fd, msg, strlen(msg)), (ssize_t)strlen(msg));
	free(ticket);
	line = read_line(c, 10);
	assert_non_null(line);
	n = relay_split(line, f, 4);
	if (n != 3 || strcmp(f[0], "ok") != 0) {
		fprintf(stderr, "attach as %s refused: %s\n", c->role, n > 1 ? f[1] : line);
		fail();
	}
	assert_string_equal(f[1], c->role);
	free(line);
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	rt_reread(c);
}

void rt_attach(struct rt_client *c, const struct rt_relay *r, const char *db, const char *role)
{
	memset(c, 0, sizeof *c);
	snprintf(c->role, sizeof c->role, "%s", role);
	snprintf(c->db, sizeof c->db, "%s", db);
	c->conn = pgt_connect(db, role);
	do_attach(c, r);
}

void rt_reattach(struct rt_client *c, const struct rt_relay *r)
{
	close(c->fd);
	do_attach(c, r);
}

void rt_close(struct rt_client *c)
{
	int i;

	close(c->fd);
	PQfinish(c->conn);
	for (i = 0; i < c->nconvs; i++)
		free_conv_fields(&c->convs[i]);
	for (i = 0; i < c->nmsgs; i++)
		free(c->msgs[i].line);
	free(c->convs);
	free(c->msgs);
	free(c->in);
	for (i = 0; i < c->nmy_queues; i++)
		free(c->my_queues[i]);
	free(c->my_queues);
}

void rt_wait_marker(struct rt_client *c, const char *name, double seconds)
{
	double deadline = pgt_now_s() + seconds;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	for (;;) {
		rt_pump(c);
		if (strcmp(c->last_queue_name, name) == 0)
			return;
		if (pgt_now_s() > deadline || c->eof) {
			fprintf(stderr, "%s: marker %s not received (eof %d)\n", c->role, name, c->eof);
			fail();
		}
		poll(&p, 1, 100);
	}
}

void rt_sync(PGconn *root, struct rt_client **cs, int n)
{
	static int count;
	char name[64];
	int i;

	snprintf(name, sizeof name, "marker %d.%d", (int)getpid(), ++count);
	PQclear(pgt_ok(root, "UPDATE balie.queues SET name = $1 WHERE id = 'parcels'", name));
	for (i = 0; i < n; i++)
		rt_wait_marker(cs[i], name, 30);
}

void rt_assert_converged(struct rt_client *c)
{
	char *ids = held_ids(c);
	PGresult *res = read_convs(c, ids);
	int diffs = 0, i, j, k;

	free(ids);
	for (j = 0; j < PQntuples(res); j++) {
		long long id = atoll(PQgetvalue(res, j, 0));
		struct rt_conv *v = find_conv(c, id);
		PGresult *m;
		int held = 0;

		if (!v) {
			fprintf(stderr, "%s: conv %lld visible but not held\n", c->role, id);
			diffs++;
			continue;
		}
		for (i = 1; i < 20; i++) {
			const char *want = val(res, j, i - 1);

			if (!(want == NULL ? v->f[i] == NULL : v->f[i] && strcmp(want, v->f[i]) == 0)) {
				fprintf(stderr, "%s: conv %lld field %d: held '%s', store '%s'\n", c->role,
					id, i, v->f[i] ? v->f[i] : "\\N", want ? want : "\\N");
				diffs++;
			}
		}
		m = read_msgs(c, id);
		for (k = 0; k < c->nmsgs; k++)
			held += c->msgs[k].conv == id;
		if (held != PQntuples(m)) {
			fprintf(stderr, "%s: conv %lld: %d messages held, %d in store\n", c->role, id,
				held, PQntuples(m));
			diffs++;
		}
		for (i = 0; i < PQntuples(m); i++) {
			char *want = msg_line(val(m, i, 0), val(m, i, 1), val(m, i, 2), val(m, i, 3),
					      val(m, i, 4), val(m, i, 5));
			bool found = false;

			for (k = 0; k < c->nmsgs && !found; k++)
				found = c->msgs[k].conv == id && strcmp(c->msgs[k].line, want) == 0;
			if (!found) {
				fprintf(stderr, "%s: conv %lld message %s missing or different\n",
					c->role, id, want);
				diffs++;
			}
			free(want);
		}
		PQclear(m);
	}
	for (i = 0; i < c->nconvs; i++) {
		bool seen = false;

		for (j = 0; j < PQntuples(res) && !seen; j++)
			seen = atoll(PQgetvalue(res, j, 0)) == c->convs[i].id;
		if (!seen) {
			fprintf(stderr, "%s: holds conv %lld it may not see\n", c->role, c->convs[i].id);
			diffs++;
		}
	}
	PQclear(res);
	assert_int_equal(diffs, 0);
}
