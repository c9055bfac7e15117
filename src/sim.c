/* sim: `balie sim`, customers and a chatbot talking through the SQL API.
 *
 * Two connections: the bot's (opens conversations, answers, escalates,
 * closes, and LISTENs on balie_bot for takeovers and handbacks, and on balie
 * for agents' replies) and the customers'. Every wait is a libuv timer; every
 * call goes through the store (store_sim.h) on the connection's queue, so
 * nothing blocks. The store has the last word: a bot message that crosses a
 * takeover is refused (BL012), and sim then re-reads the conversation's
 * state instead of insisting. This file: the command line and the run. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "balie/cli.h"
#include "balie/i18n.h"
#include "balie/sim.h"
#include "balie/store_sim.h"
#include "balie/util.h"
#include "sim_priv.h"

/* ---------------------------------------------------------------- output */

void sim_log(struct sim *s, const struct sim_conv *c, const char *fmt, ...)
{
	va_list ap;
	time_t now = time(NULL);
	struct tm tm;
	char clock[16] = "";

	if (s->quiet)
		return;
	if (localtime_r(&now, &tm))
		strftime(clock, sizeof clock, "%H:%M:%S", &tm);
	if (c)
		printf("%s conv %s %-12s %s %s: ", clock, c->id ? c->idtext : "-",
		       s->queues[c->plan.queue].id, c->plan.lang == SIM_NL ? "nl" : "en",
		       c->plan.customer_name);
	else
		printf("%s ", clock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void sim_usage(FILE *to)
{
	fputs(_("Usage: balie sim [OPTION]...\n"
	      "Play customers and a chatbot against a balie ticket store: customers open\n"
	      "conversations and ask questions, the bot answers citing knowledge-base\n"
	      "articles, closes what it can and escalates the rest with a reason, an\n"
	      "intent, a confidence and a summary. The bot goes quiet when a person takes\n"
	      "over and comes back on a handback; customers keep talking to the person.\n"
	      "Conversations are in Dutch and English across five sectors (banking,\n"
	      "health insurance, parcels, energy, municipality), spread over the queues\n"
	      "in balie.queues. The role must be a member of balie_bot and registered\n"
	      "in this database with balie.add_bot(login, queues).\n"
	      "\n"
	      "  -d, --dbname=CONNINFO  conninfo string or URI (default: PG* environment,\n"
	      "                         service file, .pgpass, as psql)\n"
	      "  -r, --rate=N           new conversations per minute (default 6)\n"
	      "  -t, --duration=S       stop after S seconds (default: run until stopped)\n"
	      "  -s, --seed=N           the same seed plays the same conversations\n"
	      "                         (default: from the clock, printed at the start)\n"
	      "  -l, --lang=nl|en       only Dutch or only English customers (default both)\n"
	      "      --speed=X          pauses X times shorter (default 1: people's pace)\n"
	      "      --burst=N          open N conversations at once at the start\n"
	      "  -q, --quiet            no event lines on standard output\n"
	      "      --stats            print counters to standard error at exit\n"
	      "      --help             display this help and exit\n"
	      "      --version          output version information and exit\n"
	      "\n"
	      "Exit status: 0 at the end of --duration or when stopped by a signal, 1 if\n"
	      "the connection cannot be made or the role is no bot, 2 on a usage error.\n"), to);
}

static void sim_on_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	sim_stop(h->data, EXIT_OK);
}

static void sim_on_end(uv_timer_t *t)
{
	struct sim *s = container_of(t, struct sim, end);

	if (!s->ready) {
		fprintf(stderr, _("balie sim: never got going in %.4g seconds: %s\n"), s->duration,
			*store_link_error(s->bot) ? store_link_error(s->bot) : _("no connection"));
		sim_stop(s, EXIT_FAILURE_RUNTIME);
		return;
	}
	sim_log(s, NULL, "the run is over (--duration)");
	sim_stop(s, EXIT_OK);
}

static bool sim_parse_double(const char *arg, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

enum {
	SIM_OPT_SPEED = 256,
	SIM_OPT_BURST,
	SIM_OPT_STATS,
	SIM_OPT_HELP,
	SIM_OPT_VERSION,
};

/* Applies option C (with optarg) to S; returns -1 to go on, else the exit
 * code to leave with (a usage error or --help/--version done). */
static int sim_option(struct sim *s, int c, bool *seeded)
{
	double burst;
	char *end;

	switch (c) {
	case 'd':
		s->conninfo = optarg;
		return -1;
	case 'r':
		if (sim_parse_double(optarg, 0.001, 1e6, &s->rate))
			return -1;
		cli_usage_error("balie sim", _("invalid --rate '%s': give "
				"conversations per minute, more than 0"), optarg);
		return EXIT_USAGE;
	case 't':
		if (sim_parse_double(optarg, 0, 1e9, &s->duration))
			return -1;
		cli_usage_error("balie sim", _("invalid --duration '%s': give "
				"seconds, 0 or more"), optarg);
		return EXIT_USAGE;
	case 's':
		errno = 0;
		s->seed = strtoull(optarg, &end, 10);
		if (errno || end == optarg || *end || *optarg == '-') {
			cli_usage_error("balie sim", _("invalid --seed '%s': give a "
					"whole number"), optarg);
			return EXIT_USAGE;
		}
		*seeded = true;
		return -1;
	case 'l':
		if (strcmp(optarg, "nl") == 0 || strcmp(optarg, "en") == 0) {
			s->lang = strcmp(optarg, "nl") == 0 ? SIM_NL : SIM_EN;
			return -1;
		}
		cli_usage_error("balie sim", _("invalid --lang '%s': use nl or en"), optarg);
		return EXIT_USAGE;
	case SIM_OPT_SPEED:
		if (sim_parse_double(optarg, 0.01, 10000, &s->speed))
			return -1;
		cli_usage_error("balie sim", _("invalid --speed '%s': give a "
				"factor between 0.01 and 10000"), optarg);
		return EXIT_USAGE;
	case SIM_OPT_BURST:
		if (sim_parse_double(optarg, 0, 1000, &burst) && burst == (unsigned)burst) {
			s->burst = (unsigned)burst;
			return -1;
		}
		cli_usage_error("balie sim", _("invalid --burst '%s': give a "
				"whole number up to 1000"), optarg);
		return EXIT_USAGE;
	case 'q':
		s->quiet = true;
		return -1;
	case SIM_OPT_STATS:
		s->print_stats = true;
		return -1;
	case SIM_OPT_HELP:
		sim_usage(stdout);
		return EXIT_OK;
	case SIM_OPT_VERSION:
		printf("balie sim %s\n", BALIE_VERSION);
		return EXIT_OK;
	default:
		fputs(_("Try 'balie sim --help' for more information.\n"), stderr);
		return EXIT_USAGE;
	}
}

/* Reads the command line into S; returns -1 to run, else the exit code. */
static int sim_parse_options(struct sim *s, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dbname", required_argument, NULL, 'd' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "lang", required_argument, NULL, 'l' },
		{ "speed", required_argument, NULL, SIM_OPT_SPEED },
		{ "burst", required_argument, NULL, SIM_OPT_BURST },
		{ "quiet", no_argument, NULL, 'q' },
		{ "stats", no_argument, NULL, SIM_OPT_STATS },
		{ "help", no_argument, NULL, SIM_OPT_HELP },
		{ "version", no_argument, NULL, SIM_OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	bool seeded = false;
	int c, code;

	s->rate = 6;
	s->speed = 1;
	s->lang = SIM_LANG_MIXED;
	while ((c = getopt_long(argc, argv, "d:r:t:s:l:q", longopts, NULL)) != -1)
		if ((code = sim_option(s, c, &seeded)) >= 0)
			return code;
	if (optind < argc) {
		cli_usage_error("balie sim", _("unexpected argument '%s'"), argv[optind]);
		return EXIT_USAGE;
	}
	if (!seeded)
		s->seed = (uv_hrtime() ^ ((uint64_t)getpid() << 32)) % 1000000000ULL;
	return -1;
}

/* Sets up the loop: two connections, the signals, the end of the run. */
static void sim_start(struct sim *s)
{
	static const int signals[3] = { SIGINT, SIGTERM, SIGHUP };
	struct store_link_events ev = { sim_on_link_state, sim_on_notify, s };
	int i;

	sim_rng_seed(&s->timing, s->seed, 0x4000000000000000ULL);
	signal(SIGPIPE, SIG_IGN);
	s->loop = uv_default_loop();
	s->bot = store_link_new(s->loop, s->conninfo, NULL, &ev);
	s->customers = store_link_new(s->loop, s->conninfo, NULL, &ev);
	store_link_listen(s->bot, STORE_CHANNEL_BOT);
	store_link_listen(s->bot, STORE_CHANNEL_CHANGES);
	util_uv_check(uv_timer_init(s->loop, &s->arrive), "sim arrivals");
	util_uv_check(uv_timer_init(s->loop, &s->end), "sim end");
	for (i = 0; i < 3; i++) {
		util_uv_check(uv_signal_init(s->loop, &s->sig[i]), "sim signal");
		s->sig[i].data = s;
		util_uv_check(uv_signal_start(&s->sig[i], sim_on_signal, signals[i]),
			      "sim signal");
	}
	if (s->duration > 0)
		util_uv_check(uv_timer_start(&s->end, sim_on_end,
					     (uint64_t)(s->duration * 1000), 0), "sim end");
	if (store_link_start(s->bot) != 0) {
		fprintf(stderr, "balie sim: %s\n", store_link_error(s->bot));
		sim_stop(s, EXIT_USAGE);
	} else if (store_link_start(s->customers) != 0) {
		fprintf(stderr, "balie sim: %s\n", store_link_error(s->customers));
		sim_stop(s, EXIT_USAGE);
	}
}

static void sim_print_stats(const struct sim *s)
{
	fprintf(stderr, "balie sim: opened %u, customer messages %u, bot messages %u, "
		"escalations %u (customer_request %u, not_understood %u, "
		"sensitive_topic %u, negative_sentiment %u, bot_error %u), "
		"closed by the bot %u, takeovers %u, handbacks %u, closed by people %u, "
		"refused %u, errors %u\n",
		s->stats.opened, s->stats.customer_messages, s->stats.bot_messages,
		s->stats.escalations, s->stats.reasons[SIM_ESC_CUSTOMER_REQUEST],
		s->stats.reasons[SIM_ESC_NOT_UNDERSTOOD],
		s->stats.reasons[SIM_ESC_SENSITIVE_TOPIC],
		s->stats.reasons[SIM_ESC_NEGATIVE_SENTIMENT],
		s->stats.reasons[SIM_ESC_BOT_ERROR], s->stats.bot_closed,
		s->stats.takeovers, s->stats.handbacks, s->stats.closed_by_people,
		s->stats.refused, s->stats.errors);
}

int sim_main(int argc, char **argv)
{
	struct sim *s = xcalloc(1, sizeof *s);
	int code = sim_parse_options(s, argc, argv);

	if (code >= 0) {
		free(s);
		return code;
	}
	sim_start(s);
	uv_run(s->loop, UV_RUN_DEFAULT);
	if (s->print_stats)
		sim_print_stats(s);
	fflush(stdout);
	uv_loop_close(s->loop);
	sim_queues_free(s->queues, s->nqueues);
	free(s->login);
	code = s->exit_code;
	free(s);
	return code;
}
