/* store_report: the SQL of `balie report` (the store is the only module
 * that talks to PostgreSQL).
 *
 * Like store_migrate it blocks: report is a one-shot command with no event
 * loop and no screen; it runs one query and prints what comes back. Every
 * result is checked and every error is one readable line. */
#ifndef BALIE_STORE_REPORT_H
#define BALIE_STORE_REPORT_H

#include <stdbool.h>
#include <stddef.h>

/* What to report; NULL fields take the function's defaults. */
struct store_report_query {
	const char *from, *to;	/* dates, YYYY-MM-DD */
	const char *queue;	/* one queue, or NULL for every queue */
	const char *by;		/* "day" or "hour" */
	const char *tz;		/* a time zone name, NULL: the server's */
	bool json;		/* one JSON array built by PostgreSQL */
};

/* One row of the answer: NCOLS values (NULL for SQL NULL). The first call
 * (ROW -1) passes the column names. Returns 0 to go on, -1 to stop. */
typedef int store_report_row_fn(int row, int ncols, const char *const *values, void *arg);

/* Connects with CONNINFO (NULL or "": the PG* environment), runs
 * balie.report for Q and calls ROW for the header and each row (for json,
 * one column holding the whole array). TZ_OUT receives the time zone the
 * figures are in. Returns 0, or -1 with the reason in ERR. */
int store_report_run(const char *conninfo, const struct store_report_query *q,
		     store_report_row_fn *row, void *arg, char *tz_out, size_t tzlen,
		     char *err, size_t errlen);

#endif
