/* Integration tests of the async core through `balie watch`, against the
 * harness's real server: nothing missed under concurrent writers, across a
 * server restart and a killed backend, and truly idle when nothing happens. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "pgtest.h"

struct watcher {
	pid_t pid;
	char out[256];
	char err[256];
};

/* Starts `balie watch` as ROLE on DB with its output in files. */
static void watch_start(struct watcher *w, const char *db, const char *role)
{
	char *ci = pgt_conninfo(db, role);

	snprintf(w->out, sizeof w->out, "/tmp/balie-watch-%d-%s.out", (int)getpid(), db);
	snprintf(w->err, sizeof w->err, "/tmp/balie-watch-%d-%s.err", (int)getpid(), db);
	w->pid = fork();
	assert_true(w->pid >= 0);
	if (w->pid == 0) {
		int o = open(w->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(w->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(o, 1);
		dup2(e, 2);
		execl(pgt_balie_bin(), "balie", "watch", "--stats", "-d", ci, (char *)NULL);
		_exit(127);
	}
	free(ci);
}

static int watch_stop(struct watcher *w)
{
	int status = 0;

	kill(w->pid, SIGTERM);
	waitpid(w->pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct watch_stats {
	unsigned long notifications, fetches, resyncs, reconnects;
};

/* The counters `balie watch --stats` printed when it stopped. */
static struct watch_stats watch_read_stats(const struct watcher *w)
{
	struct watch_stats st = { 0 };
	FILE *f = fopen(w->err, "r");
	char line[512];

	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		sscanf(line, "balie watch: notifications %lu, fetch queries %lu, re-syncs %lu, reconnects %lu",
		       &st.notifications, &st.fetches, &st.resyncs, &st.reconnects);
	fclose(f);
	return st;
}

static void watch_cleanup(struct watcher *w)
{
	unlink(w->out);
	unlink(w->err);
}

/* Loads watch's JSON lines into a temp table and counts the visible open
 * conversations whose latest line disagrees with the database. The JSON is
 * parsed by PostgreSQL, so an invalid line fails the test. */
static long watch_mismatches(PGconn *admin, const struct watcher *w, const char *db)
{
	FILE *f = fopen(w->out, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	PGresult *r;
	const char *sql;

	assert_non_null(f);
	PQclear(pgt_ok(admin, "SET client_min_messages = warning"));
	PQclear(pgt_ok(admin, "DROP TABLE IF EXISTS pg_temp.w"));
	PQclear(pgt_ok(admin, "CREATE TEMP TABLE w (j jsonb)"));
	r = PQexec(admin, "COPY pg_temp.w FROM STDIN WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')");
	assert_int_equal(PQresultStatus(r), PGRES_COPY_IN);
	PQclear(r);
	while ((n = getline(&line, &cap, f)) > 0) {
		/* Only whole lines: watch may be mid-write. */
		if (line[n - 1] != '\n')
			break;
		assert_int_equal(PQputCopyData(admin, line, (int)n), 1);
	}
	free(line);
	fclose(f);
	assert_int_equal(PQputCopyEnd(admin, NULL), 1);
	r = PQgetResult(admin);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("watch printed something that is not JSON: %s", PQerrorMessage(admin));
	PQclear(r);
	while ((r = PQgetResult(admin)))
		PQclear(r);
	(void)db;
	sql = "WITH last AS (SELECT DISTINCT ON ((j->>'conv')::bigint)"
	      "  (j->>'conv')::bigint AS conv, (j->>'version')::bigint AS version,"
	      "  j->>'state' AS state, (j->>'messages')::int AS messages,"
	      "  j->>'agent' AS agent, j->>'queue' AS queue"
	      "  FROM pg_temp.w WHERE j ? 'version'"
	      "  ORDER BY (j->>'conv')::bigint, (j->>'version')::bigint DESC)"
	      " SELECT count(*) FROM balie.conversations c LEFT JOIN last l ON l.conv = c.id"
	      " WHERE c.state <> 'closed' AND (l.conv IS NULL OR l.version <> c.version"
	      "  OR l.state <> c.state OR l.messages <> c.message_count"
	      "  OR l.agent IS DISTINCT FROM c.agent OR l.queue <> c.queue)";
	return pgt_long(admin, sql);
}

/* Polls until watch agrees with the database, within a deadline. */
static void wait_converged(PGconn *admin, const struct watcher *w, const char *db, double secs)
{
	double end = pgt_now_s() + secs;
	long bad = -1;

	while (pgt_now_s() < end) {
		bad = watch_mismatches(admin, w, db);
		if (bad == 0)
			return;
		pgt_pause_ms(100);
	}
	fail_msg("watch still disagrees with the database on %ld conversations", bad);
}

static int64_t open_conv(PGconn *bot, const char *queue, int i)
{
	char ref[32], name[32];
	char *v;
	int64_t id;

	snprintf(ref, sizeof ref, "cust-%d", i);
	snprintf(name, sizeof name, "Klant %d", i);
	v = pgt_scalar(bot, "SELECT balie.open_conversation($1, $2, $3)", queue, ref, name);
	id = strtoll(v, NULL, 10);
	free(v);
	return id;
}

/* A writer thread posts messages as the bot role, reconnecting and resending
 * with the same client_msg_id when the server goes away. */
struct writer {
	const char *db;
	const int64_t *convs;
	int nconvs;
	int count;
	unsigned seed;
	int posted;
	int retries;
};

static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	char *ci = pgt_conninfo(wr->db, "botty");
	PGconn *c = PQconnectdb(ci);
	int i;

	for (i = 0; i < wr->count; i++) {
		char conv[24], body[64], uuid[40];
		const char *params[4];
		unsigned r = rand_r(&wr->seed);
		int attempt;

		snprintf(conv, sizeof conv, "%lld", (long long)wr->convs[r % (unsigned)wr->nconvs]);
		snprintf(body, sizeof body, "bericht %u-%d", wr->seed, i);
		snprintf(uuid, sizeof uuid, "%08x-0000-4000-8000-%012x", rand_r(&wr->seed), (unsigned)i);
		params[0] = conv;
		params[1] = (r & 1) ? "customer" : "bot";
		params[2] = body;
		params[3] = uuid;
		for (attempt = 0; attempt < 200; attempt++) {
			PGresult *res = PQexecParams(c, "SELECT balie.post_message($1, $2, $3, NULL, $4::uuid)",
						     4, NULL, params, NULL, NULL, 0);
			ExecStatusType st = PQresultStatus(res);
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			if (st == PGRES_TUPLES_OK) {
				PQclear(res);
				wr->posted++;
				break;
			}
			/* A bot message may be refused once a person owns it: then
			 * post as the customer, which is always allowed. */
			if (state && strcmp(state, "BL012") == 0) {
				params[1] = "customer";
				PQclear(res);
				continue;
			}
			PQclear(res);
			wr->retries++;
			pgt_pause_ms(50);
			if (PQstatus(c) != CONNECTION_OK) {
				PQfinish(c);
				c = PQconnectdb(ci);
			}
		}
	}
	PQfinish(c);
	free(ci);
	return NULL;
}

static void run_writers(const char *db, const int64_t *convs, int nconvs, int nthreads,
			int total, void (*during)(void))
{
	pthread_t t[16];
	struct writer w[16];
	int i, posted = 0;

	for (i = 0; i < nthreads; i++) {
		w[i] = (struct writer){ db, convs, nconvs, total / nthreads, 1000u + (unsigned)i, 0, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
	}
	if (during)
		during();
	for (i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		posted += w[i].posted;
	}
	assert_int_equal(posted, total);
}

static void test_message_appears_in_watch(void **state)
{
	char *db = pgt_fresh_db();
	PGconn *bot = pgt_connect(db, "botty");
	PGconn *admin = pgt_connect(db, "postgres");
	struct watcher w;
	int64_t id;
	char ids[24];
	char *count;

	(void)state;
	watch_start(&w, db, "ann");
	id = open_conv(bot, "billing", 1);
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	PQclear(pgt_ok(bot, "SELECT balie.post_message($1, 'customer', 'Ik wil mijn geld terug \"nu\"')", ids));
	PQclear(pgt_ok(bot, "SELECT balie.escalate($1, 'customer_request')", ids));
	wait_converged(admin, &w, db, 10);
	/* The line for this conversation says it waits, with its message. */
	count = pgt_scalar(admin, "SELECT count(*) FROM pg_temp.w WHERE (j->>'conv')::bigint = $1"
			   " AND j->>'state' = 'waiting' AND (j->>'messages')::int = 2", ids);	/* disclosure + 1 */
	assert_string_not_equal(count, "0");
	free(count);
	assert_int_equal(watch_stop(&w), 0);
	watch_cleanup(&w);
	PQfinish(bot);
	PQfinish(admin);
	free(db);
}

static void test_concurrent_writers_nothing_missed(void **state)
{
	char *db = pgt_fresh_db();
	PGconn *bot = pgt_connect(db, "botty");
	PGconn *admin = pgt_connect(db, "postgres");
	struct watcher w;
	int64_t convs[200];
	int i;
	struct watch_stats st;

	(void)state;
	watch_start(&w, db, "sue");
	for (i = 0; i < 200; i++)
		convs[i] = open_conv(bot, i % 2 ? "billing" : "parcels", i);
	run_writers(db, convs, 200, 8, 5000, NULL);
	assert_int_equal(pgt_long(admin, "SELECT count(*) FROM balie.messages"
				  " WHERE template_key IS DISTINCT FROM 'disclosure'"), 5000);
	wait_converged(admin, &w, db, 30);
	assert_int_equal(watch_stop(&w), 0);
	/* Bursts are coalesced: far fewer fetches than notifications. */
	st = watch_read_stats(&w);
	print_message("notifications %lu, fetch queries %lu\n", st.notifications, st.fetches);
	assert_true(st.notifications >= 5000);
	assert_true(st.fetches < st.notifications);
	watch_cleanup(&w);
	PQfinish(bot);
	PQfinish(admin);
	free(db);
}

static void restart_server(void)
{
	pgt_pause_ms(300);
	pgt_harness("restart");
}

static void test_server_restart_while_writing(void **state)
{
	char *db = pgt_fresh_db();
	PGconn *bot = pgt_connect(db, "botty");
	PGconn *admin;
	struct watcher w;
	int64_t convs[50];
	int i;

	(void)state;
	watch_start(&w, db, "sue");
	for (i = 0; i < 50; i++)
		convs[i] = open_conv(bot, "billing", i);
	PQfinish(bot);
	run_writers(db, convs, 50, 4, 2000, restart_server);
	admin = pgt_connect(db, "postgres");
	assert_int_equal(pgt_long(admin, "SELECT count(*) FROM balie.messages"
				  " WHERE template_key IS DISTINCT FROM 'disclosure'"), 2000);
	wait_converged(admin, &w, db, 30);
	assert_int_equal(watch_stop(&w), 0);
	/* It really was cut off and came back by itself. */
	assert_true(watch_read_stats(&w).reconnects >= 1);
	watch_cleanup(&w);
	PQfinish(admin);
	free(db);
}

static void test_killed_backend_recovered(void **state)
{
	char *db = pgt_fresh_db();
	PGconn *bot = pgt_connect(db, "botty");
	PGconn *admin = pgt_connect(db, "postgres");
	struct watcher w;
	int64_t id;
	char ids[24];
	double end;
	long killed = 0;

	(void)state;
	watch_start(&w, db, "ann");
	id = open_conv(bot, "billing", 1);
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	wait_converged(admin, &w, db, 10);
	/* Kill watch's backend, then change something while it is away. */
	end = pgt_now_s() + 10;
	while (pgt_now_s() < end && killed == 0) {
		killed = pgt_long(admin, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
				  " WHERE datname = current_database() AND application_name = 'balie'");
		if (!killed)
			pgt_pause_ms(50);
	}
	assert_int_equal(killed, 1);
	PQclear(pgt_ok(bot, "SELECT balie.post_message($1, 'customer', 'hallo na de storing')", ids));
	wait_converged(admin, &w, db, 15);
	end = pgt_now_s() + 10;
	while (pgt_now_s() < end && pgt_long(admin, "SELECT count(*) FROM pg_stat_activity"
					 " WHERE datname = current_database() AND application_name = 'balie'") != 1)
		pgt_pause_ms(50);
	assert_int_equal(watch_stop(&w), 0);
	assert_int_equal(watch_read_stats(&w).reconnects, 1);
	watch_cleanup(&w);
	PQfinish(bot);
	PQfinish(admin);
	free(db);
}

static long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	FILE *f;
	unsigned long ut = 0, st = 0;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	assert_non_null(p);
	/* Fields after the command: state is 3rd; utime and stime are 14th/15th. */
	assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st), 2);
	return (long)(ut + st);
}

static void test_idle_means_no_queries_no_cpu(void **state)
{
	char *db = pgt_fresh_db();
	PGconn *bot = pgt_connect(db, "botty");
	PGconn *admin = pgt_connect(db, "postgres");
	struct watcher w;
	char *before, *after;
	long t0, t1, hz = sysconf(_SC_CLK_TCK);
	const char *q = "SELECT state || ' ' || query_start::text FROM pg_stat_activity"
			" WHERE datname = current_database() AND application_name = 'balie'";

	(void)state;
	watch_start(&w, db, "ann");
	open_conv(bot, "billing", 1);
	wait_converged(admin, &w, db, 10);
	/* Let the last answer settle, then measure ten seconds of nothing. */
	pgt_pause_ms(300);
	before = pgt_scalar(admin, q);
	t0 = cpu_ticks(w.pid);
	sleep(10);
	t1 = cpu_ticks(w.pid);
	after = pgt_scalar(admin, q);
	print_message("idle 10 s: backend %s -> %s, cpu %ld ticks (%ld/s)\n", before, after, t1 - t0, hz);
	assert_non_null(before);
	assert_string_equal(before, after);	/* no statement ran */
	assert_true(strncmp(after, "idle", 4) == 0);
	assert_true((t1 - t0) * 1000 / hz <= 50);	/* at most 50 ms of CPU */
	free(before);
	free(after);
	assert_int_equal(watch_stop(&w), 0);
	watch_cleanup(&w);
	PQfinish(bot);
	PQfinish(admin);
	free(db);
}

static void test_bad_database_exits_clearly(void **state)
{
	struct watcher w;
	int rc;
	FILE *f;
	char line[512] = "";

	(void)state;
	watch_start(&w, "no_such_db", "ann");
	{
		int status;

		waitpid(w.pid, &status, 0);
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	assert_int_equal(rc, 1);
	f = fopen(w.err, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_non_null(strstr(line, "no_such_db"));
	watch_cleanup(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_appears_in_watch),
		cmocka_unit_test(test_concurrent_writers_nothing_missed),
		cmocka_unit_test(test_server_restart_while_writing),
		cmocka_unit_test(test_killed_backend_recovered),
		cmocka_unit_test(test_idle_means_no_queries_no_cpu),
		cmocka_unit_test(test_bad_database_exits_clearly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
