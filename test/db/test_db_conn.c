/* The db module against the harness's real PostgreSQL: connecting, queries,
 * notifications, losing the server and getting it back, and idling at zero
 * cost. The loop is driven with UV_RUN_ONCE until a condition holds or a
 * deadline timer fires; no sleep is used to wait for anything. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "balie/db.h"
#include "pgtest.h"
#include "uvtest.h"

#define MAX_STATES 256

struct qrec;

struct fx {
	uv_loop_t loop;
	uv_timer_t deadline;
	bool expired;
	struct db *db;
	bool stopped;
	char *dbname;
	char *conninfo;

	int nstates;
	enum db_state states[MAX_STATES];
	unsigned delays[MAX_STATES];
	char reasons[MAX_STATES][200];

	long notifies;
	long notify_disorder;
	long last_seq[2];
	char last_channel[64];
	char last_payload[64];

	struct qrec *pool;	/* outlives a failed test until teardown */
	int pooled;
};

#define POOL 1100

struct qrec {
	struct fx *f;
	int calls;
	int index;
	int *next_index;	/* FIFO check: the index expected next */
	int disorder;
	enum db_outcome outcome;
	char sqlstate[6];
	char message[256];
	char *value;
	size_t length;
	struct db *stop_db;	/* db_stop() from inside the callback */
};

#define RUN_UNTIL(f, cond, ms) \
	UVT_RUN_UNTIL(&(f)->loop, &(f)->deadline, &(f)->expired, cond, ms)

/* Runs the loop for MS of loop time whatever happens. */
static void run_for(struct fx *f, unsigned ms)
{
	RUN_UNTIL(f, false, ms);
}

static void on_state(struct db *db, enum db_state st, const char *reason,
		     unsigned retry_in_ms, void *user)
{
	struct fx *f = user;

	assert_non_null(reason);
	if (f->nstates >= MAX_STATES)
		return;
	f->states[f->nstates] = st;
	f->delays[f->nstates] = retry_in_ms;
	snprintf(f->reasons[f->nstates], sizeof f->reasons[0], "%s", reason);
	f->nstates++;
}

/* Payloads are "<n>"; odd n go to the second channel, even n to the first. */
static void on_notify(struct db *db, const char *channel, const char *payload,
		      void *user)
{
	struct fx *f = user;
	long seq = strtol(payload, NULL, 10);
	int which = (int)(seq & 1);

	f->notifies++;
	snprintf(f->last_channel, sizeof f->last_channel, "%s", channel);
	snprintf(f->last_payload, sizeof f->last_payload, "%s", payload);
	if (seq > 0) {
		if (strcmp(channel, which ? "chan b" : "Chan_A") != 0 ||
		    seq <= f->last_seq[which])
			f->notify_disorder++;
		f->last_seq[which] = seq;
	}
}

static int count_state(const struct fx *f, enum db_state st)
{
	int i, n = 0;

	for (i = 0; i < f->nstates; i++)
		n += f->states[i] == st;
	return n;
}

static int last_state(const struct fx *f)
{
	return f->nstates ? (int)f->states[f->nstates - 1] : -1;
}

static struct db *fx_db(struct fx *f, const char *conninfo,
			const struct db_options *opt)
{
	struct db_events ev = { on_state, on_notify, f, NULL };

	f->db = db_new(&f->loop, conninfo, opt, &ev);
	f->stopped = false;
	assert_non_null(f->db);
	return f->db;
}

static void fx_stop(struct fx *f)
{
	if (f->db && !f->stopped) {
		db_stop(f->db);
		f->stopped = true;
	}
}

static void connect_ok(struct fx *f)
{
	int n = f->nstates;

	assert_int_equal(db_start(f->db), 0);
	assert_int_equal(f->nstates, n);	/* events come from the loop */
	RUN_UNTIL(f, db_get_state(f->db) == DB_CONNECTED, 5000);
	assert_int_equal(db_get_state(f->db), DB_CONNECTED);
	assert_int_equal(last_state(f), DB_CONNECTED);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->deadline);
	f->dbname = pgt_fresh_db();
	f->conninfo = pgt_conninfo(f->dbname, "postgres");
	f->pool = calloc(POOL, sizeof *f->pool);
	assert_non_null(f->pool);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	/* A hang here means a handle was left open; the alarm makes it a
	 * failure instead. */
	alarm(20);
	fx_stop(f);
	uv_close((uv_handle_t *)&f->deadline, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	alarm(0);
	for (int i = 0; i < f->pooled; i++)
		free(f->pool[i].value);
	free(f->pool);
	free(f->dbname);
	free(f->conninfo);
	free(f);
	return 0;
}

static void on_result(const struct db_result *r, void *arg)
{
	struct qrec *q = arg;

	q->calls++;
	q->outcome = r->outcome;
	assert_non_null(r->sqlstate);
	assert_non_null(r->message);
	snprintf(q->sqlstate, sizeof q->sqlstate, "%s", r->sqlstate);
	snprintf(q->message, sizeof q->message, "%s", r->message);
	if (r->outcome == DB_OK && PQntuples(r->res) > 0) {
		free(q->value);
		q->length = (size_t)PQgetlength(r->res, 0, 0);
		q->value = PQgetisnull(r->res, 0, 0) ? NULL :
			   strdup(PQgetvalue(r->res, 0, 0));
	}
	if (r->outcome != DB_OK)
		assert_true(*r->message != '\0');
	if (r->outcome == DB_SQL_ERROR)
		assert_int_equal(strlen(r->sqlstate), 5);
	if (q->next_index) {
		if (q->index != *q->next_index)
			q->disorder++;
		*q->next_index = q->index + 1;
	}
	if (q->stop_db)
		db_stop(q->stop_db);
}

/* A zeroed query record from the fixture's pool. */
static struct qrec *qnew(struct fx *f)
{
	assert_true(f->pooled < POOL);
	return &f->pool[f->pooled++];
}

static void query(struct fx *f, struct qrec *q, const char *sql, int n, ...)
{
	const char *params[8];
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		params[i] = va_arg(ap, const char *);
	va_end(ap);
	q->f = f;
	db_query(f->db, sql, n, params, on_result, q);
}

/* Runs SQL through the db and returns its single value (malloc'd). */
static char *ask(struct fx *f, const char *sql)
{
	struct qrec *q = qnew(f);
	char *v;

	query(f, q, sql, 0);
	assert_int_equal(q->calls, 0);	/* never called from db_query */
	RUN_UNTIL(f, q->calls > 0, 5000);
	assert_int_equal(q->calls, 1);
	if (q->outcome != DB_OK)
		fprintf(stderr, "%s: %s\n", sql, q->message);
	assert_int_equal(q->outcome, DB_OK);
	v = q->value;
	q->value = NULL;
	return v;
}

static void db_expect_value(struct fx *f, const char *sql, const char *want)
{
	char *v = ask(f, sql);

	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

static long side_long(const char *dbname, const char *sql, const char *arg)
{
	PGconn *side = pgt_connect(dbname, "postgres");
	long v = arg ? pgt_long(side, sql, arg) : pgt_long(side, sql);

	PQfinish(side);
	return v;
}

static void side_notify(struct fx *f, const char *channel, const char *payload)
{
	PGconn *side = pgt_connect(f->dbname, "postgres");

	PQclear(pgt_ok(side, "select pg_notify($1, $2)", channel, payload));
	PQfinish(side);
}

static void test_connect_conninfo(void **state)
{
	struct fx *f = *state;

	fx_db(f, f->conninfo, NULL);
	assert_int_equal(db_get_state(f->db), DB_IDLE);
	connect_ok(f);
	assert_int_equal(f->states[0], DB_CONNECTING);
	assert_int_equal(db_connect_count(f->db), 1);
	assert_true(db_backend_pid(f->db) > 0);
	assert_int_equal(db_retry_in_ms(f->db), 0);
	/* Our fallback_application_name applies when the user gives none. */
	db_expect_value(f, "select current_setting('application_name')", "balie");
	db_expect_value(f, "select current_database()", f->dbname);
}

static void test_connect_uri_tcp(void **state)
{
	struct fx *f = *state;
	char uri[512];

	snprintf(uri, sizeof uri, "postgresql://postgres@127.0.0.1:%s/%s"
		 "?fallback_application_name=mine&keepalives_idle=7",
		 getenv("BALIE_TEST_PGPORT"), f->dbname);
	fx_db(f, uri, NULL);
	connect_ok(f);
	/* The user's conninfo overrides our defaults. */
	db_expect_value(f, "select current_setting('application_name')", "mine");
	db_expect_value(f, "select inet_client_addr() is not null", "t");
	db_expect_value(f, "select current_database()", f->dbname);
}

static void test_connect_env(void **state)
{
	struct fx *f = *state;

	setenv("PGHOST", getenv("BALIE_TEST_PGDIR"), 1);
	setenv("PGPORT", getenv("BALIE_TEST_PGPORT"), 1);
	setenv("PGDATABASE", f->dbname, 1);
	setenv("PGUSER", "postgres", 1);
	fx_db(f, NULL, NULL);
	connect_ok(f);
	db_expect_value(f, "select current_database()", f->dbname);
	fx_stop(f);
	run_for(f, 50);

	/* An empty conninfo means the environment too, not "dbname=''". */
	fx_db(f, "", NULL);
	connect_ok(f);
	db_expect_value(f, "select current_database()", f->dbname);
	unsetenv("PGHOST");
	unsetenv("PGPORT");
	unsetenv("PGDATABASE");
	unsetenv("PGUSER");
}

/* libpq only enforces connect_timeout in its blocking calls: a server that
 * accepts TCP and never answers must still end the attempt. */
static void test_connect_timeout(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int mute = socket(AF_INET, SOCK_STREAM, 0);
	char ci[128];
	uint64_t t0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(mute, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(mute, 8), 0);
	assert_int_equal(getsockname(mute, (struct sockaddr *)&sa, &len), 0);
	snprintf(ci, sizeof ci, "host=127.0.0.1 port=%d connect_timeout=1",
		 ntohs(sa.sin_port));
	fx_db(f, ci, NULL);
	t0 = uv_hrtime();
	assert_int_equal(db_start(f->db), 0);
	RUN_UNTIL(f, count_state(f, DB_RETRY_WAIT) > 0, 5000);
	assert_int_equal(f->states[0], DB_CONNECTING);
	assert_int_equal(last_state(f), DB_RETRY_WAIT);
	assert_string_equal(f->reasons[f->nstates - 1],
			    "could not connect: timeout expired");
	/* libpq reads 1 second as 2. */
	assert_true(uv_hrtime() - t0 >= 1900000000ull);
	close(mute);
}

/* libpq moves to the next host on a new socket during PQconnectPoll; freeing
 * a lower descriptor first makes the new socket get a different number, the
 * case where the old poll handle must be closed before a new one exists. */
static void test_socket_changes_during_connect(void **state)
{
	struct fx *f = *state;
	char ci[512];
	int spare, round;

	for (round = 0; round < 2; round++) {
		snprintf(ci, sizeof ci, "host=127.0.0.1,%s port=1,%s dbname=%s "
			 "user=postgres", getenv("BALIE_TEST_PGDIR"),
			 getenv("BALIE_TEST_PGPORT"), f->dbname);
		spare = open("/dev/null", O_RDONLY);
		assert_true(spare >= 0);
		f->nstates = 0;
		fx_db(f, ci, NULL);
		assert_int_equal(db_start(f->db), 0);
		/* Round 0: new socket on another number; round 1: the same. */
		if (round == 0)
			close(spare);
		RUN_UNTIL(f, db_get_state(f->db) == DB_CONNECTED, 5000);
		assert_int_equal(last_state(f), DB_CONNECTED);
		assert_int_equal(count_state(f, DB_RETRY_WAIT), 0);
		db_expect_value(f, "select inet_client_addr() is null", "t");
		fx_stop(f);
		run_for(f, 20);
		if (round == 1)
			close(spare);
	}
}

static void expect_refused(struct fx *f, const char *conninfo, const char *word)
{
	fx_db(f, conninfo, NULL);
	assert_int_equal(db_start(f->db), -1);
	assert_non_null(strstr(db_last_error(f->db), word));
	assert_null(strchr(db_last_error(f->db), '\n'));
	fx_stop(f);
	run_for(f, 20);
	assert_int_equal(f->nstates, 0);	/* no event after a refused start */
}

static void test_bad_conninfo(void **state)
{
	struct fx *f = *state;

	expect_refused(f, "hots=localhost dbname=x", "hots");
	expect_refused(f, "postgresql://[::1", "IPv6");
	expect_refused(f, "host=/tmp sslmode=bogus", "sslmode");
	expect_refused(f, "host=127.0.0.1 keepalives_idle=soon", "keepalives_idle");
}

static void test_query_params_and_errors(void **state)
{
	struct fx *f = *state;
	struct qrec *a = qnew(f), *b = qnew(f), *c = qnew(f), *d = qnew(f);

	fx_db(f, f->conninfo, NULL);
	connect_ok(f);
	query(f, a, "select $1::int + 1", 1, "41");
	query(f, b, "select 1/0", 0);
	query(f, c, "select $1::text is null", 1, (const char *)NULL);
	query(f, d, "select * from no_such_table", 0);
	assert_int_equal(a->calls + b->calls + c->calls + d->calls, 0);
	RUN_UNTIL(f, d->calls > 0, 5000);
	assert_int_equal(a->outcome, DB_OK);
	assert_string_equal(a->value, "42");
	assert_int_equal(b->outcome, DB_SQL_ERROR);
	assert_string_equal(b->sqlstate, "22012");
	assert_string_equal(b->message, "division by zero");
	assert_int_equal(c->outcome, DB_OK);
	assert_string_equal(c->value, "t");
	assert_int_equal(d->outcome, DB_SQL_ERROR);
	assert_string_equal(d->sqlstate, "42P01");
	assert_string_equal(d->message, "relation \"no_such_table\" does not exist");
	/* An error does not disturb the connection. */
	db_expect_value(f, "select 'still here'", "still here");
	assert_int_equal(db_connect_count(f->db), 1);
}

static void test_fifo_1000(void **state)
{
	struct fx *f = *state;
	enum { N = 1000 };
	struct qrec *q = f->pool + f->pooled;
	char num[16];
	int i, next = 0, done = 0;

	fx_db(f, f->conninfo, NULL);
	connect_ok(f);
	for (i = 0; i < N; i++) {
		assert_ptr_equal(qnew(f), &q[i]);
		q[i].index = i;
		q[i].next_index = &next;
		snprintf(num, sizeof num, "%d", i);
		query(f, &q[i], "select $1::int * 2", 1, num);
	}
	RUN_UNTIL(f, next == N, 15000);
	for (i = 0; i < N; i++) {
		snprintf(num, sizeof num, "%d", i * 2);
		assert_int_equal(q[i].calls, 1);
		assert_int_equal(q[i].disorder, 0);
		assert_int_equal(q[i].outcome, DB_OK);
		assert_string_equal(q[i].value, num);
		done++;
	}
	assert_int_equal(done, N);
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

static void test_large_result_and_param(void **state)
{
	struct fx *f = *state;
	struct qrec *big = qnew(f), *param = qnew(f);
	size_t n = 2 * 1024 * 1024;
	char *s = malloc(n + 1);
	pid_t backend;
	double cpu;

	fx_db(f, f->conninfo, NULL);
	connect_ok(f);
	memset(s, 'p', n);
	s[n - 1] = 'Z';
	s[n] = '\0';
	query(f, big, "select repeat('x', 5 * 1024 * 1024) || 'END'", 0);
	RUN_UNTIL(f, big->calls > 0, 15000);
	/* A stopped backend reads nothing, so the socket fills up and only
	 * UV_WRITABLE can get the rest of the 2 MB out once it runs again. */
	backend = db_backend_pid(f->db);
	assert_int_equal(kill(backend, SIGSTOP), 0);
	query(f, param, "select length($1)::text || right($1, 1)", 1, s);
	free(s);	/* db copied it */
	cpu = cpu_ms();
	run_for(f, 200);
	cpu = cpu_ms() - cpu;
	assert_int_equal(kill(backend, SIGCONT), 0);
	assert_true(cpu < 50.0);	/* waiting to write is not a spin */
	assert_int_equal(param->calls, 0);
	RUN_UNTIL(f, param->calls > 0, 15000);
	assert_int_equal(big->outcome, DB_OK);
	assert_int_equal(big->length, 5 * 1024 * 1024 + 3);
	assert_string_equal(big->value + big->length - 3, "END");
	assert_int_equal(param->outcome, DB_OK);
	assert_string_equal(param->value, "2097152Z");
}

static void test_notify_10000(void **state)
{
	struct fx *f = *state;
	PGconn *side;
	int t;

	fx_db(f, f->conninfo, NULL);
	db_listen(f->db, "Chan_A");
	db_listen(f->db, "chan b");	/* needs quoting */
	db_listen(f->db, "Chan_A");	/* twice is once */
	connect_ok(f);
	side = pgt_connect(f->dbname, "postgres");
	for (t = 0; t < 4; t++) {
		char lo[16], hi[16];

		snprintf(lo, sizeof lo, "%d", t * 2500 + 1);
		snprintf(hi, sizeof hi, "%d", (t + 1) * 2500);
		PQclear(pgt_ok(side, "select count(pg_notify(case when g % 2 = 0 "
			       "then 'Chan_A' else 'chan b' end, g::text)) "
			       "from generate_series($1::int, $2::int) g", lo, hi));
	}
	PQclear(pgt_ok(side, "notify not_listened, '-1'"));
	RUN_UNTIL(f, f->notifies >= 10000, 15000);
	assert_int_equal(f->notifies, 10000);
	assert_int_equal(f->notify_disorder, 0);
	assert_int_equal(f->last_seq[0], 10000);
	assert_int_equal(f->last_seq[1], 9999);

	/* A channel added while connected is listened to at once. */
	db_listen(f->db, "late");
	db_expect_value(f, "select 1", "1");
	PQclear(pgt_ok(side, "select pg_notify('late', 'hello')"));
	RUN_UNTIL(f, f->notifies > 10000, 5000);
	assert_string_equal(f->last_channel, "late");
	assert_string_equal(f->last_payload, "hello");
	PQfinish(side);
}

/* Waits for a fresh DB_CONNECTED after the state list had N entries. */
static void expect_reconnect(struct fx *f, int n, unsigned connects,
			     unsigned ms)
{
	RUN_UNTIL(f, db_connect_count(f->db) >= connects &&
		  db_get_state(f->db) == DB_CONNECTED, ms);
	assert_int_equal(db_connect_count(f->db), connects);
	assert_true(f->nstates > n);
	assert_int_equal(f->states[n], DB_RETRY_WAIT);
	assert_true(f->delays[n] > 0);
	assert_int_equal(strncmp(f->reasons[n], "connection to server lost", 25), 0);
	assert_int_equal(last_state(f), DB_CONNECTED);
}

/* Waits (up to 5 s) until backend PID is running a query. */
static void wait_active(struct fx *f, const char *pid)
{
	PGconn *side = pgt_connect(f->dbname, "postgres");
	uint64_t end = uv_hrtime() + 5000000000ull;
	long active = 0;

	while (!active && uv_hrtime() < end)
		active = pgt_long(side, "select count(*) from pg_stat_activity "
				  "where pid = $1::int and state = 'active'", pid);
	PQfinish(side);
	assert_int_equal(active, 1);
}

static void test_terminate_backend(void **state)
{
	struct fx *f = *state;
	struct qrec *sleeper = qnew(f), *queued = qnew(f);
	int pid1, pid2, n;
	char pid[16];
	uint64_t t0;

	fx_db(f, f->conninfo, NULL);
	db_listen(f->db, "Chan_A");
	connect_ok(f);
	pid1 = db_backend_pid(f->db);
	query(f, sleeper, "select pg_sleep(30)", 0);
	query(f, queued, "select 2", 0);
	/* Wait until the server runs the sleep, then kill that backend. */
	snprintf(pid, sizeof pid, "%d", pid1);
	wait_active(f, pid);
	n = f->nstates;
	t0 = uv_hrtime();
	assert_int_equal(side_long(f->dbname, "select pg_terminate_backend($1::int)::int",
				   pid), 1);
	RUN_UNTIL(f, sleeper->calls > 0 && queued->calls > 0, 5000);
	assert_true(uv_hrtime() - t0 < 5000000000ull);
	assert_int_equal(sleeper->calls, 1);
	assert_int_equal(sleeper->outcome, DB_LOST);
	assert_non_null(strstr(sleeper->message, "administrator command"));
	assert_int_equal(queued->calls, 1);
	assert_int_equal(queued->outcome, DB_NOT_SENT);
	expect_reconnect(f, n, 2, 5000);
	assert_non_null(strstr(f->reasons[n], "administrator command"));
	pid2 = db_backend_pid(f->db);
	assert_true(pid2 > 0 && pid2 != pid1);
	/* LISTEN is active again. */
	side_notify(f, "Chan_A", "0");
	RUN_UNTIL(f, f->notifies == 1, 5000);
	assert_string_equal(f->last_channel, "Chan_A");

	/* Killed while idle: the FATAL comes as a notice, then EOF. */
	n = f->nstates;
	snprintf(pid, sizeof pid, "%d", pid2);
	assert_int_equal(side_long(f->dbname, "select pg_terminate_backend($1::int)::int",
				   pid), 1);
	expect_reconnect(f, n, 3, 5000);
	assert_non_null(strstr(f->reasons[n], "administrator command"));
	assert_true(db_backend_pid(f->db) != pid2);
	db_expect_value(f, "select 'back'", "back");
}

static void test_fatal_auth(void **state)
{
	struct fx *f = *state;
	char ci[512];
	struct db_options keep_trying = { 0, 0, false };

	snprintf(ci, sizeof ci, "host=%s port=%s dbname=no_such_db user=postgres",
		 getenv("BALIE_TEST_PGDIR"), getenv("BALIE_TEST_PGPORT"));
	fx_db(f, ci, NULL);
	assert_int_equal(db_start(f->db), 0);
	RUN_UNTIL(f, db_get_state(f->db) == DB_STOPPED, 5000);
	assert_int_equal(last_state(f), DB_STOPPED);
	assert_int_equal(count_state(f, DB_RETRY_WAIT), 0);
	assert_string_equal(f->reasons[f->nstates - 1],
			    "could not connect: database \"no_such_db\" does not exist");
	assert_string_equal(db_last_error(f->db), f->reasons[f->nstates - 1]);
	fx_stop(f);
	run_for(f, 20);

	f->nstates = 0;
	snprintf(ci, sizeof ci, "host=%s port=%s dbname=%s user=nobody_here",
		 getenv("BALIE_TEST_PGDIR"), getenv("BALIE_TEST_PGPORT"), f->dbname);
	fx_db(f, ci, NULL);
	assert_int_equal(db_start(f->db), 0);
	RUN_UNTIL(f, db_get_state(f->db) == DB_STOPPED, 5000);
	assert_string_equal(f->reasons[f->nstates - 1],
			    "could not connect: role \"nobody_here\" does not exist");
	fx_stop(f);
	run_for(f, 20);

	/* Without fatal_auth the same refusal is retried. */
	f->nstates = 0;
	fx_db(f, ci, &keep_trying);
	assert_int_equal(db_start(f->db), 0);
	RUN_UNTIL(f, count_state(f, DB_RETRY_WAIT) >= 2, 5000);
	assert_int_equal(count_state(f, DB_STOPPED), 0);
	assert_non_null(strstr(f->reasons[f->nstates - 1], "nobody_here"));
}

/* No server at the socket: the reason names the socket in balanced quotes
 * (issue 14 #17: sim.log read `no server socket "…54329 (is the…`). */
static void test_no_server_socket(void **state)
{
	struct fx *f = *state;

	fx_db(f, "host=/nonexistent-balie-dir port=54329 dbname=x user=x", NULL);
	assert_int_equal(db_start(f->db), 0);
	RUN_UNTIL(f, f->nstates > 0 && f->reasons[f->nstates - 1][0] != '\0', 5000);
	assert_string_equal(f->reasons[f->nstates - 1],
			    "could not connect: no server socket "
			    "\"/nonexistent-balie-dir/.s.PGSQL.54329\" (is the server running?)");
	fx_stop(f);
	run_for(f, 20);
}

static void count_iteration(uv_prepare_t *p)
{
	(*(long *)p->data)++;
}


static void test_idle_is_free(void **state)
{
	struct fx *f = *state;
	PGconn *side;
	char pid[16], *before, *after;
	const char *sql = "select query_start::text || ' ' || state || ' ' || query "
			  "from pg_stat_activity where pid = $1::int";
	uv_prepare_t iter;
	long iterations = 0;
	double cpu;

	fx_db(f, f->conninfo, NULL);
	db_listen(f->db, "Chan_A");
	connect_ok(f);
	db_expect_value(f, "select 'settled'", "settled");
	snprintf(pid, sizeof pid, "%d", db_backend_pid(f->db));
	side = pgt_connect(f->dbname, "postgres");
	before = pgt_scalar(side, sql, pid);

	uv_prepare_init(&f->loop, &iter);
	iter.data = &iterations;
	uv_prepare_start(&iter, count_iteration);
	uv_unref((uv_handle_t *)&iter);
	cpu = cpu_ms();
	run_for(f, 3000);
	cpu = cpu_ms() - cpu;
	uv_close((uv_handle_t *)&iter, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);	/* iter lives on this stack */

	after = pgt_scalar(side, sql, pid);
	assert_non_null(before);
	assert_non_null(after);
	assert_string_equal(before, after);
	assert_non_null(strstr(after, " idle select 'settled'"));
	assert_true(cpu < 50.0);
	assert_true(iterations <= 3);	/* the loop slept the whole time */
	assert_int_equal(db_get_state(f->db), DB_CONNECTED);
	free(before);
	free(after);
	PQfinish(side);
}

static void test_stop_with_pending(void **state)
{
	struct fx *f = *state;
	enum { N = 20 };
	struct qrec *q = f->pool + f->pooled, *early, *inner;
	int i;

	for (i = 0; i < N; i++)
		qnew(f);
	inner = qnew(f);
	qnew(f);
	qnew(f);
	early = qnew(f);

	/* Stopped while connecting, with a DB_NOT_SENT not yet delivered. */
	fx_db(f, f->conninfo, NULL);
	assert_int_equal(db_start(f->db), 0);
	query(f, early, "select 1", 0);
	assert_int_equal(early->calls, 0);
	fx_stop(f);
	assert_int_equal(early->calls, 0);
	run_for(f, 50);
	assert_int_equal(early->calls, 1);
	assert_int_equal(early->outcome, DB_NOT_SENT);

	/* Stopped with one query in flight and the rest queued. */
	fx_db(f, f->conninfo, NULL);
	connect_ok(f);
	query(f, q, "select pg_sleep(3)", 0);
	for (i = 1; i < N; i++)
		query(f, q + i, "select 1", 0);
	fx_stop(f);
	for (i = 0; i < N; i++)
		assert_int_equal(q[i].calls, 0);
	run_for(f, 50);
	assert_int_equal(q[0].calls, 1);
	assert_int_equal(q[0].outcome, DB_LOST);
	for (i = 1; i < N; i++) {
		assert_int_equal(q[i].calls, 1);
		assert_int_equal(q[i].outcome, DB_NOT_SENT);
	}

	/* Stopped from inside a result callback. */
	fx_db(f, f->conninfo, NULL);
	connect_ok(f);
	inner[0].stop_db = f->db;
	for (i = 0; i < 3; i++)
		query(f, inner + i, "select 1", 0);
	f->stopped = true;
	run_for(f, 200);
	assert_int_equal(inner[0].calls, 1);
	assert_int_equal(inner[0].outcome, DB_OK);
	assert_int_equal(inner[1].calls, 1);
	assert_int_equal(inner[1].outcome, DB_LOST);
	assert_int_equal(inner[2].calls, 1);
	assert_int_equal(inner[2].outcome, DB_NOT_SENT);
	
	/* Stopped while waiting to retry. */
	fx_db(f, "host=127.0.0.1 port=1 connect_timeout=2", NULL);
	assert_int_equal(db_start(f->db), 0);
	RUN_UNTIL(f, db_get_state(f->db) == DB_RETRY_WAIT, 5000);
	assert_true(db_retry_in_ms(f->db) > 0);
	assert_string_equal(db_last_error(f->db),
			    "could not connect: connection refused");
}

/* A query text used again is prepared on the connection and run by name;
 * the results stay right, a reconnect prepares afresh, and a schema change
 * that alters the result type falls back to text instead of failing. */
static void test_repeated_queries_prepared(void **state)
{
	struct fx *f = *state;
	PGconn *side = pgt_connect(f->dbname, "postgres");
	char *v;
	char pid[16];
	int i, n;

	PQclear(pgt_ok(side, "create table pt (a int)"));
	PQclear(pgt_ok(side, "insert into pt values (41)"));
	fx_db(f, f->conninfo, NULL);
	connect_ok(f);
	for (i = 0; i < 3; i++) {
		struct qrec *q = qnew(f);

		query(f, q, "select $1::int + a from pt", 1, "1");
		RUN_UNTIL(f, q->calls > 0, 5000);
		assert_int_equal(q->outcome, DB_OK);
		assert_string_equal(q->value, "42");
	}
	v = ask(f, "select count(*) from pg_prepared_statements"
		   " where statement = 'select $1::int + a from pt'");
	assert_string_equal(v, "1");
	free(v);

	/* The migration changes what "select *" returns under the prepared plan. */
	db_expect_value(f, "select * from pt", "41");
	db_expect_value(f, "select * from pt", "41");
	PQclear(pgt_ok(side, "alter table pt alter column a type text using 'forty-one'"));
	db_expect_value(f, "select * from pt", "forty-one");
	db_expect_value(f, "select * from pt", "forty-one");

	/* A new session starts with nothing prepared and prepares again. */
	n = f->nstates;
	snprintf(pid, sizeof pid, "%d", db_backend_pid(f->db));
	assert_int_equal(side_long(f->dbname, "select pg_terminate_backend($1::int)::int", pid), 1);
	expect_reconnect(f, n, 2, 5000);
	for (i = 0; i < 2; i++)
		db_expect_value(f, "select length(a) from pt", "9");
	v = ask(f, "select count(*) from pg_prepared_statements"
		   " where statement = 'select length(a) from pt'");
	assert_string_equal(v, "1");
	free(v);
	PQfinish(side);
}

static void test_server_restart(void **state)
{
	struct fx *f = *state;
	int n;

	fx_db(f, f->conninfo, NULL);
	db_listen(f->db, "Chan_A");
	connect_ok(f);
	n = f->nstates;
	pgt_harness("restart");
	expect_reconnect(f, n, 2, 10000);
	side_notify(f, "Chan_A", "0");
	RUN_UNTIL(f, f->notifies == 1, 5000);
	assert_int_equal(f->notifies, 1);
}

static void test_server_halted(void **state)
{
	struct fx *f = *state;
	struct db_options opt = { 50, 400, true };
	struct qrec *offline = qnew(f);
	unsigned d[MAX_STATES], maxd = 0;
	int i, n, nd = 0;
	uint64_t t0;

	fx_db(f, f->conninfo, &opt);
	db_listen(f->db, "Chan_A");
	connect_ok(f);
	n = f->nstates;
	pgt_harness("halt");
	RUN_UNTIL(f, db_get_state(f->db) == DB_RETRY_WAIT, 5000);
	query(f, offline, "select 1", 0);
	assert_int_equal(offline->calls, 0);	/* never from db_query */
	run_for(f, 2000);
	assert_int_equal(offline->calls, 1);
	assert_int_equal(offline->outcome, DB_NOT_SENT);
	assert_int_equal(strncmp(offline->message, "not sent: ", 10), 0);
	assert_int_equal(db_connect_count(f->db), 1);

	for (i = n; i < f->nstates; i++)
		if (f->states[i] == DB_RETRY_WAIT)
			d[nd++] = f->delays[i];
	assert_true(nd >= 5);
	assert_true(d[0] <= 50);
	for (i = 1; i < 4; i++)
		assert_true(d[i] > d[i - 1]);
	for (i = 0; i < nd; i++) {
		assert_true(d[i] <= 400);
		if (d[i] > maxd)
			maxd = d[i];
	}
	assert_true(maxd >= 300);
	assert_non_null(strstr(f->reasons[f->nstates - 1], "could not connect"));

	pgt_harness("resume");
	t0 = uv_hrtime();
	RUN_UNTIL(f, db_get_state(f->db) == DB_CONNECTED, 5000);
	assert_int_equal(db_get_state(f->db), DB_CONNECTED);
	assert_true(uv_hrtime() - t0 < 5000000000ull);
	assert_int_equal(db_connect_count(f->db), 2);
	side_notify(f, "Chan_A", "0");
	RUN_UNTIL(f, f->notifies == 1, 5000);
	assert_int_equal(f->notifies, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_conninfo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_uri_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_conninfo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_changes_during_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_params_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_1000, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_result_and_param, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_10000, setup, teardown),
		cmocka_unit_test_setup_teardown(test_terminate_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fatal_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_server_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_is_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_with_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeated_queries_prepared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_halted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
