/* bench_fanout: event → screen latency and write throughput while a crowd of
 * consoles is attached.
 *
 *   bench_fanout DB BALIE ROUNDS WRITERS SECONDS
 *
 * ROUNDS is "N:EVENTS,…": for each, the crowd grows to N headless consoles
 * (`balie watch`, one JSON line per change, timestamped as it arrives), then
 * EVENTS messages are committed one at a time through balie.post_message and
 * timed until every console has them, and then WRITERS threads post as fast
 * as the store accepts for SECONDS. Beside the crowd: one real console (the
 * TUI) on a pseudo-terminal of ours, timed until the message's unique marker
 * text is written to its terminal, and one raw libpq LISTEN connection, the
 * floor (the same commit's notification with nothing behind it).
 *
 * Prints "R name value" lines for run.sh. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"

#define LOAD_CONVS 256
#define MARKER_LEN 10
#define EVENT_TIMEOUT_MS 20000.0
#define READY_TIMEOUT_MS 180000.0
#define CATCHUP_TIMEOUT_MS 120000.0

struct watcher {
	struct child *c;
	bool ready;
	long long probe_v;		/* newest version of the probe seen */
	long long *load_v;		/* newest version of each load conversation */
};

struct bench {
	const char *db, *balie;
	struct watcher **w;
	size_t nw, nready;
	struct tty *tui;
	bool tui_ok;			/* its marker showed up: keep timing it */
	PGconn *listener;		/* raw LISTEN: the floor */
	PGconn *bot;			/* posts the timed messages */
	PGconn *admin;
	long long probe, probe_v;
	long long load[LOAD_CONVS];
	unsigned marker_no;

	/* The event in flight. */
	bool active;
	long long expect_v;
	double t0, acked, heard, shown;
	size_t seen;
	char marker[MARKER_LEN + 1];

	struct samples watch, raw, screen, ack;
	struct pollfd *pfd;
	size_t pfd_cap;
};

static const char *const roles[] = {
	"ann", "bob", "race01", "race02", "race03", "race04", "race05", "race06", "race07",
	"race08", "race09", "race10", "race11", "race12", "race13", "race14", "race15",
	"race16", "race17", "race18", "race19", "race20", "race21", "race22", "race23",
	"race24", "race25", "race26", "race27", "race28", "race29", "race30", "race31",
	"race32",
};

/* The index of a load conversation (their ids are consecutive), or -1. */
static long load_index(const struct bench *b, long long conv)
{
	if (conv < b->load[0] || conv > b->load[LOAD_CONVS - 1])
		return -1;
	return (long)(conv - b->load[0]);
}

/* One JSON line from a console: a timed delivery if it is the event's
 * version. */
static void on_watch_line(struct child *c, char *line, double at, void *arg)
{
	struct bench *b = arg;
	struct watcher *w = c->user;
	long long conv, v;
	long i;

	if (!bench_json_int(line, "conv", &conv) || !bench_json_int(line, "version", &v))
		return;
	if (conv == b->probe) {
		if (b->active && v >= b->expect_v && w->probe_v < b->expect_v) {
			samples_add(&b->watch, at - b->t0);
			b->seen++;
		}
		if (v > w->probe_v)
			w->probe_v = v;
		if (!w->ready && w->probe_v >= b->probe_v) {
			w->ready = true;
			b->nready++;
		}
		return;
	}
	i = load_index(b, conv);
	if (i >= 0 && v > w->load_v[i])
		w->load_v[i] = v;
}

/* The raw listener: when the event's notification arrived (the floor). */
static void on_listener(struct bench *b)
{
	PGnotify *nt;

	if (!PQconsumeInput(b->listener))
		bench_die("the raw listener lost its connection");
	while ((nt = PQnotifies(b->listener)) != NULL) {
		long long conv, v;

		if (b->active && !b->heard && bench_json_int(nt->extra, "conv", &conv) &&
		    conv == b->probe && bench_json_int(nt->extra, "version", &v) && v >= b->expect_v)
			b->heard = bench_now_ms();
		PQfreemem(nt);
	}
}

/* The bot's connection: when post_message was acknowledged. */
static void on_bot(struct bench *b)
{
	PGresult *r;

	if (!PQconsumeInput(b->bot))
		bench_die("the bot lost its connection");
	while (!PQisBusy(b->bot) && (r = PQgetResult(b->bot)) != NULL) {
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			bench_die("post_message: %s", PQresultErrorMessage(r));
		PQclear(r);
		b->acked = bench_now_ms();
	}
}

/* The console's terminal output: when the event's marker was written. */
static void on_tui(struct bench *b)
{
	if (tty_read(b->tui) < 0)
		bench_die("the console ended (see build/bench/console.err)");
	if (b->active && !b->shown && tty_saw(b->tui, b->marker))
		b->shown = bench_now_ms();
}

/* Waits up to TIMEOUT_MS for anything and handles all of it. */
static void pump(struct bench *b, int timeout_ms)
{
	size_t n = 0, i, need = b->nw + 3;

	if (b->pfd_cap < need) {
		b->pfd_cap = need * 2;
		b->pfd = bench_grow(b->pfd, b->pfd_cap * sizeof *b->pfd);
	}
	b->pfd[n++] = (struct pollfd){ b->listener ? PQsocket(b->listener) : -1, POLLIN, 0 };
	b->pfd[n++] = (struct pollfd){ PQsocket(b->bot), POLLIN, 0 };
	b->pfd[n++] = (struct pollfd){ b->tui ? b->tui->fd : -1, POLLIN, 0 };
	for (i = 0; i < b->nw; i++)
		b->pfd[n++] = (struct pollfd){ b->w[i]->c->fd, POLLIN, 0 };
	if (poll(b->pfd, (nfds_t)n, timeout_ms) <= 0)
		return;
	if (b->pfd[0].revents)
		on_listener(b);
	if (b->pfd[1].revents)
		on_bot(b);
	if (b->pfd[2].revents)
		on_tui(b);
	for (i = 0; i < b->nw; i++)
		if (b->pfd[3 + i].revents &&
		    child_read(b->w[i]->c, on_watch_line, b) < 0)
			bench_die("a balie watch ended (see build/bench/watch.err)");
}

static void pump_for(struct bench *b, double ms)
{
	double end = bench_now_ms() + ms;
	double left;

	while ((left = end - bench_now_ms()) > 0)
		pump(b, (int)left + 1);
}

/* Starts consoles until N run, and waits until each shows the probe. */
static void grow_crowd(struct bench *b, size_t n)
{
	double deadline;

	b->w = bench_grow(b->w, n * sizeof *b->w);
	while (b->nw < n) {
		struct watcher *w = bench_alloc(sizeof *w);
		char *conninfo = strdup(bench_conninfo(roles[b->nw % (sizeof roles / sizeof roles[0])],
							b->db));
		char *argv[] = { (char *)b->balie, "watch", "-q", "-d", conninfo, NULL };

		w->load_v = bench_alloc(LOAD_CONVS * sizeof *w->load_v);
		w->c = child_spawn(argv, "build/bench/watch.err");
		w->c->user = w;
		b->w[b->nw++] = w;
		free(conninfo);
		/* Start them in small groups so connecting is not one storm. */
		if (b->nw % 25 == 0)
			pump(b, 0);
	}
	deadline = bench_now_ms() + READY_TIMEOUT_MS;
	while (b->nready < b->nw) {
		if (bench_now_ms() > deadline)
			bench_die("only %zu of %zu consoles came up", b->nready, b->nw);
		pump(b, 100);
	}
}

/* One message, timed until the floor, every console and the TUI have it. */
static void one_event(struct bench *b, size_t *misses)
{
	char conv[32];
	const char *params[2] = { conv, b->marker };
	double deadline;

	bench_marker(b->marker, MARKER_LEN, b->marker_no++);
	snprintf(conv, sizeof conv, "%lld", b->probe);
	if (b->tui)
		tty_forget(b->tui);
	b->expect_v = b->probe_v + 1;
	b->seen = 0;
	b->acked = b->heard = b->shown = 0;
	b->active = true;
	b->t0 = bench_now_ms();
	bench_send(b->bot, "SELECT balie.post_message($1::bigint, 'customer', $2)", 2, params);
	deadline = b->t0 + EVENT_TIMEOUT_MS;
	while (bench_now_ms() < deadline &&
	       !(b->acked && b->heard && b->seen == b->nw && (!b->tui_ok || b->shown)))
		pump(b, 20);
	b->active = false;
	b->probe_v = b->expect_v;
	if (!b->acked)
		bench_die("post_message got no answer in %.0f s", EVENT_TIMEOUT_MS / 1e3);
	samples_add(&b->ack, b->acked - b->t0);
	if (b->heard)
		samples_add(&b->raw, b->heard - b->t0);
	if (b->tui_ok && b->shown)
		samples_add(&b->screen, b->shown - b->t0);
	*misses += b->nw - b->seen + (b->heard ? 0 : 1) + (b->tui_ok && !b->shown ? 1 : 0);
}

static void result3(const char *prefix, size_t n, const char *what, struct samples *s)
{
	char name[96];

	snprintf(name, sizeof name, "%s.%zu.%s.p50", prefix, n, what);
	bench_result(name, "%.2f", samples_pct(s, 50));
	snprintf(name, sizeof name, "%s.%zu.%s.p99", prefix, n, what);
	bench_result(name, "%.2f", samples_pct(s, 99));
	snprintf(name, sizeof name, "%s.%zu.%s.max", prefix, n, what);
	bench_result(name, "%.2f", samples_max(s));
}

/* CPU milliseconds used so far by the consoles' server backends (SERVER)
 * and by the console processes themselves (CLIENT); what one change costs
 * per console, measured in CPU time, holds up on a busy machine. */
static void console_cpu(struct bench *b, double *server, double *client)
{
	PGresult *r = bench_query(b->admin, "SELECT pid FROM pg_stat_activity"
				  " WHERE datname = current_database()"
				  " AND backend_type = 'client backend'"
				  " AND usename NOT IN ('postgres', 'botty')", NULL);
	size_t i;
	int j;

	*server = *client = 0;
	for (j = 0; j < PQntuples(r); j++)
		*server += proc_cpu_ms((pid_t)atoi(PQgetvalue(r, j, 0)));
	PQclear(r);
	for (i = 0; i < b->nw; i++)
		*client += proc_cpu_ms(b->w[i]->c->pid);
	if (b->tui)
		*client += proc_cpu_ms(b->tui->pid);
}

/* EVENTS timed messages with N consoles attached, and what they cost. */
static void latency_round(struct bench *b, size_t n, int events)
{
	size_t misses = 0, consoles = b->nw + (b->tui ? 1 : 0);
	double server0, client0, server1, client1;
	char name[64];
	int k;

	samples_clear(&b->watch);
	samples_clear(&b->raw);
	samples_clear(&b->screen);
	samples_clear(&b->ack);
	console_cpu(b, &server0, &client0);
	for (k = 0; k < events; k++) {
		one_event(b, &misses);
		if (k == 0 && b->tui && !b->shown) {
			bench_log("the console never drew the marker: no TUI figures");
			b->tui_ok = false;
		}
		/* A varying gap, so events do not lock step with the 1 s clock. */
		pump_for(b, 20 + rand() % 40);
	}
	console_cpu(b, &server1, &client1);
	snprintf(name, sizeof name, "fan.%zu.server_cpu", n);
	bench_result(name, "%.3f", (server1 - server0) / (double)events / (double)consoles);
	snprintf(name, sizeof name, "fan.%zu.client_cpu", n);
	bench_result(name, "%.3f", (client1 - client0) / (double)events / (double)consoles);
	bench_log("%zu consoles: %d events, headless p50 %.1f ms p99 %.1f ms, TUI p50 %.1f ms, "
		  "floor p50 %.2f ms, %zu missed", n, events, samples_pct(&b->watch, 50),
		  samples_pct(&b->watch, 99), samples_pct(&b->screen, 50), samples_pct(&b->raw, 50),
		  misses);
	snprintf(name, sizeof name, "fan.%zu.events", n);
	bench_result(name, "%d", events);
	snprintf(name, sizeof name, "fan.%zu.misses", n);
	bench_result(name, "%zu", misses);
	result3("fan", n, "watch", &b->watch);
	result3("fan", n, "raw", &b->raw);
	result3("fan", n, "ack", &b->ack);
	if (b->tui_ok)
		result3("fan", n, "tui", &b->screen);
}

/* Whether every console shows at least version FINAL of each load
 * conversation. */
static bool all_caught_up(const struct bench *b, const long long *final)
{
	size_t i, j;

	for (i = 0; i < b->nw; i++)
		for (j = 0; j < LOAD_CONVS; j++)
			if (b->w[i]->load_v[j] < final[j])
				return false;
	return true;
}

/* Writers post flat out; then how long until every console has caught up. */
static void throughput_round(struct bench *b, size_t n, int nwriters, double seconds)
{
	long long final[LOAD_CONVS];
	unsigned long long total;
	struct writers *wr;
	double rate, stopped, deadline;
	PGresult *r;
	char name[64], lo[32], hi[32];
	int i;

	wr = writers_start(b->db, nwriters, b->load, LOAD_CONVS);
	pump_for(b, seconds * 1e3);
	rate = writers_stop(wr, &total);
	stopped = bench_now_ms();
	snprintf(lo, sizeof lo, "%lld", b->load[0]);
	snprintf(hi, sizeof hi, "%lld", b->load[LOAD_CONVS - 1]);
	r = bench_query(b->admin, "SELECT id, version FROM balie.conversations"
			" WHERE id BETWEEN $1::bigint AND $2::bigint ORDER BY id", lo, hi, NULL);
	if (PQntuples(r) != LOAD_CONVS)
		bench_die("load conversations went missing");
	for (i = 0; i < LOAD_CONVS; i++)
		final[i] = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	PQclear(r);
	/* How long the consoles need to show the end state of the burst. */
	deadline = stopped + CATCHUP_TIMEOUT_MS;
	while (!all_caught_up(b, final) && bench_now_ms() < deadline)
		pump(b, 50);
	bench_log("%zu consoles: %.0f posts/s with %d writers; consoles caught up %.0f ms after",
		  n, rate, nwriters, bench_now_ms() - stopped);
	snprintf(name, sizeof name, "fan.%zu.tput", n);
	bench_result(name, "%.0f", rate);
	if (n) {
		snprintf(name, sizeof name, "fan.%zu.catchup", n);
		if (all_caught_up(b, final))
			bench_result(name, "%.0f", bench_now_ms() - stopped);
		else
			bench_result(name, "timeout");
	}
	pump_for(b, 500);
}

/* The probe (waiting, top of the list) and the writers' load conversations. */
static void setup(struct bench *b)
{
	char id[32];
	PGresult *r;
	int i;

	b->admin = bench_connect("postgres", b->db);
	b->bot = bench_connect("botty", b->db);
	b->probe = bench_int(b->bot, "SELECT balie.open_conversation('billing', 'probe',"
			     " 'Probe Customer')", NULL);
	snprintf(id, sizeof id, "%lld", b->probe);
	/* Waiting: at the top of the agent's list, where the marker is drawn. */
	PQclear(bench_query(b->bot, "SELECT balie.escalate($1::bigint, 'customer_request')", id,
			    NULL));
	r = bench_query(b->bot, "SELECT balie.open_conversation('billing', 'load-' || g,"
			" 'Load Customer ' || g) FROM generate_series(1, $1::int) g ORDER BY 1",
			"256", NULL);
	for (i = 0; i < LOAD_CONVS; i++)
		b->load[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	PQclear(r);
	if (b->load[LOAD_CONVS - 1] - b->load[0] != LOAD_CONVS - 1)
		bench_die("load conversations are not numbered one after another");
	b->probe_v = bench_int(b->admin, "SELECT version FROM balie.conversations WHERE id = $1",
			       id, NULL);
	PQsetnonblocking(b->bot, 1);
}

/* The real console as agent "ann", on a 120x40 terminal of ours. */
static void start_tui(struct bench *b)
{
	char *conninfo = strdup(bench_conninfo("ann", b->db));
	char *argv[] = { (char *)b->balie, "-d", conninfo, "--quiet", NULL };
	char *env[] = { "TERM=xterm-256color", "LC_ALL=C.UTF-8",
			"XDG_CONFIG_HOME=build/bench/config", NULL };
	double deadline = bench_now_ms() + 30000;

	b->tui = tty_spawn(argv, env, 40, 120);
	free(conninfo);
	while (!tty_saw(b->tui, "Probe Customer")) {
		if (bench_now_ms() > deadline)
			bench_die("the console did not show the queue within 30 s");
		pump(b, 50);
	}
	b->tui_ok = true;
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	char *rounds, *tok, *save = NULL;
	int nwriters;
	double seconds;

	if (argc != 6) {
		fprintf(stderr, "usage: bench_fanout DB BALIE N:EVENTS[,…] WRITERS SECONDS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	srand(42);
	b.db = argv[1];
	b.balie = argv[2];
	rounds = strdup(argv[3]);
	nwriters = atoi(argv[4]);
	seconds = atof(argv[5]);
	setup(&b);

	/* Nothing listening: the store's own write rate. */
	throughput_round(&b, 0, nwriters, seconds);

	b.listener = bench_connect("postgres", b.db);
	PQclear(bench_query(b.listener, "LISTEN balie", NULL));
	PQsetnonblocking(b.listener, 1);
	if (getenv("BENCH_NO_TUI") == NULL)
		start_tui(&b);
	for (tok = strtok_r(rounds, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t n = (size_t)strtoul(tok, NULL, 10);
		const char *colon = strchr(tok, ':');
		int events = colon ? atoi(colon + 1) : 50;

		grow_crowd(&b, n);
		bench_log("%zu consoles attached", n);
		latency_round(&b, n, events);
		throughput_round(&b, n, nwriters, seconds);
	}
	bench_kill_children();
	PQfinish(b.listener);
	PQfinish(b.bot);
	PQfinish(b.admin);
	free(rounds);
	return 0;
}
