/* store_super: the supervisor screen's two queries and their parsing. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/store.h"
#include "balie/util.h"
#include "store_priv.h"

/* The figures 009 appends, read by name through to_jsonb so that a
 * database without them yet shows "-" instead of refusing the screen. */
#define FIG(col, type) " (to_jsonb(q) ->> '" col "')::" type
#define FIGURES_SQL \
	FIG("service_level", "float8") "," \
	" round(" FIG("asa_seconds", "numeric") ")::bigint," \
	FIG("abandoned", "int") "," \
	" round(" FIG("aht_seconds", "numeric") ")::bigint," \
	" round(" FIG("frt_seconds", "numeric") ")::bigint," \
	FIG("wrapups", "text") "," FIG("hands", "int")

/* Today's escalations come back as one count per reason, in the order of
 * the reason names passed as $1, so the list order is the client's enum. */
static const char sql_queues[] =
	"SELECT q.queue, q.name, q.sla_seconds, q.priority, q.bot_paused,"
	" q.with_bot, q.waiting, q.with_person,"
	" floor(extract(epoch FROM q.oldest_waiting_since))::bigint,"
	" q.sla_breaches, q.agents_online, q.agents_away,"
	" q.closed_today, q.contained_today, q.escalations_today,"
	" (SELECT string_agg(coalesce((q.escalations ->> r.name)::int, 0)::text, ','"
	"   ORDER BY r.ord) FROM unnest($1::text[]) WITH ORDINALITY AS r(name, ord)),"
	" array_to_string(q.waiting_last_hour, ','),"
	" floor(extract(epoch FROM now()))::bigint,"
	FIGURES_SQL
	" FROM balie.supervisor_queues() q";

enum {
	SQ_ID, SQ_NAME, SQ_SLA, SQ_PRIORITY, SQ_PAUSED, SQ_BOT, SQ_WAITING, SQ_HUMAN,
	SQ_OLDEST, SQ_BREACHES, SQ_ONLINE, SQ_AWAY, SQ_CLOSED, SQ_CONTAINED,
	SQ_ESCALATIONS, SQ_BY_REASON, SQ_SPARK, SQ_NOW,
	SQ_SL, SQ_ASA, SQ_ABANDONED, SQ_AHT, SQ_FRT, SQ_WRAPUPS, SQ_HANDS, SQ_COUNT
};

static const char sql_agents[] =
	"SELECT a.login, a.display_name, a.is_supervisor, a.presence,"
	" floor(extract(epoch FROM a.presence_since))::bigint,"
	" floor(extract(epoch FROM a.last_seen))::bigint,"
	" array_to_string(a.queues, ', '), a.open_conversations,"
	" array_to_string(a.conversations, ','),"
	" to_jsonb(a) ->> 'status',"
	" floor(extract(epoch FROM (to_jsonb(a) ->> 'status_since')::timestamptz))::bigint,"
	" (to_jsonb(a) ->> 'capacity')::int, (to_jsonb(a) ->> 'load')::int,"
	" (to_jsonb(a) ->> 'handled_today')::int,"
	" round((to_jsonb(a) ->> 'aht_seconds')::numeric)::bigint"
	" FROM balie.supervisor_agents() a";

enum {
	SA_LOGIN, SA_NAME, SA_SUPERVISOR, SA_PRESENCE, SA_SINCE, SA_LAST_SEEN, SA_QUEUES,
	SA_OPEN, SA_CONVS, SA_STATUS, SA_STATUS_SINCE, SA_CAPACITY, SA_LOAD, SA_HANDLED,
	SA_AHT, SA_COUNT
};

/* Reads one decimal integer of a comma list; returns the end or NULL. */
static const char *list_item(const char *s, long long *v)
{
	char *end;

	if (!(*s == '-' || (*s >= '0' && *s <= '9')))
		return NULL;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (end == s || errno == ERANGE || (*end != ',' && *end != '\0'))
		return NULL;
	return *end == ',' ? end + 1 : end;
}

int store_parse_int_list(const char *text, int *out, size_t max)
{
	const char *s = text;
	size_t n = 0;
	long long v;

	if (!s || !*s)
		return 0;
	while (*s) {
		if (n == max || !(s = list_item(s, &v)) || v < -2147483647LL || v > 2147483647LL)
			return -1;
		out[n++] = (int)v;
		if (*s == '\0' && s[-1] == ',')
			return -1;
	}
	return (int)n;
}

int store_parse_id_list(const char *text, int64_t **out, size_t *n)
{
	const char *s = text;
	size_t cap = 0;
	long long v;

	*out = NULL;
	*n = 0;
	if (!s || !*s)
		return 0;
	while (*s) {
		if (!(s = list_item(s, &v)) || (*s == '\0' && s[-1] == ',')) {
			free(*out);
			*out = NULL;
			*n = 0;
			return -1;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		(*out)[(*n)++] = v;
	}
	return (int)*n;
}

/* The reason names in enum order, as a PostgreSQL array literal. */
static const char *reason_array(void)
{
	static char lit[256];
	size_t len = 0;
	int r;

	if (lit[0])
		return lit;
	lit[len++] = '{';
	for (r = 0; r < SUPER_REASON_COUNT; r++)
		len += (size_t)snprintf(lit + len, sizeof lit - len, "%s%s", r ? "," : "",
					super_reason_name((enum super_reason)r));
	snprintf(lit + len, sizeof lit - len, "}");
	return lit;
}

/* A figure that may be NULL (nothing to count): -1. */
static int64_t int_or_none(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? -1 : store_int_or_zero(res, row, col);
}

static void parse_queue(const PGresult *res, int i, struct super_queue *q)
{
	q->id = store_text_or_null(res, i, SQ_ID);
	q->name = store_text_or_null(res, i, SQ_NAME);
	q->sla_seconds = (int)store_int_or_zero(res, i, SQ_SLA);
	q->priority = (int)store_int_or_zero(res, i, SQ_PRIORITY);
	q->bot_paused = store_is_true(res, i, SQ_PAUSED);
	q->with_bot = (int)store_int_or_zero(res, i, SQ_BOT);
	q->waiting = (int)store_int_or_zero(res, i, SQ_WAITING);
	q->with_person = (int)store_int_or_zero(res, i, SQ_HUMAN);
	q->oldest_waiting_since = store_int_or_zero(res, i, SQ_OLDEST);
	q->sla_breaches = (int)store_int_or_zero(res, i, SQ_BREACHES);
	q->agents_online = (int)store_int_or_zero(res, i, SQ_ONLINE);
	q->agents_away = (int)store_int_or_zero(res, i, SQ_AWAY);
	q->closed_today = (int)store_int_or_zero(res, i, SQ_CLOSED);
	q->contained_today = (int)store_int_or_zero(res, i, SQ_CONTAINED);
	q->escalations_today = (int)store_int_or_zero(res, i, SQ_ESCALATIONS);
	/* A list that does not parse leaves zeros: a blank chart, not a crash. */
	if (store_parse_int_list(PQgetvalue(res, i, SQ_BY_REASON), q->by_reason,
				 SUPER_REASON_COUNT) < 0)
		memset(q->by_reason, 0, sizeof q->by_reason);
	if (store_parse_int_list(PQgetvalue(res, i, SQ_SPARK), q->spark, SUPER_SPARK_POINTS) < 0)
		memset(q->spark, 0, sizeof q->spark);
	q->service_level = PQgetisnull(res, i, SQ_SL) ? -1 : strtod(PQgetvalue(res, i, SQ_SL), NULL);
	q->asa_seconds = int_or_none(res, i, SQ_ASA);
	q->abandoned = (int)store_int_or_zero(res, i, SQ_ABANDONED);
	q->aht_seconds = int_or_none(res, i, SQ_AHT);
	q->frt_seconds = int_or_none(res, i, SQ_FRT);
	q->wrapups = store_text_or_null(res, i, SQ_WRAPUPS);
	q->hands = (int)store_int_or_zero(res, i, SQ_HANDS);
}

static void on_queues(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_super_queues_cb *cb = (store_super_queues_cb *)p->fn;
	struct store_status st;
	struct super_queue *q = NULL;
	size_t n = 0, i;
	int64_t now = 0;

	q = store_rows(r, SQ_COUNT, sizeof *q, &n, &st);
	for (i = 0; i < n; i++) {
		parse_queue(r->res, (int)i, &q[i]);
		now = store_int_or_zero(r->res, (int)i, SQ_NOW);
	}
	cb(&st, q, n, now, p->arg);
	free(p);
}

void store_fetch_super_queues(struct db *db, store_super_queues_cb *cb, void *arg)
{
	const char *params[1] = { reason_array() };

	db_query(db, sql_queues, 1, params, on_queues,
		 store_pending_new((void (*)(void))cb, arg, 0));
}

static void on_agents(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_super_agents_cb *cb = (store_super_agents_cb *)p->fn;
	struct store_status st;
	struct super_agent *a = NULL;
	size_t n = 0, i;

	a = store_rows(r, SA_COUNT, sizeof *a, &n, &st);
	for (i = 0; i < n; i++) {
		int row = (int)i;

		a[i].login = store_text_or_null(r->res, row, SA_LOGIN);
		a[i].display_name = store_text_or_null(r->res, row, SA_NAME);
		a[i].is_supervisor = store_is_true(r->res, row, SA_SUPERVISOR);
		a[i].presence = super_presence_parse(PQgetvalue(r->res, row, SA_PRESENCE));
		a[i].presence_since = store_int_or_zero(r->res, row, SA_SINCE);
		a[i].last_seen = store_int_or_zero(r->res, row, SA_LAST_SEEN);
		a[i].queues = store_text_or_null(r->res, row, SA_QUEUES);
		a[i].open_count = (int)store_int_or_zero(r->res, row, SA_OPEN);
		store_parse_id_list(PQgetvalue(r->res, row, SA_CONVS), &a[i].convs, &a[i].nconvs);
		a[i].status = store_text_or_null(r->res, row, SA_STATUS);
		a[i].status_since = store_int_or_zero(r->res, row, SA_STATUS_SINCE);
		a[i].capacity = (int)int_or_none(r->res, row, SA_CAPACITY);
		a[i].load = (int)store_int_or_zero(r->res, row, SA_LOAD);
		a[i].handled_today = (int)store_int_or_zero(r->res, row, SA_HANDLED);
		a[i].aht_seconds = int_or_none(r->res, row, SA_AHT);
	}
	cb(&st, a, n, p->arg);
	free(p);
}

void store_fetch_super_agents(struct db *db, store_super_agents_cb *cb, void *arg)
{
	db_query(db, sql_agents, 0, NULL, on_agents,
		 store_pending_new((void (*)(void))cb, arg, 0));
}
