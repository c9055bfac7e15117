/* A reply to a conversation whose row another transaction holds: the store
 * gives up after its lock timeout with BL040 ("busy, try again"); the
 * console's outbox keeps the reply, says it is busy, resends it on a short
 * timer with the same client_msg_id, and it is stored exactly once when the
 * row is free. Every wait is a loop run with a deadline. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

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
	PGconn *root, *locker;
	char conv[24];
	struct model model;
	struct sync *sync;
	enum sync_conn conn;
	int done, busy, other;
	char sqlstate[8];
};

static void on_conn(struct sync *s, enum sync_conn st, const char *reason, unsigned retry_ms,
		    void *user)
{
	struct fx *f = user;

	(void)s;
	(void)reason;
	(void)retry_ms;
	f->conn = st;
}

static void on_reply(const struct action_result *r, const struct action *a, void *arg)
{
	struct fx *f = arg;

	(void)a;
	if (r->outcome == ACTION_DONE) {
		f->done++;
	} else if (r->outcome == ACTION_QUEUED && r->sqlstate && *r->sqlstate) {
		f->busy++;
		snprintf(f->sqlstate, sizeof f->sqlstate, "%s", r->sqlstate);
	} else {
		f->other++;
		fprintf(stderr, "reply answered %d: %s\n", (int)r->outcome, r->message);
	}
}

static void close_cb(uv_handle_t *h)
{
	(void)h;
}

static void test_busy_reply_is_retried(void **state)
{
	struct fx fx = { 0 }, *f = &fx;
	struct sync_options opt = { .retry_min_ms = 20, .retry_max_ms = 200 };
	struct sync_events ev = { .conn = on_conn, .user = f };
	struct action a = { .kind = VERB_REPLY, .text = "one moment, please" };
	PGconn *bot, *ann;
	char *ci, *v;
	double t0;

	(void)state;
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->deadline);
	f->db = pgt_fresh_db();
	f->root = pgt_connect(f->db, "postgres");
	f->locker = pgt_connect(f->db, "postgres");
	bot = pgt_connect(f->db, "botty");
	ann = pgt_connect(f->db, "ann");
	v = pgt_scalar(bot, "SELECT balie.open_conversation('billing', 'cust-b', 'Bas Bezet')");
	snprintf(f->conv, sizeof f->conv, "%s", v);
	free(v);
	OK(bot, "SELECT balie.escalate($1, 'customer_request')", f->conv);
	v = pgt_scalar(ann, "SELECT balie.takeover($1)", f->conv);
	assert_string_equal(v, "t");
	free(v);
	PQfinish(bot);
	PQfinish(ann);
	model_init(&f->model);

	ci = pgt_conninfo(f->db, "ann");
	f->sync = sync_new(&f->loop, ci, &f->model, &opt, &ev);
	free(ci);
	assert_int_equal(sync_start(f->sync), 0);
	UVT_RUN_UNTIL(&f->loop, &f->deadline, &f->expired, f->conn == SYNC_ONLINE, 10000);
	assert_int_equal(f->conn, SYNC_ONLINE);

	/* Another transaction holds the conversation's row. */
	OK(f->locker, "BEGIN");
	OK(f->locker, "SELECT 1 FROM balie.conversations WHERE id = $1 FOR UPDATE", f->conv);
	a.conv = strtoll(f->conv, NULL, 10);
	sync_act(f->sync, &a, on_reply, f);
	UVT_RUN_UNTIL(&f->loop, &f->deadline, &f->expired, f->busy > 0 || f->other > 0, 15000);
	assert_int_equal(f->other, 0);
	assert_int_equal(f->busy, 1);
	assert_string_equal(f->sqlstate, "BL040");
	assert_int_equal(f->done, 0);
	assert_int_equal(sync_outbox_count(f->sync), 1);	/* kept */

	/* Free again: the timer resends it, once. */
	t0 = pgt_now_s();
	OK(f->locker, "COMMIT");
	UVT_RUN_UNTIL(&f->loop, &f->deadline, &f->expired, f->done > 0 || f->other > 0, 10000);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->other, 0);
	assert_true(pgt_now_s() - t0 < 5.0);
	assert_int_equal(sync_outbox_count(f->sync), 0);
	assert_int_equal(pgt_long(f->root, "SELECT count(*) FROM balie.messages WHERE conversation = $1"
				  " AND author_kind = 'agent' AND body = 'one moment, please'", f->conv), 1);

	sync_stop(f->sync);
	uv_close((uv_handle_t *)&f->deadline, close_cb);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	model_free(&f->model);
	PQfinish(f->locker);
	PQfinish(f->root);
	free(f->db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_reply_is_retried),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
