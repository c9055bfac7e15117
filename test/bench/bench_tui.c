/* bench_tui: the real console on a pseudo-terminal of ours.
 *
 *   bench_tui SMALL_DB BIG_DB BALIE TRIALS BIG_CONVS
 *
 * 1. Takeover: in SMALL_DB, TRIALS times, the key `t` on the longest-waiting
 *    conversation, timed until the store owns it (the takeover's
 *    notification on "balie_bot" reaches a raw listener) and until the
 *    terminal is sent "HUMAN (Ann Jansen)".
 * 2. Scale: BIG_DB gets BIG_CONVS open conversations; the console starts as
 *    the supervisor (who sees them all): first paint (until the top row's
 *    customer is drawn), resident memory, CPU and terminal bytes per second
 *    while idle, and the bytes for a one-row update and for a full redraw.
 *
 * Every byte the console writes to its terminal is counted: that is what an
 * SSH session carries. Prints "R name value" lines for run.sh. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"

#define ROWS 40
#define COLS 120
#define MARKER_LEN 10

static const char *balie;
static int small_convs;		/* open conversations in the small queue */
static char *const tty_env[] = { "TERM=xterm-256color", "LC_ALL=C.UTF-8",
				 "XDG_CONFIG_HOME=build/bench/config", NULL };

/* The real console as ROLE on a terminal of ours. */
static struct tty *start_console(const char *role, const char *db)
{
	char *conninfo = strdup(bench_conninfo(role, db));
	char *argv[] = { (char *)balie, "-d", conninfo, "--quiet", NULL };
	struct tty *t = tty_spawn(argv, tty_env, ROWS, COLS);

	free(conninfo);
	return t;
}

/* Reads the console's output (and the listener's, if any) for up to MS. */
static void pump(struct tty *t, PGconn *listener, double ms)
{
	struct pollfd pfd[2] = {
		{ t->fd, POLLIN, 0 },
		{ listener ? PQsocket(listener) : -1, POLLIN, 0 },
	};

	if (poll(pfd, 2, (int)ms) <= 0)
		return;
	if (pfd[0].revents && tty_read(t) < 0)
		bench_die("the console ended");
	if (pfd[1].revents && !PQconsumeInput(listener))
		bench_die("the listener lost its connection");
}

/* Reads until TEXT has been written (true) or TIMEOUT_MS passed (false). */
static bool wait_text(struct tty *t, const char *text, double timeout_ms)
{
	double end = bench_now_ms() + timeout_ms;

	while (!tty_saw(t, text)) {
		if (bench_now_ms() > end)
			return false;
		pump(t, NULL, 20);
	}
	return true;
}

/* Reads until the console has been silent for QUIET_MS; returns when that began. */
static double settle(struct tty *t, double quiet_ms, double timeout_ms)
{
	double end = bench_now_ms() + timeout_ms, last = bench_now_ms();
	unsigned long long seen = t->bytes;

	while (bench_now_ms() < end) {
		pump(t, NULL, 10);
		if (t->bytes != seen) {
			seen = t->bytes;
			last = bench_now_ms();
		} else if (bench_now_ms() - last >= quiet_ms) {
			break;
		}
	}
	return last;
}

/* Waits for output beyond B0 bytes (up to TIMEOUT_MS), then for QUIET_MS of silence. */
static void settle_after(struct tty *t, unsigned long long b0, double quiet_ms, double timeout_ms)
{
	double end = bench_now_ms() + timeout_ms;

	while (t->bytes == b0 && bench_now_ms() < end)
		pump(t, NULL, 5);
	settle(t, quiet_ms, timeout_ms);
}

/* Waits for the next clock tick's output to finish, so that a measurement
 * made right after it has most of a second before the next one. */
static void after_tick(struct tty *t)
{
	unsigned long long before;
	double end = bench_now_ms() + 3000;

	settle(t, 100, 3000);
	before = t->bytes;
	while (t->bytes == before && bench_now_ms() < end)
		pump(t, NULL, 10);
	settle(t, 30, 500);
}

/* The key t, timed until the store owns the conversation and until it is on
 * screen. */
static void takeover_trials(const char *db, int trials)
{
	PGconn *bot = bench_connect("botty", db);
	PGconn *listener = bench_connect("postgres", db);
	struct samples owned = { 0 }, shown = { 0 };
	struct tty *t;
	char n[16];
	int k;

	small_convs = trials + 10;
	snprintf(n, sizeof n, "%d", small_convs);
	PQclear(bench_query(bot, "SELECT balie.escalate(balie.open_conversation('billing',"
			    " 'take-' || g, 'Take Customer ' || g), 'customer_request')"
			    " FROM generate_series(1, $1::int) g", n, NULL));
	PQfinish(bot);
	PQclear(bench_query(listener, "LISTEN balie_bot", NULL));
	PQsetnonblocking(listener, 1);
	t = start_console("ann", db);
	if (!wait_text(t, "Take Customer", 30000))
		bench_die("the console did not show the queue within 30 s");
	settle(t, 300, 5000);
	for (k = 0; k < trials; k++) {
		double t0, t_owned = 0, t_shown = 0, end;
		PGnotify *nt;

		/* The top row: the longest-waiting conversation nobody owns. */
		tty_write(t, "g");
		settle(t, 100, 2000);
		while (PQconsumeInput(listener) && (nt = PQnotifies(listener)) != NULL)
			PQfreemem(nt);
		tty_forget(t);
		t0 = bench_now_ms();
		tty_write(t, "t");
		end = t0 + 10000;
		while ((!t_owned || !t_shown) && bench_now_ms() < end) {
			pump(t, listener, 20);
			while ((nt = PQnotifies(listener)) != NULL) {
				if (!t_owned && strstr(nt->extra, "\"human\""))
					t_owned = bench_now_ms();
				PQfreemem(nt);
			}
			if (!t_shown && tty_saw(t, "HUMAN (Ann Jansen)"))
				t_shown = bench_now_ms();
		}
		if (!t_owned || !t_shown)
			bench_die("takeover %d: owned %s, shown %s", k, t_owned ? "yes" : "no",
				  t_shown ? "yes" : "no");
		samples_add(&owned, t_owned - t0);
		samples_add(&shown, t_shown - t0);
		/* Back to the list for the next one. */
		tty_write(t, "\033");
		settle(t, 150, 3000);
	}
	bench_result("take.trials", "%d", trials);
	bench_result("take.owned.p50", "%.2f", samples_pct(&owned, 50));
	bench_result("take.owned.p99", "%.2f", samples_pct(&owned, 99));
	bench_result("take.shown.p50", "%.2f", samples_pct(&shown, 50));
	bench_result("take.shown.p99", "%.2f", samples_pct(&shown, 99));
	bench_result("take.shown.max", "%.2f", samples_max(&shown));
	bench_log("takeover key: owned p50 %.1f ms, on screen p50 %.1f ms p99 %.1f ms",
		  samples_pct(&owned, 50), samples_pct(&shown, 50), samples_pct(&shown, 99));
	tty_kill(t);
	PQfinish(listener);
}

/* NCONVS open conversations in three queues, one of them unmistakably first. */
static void fill_big(const char *db, int nconvs)
{
	PGconn *admin = bench_connect("postgres", db);
	char n[16];
	double t0 = bench_now_ms();

	snprintf(n, sizeof n, "%d", nconvs);
	/* Set-up data straight into the tables, as the superuser and with the
	 * triggers off (each conversation gets its one message with seq 1 and
	 * message_count 1 by hand): what the screen does with 50,000 rows is
	 * measured here, not how fast the API writes them. */
	PQclear(bench_query(admin, "SET session_replication_role = replica", NULL));
	PQclear(bench_query(admin,
		"INSERT INTO balie.conversations (queue, state, customer_ref, customer_name,"
		" channel, intent, confidence, escalation_reason, bot_summary, created_at,"
		" escalated_at, message_count)"
		" SELECT (ARRAY['billing', 'health', 'parcels'])[1 + g % 3],"
		"  CASE WHEN g % 2 = 0 THEN 'waiting' ELSE 'bot' END, 'big-' || g,"
		"  'Customer ' || g, CASE WHEN g % 5 = 0 THEN 'voice' ELSE 'chat' END,"
		"  'order_status', 0.4 + (g % 50) / 100.0,"
		"  CASE WHEN g % 2 = 0 THEN 'not_understood' END,"
		"  CASE WHEN g % 2 = 0 THEN 'Asked twice where the parcel is.' END,"
		"  now() - interval '2 hours',"
		"  CASE WHEN g % 2 = 0 THEN now() - (g % 3600) * interval '1 second' END, 1"
		" FROM generate_series(1, $1::int) g", n, NULL));
	PQclear(bench_query(admin,
		"INSERT INTO balie.messages (conversation, seq, author_kind, author, body)"
		" SELECT id, 1, 'customer', customer_ref, 'Where is my parcel? Order ' || id"
		" FROM balie.conversations WHERE customer_ref LIKE 'big-%'", NULL));
	PQclear(bench_query(admin, "RESET session_replication_role", NULL));
	/* One unmistakable top row: waiting longest in the highest-priority queue. */
	PQclear(bench_query(admin,
		"UPDATE balie.conversations SET customer_name = 'Topmost Customer',"
		" escalated_at = now() - interval '1 day' WHERE id = (SELECT min(id)"
		" FROM balie.conversations WHERE queue = 'health' AND state = 'waiting')", NULL));
	PQclear(bench_query(admin, "ANALYZE", NULL));
	bench_log("%d open conversations written in %.1f s", nconvs, (bench_now_ms() - t0) / 1e3);
	PQfinish(admin);
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return (x > y) - (x < y);
}

/* Idle CPU and terminal bytes per second over SECONDS. */
static void idle(struct tty *t, const char *name, double seconds)
{
	double cpu0 = proc_cpu_ms(t->pid), t0 = bench_now_ms(), secs;
	unsigned long long b0 = t->bytes;
	char key[64];

	while (bench_now_ms() - t0 < seconds * 1e3)
		pump(t, NULL, 50);
	secs = (bench_now_ms() - t0) / 1e3;
	snprintf(key, sizeof key, "%s.idle_cpu_ms_per_s", name);
	bench_result(key, "%.2f", (proc_cpu_ms(t->pid) - cpu0) / secs);
	snprintf(key, sizeof key, "%s.idle_bytes_per_s", name);
	bench_result(key, "%.0f", (double)(t->bytes - b0) / secs);
}

/* The console with every conversation of BIG_DB: paint, memory, idle cost,
 * bytes. */
static void scale(const char *db, int nconvs)
{
	PGconn *bot;
	struct tty *t;
	double t0, first = 0;
	unsigned long long row[5], full[3];
	char top[32];
	int k;

	fill_big(db, nconvs);
	bot = bench_connect("botty", db);
	snprintf(top, sizeof top, "%lld", bench_int(bot, "SELECT id FROM balie.conversations"
						    " WHERE customer_name = 'Topmost Customer'", NULL));
	t0 = bench_now_ms();
	t = start_console("sue", db);
	while (!tty_saw(t, "Topmost Customer")) {
		if (bench_now_ms() - t0 > 120000)
			bench_die("no first paint within 120 s");
		pump(t, NULL, 5);
		if (!first && t->bytes)
			first = bench_now_ms();
	}
	bench_result("big.convs", "%d", nconvs);
	bench_result("big.first_output_ms", "%.0f", first - t0);
	bench_result("big.first_paint_ms", "%.0f", bench_now_ms() - t0);
	bench_log("%d conversations: first paint after %.0f ms", nconvs, bench_now_ms() - t0);
	settle(t, 500, 10000);
	pump(t, NULL, 2000);
	bench_result("big.rss_kib", "%ld", proc_status_kib(t->pid, "VmRSS"));
	bench_result("big.hwm_kib", "%ld", proc_status_kib(t->pid, "VmHWM"));
	idle(t, "big", 10);

	for (k = 0; k < 5; k++) {
		char marker[MARKER_LEN + 1];
		unsigned long long b0;

		bench_marker(marker, MARKER_LEN, (unsigned)k + 11);
		after_tick(t);
		tty_forget(t);
		b0 = t->bytes;
		PQclear(bench_query(bot, "SELECT balie.post_message($1::bigint, 'customer', $2)",
				    top, marker, NULL));
		if (!wait_text(t, marker, 900))
			bench_die("the one-row update was not drawn");
		settle(t, 30, 500);
		row[k] = t->bytes - b0;
	}
	for (k = 0; k < 3; k++) {
		unsigned long long b0;

		after_tick(t);
		b0 = t->bytes;
		tty_write(t, "\014");	/* Ctrl-L: redraw everything */
		settle_after(t, b0, 30, 800);
		full[k] = t->bytes - b0;
	}
	qsort(row, 5, sizeof row[0], cmp_ull);
	qsort(full, 3, sizeof full[0], cmp_ull);
	bench_result("big.row_bytes", "%llu", row[2]);
	bench_result("big.redraw_bytes", "%llu", full[1]);
	bench_log("one-row update %llu bytes, full redraw %llu bytes", row[2], full[1]);
	tty_kill(t);
	PQfinish(bot);
}

/* Memory and idle cost of the console with a normal queue. */
static void small_idle(const char *db)
{
	struct tty *t = start_console("ann", db);

	if (!wait_text(t, "Take Customer", 30000))
		bench_die("the console did not show the queue within 30 s");
	settle(t, 500, 5000);
	bench_result("small.convs", "%d", small_convs);
	bench_result("small.rss_kib", "%ld", proc_status_kib(t->pid, "VmRSS"));
	idle(t, "small", 10);
	tty_kill(t);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: bench_tui SMALL_DB BIG_DB BALIE TRIALS BIG_CONVS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	balie = argv[3];
	takeover_trials(argv[1], atoi(argv[4]));
	small_idle(argv[1]);
	scale(argv[2], atoi(argv[5]));
	bench_kill_children();
	return 0;
}
