/* bench_poll: balie beside what a shift lead does without it, psql re-running
 * the queue query every second (\watch 1).
 *
 *   bench_poll DB BALIE EVENTS IDLE_SECONDS
 *
 * Attached at once: psql as the supervisor "sue" on a pseudo-terminal, the
 * console as "ann" on another, and `balie watch` as "bob". First nothing
 * happens for IDLE_SECONDS and pg_stat_statements counts what each role asks
 * the server; then EVENTS messages with unique marker text are posted at
 * random moments and each viewer is timed until it shows the marker.
 *
 * Prints "R name value" lines for run.sh. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"

#define MARKER_LEN 10
#define OPEN_CONVS 30

/* The queue as a person would write it: open conversations, waiting first,
 * longest wait first, with the start of the last message. */
static const char queue_query[] =
	"SELECT c.id, c.state, date_trunc('second', now() - coalesce(c.escalated_at,"
	" c.created_at)) AS waiting, c.queue, c.customer_name, c.escalation_reason,"
	" left(lm.body, 30) AS last_message FROM balie.conversations c"
	" LEFT JOIN LATERAL (SELECT body FROM balie.messages m WHERE m.conversation = c.id"
	" ORDER BY seq DESC LIMIT 1) lm ON true WHERE c.state <> 'closed'"
	" ORDER BY c.state = 'waiting' DESC, c.escalated_at, c.id LIMIT 40 \\watch 1\n";

static const char stats_query[] =
	"SELECT r.rolname, coalesce(sum(s.calls), 0), coalesce(sum(s.total_exec_time), 0)"
	" FROM pg_roles r LEFT JOIN pg_stat_statements s ON s.userid = r.oid"
	" AND s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
	" WHERE r.rolname IN ('sue', 'ann', 'bob') GROUP BY r.rolname ORDER BY r.rolname";

struct viewers {
	struct tty *psql, *tui;
	struct child *watch;
	long long probe, expect_v, watch_v;
	double t0, psql_at, tui_at, watch_at;
	bool active;
	char marker[MARKER_LEN + 1];
};

/* A line of balie watch: when it first showed the event's version. */
static void on_watch_line(struct child *c, char *line, double at, void *arg)
{
	struct viewers *v = arg;
	long long conv, ver;

	(void)c;
	if (!bench_json_int(line, "conv", &conv) || conv != v->probe ||
	    !bench_json_int(line, "version", &ver))
		return;
	if (v->active && !v->watch_at && ver >= v->expect_v)
		v->watch_at = at;
	if (ver > v->watch_v)
		v->watch_v = ver;
}

/* Reads every viewer and notes which has shown the marker. */
static void pump(struct viewers *v, int timeout_ms)
{
	struct pollfd pfd[3] = {
		{ v->psql->fd, POLLIN, 0 },
		{ v->tui->fd, POLLIN, 0 },
		{ v->watch->fd, POLLIN, 0 },
	};

	if (poll(pfd, 3, timeout_ms) <= 0)
		return;
	if (pfd[0].revents && tty_read(v->psql) < 0)
		bench_die("psql ended");
	if (pfd[1].revents && tty_read(v->tui) < 0)
		bench_die("the console ended");
	if (pfd[2].revents && child_read(v->watch, on_watch_line, v) < 0)
		bench_die("balie watch ended");
	if (v->active && !v->psql_at && tty_saw(v->psql, v->marker))
		v->psql_at = bench_now_ms();
	if (v->active && !v->tui_at && tty_saw(v->tui, v->marker))
		v->tui_at = bench_now_ms();
}

static void pump_for(struct viewers *v, double ms)
{
	double end = bench_now_ms() + ms, left;

	while ((left = end - bench_now_ms()) > 0)
		pump(v, (int)left + 1);
}

/* Calls and server milliseconds per role since the last reset. */
static void read_stats(PGconn *admin, double calls[3], double ms[3])
{
	PGresult *r = bench_query(admin, stats_query, NULL);
	int i;

	if (PQntuples(r) != 3)
		bench_die("pg_stat_statements: expected 3 roles");
	for (i = 0; i < 3; i++) {
		calls[i] = strtod(PQgetvalue(r, i, 1), NULL);
		ms[i] = strtod(PQgetvalue(r, i, 2), NULL);
	}
	PQclear(r);
}

/* Prints the counts of one phase divided by PER (minutes or events). */
static void report(const char *phase, const double calls[3], const double ms[3], double per)
{
	static const char *const who[3] = { "tui", "watch", "psql" };	/* ann, bob, sue */
	char name[64];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "poll.%s.%s.queries", phase, who[i]);
		bench_result(name, "%.2f", calls[i] / per);
		snprintf(name, sizeof name, "poll.%s.%s.server_ms", phase, who[i]);
		bench_result(name, "%.2f", ms[i] / per);
	}
}

int main(int argc, char **argv)
{
	struct viewers v = { 0 };
	struct samples psql = { 0 }, tui = { 0 }, watch = { 0 };
	const char *db, *balie;
	PGconn *admin, *bot;
	PGresult *r;
	char id[32], *conninfo;
	double calls[3], ms[3], idle_s, t_events;
	int events, k;

	if (argc != 5) {
		fprintf(stderr, "usage: bench_poll DB BALIE EVENTS IDLE_SECONDS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	srand(3);
	db = argv[1];
	balie = argv[2];
	events = atoi(argv[3]);
	idle_s = atof(argv[4]);

	admin = bench_connect("postgres", db);
	PQclear(bench_query(admin, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", NULL));
	bot = bench_connect("botty", db);
	r = bench_query(bot, "SELECT balie.escalate(balie.open_conversation('billing', 'poll-' || g,"
			" 'Poll Customer ' || g), 'customer_request') FROM generate_series(1, $1::int) g",
			"30", NULL);
	PQclear(r);
	v.probe = bench_int(bot, "SELECT balie.open_conversation('billing', 'probe', 'Probe Customer')",
			    NULL);
	snprintf(id, sizeof id, "%lld", v.probe);
	/* Escalated before the others' clocks: first in every viewer's list. */
	PQclear(bench_query(admin, "UPDATE balie.conversations SET state = 'waiting',"
			    " escalation_reason = 'customer_request', escalated_at = now() - interval '1 hour'"
			    " WHERE id = $1::bigint", id, NULL));

	{
		char *argv_psql[] = { "psql", "-X", "-q", "-P", "pager=off", "-d", NULL, NULL };
		char *env[] = { "TERM=xterm-256color", "LC_ALL=C.UTF-8", "PAGER=",
				"XDG_CONFIG_HOME=build/bench/config", NULL };
		char *argv_tui[] = { (char *)balie, "-d", NULL, "--quiet", NULL };
		char *argv_watch[] = { (char *)balie, "watch", "-q", "-d", NULL, NULL };
		double deadline = bench_now_ms() + 30000;

		conninfo = strdup(bench_conninfo("sue", db));
		argv_psql[6] = conninfo;
		v.psql = tty_spawn(argv_psql, env, 40, 160);
		tty_write(v.psql, queue_query);
		free(conninfo);
		conninfo = strdup(bench_conninfo("ann", db));
		argv_tui[2] = conninfo;
		v.tui = tty_spawn(argv_tui, env, 40, 120);
		free(conninfo);
		conninfo = strdup(bench_conninfo("bob", db));
		argv_watch[4] = conninfo;
		v.watch = child_spawn(argv_watch, "build/bench/watch.err");
		free(conninfo);
		while (!tty_saw(v.psql, "Probe Customer") || !tty_saw(v.tui, "Probe Customer") ||
		       !v.watch_v) {
			if (bench_now_ms() > deadline)
				bench_die("the viewers did not show the queue within 30 s");
			pump(&v, 50);
		}
	}
	v.expect_v = bench_int(admin, "SELECT version FROM balie.conversations WHERE id = $1::bigint",
			       id, NULL);
	/* Idle: nothing changes; only asking costs anything. */
	pump_for(&v, 2000);
	PQclear(bench_query(admin, "SELECT pg_stat_statements_reset()", NULL));
	pump_for(&v, idle_s * 1e3);
	read_stats(admin, calls, ms);
	report("idle", calls, ms, idle_s / 60.0);
	bench_log("idle %.0f s: queries ann(TUI) %.0f, bob(watch) %.0f, sue(psql) %.0f",
		  idle_s, calls[0], calls[1], calls[2]);

	PQclear(bench_query(admin, "SELECT pg_stat_statements_reset()", NULL));
	PQsetnonblocking(bot, 1);
	t_events = bench_now_ms();
	for (k = 0; k < events; k++) {
		const char *params[2] = { id, v.marker };
		double deadline;
		PGresult *res;

		bench_marker(v.marker, MARKER_LEN, (unsigned)k + 5);
		tty_forget(v.psql);
		tty_forget(v.tui);
		v.expect_v++;
		v.psql_at = v.tui_at = v.watch_at = 0;
		v.active = true;
		v.t0 = bench_now_ms();
		bench_send(bot, "SELECT balie.post_message($1::bigint, 'customer', $2)", 2, params);
		while (PQisBusy(bot)) {
			struct pollfd pfd = { PQsocket(bot), POLLIN, 0 };

			poll(&pfd, 1, 1000);
			PQconsumeInput(bot);
		}
		while ((res = PQgetResult(bot)) != NULL) {
			if (PQresultStatus(res) != PGRES_TUPLES_OK)
				bench_die("post_message: %s", PQresultErrorMessage(res));
			PQclear(res);
		}
		deadline = v.t0 + 5000;
		while (bench_now_ms() < deadline && !(v.psql_at && v.tui_at && v.watch_at))
			pump(&v, 20);
		v.active = false;
		if (!(v.psql_at && v.tui_at && v.watch_at))
			bench_die("event %d was not shown by every viewer within 5 s", k);
		samples_add(&psql, v.psql_at - v.t0);
		samples_add(&tui, v.tui_at - v.t0);
		samples_add(&watch, v.watch_at - v.t0);
		/* A random moment within psql's one-second cycle. */
		pump_for(&v, 200 + rand() % 1000);
	}
	read_stats(admin, calls, ms);
	report("events", calls, ms, (double)events);
	bench_result("poll.events", "%d", events);
	bench_result("poll.events_secs", "%.1f", (bench_now_ms() - t_events) / 1e3);
	bench_result("poll.psql.avg", "%.1f", samples_mean(&psql));
	bench_result("poll.psql.max", "%.1f", samples_max(&psql));
	bench_result("poll.tui.avg", "%.1f", samples_mean(&tui));
	bench_result("poll.tui.max", "%.1f", samples_max(&tui));
	bench_result("poll.watch.avg", "%.1f", samples_mean(&watch));
	bench_result("poll.watch.max", "%.1f", samples_max(&watch));
	bench_log("psql \\watch 1: avg %.0f ms max %.0f ms; TUI avg %.1f ms max %.1f ms",
		  samples_mean(&psql), samples_max(&psql), samples_mean(&tui), samples_max(&tui));
	bench_kill_children();
	PQfinish(bot);
	PQfinish(admin);
	return 0;
}
