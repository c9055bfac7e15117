/* store_report: blocking libpq for the one-shot report command; see
 * store_report.h for why it does not use db.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "balie/db.h"
#include "balie/store_report.h"

/* The columns are the function's, in its order, so a figure added to
 * balie.report reaches the spreadsheet without a change here. */
#define REPORT_CALL \
	" FROM balie.report(coalesce($1::date, (pg_catalog.now() AT TIME ZONE $6)::date)," \
	" coalesce($2::date, $1::date, (pg_catalog.now() AT TIME ZONE $6)::date)," \
	" $3, coalesce($4, 'day'), $5) r"
static const char sql_rows[] = "SELECT *" REPORT_CALL;
/* json_agg keeps the column order; PostgreSQL does the escaping. */
static const char sql_json[] = "SELECT coalesce(json_agg(r), '[]')::text" REPORT_CALL;
/* The zone the dates are read in: the one asked for, else the session's. */
static const char sql_tz[] =
	"SELECT z, (pg_catalog.now() AT TIME ZONE z) IS NOT NULL"
	" FROM (SELECT coalesce($1::text, pg_catalog.current_setting('TimeZone')) AS z) s";

static void set_err(char *err, size_t len, const char *what, const char *msg)
{
	char clean[512];

	snprintf(err, len, "%s: %s", what, db_clean_message(msg, clean, sizeof clean));
}

static PGconn *connect_db(const char *conninfo, char *err, size_t errlen)
{
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { "10", "balie report", conninfo ? conninfo : "", NULL };
	PGconn *conn = PQconnectdbParams(keys, vals, 1);

	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		set_err(err, errlen, "cannot connect", conn ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

static int send_rows(PGresult *r, store_report_row_fn *row, void *arg)
{
	int ncols = PQnfields(r), nrows = PQntuples(r), i, j;
	const char **v = calloc((size_t)(ncols ? ncols : 1), sizeof *v);

	if (!v)
		return -1;
	for (j = 0; j < ncols; j++)
		v[j] = PQfname(r, j);
	if (row(-1, ncols, v, arg) < 0) {
		free(v);
		return 0;
	}
	for (i = 0; i < nrows; i++) {
		for (j = 0; j < ncols; j++)
			v[j] = PQgetisnull(r, i, j) ? NULL : PQgetvalue(r, i, j);
		if (row(i, ncols, v, arg) < 0)
			break;
	}
	free(v);
	return 0;
}

int store_report_run(const char *conninfo, const struct store_report_query *q,
		     store_report_row_fn *row, void *arg, char *tz_out, size_t tzlen,
		     char *err, size_t errlen)
{
	const char *params[6] = { q->from, q->to, q->queue, q->by, q->tz, tz_out };
	PGconn *conn = connect_db(conninfo, err, errlen);
	PGresult *r;
	int rc = -1;

	if (!conn)
		return -1;
	/* A zone PostgreSQL does not know is said before anything is read. */
	r = PQexecParams(conn, sql_tz, 1, NULL, &q->tz, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		set_err(err, errlen, "cannot read the time zone", PQresultErrorMessage(r));
		goto out;
	}
	snprintf(tz_out, tzlen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	r = PQexecParams(conn, q->json ? sql_json : sql_rows, 6, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		set_err(err, errlen, "cannot make the report", PQresultErrorMessage(r));
		goto out;
	}
	if (send_rows(r, row, arg) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	PQclear(r);
	PQfinish(conn);
	return rc;
}
