/* console_args: the console's command line, GNU style. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/console.h"
#include "balie/i18n.h"

/* Setup ------------------------------------------------------------------------- */

static void usage(FILE *to)
{
	fputs(_("Usage: balie [OPTION]...\n"
	      "       balie watch [OPTION]...\n"
	      "The console for contact-center agents who take conversations over from a\n"
	      "chatbot: the live queue, each conversation with all the bot's context, and\n"
	      "one key to take over, reply, note, transfer or close.\n"
	      "\n"
	      "  -d, --dbname=CONNINFO  conninfo string or URI (default: PG* environment,\n"
	      "                         service file, .pgpass, as psql)\n"
	      "      --supervisor       open the supervisor screen (supervisors only)\n"
	      "  -q, --quiet            no bell or flash for alerts\n"
	      "      --relay=PATH       take changes from 'balie relay' at this socket\n"
	      "                         (default: $BALIE_RELAY; unset: LISTEN/NOTIFY)\n"
	      "      --help             display this help and exit\n"
	      "      --version          output version information and exit\n"
	      "\n"
	      "Press ? in the console for the keys. Keys, colours and the bell are set in\n"
	      "$XDG_CONFIG_HOME/balie/config (default ~/.config/balie/config); a bad line\n"
	      "stops balie with FILE:LINE messages before the screen opens. 'balie watch'\n"
	      "prints every change as JSON lines instead (see 'balie watch --help').\n"
	      "\n"
	      "Exit status: 0 after quitting, 1 if the database cannot be reached for good\n"
	      "(bad password, no such database) or the role may not use the screen asked\n"
	      "for, 2 on a usage or configuration error.\n"
	      "\n"
	      "Full documentation: man balie\n"), to);
}

enum console_parse console_parse_args(int argc, char **argv, struct console_options *opt,
				      FILE *out, FILE *err)
{
	static const struct option longopts[] = {
		{ "dbname", required_argument, NULL, 'd' },
		{ "supervisor", no_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "relay", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(opt, 0, sizeof *opt);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:q", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt->conninfo = optarg;
			break;
		case 's':
			opt->supervisor = true;
			break;
		case 'q':
			opt->quiet = true;
			break;
		case 'r':
			opt->relay = optarg;
			break;
		case 'h':
			usage(out);
			return CONSOLE_EXIT_OK;
		case 'V':
			fprintf(out, "balie %s\n", BALIE_VERSION);
			return CONSOLE_EXIT_OK;
		case ':':
			fprintf(err, _("balie: option '%s' requires an argument\n"), argv[optind - 1]);
			fputs(_("Try 'balie --help' for more information.\n"), err);
			return CONSOLE_EXIT_USAGE;
		default:
			if (optopt)
				fprintf(err, _("balie: invalid option -- '%c'\n"), optopt);
			else
				fprintf(err, _("balie: unrecognized option '%s'\n"), argv[optind - 1]);
			fputs(_("Try 'balie --help' for more information.\n"), err);
			return CONSOLE_EXIT_USAGE;
		}
	}
	if (!opt->relay && getenv("BALIE_RELAY") && *getenv("BALIE_RELAY"))
		opt->relay = getenv("BALIE_RELAY");
	if (optind < argc) {
		fprintf(err, _("balie: unexpected argument '%s'\n"), argv[optind]);
		fputs(_("Try 'balie --help' for more information.\n"), err);
		return CONSOLE_EXIT_USAGE;
	}
	return CONSOLE_RUN;
}

