/* store_result: the helpers every store_*.c file parses results with. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/i18n.h"
#include "balie/util.h"
#include "store_priv.h"

/* The two outcome enums are the same list, so an outcome converts by value. */
_Static_assert((int)STORE_OK == (int)DB_OK &&
	       (int)STORE_SQL_ERROR == (int)DB_SQL_ERROR &&
	       (int)STORE_NOT_SENT == (int)DB_NOT_SENT &&
	       (int)STORE_LOST == (int)DB_LOST, "store_outcome and db_outcome differ");

struct store_pending *store_pending_new(void (*fn)(void), void *arg, int64_t conv)
{
	struct store_pending *p = xmalloc(sizeof *p);

	p->fn = fn;
	p->arg = arg;
	p->conv = conv;
	return p;
}

void store_status_from(const struct db_result *r, struct store_status *st)
{
	st->outcome = (enum store_outcome)r->outcome;
	st->sqlstate = r->sqlstate ? r->sqlstate : "";
	st->message = r->message ? r->message : "";
}

char *store_text_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

int64_t store_int_or_zero(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

bool store_is_true(const PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) && strcmp(PQgetvalue(res, row, col), "t") == 0;
}

bool store_shape_ok(const struct db_result *r, int ncols, struct store_status *st)
{
	if (r->outcome != DB_OK)
		return false;
	if (PQresultStatus(r->res) != PGRES_TUPLES_OK || PQnfields(r->res) != ncols) {
		st->outcome = STORE_SQL_ERROR;
		st->sqlstate = "";
		st->message = _("unexpected result shape (is the balie schema up to date?)");
		return false;
	}
	return true;
}

bool store_one_row(const struct db_result *r, int ncols, struct store_status *st)
{
	if (!store_shape_ok(r, ncols, st))
		return false;
	if (PQntuples(r->res) != 1) {
		st->outcome = STORE_SQL_ERROR;
		st->sqlstate = "";
		st->message = _("expected one row from the server");
		return false;
	}
	return true;
}

char *store_id_array(const int64_t *ids, size_t n)
{
	/* An array literal of integers: a parameter, never pasted into SQL. */
	size_t cap = n * 21 + 3, len = 0, i;
	char *lit = xmalloc(cap);

	lit[len++] = '{';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(lit + len, cap - len, "%s%" PRId64, i ? "," : "", ids[i]);
	lit[len++] = '}';
	lit[len] = '\0';
	return lit;
}

void *store_rows(const struct db_result *r, int ncols, size_t elem, size_t *n,
		 struct store_status *st)
{
	store_status_from(r, st);
	*n = 0;
	if (!store_shape_ok(r, ncols, st))
		return NULL;
	*n = (size_t)PQntuples(r->res);
	return xcalloc(*n ? *n : 1, elem);
}

const char *store_single_value(const struct db_result *r)
{
	if (r->outcome == DB_OK && PQresultStatus(r->res) == PGRES_TUPLES_OK &&
	    PQntuples(r->res) == 1 && PQnfields(r->res) >= 1 && !PQgetisnull(r->res, 0, 0))
		return PQgetvalue(r->res, 0, 0);
	return NULL;
}
