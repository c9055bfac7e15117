/* cli: the entry points of balie's commands, each with GNU-style options. */
#ifndef BALIE_CLI_H
#define BALIE_CLI_H

/* Exit codes, as documented in balie(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAILURE_RUNTIME = 1,	/* could not connect, lost for good, … */
	EXIT_USAGE = 2,			/* bad command line or config */
};

int watch_main(int argc, char **argv);
int sim_main(int argc, char **argv);
int console_main(int argc, char **argv);
int relay_main(int argc, char **argv);

/* Prints "balie: MSG" and a hint to try --help, for usage errors. */
void cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
