/* store_verb: the SQL API call of each verb, with exactly the parameters its
 * row names, so adding a verb never touches this file. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "balie/store.h"
#include "balie/store_verb.h"
#include "balie/util.h"
#include "store_priv.h"

/* The SQL of each verb that calls one; NULL for the console's own verbs. */
#define VERB_SQL_(e, name, keys, screens, ask, policy, sql, params, ...) \
	[VERB_##e] = { sql, params },
static const struct {
	const char *sql;
	const char *params;
} calls[VERB_COUNT] = {
	VERB_TABLE(VERB_SQL_)
};
#undef VERB_SQL_

const char *store_verb_sql(enum verb v)
{
	return v > VERB_NONE && v < VERB_COUNT ? calls[v].sql : NULL;
}

static void on_call(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_call_cb *cb = (store_call_cb *)p->fn;
	struct store_status st;
	const char *value = store_single_value(r);

	store_status_from(r, &st);
	if (cb)
		cb(&st, value, p->arg);
	free(p);
}

int store_verb_params(const struct action *call, const char **params, int max,
		      char *conv, char *number, size_t numlen)
{
	const char *kinds = call->kind > VERB_NONE && call->kind < VERB_COUNT ?
			    calls[call->kind].params : "";
	int n = 0;

	snprintf(conv, numlen, "%" PRId64, call->conv);
	snprintf(number, numlen, "%" PRId64, call->number);
	for (; *kinds && n < max; kinds++) {
		switch (*kinds) {
		case 'c': params[n++] = conv; break;
		case 't': params[n++] = call->text; break;
		case 'u': params[n++] = call->uuid[0] ? call->uuid : NULL; break;
		case 'a': params[n++] = call->arg; break;
		case 'f': params[n++] = call->flag ? "true" : "false"; break;
		case 'n': params[n++] = number; break;
		case 'j': params[n++] = call->json; break;
		default: return -1;
		}
	}
	return n;
}

void store_call(struct db *db, const struct action *call, store_call_cb *cb, void *arg)
{
	char conv[24], number[24];
	const char *params[8];
	const char *sql = store_verb_sql(call->kind);
	int n = store_verb_params(call, params, 8, conv, number, sizeof conv);

	if (!sql || n < 0)
		util_fatal("store_call: verb %d has no SQL call", (int)call->kind);
	db_query(db, sql, n, params, on_call,
		 store_pending_new((void (*)(void))cb, arg, call->conv));
}
