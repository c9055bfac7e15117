/* store_migrate: blocking libpq for the one-shot migrate command; see
 * store_migrate.h for why it does not use db.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "balie/db.h"
#include "balie/i18n.h"
#include "balie/store_migrate.h"

struct store_migrate {
	PGconn *conn;
};

static void set_err(char *err, size_t len, const char *what, const char *msg)
{
	char clean[512];

	snprintf(err, len, "%s: %s", what, db_clean_message(msg, clean, sizeof clean));
}

/* Server warnings (a file's RAISE WARNING) reach the admin on stderr. */
static void on_notice(void *arg, const char *message)
{
	char clean[512];

	fprintf(stderr, _("balie migrate: server: %s\n"),
		db_clean_message(message, clean, sizeof clean));
}

struct store_migrate *store_migrate_connect(const char *conninfo, char *err,
					    size_t errlen)
{
	/* Defaults first, so that CONNINFO (expanded from dbname) overrides. */
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { "10", "balie migrate", conninfo ? conninfo : "", NULL };
	struct store_migrate *m = calloc(1, sizeof *m);

	if (!m) {
		snprintf(err, errlen, "%s", _("out of memory"));
		return NULL;
	}
	m->conn = PQconnectdbParams(keys, vals, 1);
	if (!m->conn || PQstatus(m->conn) != CONNECTION_OK) {
		set_err(err, errlen, _("cannot connect"),
			m->conn ? PQerrorMessage(m->conn) : _("out of memory"));
		store_migrate_close(m);
		return NULL;
	}
	PQsetNoticeProcessor(m->conn, on_notice, NULL);
	return m;
}

const char *store_migrate_target(struct store_migrate *m, char *buf, size_t len)
{
	const char *host = PQhost(m->conn);

	snprintf(buf, len, _("database %s on %s, port %s"), PQdb(m->conn),
		 host && *host ? host : "localhost", PQport(m->conn));
	return buf;
}

int store_migrate_versions(struct store_migrate *m, int **versions,
			   size_t *count, char *err, size_t errlen)
{
	PGresult *r;
	int n;

	*versions = NULL;
	*count = 0;
	/* A fresh database has no balie schema yet: no versions, not an error. */
	r = PQexecParams(m->conn,
			 "SELECT pg_catalog.to_regclass('balie.schema_version') IS NOT NULL",
			 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		set_err(err, errlen, _("cannot read the schema version"),
			PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
		PQclear(r);
		return 0;
	}
	PQclear(r);
	r = PQexecParams(m->conn,
			 "SELECT version FROM balie.schema_version ORDER BY version",
			 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		set_err(err, errlen, _("cannot read balie.schema_version"),
			PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	n = PQntuples(r);
	*versions = calloc(n ? (size_t)n : 1, sizeof **versions);
	if (!*versions) {
		PQclear(r);
		snprintf(err, errlen, "%s", _("out of memory"));
		return -1;
	}
	for (int i = 0; i < n; i++)
		(*versions)[i] = atoi(PQgetvalue(r, i, 0));
	*count = (size_t)n;
	PQclear(r);
	return 0;
}

/* Runs one command that must succeed; returns 0 or -1 with err set. */
static int exec_ok(struct store_migrate *m, const char *sql, const char *what,
		   char *err, size_t errlen)
{
	PGresult *r = PQexec(m->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		set_err(err, errlen, what, r ? PQresultErrorMessage(r) : PQerrorMessage(m->conn));
	PQclear(r);
	return ok ? 0 : -1;
}

/* Records VERSION as applied (a file normally records its own too). */
static int record_version(struct store_migrate *m, int version, char *err,
			  size_t errlen)
{
	char text[16];
	const char *params[1] = { text };
	PGresult *r;
	int ok;

	snprintf(text, sizeof text, "%d", version);
	r = PQexecParams(m->conn, "INSERT INTO balie.schema_version (version) "
			 "VALUES ($1::int) ON CONFLICT (version) DO NOTHING",
			 1, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		set_err(err, errlen, _("cannot record the version"),
			r ? PQresultErrorMessage(r) : PQerrorMessage(m->conn));
	PQclear(r);
	return ok ? 0 : -1;
}

/* The line of BODY that a server error points at (its character position,
 * counted in UTF-8 characters from 1), or 0 when the error names none. */
static int error_line(const PGresult *r, const char *body)
{
	const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
	long chars = pos ? strtol(pos, NULL, 10) : 0;
	int line = 1;

	if (chars <= 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)body; *p; p++) {
		if ((*p & 0xC0) != 0x80 && --chars == 0)	/* a character starts */
			break;
		line += *p == '\n';
	}
	return line;
}

/* Sets err from a failed statement of BODY, with its line when known. */
static void set_script_err(char *err, size_t errlen, const PGresult *r, const char *body)
{
	char clean[512], where[64] = "";
	int line = error_line(r, body);

	if (line > 0)
		snprintf(where, sizeof where, _("line %d: "), line);
	snprintf(err, errlen, "%s%s", where,
		 db_clean_message(PQresultErrorMessage(r), clean, sizeof clean));
}

int store_migrate_apply(struct store_migrate *m, int version, const char *body,
			char *err, size_t errlen)
{
	char scratch[160];
	PGresult *r;
	int failed = 0;

	if (exec_ok(m, "BEGIN", _("cannot start a transaction"), err, errlen) != 0)
		return -1;
	/* The whole file as one simple-protocol query string: the server runs
	 * its statements in order and stops at the first error. */
	if (!PQsendQuery(m->conn, body)) {
		set_err(err, errlen, _("cannot send the schema file"), PQerrorMessage(m->conn));
		exec_ok(m, "ROLLBACK", "rollback", scratch, sizeof scratch);
		return -1;
	}
	while ((r = PQgetResult(m->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(r);

		if (!failed && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
		    st != PGRES_EMPTY_QUERY) {
			set_script_err(err, errlen, r, body);
			failed = 1;
		}
		PQclear(r);
	}
	/* A file that ends the transaction itself would leave the rest of it,
	 * and the version, outside any transaction: refuse to record it. */
	if (!failed && PQtransactionStatus(m->conn) != PQTRANS_INTRANS) {
		snprintf(err, errlen, "%s", _("the file ends its transaction before its "
			 "end (a COMMIT or ROLLBACK inside it); fix the file"));
		failed = 1;
	}
	if (!failed && record_version(m, version, err, errlen) != 0)
		failed = 1;
	if (failed) {
		exec_ok(m, "ROLLBACK", "rollback", scratch, sizeof scratch);
		return -1;
	}
	return exec_ok(m, "COMMIT", _("cannot commit"), err, errlen);
}

void store_migrate_close(struct store_migrate *m)
{
	if (!m)
		return;
	PQfinish(m->conn);
	free(m);
}
