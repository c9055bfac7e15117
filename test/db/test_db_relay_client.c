/* The relay client (relay mode of sync) against a fake relay on a Unix
 * socket in this process and the harness's real PostgreSQL: the ticket comes
 * from balie.relay_ticket() over the console's own connection; rows are
 * applied with no query, split and escaped frames are read right, a hint is
 * one by-id fetch, messages of an open transcript, gone, agent and queue
 * frames apply with no query, a gap or an oversized line is a full re-read, a lost relay
 * shows "waiting for the relay" and is re-attached; sync does not LISTEN on
 * balie; an idle attached console sends no query at all. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "balie/db.h"
#include "balie/feed.h"
#include "balie/model.h"
#include "balie/sync.h"
#include "pgtest.h"
#include "uvtest.h"

#define OK(c, ...) PQclear(pgt_ok(c, __VA_ARGS__))

struct fx {
	uv_loop_t loop;
	uv_timer_t deadline;
	bool expired;
	char *db;
	PGconn *root, *bot;
	char path[108];
	uv_pipe_t server;
	uv_pipe_t *client;	/* the attached console, or NULL */
	char got[4096];		/* what the console sent */
	size_t ngot;
	unsigned accepts;
	const char *answer;	/* sent after the attach line */
	bool refuse_next;	/* answer the next attach with "no" */
	struct model model;
	struct sync *sync;
	enum sync_conn conn;
	char reason[256];
	unsigned long changed, transcripts, onlines, removed, metas;
};

#define RUN_UNTIL(f, cond, ms) \
	UVT_RUN_UNTIL(&(f)->loop, &(f)->deadline, &(f)->expired, cond, ms)

static void on_client_closed(uv_handle_t *h)
{
	free(h);
}

static void alloc_cb(uv_handle_t *h, size_t n, uv_buf_t *b)
{
	(void)h;
	b->base = malloc(n);
	b->len = n;
}

static void send_raw(struct fx *f, const char *data, size_t n)
{
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)n);
	size_t off = 0;

	assert_non_null(f->client);
	while (off < n) {
		int w;

		b = uv_buf_init((char *)data + off, (unsigned)(n - off));
		w = uv_try_write((uv_stream_t *)f->client, &b, 1);
		if (w == UV_EAGAIN) {
			uv_run(&f->loop, UV_RUN_NOWAIT);
			continue;
		}
		assert_true(w > 0);
		off += (size_t)w;
	}
}

static void send_str(struct fx *f, const char *s)
{
	send_raw(f, s, strlen(s));
}

static void on_fake_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct fx *f = s->data;

	if (n > 0) {
		size_t room = sizeof f->got - 1 - f->ngot;
		size_t take = (size_t)n < room ? (size_t)n : room;

		memcpy(f->got + f->ngot, b->base, take);
		f->ngot += take;
		f->got[f->ngot] = '\0';
		if (f->answer && strchr(f->got, '\n')) {
			send_str(f, f->answer);
			f->answer = NULL;
		}
	} else if (n < 0 && f->client == (uv_pipe_t *)s) {
		uv_close((uv_handle_t *)s, on_client_closed);
		f->client = NULL;
	}
	free(b->base);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct fx *f = server->data;
	uv_pipe_t *c = malloc(sizeof *c);

	assert_int_equal(status, 0);
	uv_pipe_init(&f->loop, c, 0);
	c->data = f;
	assert_int_equal(uv_accept(server, (uv_stream_t *)c), 0);
	if (f->client)
		uv_close((uv_handle_t *)f->client, on_client_closed);
	f->client = c;
	f->ngot = 0;
	f->got[0] = '\0';
	f->accepts++;
	f->answer = f->refuse_next ? "no\tticket expired\n" : "ok\tann\tagent\n";
	f->refuse_next = false;
	uv_read_start((uv_stream_t *)c, alloc_cb, on_fake_read);
}

static void fake_listen(struct fx *f)
{
	unlink(f->path);
	uv_pipe_init(&f->loop, &f->server, 0);
	f->server.data = f;
	assert_int_equal(uv_pipe_bind(&f->server, f->path), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&f->server, 16, on_connection), 0);
}

/* The relay goes away: its socket and the attached console. */
static void fake_kill(struct fx *f)
{
	if (f->client) {
		uv_close((uv_handle_t *)f->client, on_client_closed);
		f->client = NULL;
	}
	uv_close((uv_handle_t *)&f->server, NULL);
	unlink(f->path);
}

static void on_conn(struct sync *s, enum sync_conn st, const char *reason, unsigned ms, void *user)
{
	struct fx *f = user;

	(void)s;
	(void)ms;
	f->conn = st;
	f->onlines += st == SYNC_ONLINE;
	snprintf(f->reason, sizeof f->reason, "%s", reason ? reason : "");
}

static void on_changed(struct sync *s, struct model_conv *c, enum model_apply how, void *user)
{
	struct fx *f = user;

	(void)s;
	(void)c;
	(void)how;
	f->changed++;
}

static void on_removed(struct sync *s, int64_t id, void *user)
{
	struct fx *f = user;

	(void)s;
	(void)id;
	f->removed++;
}

static void on_meta(struct sync *s, void *user)
{
	struct fx *f = user;

	(void)s;
	f->metas++;
}

static void on_transcript(struct sync *s, struct model_conv *c, void *user)
{
	struct fx *f = user;

	(void)s;
	(void)c;
	f->transcripts++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->deadline);
	f->db = pgt_fresh_db();
	f->root = pgt_connect(f->db, "postgres");
	f->bot = pgt_connect(f->db, "botty");
	/* Before the relay's schema file exists, a stand-in ticket function. */
	OK(f->root, "DO $$ BEGIN IF to_regprocedure('balie.relay_ticket()') IS NULL THEN"
	   " CREATE FUNCTION balie.relay_ticket() RETURNS text LANGUAGE sql"
	   " AS 'SELECT ''t-'' || session_user'; END IF; END $$");
	OK(f->root, "GRANT EXECUTE ON FUNCTION balie.relay_ticket() TO PUBLIC");
	snprintf(f->path, sizeof f->path, "%s/relayc-%d.sock",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	fake_listen(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	alarm(20);
	if (f->sync)
		sync_stop(f->sync);
	if (!uv_is_closing((uv_handle_t *)&f->server))
		fake_kill(f);
	else if (f->client)
		uv_close((uv_handle_t *)f->client, on_client_closed);
	uv_close((uv_handle_t *)&f->deadline, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	model_free(&f->model);
	PQfinish(f->root);
	PQfinish(f->bot);
	free(f->db);
	free(f);
	alarm(0);
	return 0;
}

static void start(struct fx *f, const char *role)
{
	char *ci = pgt_conninfo(f->db, role);
	struct sync_events ev = { 0 };
	struct sync_options so = { 0 };

	ev.conn = on_conn;
	ev.changed = on_changed;
	ev.transcript = on_transcript;
	ev.removed = on_removed;
	ev.meta = on_meta;
	ev.user = f;
	so.relay = f->path;
	so.retry_min_ms = 50;
	so.retry_max_ms = 200;
	model_init(&f->model);
	f->sync = sync_new(&f->loop, ci, &f->model, &so, &ev);
	free(ci);
	assert_string_equal(sync_relay_path(f->sync), f->path);
	assert_int_equal(sync_start(f->sync), 0);
	RUN_UNTIL(f, f->conn == SYNC_ONLINE, 10000);
	assert_int_equal(f->conn, SYNC_ONLINE);
}

/* A conv frame for ID at VERSION (the other fields as the relay sends them). */
static void conv_frame(char *buf, size_t n, const char *id, long version, const char *name)
{
	snprintf(buf, n, "conv\t%s\t%ld\tbilling\tbot\t\\N\tref-1\t%s\tweb\tinvoice\t0.5"
		 "\t\\N\t\\N\t1700000000\t\\N\t\\N\t\\N\t3\tcustomer\thello\\there\n",
		 id, version, name);
}

static void test_rows_without_queries(void **state)
{
	struct fx *f = *state;
	char id[24], frame[512], half[256];
	struct model_conv *c;
	unsigned long fetches;
	size_t cut;

	pgt_open_conv(f->bot, "billing", id);
	start(f, "ann");
	assert_int_equal(f->accepts, 1);
	assert_true(strncmp(f->got, "attach\tt-ann\n", 13) == 0 ||
		    (strncmp(f->got, "attach\t", 7) == 0 && strlen(f->got) > 9));
	assert_non_null(model_find(&f->model, strtoll(id, NULL, 10)));
	fetches = sync_stats(f->sync)->fetch_queries;

	/* One frame in two writes, with an escaped TAB and NULLs. */
	conv_frame(frame, sizeof frame, id, 1000, "A\\tB \\\\ \"q\"");
	cut = strlen(frame) / 2;
	memcpy(half, frame, cut);
	send_raw(f, half, cut);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	send_str(f, frame + cut);
	c = model_find(&f->model, strtoll(id, NULL, 10));
	RUN_UNTIL(f, (c = model_find(&f->model, strtoll(id, NULL, 10))) && c->version == 1000, 5000);
	assert_int_equal(c->version, 1000);
	assert_string_equal(c->customer_name, "A\tB \\ \"q\"");
	assert_string_equal(c->last_body, "hello\there");
	assert_null(c->agent);
	assert_int_equal(c->message_count, 3);
	assert_non_null(strstr(c->json, "\"customer\" : \"A\\tB \\\\ \\\"q\\\"\""));
	assert_non_null(strstr(c->json, "\"agent\" : null"));
	/* An older version changes nothing (the newer-version rule). */
	conv_frame(frame, sizeof frame, id, 999, "older");
	send_str(f, frame);
	send_str(f, "ping\n");
	RUN_UNTIL(f, feed_stats(sync_feed(f->sync))->frames >= 4, 5000);
	assert_string_equal(model_find(&f->model, strtoll(id, NULL, 10))->customer_name,
			    "A\tB \\ \"q\"");
	assert_int_equal(sync_stats(f->sync)->fetch_queries, fetches);

	/* A hint is one fetch by id through the read API: the real row. */
	snprintf(frame, sizeof frame, "hint\t%s\t2000\n", id);
	send_str(f, frame);
	RUN_UNTIL(f, sync_stats(f->sync)->fetch_queries > fetches &&
		  model_find(&f->model, strtoll(id, NULL, 10))->version < 1000, 5000);
	assert_int_equal(sync_stats(f->sync)->fetch_queries, fetches + 1);
}

/* Messages of an open transcript arrive as rows; gone drops a conversation;
 * an agent's and a queue's row are replaced in place: all without a query. */
static void test_msg_gone_agent_queue(void **state)
{
	struct fx *f = *state;
	char id[24], frame[512];
	struct model_conv *c;
	int64_t conv;
	unsigned long fetches, tr, metas;
	size_t i;
	bool found = false;

	pgt_open_conv(f->bot, "billing", id);
	OK(f->bot, "SELECT balie.post_message($1::bigint, 'customer', 'first')", id);
	start(f, "ann");
	conv = strtoll(id, NULL, 10);
	sync_open_transcript(f->sync, conv);
	RUN_UNTIL(f, (c = model_find(&f->model, conv)) && c->nmsgs == 2, 5000);	/* the disclosure, first */
	assert_int_equal(model_find(&f->model, conv)->nmsgs, 2);
	fetches = sync_stats(f->sync)->fetch_queries;
	tr = f->transcripts;
	c = model_find(&f->model, conv);
	snprintf(frame, sizeof frame, "msg\t%s\t3\t777\tcustomer\t\\N\tsecond\\tline\t1700000001\t\\N\n"
		 "conv\t%s\t%lld\tbilling\tbot\t\\N\tcust-1\tCarla Customer\tweb\t\\N\t\\N"
		 "\t\\N\t\\N\t1700000000\t\\N\t\\N\t\\N\t3\tcustomer\tsecond\n",
		 id, id, (long long)c->version + 10);
	send_str(f, frame);
	RUN_UNTIL(f, f->transcripts > tr && model_find(&f->model, conv)->nmsgs == 3, 5000);
	c = model_find(&f->model, conv);
	assert_int_equal(c->nmsgs, 3);
	assert_string_equal(c->msgs[2].body, "second\tline");
	/* Let any fetch that would follow show up before counting. */
	send_str(f, "ping\n");
	RUN_UNTIL(f, false, 300);
	assert_int_equal(sync_stats(f->sync)->fetch_queries, fetches);

	metas = f->metas;
	send_str(f, "agent\tann\tAnn Renamed\tf\t1700000100\tf\n"
		 "queue\tbilling\tBilling Renamed\t60\t5\tt\n");
	RUN_UNTIL(f, f->metas >= metas + 2, 5000);
	for (i = 0; i < f->model.nagents; i++)
		if (strcmp(f->model.agents[i].login, "ann") == 0) {
			assert_string_equal(f->model.agents[i].display_name, "Ann Renamed");
			found = true;
		}
	assert_true(found);
	assert_string_equal(model_queue(&f->model, "billing")->name, "Billing Renamed");
	assert_true(model_queue(&f->model, "billing")->bot_paused);

	snprintf(frame, sizeof frame, "gone\t%s\n", id);
	send_str(f, frame);
	RUN_UNTIL(f, f->removed > 0, 5000);
	assert_null(model_find(&f->model, conv));
	assert_int_equal(sync_stats(f->sync)->fetch_queries, fetches);
}

static void test_no_listen_and_idle_is_free(void **state)
{
	struct fx *f = *state;
	char id[24], pid[16], *before, *after;
	const char *q = "SELECT state || ' ' || query_start::text FROM pg_stat_activity"
			" WHERE pid = $1::int";
	long listening;

	pgt_open_conv(f->bot, "billing", id);
	start(f, "ann");
	snprintf(pid, sizeof pid, "%d", db_backend_pid(sync_db(f->sync)));
	/* NOTIFY balie reaches nobody: relay mode does not LISTEN on it. */
	OK(f->root, "SELECT pg_notify('balie', json_build_object('conv', $1::bigint,"
	   " 'version', 99999)::text)", id);
	OK(f->bot, "SELECT balie.post_message($1::bigint, 'customer', 'still there?')", id);
	RUN_UNTIL(f, false, 1000);
	assert_int_equal(sync_stats(f->sync)->notifications, 0);
	listening = pgt_long(f->root, "SELECT count(*) FROM pg_stat_activity a"
			     " WHERE a.pid = $1::int AND a.query ILIKE '%LISTEN%balie%'", pid);
	assert_int_equal(listening, 0);

	before = pgt_scalar(f->root, q, pid);
	RUN_UNTIL(f, false, 3000);
	after = pgt_scalar(f->root, q, pid);
	print_message("idle 3 s in relay mode: backend %s -> %s\n", before, after);
	assert_string_equal(before, after);
	assert_true(strncmp(after, "idle", 4) == 0);
	free(before);
	free(after);
}

static void test_gap_and_lost_relay(void **state)
{
	struct fx *f = *state;
	char id[24];
	unsigned long resyncs, onlines;

	pgt_open_conv(f->bot, "billing", id);
	start(f, "ann");
	resyncs = sync_stats(f->sync)->resyncs;
	onlines = f->onlines;
	send_str(f, "gap\n");
	RUN_UNTIL(f, f->onlines > onlines, 5000);
	assert_int_equal(sync_stats(f->sync)->resyncs, resyncs + 1);

	/* The relay dies: "waiting for the relay", shown like an outage. */
	fake_kill(f);
	RUN_UNTIL(f, f->conn == SYNC_RETRY_WAIT, 5000);
	assert_int_equal(f->conn, SYNC_RETRY_WAIT);
	assert_non_null(strstr(f->reason, "waiting for the relay"));
	/* A change while it is away is read once it is back. */
	OK(f->bot, "SELECT balie.escalate($1::bigint, 'customer_request')", id);
	RUN_UNTIL(f, false, 300);
	assert_int_equal(model_find(&f->model, strtoll(id, NULL, 10))->state, MODEL_BOT);
	fake_listen(f);
	RUN_UNTIL(f, f->conn == SYNC_ONLINE &&
		  model_find(&f->model, strtoll(id, NULL, 10))->state == MODEL_WAITING, 10000);
	assert_int_equal(f->conn, SYNC_ONLINE);
	assert_int_equal(f->accepts, 2);
	assert_int_equal(model_find(&f->model, strtoll(id, NULL, 10))->state, MODEL_WAITING);
}

static void test_refused_and_huge_line(void **state)
{
	struct fx *f = *state;
	char id[24], frame[512];
	size_t big = FEED_MAX_LINE + 4096, i;
	char *junk = malloc(big);
	unsigned long resyncs;

	assert_non_null(junk);
	pgt_open_conv(f->bot, "billing", id);
	start(f, "ann");
	resyncs = sync_stats(f->sync)->resyncs;
	/* A line past the bound is dropped unread (memory stays bounded) and
	 * read as a gap; the frame after it is read normally. */
	for (i = 0; i < big; i++)
		junk[i] = 'x';
	junk[big - 1] = '\n';
	send_raw(f, junk, big);
	conv_frame(frame, sizeof frame, id, 5000, "after the junk");
	send_str(f, frame);
	RUN_UNTIL(f, model_find(&f->model, strtoll(id, NULL, 10)) &&
		  model_find(&f->model, strtoll(id, NULL, 10))->version >= 5000 &&
		  sync_stats(f->sync)->resyncs > resyncs, 10000);
	assert_int_equal(feed_stats(sync_feed(f->sync))->bad_frames, 1);
	assert_true(sync_stats(f->sync)->resyncs > resyncs);
	free(junk);

	/* A refusal is shown, and the next attempt attaches. */
	f->refuse_next = true;
	if (f->client) {
		uv_close((uv_handle_t *)f->client, on_client_closed);
		f->client = NULL;
	}
	RUN_UNTIL(f, strstr(f->reason, "refused (ticket expired)") != NULL, 5000);
	assert_non_null(strstr(f->reason, "waiting for the relay: refused (ticket expired)"));
	assert_int_equal(f->conn, SYNC_RETRY_WAIT);
	RUN_UNTIL(f, f->accepts == 3 && f->conn == SYNC_ONLINE, 5000);
	assert_int_equal(f->accepts, 3);
	assert_int_equal(f->conn, SYNC_ONLINE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows_without_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msg_gone_agent_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_listen_and_idle_is_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_and_lost_relay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_and_huge_line, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
