/* store_macro: a conversation's macros and wrap-up codes, read through the
 * read API (which fills in the variables and applies the visibility rule). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "balie/store_macro.h"
#include "balie/util.h"
#include "store_priv.h"

static const char sql_macros[] =
	"SELECT m.name, m.body, m.sources::text FROM balie.read_macros($1::bigint) m"
	" ORDER BY m.name";
static const char sql_wrapups[] =
	"SELECT w.code, w.label FROM balie.read_wrapups($1::bigint) w ORDER BY w.code";

static void on_macros(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_macros_cb *cb = (store_macros_cb *)p->fn;
	struct store_status st;
	struct store_macro *m;
	size_t n = 0, i;

	m = store_rows(r, 3, sizeof *m, &n, &st);
	for (i = 0; i < n; i++) {
		m[i].name = store_text_or_null(r->res, (int)i, 0);
		m[i].body = store_text_or_null(r->res, (int)i, 1);
		m[i].sources = store_text_or_null(r->res, (int)i, 2);
	}
	cb(&st, p->conv, m, n, p->arg);
	free(p);
}

void store_fetch_macros(struct db *db, int64_t conv, store_macros_cb *cb, void *arg)
{
	char id[24];
	const char *params[1] = { id };

	snprintf(id, sizeof id, "%" PRId64, conv);
	db_query(db, sql_macros, 1, params, on_macros,
		 store_pending_new((void (*)(void))cb, arg, conv));
}

void store_macros_free(struct store_macro *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m[i].name);
		free(m[i].body);
		free(m[i].sources);
	}
	free(m);
}

static void on_wrapups(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_wrapups_cb *cb = (store_wrapups_cb *)p->fn;
	struct store_status st;
	struct store_wrapup *w;
	size_t n = 0, i;

	w = store_rows(r, 2, sizeof *w, &n, &st);
	for (i = 0; i < n; i++) {
		w[i].code = store_text_or_null(r->res, (int)i, 0);
		w[i].label = store_text_or_null(r->res, (int)i, 1);
	}
	cb(&st, p->conv, w, n, p->arg);
	free(p);
}

void store_fetch_wrapups(struct db *db, int64_t conv, store_wrapups_cb *cb, void *arg)
{
	char id[24];
	const char *params[1] = { id };

	snprintf(id, sizeof id, "%" PRId64, conv);
	db_query(db, sql_wrapups, 1, params, on_wrapups,
		 store_pending_new((void (*)(void))cb, arg, conv));
}

void store_wrapups_free(struct store_wrapup *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(w[i].code);
		free(w[i].label);
	}
	free(w);
}
