/* watch: the core without a screen; one JSON line per change. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "balie/cli.h"
#include "balie/feed.h"
#include "balie/i18n.h"
#include "balie/model.h"
#include "balie/sync.h"
#include "balie/util.h"

struct watch {
	uv_loop_t *loop;
	struct model model;
	struct sync *sync;
	uv_signal_t sig[3];
	uv_check_t flush;
	bool unflushed;
	bool quiet;
	bool print_stats;
	struct sync_stats stats;	/* copied before sync is freed */
	int exit_code;
	bool stopping;
};

static void usage(FILE *to)
{
	fputs(_("Usage: balie watch [OPTION]...\n"
	      "Print one JSON object per line for every change of a conversation that\n"
	      "the console would show: conv, version, state, agent, queue, customer,\n"
	      "reason, messages, waited (seconds the customer waited for a person).\n"
	      "Starts with every open conversation the role may see.\n"
	      "\n"
	      "  -d, --dbname=CONNINFO  conninfo string or URI (default: PG* environment,\n"
	      "                         service file, .pgpass, as psql)\n"
	      "  -q, --quiet            no connection messages on standard error\n"
	      "      --relay=PATH       take changes from 'balie relay' at this socket\n"
	      "                         (default: $BALIE_RELAY; unset: LISTEN/NOTIFY)\n"
	      "      --stats            print counters to standard error at exit\n"
	      "      --help             display this help and exit\n"
	      "      --version          output version information and exit\n"
	      "\n"
	      "Exit status: 0 when stopped by a signal, 1 if the connection cannot be\n"
	      "made (bad password, no such database), 2 on a usage error.\n"), to);
}

static void stop(struct watch *w, int code)
{
	int i;

	if (w->stopping)
		return;
	w->stopping = true;
	w->exit_code = code;
	for (i = 0; i < 3; i++)
		uv_close((uv_handle_t *)&w->sig[i], NULL);
	uv_close((uv_handle_t *)&w->flush, NULL);
	w->stats = *sync_stats(w->sync);
	sync_stop(w->sync);
}

static void on_flush(uv_check_t *h)
{
	struct watch *w = h->data;

	if (!w->unflushed)
		return;
	w->unflushed = false;
	if (fflush(stdout) != 0)
		stop(w, EXIT_FAILURE_RUNTIME);	/* the reader went away */
}

static void on_conn(struct sync *s, enum sync_conn st, const char *reason,
		    unsigned retry_ms, void *user)
{
	struct watch *w = user;

	if (st == SYNC_FAILED) {
		fprintf(stderr, "balie watch: %s\n", reason);
		stop(w, EXIT_FAILURE_RUNTIME);
		return;
	}
	if (w->quiet)
		return;
	if (st == SYNC_ONLINE && sync_relay_path(s))
		fprintf(stderr, _("balie watch: connected (feed: relay %s)\n"), sync_relay_path(s));
	else if (st == SYNC_ONLINE)
		fprintf(stderr, _("balie watch: connected (feed: notify)\n"));
	else if (st == SYNC_RETRY_WAIT)
		fprintf(stderr, _("balie watch: offline (%s); retrying in %u ms\n"), reason, retry_ms);
}

static void on_changed(struct sync *s, struct model_conv *c, enum model_apply how, void *user)
{
	struct watch *w = user;

	(void)s;
	(void)how;
	if (c->json) {
		fputs(c->json, stdout);
		fputc('\n', stdout);
		w->unflushed = true;
	}
}

static void on_removed(struct sync *s, int64_t id, void *user)
{
	struct watch *w = user;

	(void)s;
	/* Only integers: nothing here needs escaping. */
	printf("{\"conv\" : %lld, \"visible\" : false}\n", (long long)id);
	w->unflushed = true;
}

static void on_error(struct sync *s, const char *message, void *user)
{
	(void)s;
	(void)user;
	fprintf(stderr, "balie watch: %s\n", message);
}

static void on_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	stop(h->data, EXIT_OK);
}

/* Sets up the loop: the sync, the signals, the flush after every turn. */
static void watch_start(struct watch *w, const char *conninfo, const char *relay)
{
	static const int signals[3] = { SIGINT, SIGTERM, SIGHUP };
	struct sync_events ev = { 0 };
	struct sync_options so = { 0 };
	int i;

	signal(SIGPIPE, SIG_IGN);
	w->loop = uv_default_loop();
	model_init(&w->model);
	ev.conn = on_conn;
	ev.changed = on_changed;
	ev.removed = on_removed;
	ev.error = on_error;
	ev.user = w;
	so.relay = relay;
	w->sync = sync_new(w->loop, conninfo, &w->model, &so, &ev);
	for (i = 0; i < 3; i++) {
		util_uv_check(uv_signal_init(w->loop, &w->sig[i]), "watch signal");
		w->sig[i].data = w;
		util_uv_check(uv_signal_start(&w->sig[i], on_signal, signals[i]), "watch signal");
	}
	util_uv_check(uv_check_init(w->loop, &w->flush), "watch flush");
	w->flush.data = w;
	util_uv_check(uv_check_start(&w->flush, on_flush), "watch flush");
	if (sync_start(w->sync) != 0) {
		fprintf(stderr, "balie watch: %s\n", sync_last_error(w->sync));
		stop(w, EXIT_USAGE);
	}
}

int watch_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dbname", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "stats", no_argument, NULL, 's' },
		{ "relay", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct watch w = { 0 };
	const char *relay = NULL;
	const char *conninfo = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "d:q", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			conninfo = optarg;
			break;
		case 'q':
			w.quiet = true;
			break;
		case 's':
			w.print_stats = true;
			break;
		case 'r':
			relay = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("balie watch %s\n", BALIE_VERSION);
			return EXIT_OK;
		default:
			fputs(_("Try 'balie watch --help' for more information.\n"), stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_usage_error("balie watch", _("unexpected argument '%s'"), argv[optind]);
		return EXIT_USAGE;
	}
	if (!relay && getenv("BALIE_RELAY") && *getenv("BALIE_RELAY"))
		relay = getenv("BALIE_RELAY");
	watch_start(&w, conninfo, relay);
	uv_run(w.loop, UV_RUN_DEFAULT);
	if (w.print_stats)
		fprintf(stderr, "balie watch: notifications %lu, fetch queries %lu, "
			"re-syncs %lu, reconnects %lu\n", w.stats.notifications,
			w.stats.fetch_queries, w.stats.resyncs, w.stats.reconnects);
	fflush(stdout);
	model_free(&w.model);
	uv_loop_close(w.loop);
	return w.exit_code;
}
