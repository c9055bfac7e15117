/* store: the console's SQL, always with parameters, and result parsing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "balie/i18n.h"
#include "balie/store.h"
#include "balie/util.h"
#include "store_priv.h"

/* One row shape for every conversation fetch (balie.read_conversations, which
 * applies the visibility rule); the JSON column is what `balie watch` prints,
 * built by PostgreSQL so any text is valid JSON. */
enum {
	CC_ID, CC_VERSION, CC_QUEUE, CC_STATE, CC_AGENT, CC_CUSTOMER_REF,
	CC_CUSTOMER_NAME, CC_CHANNEL, CC_INTENT, CC_CONFIDENCE, CC_REASON,
	CC_SUMMARY, CC_CREATED, CC_ESCALATED, CC_TAKEN, CC_CLOSED,
	CC_MESSAGE_COUNT, CC_LAST_KIND, CC_LAST_BODY, CC_JSON, CC_NOW,
	/* appended by schemas 007-009 */
	CC_LANG, CC_MY_READ_SEQ, CC_CUSTOMER_WAITING, CC_VIEWERS, CC_HAND_RAISED, CC_COUNT
};

static const char sql_open[] = "SELECT * FROM balie.read_conversations()";
static const char sql_by_id[] = "SELECT * FROM balie.read_conversations($1::bigint[])";

/* Messages and their cited sources in one result: part 0 rows are messages,
 * part 1 rows are sources of the message with the same seq. An answer stops
 * after 1 MiB of bodies (but always holds one message), so a page of
 * megabyte messages neither stalls the loop nor piles up in memory; the rest
 * comes with the next page. */
static const char sql_msgs_after[] =
	"SELECT * FROM balie.read_messages($1::bigint, $2::int, NULL, $3::int)";
static const char sql_msgs_before[] =
	"SELECT * FROM balie.read_messages($1::bigint, 0, $2::int, $3::int)";

/* $1 (the customer reference) is the function's to look up now; kept so
 * a conversation without one still has no history. */
static const char sql_history[] =
	"SELECT * FROM balie.read_history($2::bigint) WHERE $1::text IS NOT NULL";

static const char sql_me[] = "SELECT * FROM balie.read_me()";
static const char sql_queues[] = "SELECT * FROM balie.read_queues()";
static const char sql_agents[] = "SELECT * FROM balie.read_agents()";

static struct model_conv *parse_conv(const PGresult *res, int i)
{
	struct model_conv *c = model_conv_new();
	char *state = store_text_or_null(res, i, CC_STATE);
	char *kind = store_text_or_null(res, i, CC_LAST_KIND);

	c->id = store_int_or_zero(res, i, CC_ID);
	c->version = store_int_or_zero(res, i, CC_VERSION);
	c->queue = store_text_or_null(res, i, CC_QUEUE);
	c->state = model_state_parse(state);
	c->agent = store_text_or_null(res, i, CC_AGENT);
	c->customer_ref = store_text_or_null(res, i, CC_CUSTOMER_REF);
	c->customer_name = store_text_or_null(res, i, CC_CUSTOMER_NAME);
	c->channel = store_text_or_null(res, i, CC_CHANNEL);
	c->intent = store_text_or_null(res, i, CC_INTENT);
	c->has_confidence = !PQgetisnull(res, i, CC_CONFIDENCE);
	c->confidence = c->has_confidence ? strtod(PQgetvalue(res, i, CC_CONFIDENCE), NULL) : 0;
	c->reason = store_text_or_null(res, i, CC_REASON);
	c->summary = store_text_or_null(res, i, CC_SUMMARY);
	c->created_at = store_int_or_zero(res, i, CC_CREATED);
	c->escalated_at = store_int_or_zero(res, i, CC_ESCALATED);
	c->taken_at = store_int_or_zero(res, i, CC_TAKEN);
	c->closed_at = store_int_or_zero(res, i, CC_CLOSED);
	c->message_count = (int)store_int_or_zero(res, i, CC_MESSAGE_COUNT);
	c->last_kind = model_author_parse(kind);
	c->last_body = store_text_or_null(res, i, CC_LAST_BODY);
	c->json = store_text_or_null(res, i, CC_JSON);
	c->lang = store_text_or_null(res, i, CC_LANG);
	c->my_read_seq = (int)store_int_or_zero(res, i, CC_MY_READ_SEQ);
	c->customer_waiting_since = store_int_or_zero(res, i, CC_CUSTOMER_WAITING);
	c->viewers = store_text_or_null(res, i, CC_VIEWERS);
	c->hand_raised_at = store_int_or_zero(res, i, CC_HAND_RAISED);
	free(state);
	free(kind);
	return c;
}

static void on_convs(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_convs_cb *cb = (store_convs_cb *)p->fn;
	struct store_status st;
	struct model_conv **convs = NULL;
	size_t n = 0;
	int64_t now = 0;
	int i;

	convs = store_rows(r, CC_COUNT, sizeof *convs, &n, &st);
	for (i = 0; i < (int)n; i++) {
		convs[i] = parse_conv(r->res, i);
		now = store_int_or_zero(r->res, i, CC_NOW);
	}
	cb(&st, convs, n, now, p->arg);
	free(p);
}

void store_fetch_open(struct db *db, store_convs_cb *cb, void *arg)
{
	db_query(db, sql_open, 0, NULL, on_convs, store_pending_new((void (*)(void))cb, arg, 0));
}

void store_fetch_convs(struct db *db, const int64_t *ids, size_t n,
		       store_convs_cb *cb, void *arg)
{
	char *lit = store_id_array(ids, n);
	const char *params[1] = { lit };

	db_query(db, sql_by_id, 1, params, on_convs, store_pending_new((void (*)(void))cb, arg, 0));
	free(lit);
}

static void on_msgs(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_msgs_cb *cb = (store_msgs_cb *)p->fn;
	struct store_status st;
	struct model_msg *msgs = NULL;
	size_t n = 0, i;
	int rows, row, whisper_col;

	store_status_from(r, &st);
	/* By name: whisper_to is a column 009 appends; absent before it. */
	whisper_col = r->outcome == DB_OK && r->res ? PQfnumber(r->res, "whisper_to") : -1;
	if (store_shape_ok(r, whisper_col >= 0 ? 11 : 10, &st)) {
		rows = PQntuples(r->res);
		for (row = 0; row < rows; row++)
			if (strcmp(PQgetvalue(r->res, row, 0), "0") == 0)
				n++;
		msgs = xcalloc(n, sizeof *msgs);
		i = 0;
		for (row = 0; row < rows; row++) {
			struct model_msg *m;
			char *kind;

			if (strcmp(PQgetvalue(r->res, row, 0), "1") == 0) {
				/* A source of the message just before it (same seq). */
				if (i == 0)
					continue;
				m = &msgs[i - 1];
				if (m->seq != (int)store_int_or_zero(r->res, row, 1))
					continue;
				m->sources = xrealloc(m->sources, (m->nsources + 1) * sizeof *m->sources);
				m->sources[m->nsources].title = store_text_or_null(r->res, row, 8);
				m->sources[m->nsources].url = store_text_or_null(r->res, row, 9);
				m->nsources++;
				continue;
			}
			m = &msgs[i++];
			m->seq = (int)store_int_or_zero(r->res, row, 1);
			m->id = store_int_or_zero(r->res, row, 3);
			kind = store_text_or_null(r->res, row, 4);
			m->kind = model_author_parse(kind);
			free(kind);
			m->author = store_text_or_null(r->res, row, 5);
			m->body = store_text_or_null(r->res, row, 6);
			m->created_at = store_int_or_zero(r->res, row, 7);
			if (whisper_col >= 0)
				m->whisper_to = store_text_or_null(r->res, row, whisper_col);
		}
	}
	cb(&st, p->conv, msgs, n, p->arg);
	free(p);
}

static void fetch_msgs(struct db *db, const char *sql, int64_t conv, int seq, int limit,
		       store_msgs_cb *cb, void *arg)
{
	char a[24], b[24], c[24];
	const char *params[3] = { a, b, c };

	snprintf(a, sizeof a, "%" PRId64, conv);
	snprintf(b, sizeof b, "%d", seq);
	snprintf(c, sizeof c, "%d", limit);
	db_query(db, sql, 3, params, on_msgs, store_pending_new((void (*)(void))cb, arg, conv));
}

void store_fetch_messages_after(struct db *db, int64_t conv, int after, int limit,
				store_msgs_cb *cb, void *arg)
{
	fetch_msgs(db, sql_msgs_after, conv, after, limit, cb, arg);
}

void store_fetch_messages_before(struct db *db, int64_t conv, int before, int limit,
				 store_msgs_cb *cb, void *arg)
{
	fetch_msgs(db, sql_msgs_before, conv, before, limit, cb, arg);
}

static void on_history(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_history_cb *cb = (store_history_cb *)p->fn;
	struct store_status st;
	struct model_history *h = NULL;
	size_t n = 0, i;

	h = store_rows(r, 7, sizeof *h, &n, &st);
	for (i = 0; i < n; i++) {
		char *state = store_text_or_null(r->res, (int)i, 1);

		h[i].id = store_int_or_zero(r->res, (int)i, 0);
		h[i].state = model_state_parse(state);
		free(state);
		h[i].queue = store_text_or_null(r->res, (int)i, 2);
		h[i].intent = store_text_or_null(r->res, (int)i, 3);
		h[i].reason = store_text_or_null(r->res, (int)i, 4);
		h[i].summary = store_text_or_null(r->res, (int)i, 5);
		h[i].created_at = store_int_or_zero(r->res, (int)i, 6);
	}
	cb(&st, h, n, p->arg);
	free(p);
}

void store_fetch_history(struct db *db, const char *customer_ref, int64_t conv,
			 store_history_cb *cb, void *arg)
{
	char id[24];
	const char *params[2] = { customer_ref, id };

	snprintf(id, sizeof id, "%" PRId64, conv);
	db_query(db, sql_history, 2, params, on_history, store_pending_new((void (*)(void))cb, arg, conv));
}

static void on_me(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_me_cb *cb = (store_me_cb *)p->fn;
	struct store_status st;
	struct store_me me = { 0 };

	store_status_from(r, &st);
	if (store_shape_ok(r, 3, &st) && PQntuples(r->res) == 1) {
		me.login = store_text_or_null(r->res, 0, 0);
		me.display_name = store_text_or_null(r->res, 0, 1);
		me.is_supervisor = strcmp(PQgetvalue(r->res, 0, 2), "t") == 0;
	}
	cb(&st, &me, p->arg);
	free(me.login);
	free(me.display_name);
	free(p);
}

void store_fetch_me(struct db *db, store_me_cb *cb, void *arg)
{
	db_query(db, sql_me, 0, NULL, on_me, store_pending_new((void (*)(void))cb, arg, 0));
}

static void on_queues(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_queues_cb *cb = (store_queues_cb *)p->fn;
	struct store_status st;
	struct model_queue *q = NULL;
	size_t n = 0, i;

	q = store_rows(r, 7, sizeof *q, &n, &st);
	for (i = 0; i < n; i++) {
		q[i].id = store_text_or_null(r->res, (int)i, 0);
		q[i].name = store_text_or_null(r->res, (int)i, 1);
		q[i].sla_seconds = (int)store_int_or_zero(r->res, (int)i, 2);
		q[i].priority = (int)store_int_or_zero(r->res, (int)i, 3);
		q[i].bot_paused = strcmp(PQgetvalue(r->res, (int)i, 4), "t") == 0;
		q[i].waiting = (int)store_int_or_zero(r->res, (int)i, 5);
		q[i].agents_online = (int)store_int_or_zero(r->res, (int)i, 6);
	}
	cb(&st, q, n, p->arg);
	free(p);
}

void store_fetch_queues(struct db *db, store_queues_cb *cb, void *arg)
{
	db_query(db, sql_queues, 0, NULL, on_queues, store_pending_new((void (*)(void))cb, arg, 0));
}

static void on_agents(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_agents_cb *cb = (store_agents_cb *)p->fn;
	struct store_status st;
	struct model_agent *a = NULL;
	size_t n = 0, i;

	a = store_rows(r, 4, sizeof *a, &n, &st);
	for (i = 0; i < n; i++) {
		a[i].login = store_text_or_null(r->res, (int)i, 0);
		a[i].display_name = store_text_or_null(r->res, (int)i, 1);
		a[i].is_supervisor = strcmp(PQgetvalue(r->res, (int)i, 2), "t") == 0;
		a[i].last_seen = store_int_or_zero(r->res, (int)i, 3);
	}
	cb(&st, a, n, p->arg);
	free(p);
}

void store_fetch_agents(struct db *db, store_agents_cb *cb, void *arg)
{
	db_query(db, sql_agents, 0, NULL, on_agents, store_pending_new((void (*)(void))cb, arg, 0));
}

const char *store_explain(const struct store_status *st, char *buf, size_t len)
{
	switch (st->outcome) {
	case STORE_OK:
		snprintf(buf, len, _("done"));
		break;
	case STORE_NOT_SENT:
		snprintf(buf, len, _("not connected to the database"));
		break;
	case STORE_LOST:
		snprintf(buf, len, _("the connection was lost before the server answered"));
		break;
	case STORE_SQL_ERROR:
		if (strncmp(st->sqlstate, "BL", 2) == 0)
			snprintf(buf, len, "%s", st->message);
		else if (strcmp(st->sqlstate, "42501") == 0)
			/* Often PostgreSQL's own "permission denied for function …". */
			snprintf(buf, len, _("your role may not do this (%s)"), st->message);
		else
			snprintf(buf, len, _("the database refused it: %s"), st->message);
		break;
	}
	return buf;
}

void store_new_uuid(char out[37])
{
	unsigned char b[16];

	if (uv_random(NULL, NULL, b, sizeof b, 0, NULL) != 0)
		util_fatal("no random bytes for a message id");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
		 b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}
