/* console: the agent's screen — command line, event loop, keys, actions.
 *
 * console_main() (declared in cli.h) ties sync (the live model), the views
 * and the ui together on one libuv loop: keys from a poll on standard
 * input, a one-second timer for the clocks, signals for resize and exit. */
#ifndef BALIE_CONSOLE_H
#define BALIE_CONSOLE_H

#include <stdbool.h>
#include <stdio.h>

struct console_options {
	const char *conninfo;	/* -d; NULL: the PG* environment */
	bool supervisor;	/* --supervisor */
	bool quiet;		/* --quiet: no bell */
	const char *relay;	/* --relay or $BALIE_RELAY: relay mode (feed.h) */
};

enum console_parse {
	CONSOLE_RUN,		/* start the console */
	CONSOLE_EXIT_OK,	/* --help or --version was printed */
	CONSOLE_EXIT_USAGE,	/* a usage error was printed */
};

/* Parses the command line GNU-style into OPT; help and version go to OUT,
 * errors to ERR. */
enum console_parse console_parse_args(int argc, char **argv, struct console_options *opt,
				      FILE *out, FILE *err);

#endif
