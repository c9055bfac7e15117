/* report: `balie report`, the supervisor figures per queue and day (or
 * hour) as CSV for a spreadsheet, or as JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/i18n.h"
#include "balie/cli.h"
#include "balie/report.h"
#include "balie/store_report.h"

static void usage(FILE *to)
{
	fputs(_("Usage: balie report [OPTION]...\n"
		"Print the supervisor figures per queue and day (or hour): escalations,\n"
		"service level, average speed of answer, abandonment, handling time, first\n"
		"response time, wrap-up codes, containment. Definitions: man balie.\n"
		"Connect as a supervisor (or the database owner).\n"
		"\n"
		"  -d, --dbname=CONNINFO  conninfo string or URI (default: PG* environment,\n"
		"                         service file, .pgpass, as psql)\n"
		"      --from=DATE        first day, YYYY-MM-DD (default: today)\n"
		"      --to=DATE          last day, included (default: the first day)\n"
		"      --queue=Q          only queue Q (default: every queue)\n"
		"      --by=day|hour      one row per queue per day (default) or per hour\n"
		"      --tz=ZONE          the time zone days and hours are counted in, e.g.\n"
		"                         Europe/Amsterdam (default: the server's); said on\n"
		"                         standard error\n"
		"      --format=csv|json  CSV with a header row (default; RFC 4180), or one\n"
		"                         JSON array of objects\n"
		"      --help             display this help and exit\n"
		"      --version          output version information and exit\n"
		"\n"
		"Exit status: 0 when printed, 1 if the database refuses or cannot be\n"
		"reached, 2 on a usage error.\n"
		"\n"
		"Full documentation: man balie\n"), to);
}

bool report_csv_needs_quotes(const char *v)
{
	size_t n = strlen(v);

	/* Leading or trailing blanks are kept only when quoted by some readers. */
	return strpbrk(v, ",\"\r\n") != NULL || (n && (v[0] == ' ' || v[n - 1] == ' '));
}

void report_csv_field(FILE *out, const char *v)
{
	const char *s;

	if (!v)
		return;		/* NULL: an empty field */
	if (!report_csv_needs_quotes(v)) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (s = v; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void report_csv_row(FILE *out, int ncols, const char *const *values)
{
	int i;

	for (i = 0; i < ncols; i++) {
		if (i)
			fputc(',', out);
		report_csv_field(out, values[i]);
	}
	/* RFC 4180 ends records with CRLF; spreadsheets and csv readers take it. */
	fputs("\r\n", out);
}

struct printer {
	FILE *out;
	bool json;
};

static int print_row(int row, int ncols, const char *const *values, void *arg)
{
	struct printer *p = arg;

	if (p->json) {
		if (row >= 0 && ncols > 0 && values[0])
			fprintf(p->out, "%s\n", values[0]);
		return 0;
	}
	report_csv_row(p->out, ncols, values);
	return ferror(p->out) ? -1 : 0;
}

struct report_args {
	const char *conninfo;
	struct store_report_query q;
};

static int parse_args(int argc, char **argv, struct report_args *a)
{
	static const struct option longopts[] = {
		{ "dbname", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "queue", required_argument, NULL, 'Q' },
		{ "by", required_argument, NULL, 'b' },
		{ "tz", required_argument, NULL, 'z' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': a->conninfo = optarg; break;
		case 'f': a->q.from = optarg; break;
		case 't': a->q.to = optarg; break;
		case 'Q': a->q.queue = optarg; break;
		case 'z': a->q.tz = optarg; break;
		case 'b':
			if (strcmp(optarg, "day") != 0 && strcmp(optarg, "hour") != 0) {
				cli_usage_error("balie report", _("--by is day or hour, not '%s'"), optarg);
				return EXIT_USAGE;
			}
			a->q.by = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "csv") != 0 && strcmp(optarg, "json") != 0) {
				cli_usage_error("balie report", _("--format is csv or json, not '%s'"),
						optarg);
				return EXIT_USAGE;
			}
			a->q.json = strcmp(optarg, "json") == 0;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("balie %s\n", BALIE_VERSION);
			return EXIT_OK;
		case ':':
			cli_usage_error("balie report", _("option '%s' requires an argument"),
					argv[optind - 1]);
			return EXIT_USAGE;
		default:
			if (optopt)
				cli_usage_error("balie report", _("invalid option -- '%c'"), optopt);
			else
				cli_usage_error("balie report", _("unrecognized option '%s'"),
						argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_usage_error("balie report", _("unexpected argument '%s'"), argv[optind]);
		return EXIT_USAGE;
	}
	return -1;
}

int report_main(int argc, char **argv)
{
	struct report_args a = { 0 };
	struct printer p = { stdout, false };
	char tz[128] = "", err[600];
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	p.json = a.q.json;
	if (store_report_run(a.conninfo, &a.q, print_row, &p, tz, sizeof tz, err, sizeof err) < 0) {
		fprintf(stderr, "balie report: %s\n", err);
		return EXIT_FAILURE_RUNTIME;
	}
	/* Stated where a spreadsheet does not see it: the output stays pure. */
	fprintf(stderr, _("balie report: days and hours in time zone %s\n"), tz);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "balie report: %s\n", _("cannot write the report"));
		return EXIT_FAILURE_RUNTIME;
	}
	return EXIT_OK;
}
