/* store_search: balie.search(q, lim) for the console's "/" (issue 14 #18). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/store_search.h"
#include "balie/util.h"
#include "store_priv.h"

static const char sql_search[] = "SELECT * FROM balie.search($1, $2::int)";

struct search_ask {
	store_search_cb *cb;
	void *arg;
	char *query;
};

static void on_search(const struct db_result *r, void *arg)
{
	struct search_ask *a = arg;
	struct store_status st;
	int64_t *ids = NULL;
	size_t n = 0, i;

	store_status_from(r, &st);
	if (r->outcome == DB_OK && PQresultStatus(r->res) == PGRES_TUPLES_OK &&
	    PQnfields(r->res) >= 1) {
		n = (size_t)PQntuples(r->res);
		ids = xcalloc(n ? n : 1, sizeof *ids);
		for (i = 0; i < n; i++)
			ids[i] = store_int_or_zero(r->res, (int)i, 0);
	} else if (r->outcome == DB_OK) {
		st.outcome = STORE_SQL_ERROR;
		st.sqlstate = "";
		st.message = "unexpected result shape (is the balie schema up to date?)";
	}
	a->cb(&st, a->query, ids, n, a->arg);
	free(a->query);
	free(a);
}

void store_search(struct db *db, const char *query, int limit, store_search_cb *cb, void *arg)
{
	struct search_ask *a = xcalloc(1, sizeof *a);
	char lim[16];
	const char *params[2];

	a->cb = cb;
	a->arg = arg;
	a->query = xstrdup(query);
	snprintf(lim, sizeof lim, "%d", limit);
	params[0] = a->query;
	params[1] = lim;
	db_query(db, sql_search, 2, params, on_search, a);
}
