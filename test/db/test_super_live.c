/* The supervisor refresher on a real loop against the harness's server: a
 * burst of 1,000 changes costs a handful of refreshes and ends with exact
 * figures; presence and pausing arrive by notification; an agent that goes
 * quiet shows offline from the periodic refresh alone; a non-supervisor
 * gets a readable refusal. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "balie/model.h"
#include "balie/super.h"
#include "balie/sync.h"
#include "pgtest.h"
#include "uvtest.h"

#define OK(c, ...) PQclear(pgt_ok(c, __VA_ARGS__))

struct fx {
	uv_loop_t loop;
	uv_timer_t deadline;
	bool expired;
	char *db;
	PGconn *root, *bot, *ann, *sue;
	struct model model;
	struct sync *sync;
	struct super *super;
	enum sync_conn conn;
	unsigned long updates;
	char error[512];
};

#define RUN_UNTIL(f, cond, ms) \
	UVT_RUN_UNTIL(&(f)->loop, &(f)->deadline, &(f)->expired, cond, ms)

static void run_for(struct fx *f, unsigned ms)
{
	RUN_UNTIL(f, false, ms);
}

static void on_conn(struct sync *s, enum sync_conn st, const char *reason, unsigned ms, void *user)
{
	struct fx *f = user;

	(void)s;
	(void)reason;
	(void)ms;
	f->conn = st;
	if (f->super)
		super_online(f->super, st == SYNC_ONLINE);
}

static void on_updated(struct super *s, void *user)
{
	struct fx *f = user;

	(void)s;
	f->updates++;
}

static void on_error(struct super *s, const char *message, void *user)
{
	struct fx *f = user;

	(void)s;
	snprintf(f->error, sizeof f->error, "%s", message);
}

/* Connects sync and a refresher as ROLE, shown, with PERIODIC_MS. */
static void start_console(struct fx *f, const char *role, unsigned periodic_ms)
{
	char *ci = pgt_conninfo(f->db, role);
	struct sync_events ev = { 0 };
	struct super_events sev = { 0 };
	struct super_options so = { 0 };

	ev.conn = on_conn;
	ev.user = f;
	model_init(&f->model);
	f->sync = sync_new(&f->loop, ci, &f->model, NULL, &ev);
	free(ci);
	assert_int_equal(sync_start(f->sync), 0);
	RUN_UNTIL(f, f->conn == SYNC_ONLINE, 10000);
	assert_int_equal(f->conn, SYNC_ONLINE);
	sev.updated = on_updated;
	sev.error = on_error;
	sev.user = f;
	so.periodic_ms = periodic_ms;
	f->super = super_new(&f->loop, f->sync, &so, &sev);
	super_show(f->super, true);
	RUN_UNTIL(f, f->updates > 0 || f->error[0], 10000);
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
	f->ann = pgt_connect(f->db, "ann");
	f->sue = pgt_connect(f->db, "sue");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	alarm(20);
	if (f->super)
		super_stop(f->super);
	if (f->sync)
		sync_stop(f->sync);
	uv_close((uv_handle_t *)&f->deadline, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	alarm(0);
	model_free(&f->model);
	PQfinish(f->root);
	PQfinish(f->bot);
	PQfinish(f->ann);
	PQfinish(f->sue);
	free(f->db);
	free(f);
	return 0;
}

static const struct super_queue *queue(struct fx *f, const char *id)
{
	const struct super_data *d = super_data(f->super);

	for (size_t i = 0; i < d->nqueues; i++)
		if (strcmp(d->queues[i].id, id) == 0)
			return &d->queues[i];
	return NULL;
}

static const struct super_agent *agent(struct fx *f, const char *login)
{
	const struct super_data *d = super_data(f->super);

	for (size_t i = 0; i < d->nagents; i++)
		if (strcmp(d->agents[i].login, login) == 0)
			return &d->agents[i];
	return NULL;
}

static int with_bot(struct fx *f, const char *id)
{
	const struct super_queue *q = queue(f, id);

	return q ? q->with_bot : -1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The bot opens conversations one commit each, from another thread. */
struct opener {
	const char *db;
	int count;
	atomic_bool done;
	double ms;
};

static void *opener_main(void *arg)
{
	struct opener *o = arg;
	char *ci = pgt_conninfo(o->db, "botty");
	PGconn *c = PQconnectdb(ci);
	double t0 = now_ms();

	free(ci);
	for (int i = 0; i < o->count; i++) {
		PGresult *r = PQexec(c, "select balie.open_conversation('billing', 'burst', 'Burst')");

		PQclear(r);
	}
	o->ms = now_ms() - t0;
	PQfinish(c);
	atomic_store(&o->done, true);
	return NULL;
}

static void a_burst_of_1000_changes_costs_a_handful_of_refreshes(void **state)
{
	struct fx *f = *state;
	const struct super_pace *pace;
	unsigned long before, in_one, in_many;
	struct opener o = { .db = f->db, .count = 1000 };
	pthread_t t;

	/* No periodic refresh in the way of the count. */
	start_console(f, "sue", 600000);
	pace = super_stats(f->super);
	assert_int_equal(with_bot(f, "billing"), 0);

	/* 1,000 changes in one transaction: they arrive together at commit. */
	before = pace->refreshes;
	OK(f->bot, "select count(balie.open_conversation('billing', 'c' || i, 'Klant'))"
	   " from generate_series(1, 1000) i");
	RUN_UNTIL(f, with_bot(f, "billing") == 1000, 10000);
	assert_int_equal(with_bot(f, "billing"), 1000);
	run_for(f, 1200);	/* anything still to come comes now */
	in_one = pace->refreshes - before;

	/* 1,000 changes in 1,000 commits, as fast as one connection goes. */
	before = pace->refreshes;
	atomic_init(&o.done, false);
	assert_int_equal(pthread_create(&t, NULL, opener_main, &o), 0);
	RUN_UNTIL(f, atomic_load(&o.done) && with_bot(f, "billing") == 2000, 60000);
	pthread_join(t, NULL);
	assert_int_equal(with_bot(f, "billing"), 2000);
	run_for(f, 1200);
	in_many = pace->refreshes - before;

	fprintf(stderr, "refreshes per 1,000 changes: %lu in one transaction; %lu over %.0f ms"
		" of separate commits (%lu notifications seen in all)\n",
		in_one, in_many, o.ms, pace->changes);
	assert_true(in_one >= 1 && in_one <= 3);
	/* At most two a second while the burst lasts, and one after it. */
	assert_true(in_many <= 3 + (unsigned long)(o.ms / 500.0));
	assert_true(pace->changes >= 2000);
	assert_string_equal(f->error, "");
}

static void presence_and_pausing_arrive_by_notification(void **state)
{
	struct fx *f = *state;
	const struct super_agent *a;
	const struct super_queue *q;

	start_console(f, "sue", 600000);
	a = agent(f, "ann");
	assert_non_null(a);
	assert_int_equal(a->presence, SUPER_OFFLINE);

	OK(f->ann, "select balie.heartbeat()");
	RUN_UNTIL(f, (a = agent(f, "ann")) && a->presence == SUPER_ONLINE, 5000);
	assert_int_equal(agent(f, "ann")->presence, SUPER_ONLINE);
	assert_int_equal(queue(f, "billing")->agents_online, 1);
	OK(f->ann, "select balie.heartbeat(true)");
	RUN_UNTIL(f, (a = agent(f, "ann")) && a->presence == SUPER_AWAY, 5000);
	assert_int_equal(agent(f, "ann")->presence, SUPER_AWAY);

	OK(f->sue, "select balie.pause_bot('health', true)");
	RUN_UNTIL(f, (q = queue(f, "health")) && q->bot_paused, 5000);
	assert_true(queue(f, "health")->bot_paused);
	/* The next new conversation waits, and the screen counts it. */
	OK(f->bot, "select balie.open_conversation('health', 'c', 'Klant')");
	RUN_UNTIL(f, (q = queue(f, "health")) && q->waiting == 1, 5000);
	q = queue(f, "health");
	assert_int_equal(q->waiting, 1);
	assert_int_equal(q->with_bot, 0);
	assert_int_equal(q->escalations_today, 1);
	assert_int_equal(q->by_reason[SUPER_REASON_BOT_PAUSED], 1);
	assert_true(q->oldest_waiting_since > 0);
	assert_true(q->spark[SUPER_SPARK_POINTS - 1] >= 1);
}

static void a_quiet_agent_goes_offline_by_time_alone(void **state)
{
	struct fx *f = *state;
	const struct super_agent *a;
	unsigned long updates;

	OK(f->ann, "select balie.heartbeat()");
	start_console(f, "sue", 300);
	assert_int_equal(agent(f, "ann")->presence, SUPER_ONLINE);
	/* No notification says so: 31 s without a heartbeat is offline. */
	OK(f->root, "update balie.agents set last_seen = now() - interval '31 seconds' where login = 'ann'");
	RUN_UNTIL(f, (a = agent(f, "ann")) && a->presence == SUPER_OFFLINE, 5000);
	assert_int_equal(agent(f, "ann")->presence, SUPER_OFFLINE);
	/* Hidden, it asks nothing at all. */
	super_show(f->super, false);
	run_for(f, 200);
	updates = f->updates;
	run_for(f, 1000);
	assert_int_equal(f->updates, updates);
	super_show(f->super, true);
	RUN_UNTIL(f, f->updates > updates, 5000);
	assert_true(f->updates > updates);
}

static void an_agent_is_refused_readably(void **state)
{
	struct fx *f = *state;

	start_console(f, "ann", 600000);
	assert_false(super_data(f->super)->loaded);
	assert_string_equal(f->error, "reading the supervisor figures: your role may not do this"
			    " (permission denied for function supervisor_queues)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_burst_of_1000_changes_costs_a_handful_of_refreshes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(presence_and_pausing_arrive_by_notification, setup, teardown),
		cmocka_unit_test_setup_teardown(a_quiet_agent_goes_offline_by_time_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(an_agent_is_refused_readably, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
