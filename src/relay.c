/* relay: `balie relay`, the change feed for many consoles (see relay.h). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "balie/cli.h"
#include "balie/db.h"
#include "balie/relay.h"
#include "balie/util.h"

#define STATS_MS 60000

static void usage(FILE *to)
{
	fputs("Usage: balie relay [OPTION]...\n"
	      "Decode the database's changes once (logical replication, pgoutput) and\n"
	      "stream each to the consoles attached on a Unix socket that may see it.\n"
	      "\n"
	      "  -d, --dbname=CONNINFO  conninfo string or URI of a role with REPLICATION\n"
	      "                         that is a member of balie_relay (default: PG*\n"
	      "                         environment, service file, .pgpass, as psql)\n"
	      "  -s, --socket=PATH      listen on PATH (default: $BALIE_RELAY, else\n"
	      "                         " RELAY_DEFAULT_SOCKET ")\n"
	      "      --status           ask the relay on that socket for its figures\n"
	      "      --help             display this help and exit\n"
	      "      --version          output version information and exit\n"
	      "\n"
	      "Exit status: 0 when stopped by a signal, 1 if the socket cannot be made,\n"
	      "the database refuses the role, or --status finds no relay; 2 on a usage\n"
	      "error.\n", to);
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

void relay_status_line(struct relay *r, char *buf, size_t len)
{
	uint64_t lag = r->st.server_lsn > r->st.processed_lsn ?
		r->st.server_lsn - r->st.processed_lsn : 0;
	double cpu = cpu_seconds();
	const struct relay_client *c;
	int attached = 0;

	uint64_t now = uv_now(r->loop);
	double per_s = r->changes_per_s;

	for (c = r->clients; c; c = c->next)
		attached += c->attached;
	/* Since the last stats line, once a second has passed. */
	if (now >= r->last_stats_ms + 1000)
		per_s = (double)(r->st.changes - r->changes_at_last_stats) * 1000.0 /
			(double)(now - r->last_stats_ms);

	snprintf(buf, len, "status\tclients\t%d\tchanges\t%lu\tchanges_per_s\t%.1f"
		 "\tlag_bytes\t%llu\tlsn\t%X/%X\tstreaming\t%s\tframes\t%lu\tgaps\t%lu"
		 "\tcpu_s\t%.3f\tcpu_us_per_change\t%.1f\tconvs_cached\t%zu\ttickets\t%s",
		 attached, r->st.changes, per_s, (unsigned long long)lag,
		 (unsigned)(r->st.processed_lsn >> 32), (unsigned)r->st.processed_lsn,
		 r->streaming ? "t" : "f", r->st.frames, r->st.gaps, cpu,
		 r->st.changes ? cpu * 1e6 / (double)r->st.changes : 0.0, r->nconvs,
		 r->db && db_get_state(r->db) == DB_CONNECTED ? "t" : "f");
}

void relay_stream_started(struct relay *r)
{
	r->streaming = true;
	r->in_xact = false;
	r->commit_lsn = 0;
	r->st.processed_lsn = 0;
	pgo_reset(&r->dec);
	relay_route_forget(r);
	/* Whatever was committed while no slot existed was never decoded. */
	relay_gap_all(r);
	relay_flush_clients(r);
}

void relay_stream_lost(struct relay *r, const char *why)
{
	r->streaming = false;
	fprintf(stderr, "balie relay: replication stream lost: %s; reconnecting\n", why);
}

/* Once per loop turn: the turn's conversations, then every client's bytes. */
static void on_turn_end(uv_check_t *h)
{
	struct relay *r = h->data;

	relay_route_flush(r);
	relay_flush_clients(r);
}

static void on_stats(uv_timer_t *t)
{
	struct relay *r = t->data;
	uint64_t now = uv_now(r->loop);
	char line[400];

	if (now > r->last_stats_ms)
		r->changes_per_s = (double)(r->st.changes - r->changes_at_last_stats) * 1000.0 /
				   (double)(now - r->last_stats_ms);
	r->changes_at_last_stats = r->st.changes;
	r->last_stats_ms = now;
	relay_status_line(r, line, sizeof line);
	for (char *p = line; *p; p++)
		if (*p == '\t')
			*p = ' ';
	fprintf(stderr, "balie relay: %s\n", line + 7);
}

static void stop(struct relay *r, int code)
{
	int i;

	if (r->stopping)
		return;
	r->stopping = true;
	r->exit_code = code;
	for (i = 0; i < 3; i++)
		uv_close((uv_handle_t *)&r->sig[i], NULL);
	uv_close((uv_handle_t *)&r->flush, NULL);
	uv_close((uv_handle_t *)&r->stats_timer, NULL);
	relay_close_all(r);
	relay_repl_stop(r->repl);
	db_stop(r->db);
}

static void on_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	stop(h->data, EXIT_OK);
}

static void on_db_state(struct db *db, enum db_state st, const char *reason,
			unsigned retry_ms, void *user)
{
	struct relay *r = user;

	(void)db;
	if (st == DB_STOPPED && !r->stopping) {
		fprintf(stderr, "balie relay: %s\n", reason);
		stop(r, EXIT_FAILURE_RUNTIME);
	} else if (st == DB_CONNECTED) {
		relay_redeem_waiting(r);
	} else if (st == DB_RETRY_WAIT) {
		fprintf(stderr, "balie relay: ticket connection lost (%s); retrying in %u ms\n",
			reason, retry_ms);
	}
}

/* --status: one question to a running relay, one line back. */
static int ask_status(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { 5, 0 };
	char buf[1024];
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    write(fd, "status\n", 7) != 7) {
		fprintf(stderr, "balie relay: no relay on %s\n", path);
		if (fd >= 0)
			close(fd);
		return EXIT_FAILURE_RUNTIME;
	}
	while (got < sizeof buf - 1 && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	if (strncmp(buf, "status\t", 7) != 0) {
		fprintf(stderr, "balie relay: no answer from %s\n", path);
		return EXIT_FAILURE_RUNTIME;
	}
	for (char *p = buf; *p; p++)
		if (*p == '\t')
			*p = ' ';
	fputs(buf + 7, stdout);
	return EXIT_OK;
}

static int run(struct relay *r)
{
	const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	struct db_options opt = { .fatal_auth = true };
	struct db_events ev = { .state = on_db_state, .user = r };
	int i;

	relay_route_init(r);
	pgo_init(&r->dec);
	if (relay_listen(r) < 0)
		return EXIT_FAILURE_RUNTIME;
	r->db = db_new(r->loop, r->conninfo, &opt, &ev);
	if (db_start(r->db) < 0) {
		fprintf(stderr, "balie relay: %s\n", db_last_error(r->db));
		return EXIT_USAGE;
	}
	r->repl = relay_repl_new(r);
	relay_repl_start(r->repl);
	for (i = 0; i < 3; i++) {
		uv_signal_init(r->loop, &r->sig[i]);
		r->sig[i].data = r;
		uv_signal_start(&r->sig[i], on_signal, sigs[i]);
	}
	uv_check_init(r->loop, &r->flush);
	r->flush.data = r;
	uv_check_start(&r->flush, on_turn_end);
	uv_timer_init(r->loop, &r->stats_timer);
	r->stats_timer.data = r;
	uv_timer_start(&r->stats_timer, on_stats, STATS_MS, STATS_MS);
	r->last_stats_ms = uv_now(r->loop);
	fprintf(stderr, "balie relay: listening on %s\n", r->socket_path);
	uv_run(r->loop, UV_RUN_DEFAULT);
	relay_route_free(r);
	pgo_reset(&r->dec);
	return r->exit_code;
}

int relay_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dbname", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "status", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct relay r = { 0 };
	bool status = false;
	int c, rc;

	r.socket_path = getenv(RELAY_SOCKET_ENV);
	if (!r.socket_path || !*r.socket_path)
		r.socket_path = RELAY_DEFAULT_SOCKET;
	while ((c = getopt_long(argc, argv, "d:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': r.conninfo = optarg; break;
		case 's': r.socket_path = optarg; break;
		case 'S': status = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("balie relay %s\n", BALIE_VERSION); return EXIT_OK;
		default:
			cli_usage_error("balie relay", "unknown option");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_usage_error("balie relay", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (strlen(r.socket_path) >= sizeof ((struct sockaddr_un *)0)->sun_path) {
		cli_usage_error("balie relay", "socket path too long: %s", r.socket_path);
		return EXIT_USAGE;
	}
	if (status)
		return ask_status(r.socket_path);
	signal(SIGPIPE, SIG_IGN);
	r.loop = uv_default_loop();
	rc = run(&r);
	uv_loop_close(r.loop);
	return rc;
}
