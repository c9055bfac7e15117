/* migrate: `balie migrate`, the command line and the plan; see migrate.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/cli.h"
#include "balie/i18n.h"
#include "balie/migrate.h"
#include "balie/paths.h"
#include "balie/store_migrate.h"

struct schema_file {
	int version;
	char name[256];
};

struct schema_set {
	char dir[4096];
	struct schema_file *files;
	size_t count;
};

static void usage(FILE *to)
{
	char dir[4096];

	fprintf(to, _("Usage: balie migrate [OPTION]...\n"
		      "Bring a database to the schema this balie ships: apply the numbered\n"
		      "schema files in order, each in one transaction, and record each version\n"
		      "in balie.schema_version. Files already applied are skipped; running it\n"
		      "twice changes nothing. Connect as a superuser (the files create roles).\n"
		      "\n"
		      "  -d, --dbname=CONNINFO  conninfo string or URI (default: PG* environment,\n"
		      "                         service file, .pgpass, as psql)\n"
		      "      --schemas=DIR      apply the files of DIR (default: %s)\n"
		      "      --help             display this help and exit\n"
		      "      --version          output version information and exit\n"
		      "\n"
		      "Exit status: 0 when the database is current, 1 if a file fails or the\n"
		      "database or the schema directory cannot be reached, 2 on a usage error,\n"
		      "3 if the database is newer than this balie.\n"
		      "\n"
		      "Full documentation: man balie\n"), paths_schema_dir(dir, sizeof dir));
}

static int by_version(const void *a, const void *b)
{
	const struct schema_file *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

/* Whether NAME is a schema file (NNN_anything.sql); sets its version. */
static int schema_name(const char *name, int *version)
{
	size_t len = strlen(name), digits = strspn(name, "0123456789");

	if (digits == 0 || digits > 6 || name[digits] != '_' || len < digits + 5 ||
	    strcmp(name + len - 4, ".sql") != 0 || len >= sizeof ((struct schema_file *)0)->name)
		return 0;
	*version = atoi(name);
	return *version > 0;
}

/* Lists DIR's schema files by version; 0, or -1 after printing why. */
static int list_schemas(struct schema_set *set)
{
	DIR *d = opendir(set->dir);
	struct dirent *e;
	size_t cap = 0;

	if (!d) {
		fprintf(stderr, _("balie migrate: cannot read the schema directory %s: %s\n"),
			set->dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		int v;

		if (!schema_name(e->d_name, &v))
			continue;
		if (set->count == cap) {
			cap = cap ? cap * 2 : 16;
			struct schema_file *f = realloc(set->files, cap * sizeof *f);
			if (!f) {
				closedir(d);
				fprintf(stderr, "balie migrate: %s\n", strerror(ENOMEM));
				return -1;
			}
			set->files = f;
		}
		set->files[set->count].version = v;
		snprintf(set->files[set->count].name, sizeof set->files[0].name, "%s", e->d_name);
		set->count++;
	}
	closedir(d);
	if (set->count == 0) {
		fprintf(stderr, _("balie migrate: no schema files (NNN_name.sql) in %s\n"), set->dir);
		return -1;
	}
	qsort(set->files, set->count, sizeof *set->files, by_version);
	for (size_t i = 1; i < set->count; i++) {
		if (set->files[i].version == set->files[i - 1].version) {
			fprintf(stderr, _("balie migrate: %s and %s in %s have the same number\n"),
				set->files[i - 1].name, set->files[i].name, set->dir);
			return -1;
		}
	}
	return 0;
}

/* Reads a whole file; NULL after printing why. */
static char *read_file(const char *dir, const char *name)
{
	char path[4400];
	FILE *f;
	char *text = NULL;
	size_t len = 0;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f) {
		FILE *mem = open_memstream(&text, &len);
		char buf[65536];
		size_t n;

		while (mem && (n = fread(buf, 1, sizeof buf, f)) > 0)
			fwrite(buf, 1, n, mem);
		if (!mem || ferror(f) || fclose(mem) != 0) {
			free(text);
			text = NULL;
		}
		fclose(f);
	}
	if (!text)
		fprintf(stderr, _("balie migrate: cannot read %s: %s\n"), path,
			strerror(errno ? errno : EIO));
	return text;
}

static int recorded(const int *versions, size_t count, int version)
{
	for (size_t i = 0; i < count; i++)
		if (versions[i] == version)
			return 1;
	return 0;
}

/* Applies SET to the database behind M; returns the exit status. */
static int run(struct store_migrate *m, const struct schema_set *set)
{
	int *have = NULL, newest_file = set->files[set->count - 1].version;
	size_t nhave = 0, first = 0;
	char err[1024];

	if (store_migrate_versions(m, &have, &nhave, err, sizeof err) != 0) {
		fprintf(stderr, "balie migrate: %s\n", err);
		return EXIT_FAILURE_RUNTIME;
	}
	if (nhave > 0 && have[nhave - 1] > newest_file) {
		fprintf(stderr, _("balie migrate: the database is at schema %d, newer than this "
				  "balie (which knows up to schema %d in %s); upgrade balie "
				  "instead, nothing was changed\n"),
			have[nhave - 1], newest_file, set->dir);
		free(have);
		return MIGRATE_EXIT_TOO_NEW;
	}
	while (first < set->count && recorded(have, nhave, set->files[first].version))
		first++;
	for (size_t i = 0; i < first; i++)
		printf(_("schema %d (%s) already applied\n"), set->files[i].version,
		       set->files[i].name);
	for (size_t i = first; i < set->count; i++) {
		const struct schema_file *f = &set->files[i];
		char *text = read_file(set->dir, f->name);

		if (!text) {
			free(have);
			return EXIT_FAILURE_RUNTIME;
		}
		if (migrate_unwrap(text, err, sizeof err) != 0 ||
		    store_migrate_apply(m, f->version, text, err, sizeof err) != 0) {
			fprintf(stderr, _("balie migrate: %s not applied (nothing of it was "
					  "kept): %s\n"), f->name, err);
			free(text);
			free(have);
			return EXIT_FAILURE_RUNTIME;
		}
		free(text);
		printf(_("applied %s\n"), f->name);
		fflush(stdout);
	}
	if (first == set->count)
		printf(_("nothing to do: the database is at schema %d\n"), newest_file);
	else
		printf(_("the database is at schema %d\n"), newest_file);
	free(have);
	return EXIT_OK;
}

/* Parses the command line; returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, const char **conninfo, const char **dir)
{
	static const struct option longopts[] = {
		{ "dbname", required_argument, NULL, 'd' },
		{ "schemas", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			*conninfo = optarg;
			break;
		case 's':
			*dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("balie %s\n", BALIE_VERSION);
			return EXIT_OK;
		case ':':
			cli_usage_error("balie migrate", _("option '%s' requires an argument"),
					argv[optind - 1]);
			return EXIT_USAGE;
		default:
			if (optopt)
				cli_usage_error("balie migrate", _("invalid option -- '%c'"), optopt);
			else
				cli_usage_error("balie migrate", _("unrecognized option '%s'"),
						argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_usage_error("balie migrate", _("unexpected argument '%s'"), argv[optind]);
		return EXIT_USAGE;
	}
	return -1;
}

int migrate_main(int argc, char **argv)
{
	const char *conninfo = NULL, *dir = NULL;
	struct schema_set set = { 0 };
	struct store_migrate *m;
	char err[1024];
	int status = parse(argc, argv, &conninfo, &dir);

	if (status >= 0)
		return status;
	if (dir)
		snprintf(set.dir, sizeof set.dir, "%s", dir);
	else
		paths_schema_dir(set.dir, sizeof set.dir);
	if (list_schemas(&set) != 0) {
		free(set.files);
		return EXIT_FAILURE_RUNTIME;
	}
	m = store_migrate_connect(conninfo, err, sizeof err);
	if (!m) {
		fprintf(stderr, "balie migrate: %s\n", err);
		free(set.files);
		return EXIT_FAILURE_RUNTIME;
	}
	printf(_("%s, schema files from %s\n"),
	       store_migrate_target(m, err, sizeof err), set.dir);
	status = run(m, &set);
	store_migrate_close(m);
	free(set.files);
	return status;
}
