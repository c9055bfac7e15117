/* store_sim: the calls and reads of `balie sim`; see store_sim.h. The read
 * queries are still plain SELECTs on the tables (the bot role may read
 * them); they move to the read API with the rest of the store's reads. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/store_sim.h"
#include "balie/util.h"
#include "store_priv.h"

static void on_value(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_sim_value_cb *cb = (store_sim_value_cb *)p->fn;
	struct store_status st;

	store_status_from(r, &st);
	cb(&st, store_single_value(r), p->arg);
	free(p);
}

/* Runs SQL with N parameters; the first single value goes to CB. */
static void call_value(struct db *db, const char *sql, int n, const char *const *params,
		       store_sim_value_cb *cb, void *arg)
{
	db_query(db, sql, n, params, on_value, store_pending_new((void (*)(void))cb, arg, 0));
}

void store_sim_open(struct db *db, const char *queue, const char *customer_ref,
		    const char *customer_name, const char *channel, const char *lang,
		    store_sim_value_cb *cb, void *arg)
{
	const char *params[5] = { queue, customer_ref, customer_name, channel, lang };

	call_value(db, "SELECT balie.open_conversation($1, $2, $3, $4, $5)", 5, params, cb, arg);
}

void store_sim_post(struct db *db, int64_t conv, bool bot, const char *body,
		    const char *sources_json, const char *cmid,
		    store_sim_value_cb *cb, void *arg)
{
	char id[24];

	snprintf(id, sizeof id, "%" PRId64, conv);
	if (bot) {
		const char *params[4] = { id, body, sources_json, cmid };

		call_value(db, "SELECT balie.post_message($1, 'bot', $2, $3::jsonb, $4::uuid)",
			   4, params, cb, arg);
	} else {
		const char *params[3] = { id, body, cmid };

		call_value(db, "SELECT balie.post_message($1, 'customer', $2, NULL, $3::uuid)",
			   3, params, cb, arg);
	}
}

void store_sim_escalate(struct db *db, int64_t conv, const char *reason,
			const char *intent, double confidence, const char *summary,
			store_sim_value_cb *cb, void *arg)
{
	char id[24], conf[16];
	const char *params[5] = { id, reason, intent, conf, summary };

	snprintf(id, sizeof id, "%" PRId64, conv);
	snprintf(conf, sizeof conf, "%.2f", confidence);
	call_value(db, "SELECT balie.escalate($1, $2, $3, $4::real, $5)", 5, params, cb, arg);
}

void store_sim_close(struct db *db, int64_t conv, const char *resolution,
		     store_sim_value_cb *cb, void *arg)
{
	char id[24];
	const char *params[2] = { id, resolution };

	snprintf(id, sizeof id, "%" PRId64, conv);
	call_value(db, "SELECT balie.close($1, $2)", 2, params, cb, arg);
}

void store_sim_state(struct db *db, int64_t conv, store_sim_value_cb *cb, void *arg)
{
	char id[24];
	const char *params[1] = { id };

	snprintf(id, sizeof id, "%" PRId64, conv);
	call_value(db, "SELECT state FROM balie.read_states(ARRAY[$1::bigint])", 1, params, cb, arg);
}

static void on_last(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_sim_last_cb *cb = (store_sim_last_cb *)p->fn;
	struct store_status st;
	long seq = -1;
	const char *kind = NULL;

	store_status_from(r, &st);
	if (store_shape_ok(r, 2, &st) && PQntuples(r->res) == 1) {
		seq = strtol(PQgetvalue(r->res, 0, 0), NULL, 10);
		kind = PQgetvalue(r->res, 0, 1);
	}
	cb(&st, seq, kind, p->arg);
	free(p);
}

void store_sim_last_message(struct db *db, int64_t conv, store_sim_last_cb *cb, void *arg)
{
	char id[24];
	const char *params[1] = { id };

	snprintf(id, sizeof id, "%" PRId64, conv);
	db_query(db, "SELECT seq, author_kind FROM balie.read_messages($1::bigint, 0, 0, 1)"
		 " WHERE part = 0",
		 1, params, on_last, store_pending_new((void (*)(void))cb, arg, conv));
}

static void on_role(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_sim_role_cb *cb = (store_sim_role_cb *)p->fn;
	struct store_status st;
	const char *login = NULL;
	bool is_bot = false;

	store_status_from(r, &st);
	if (store_one_row(r, 2, &st)) {
		login = PQgetvalue(r->res, 0, 0);
		is_bot = store_is_true(r->res, 0, 1);
	}
	cb(&st, login, is_bot, p->arg);
	free(p);
}

void store_sim_role(struct db *db, store_sim_role_cb *cb, void *arg)
{
	db_query(db, "SELECT login, is_bot FROM balie.whoami()",
		 0, NULL, on_role, store_pending_new((void (*)(void))cb, arg, 0));
}

static void on_queues(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_sim_queues_cb *cb = (store_sim_queues_cb *)p->fn;
	struct store_status st;
	struct sim_queue *q = NULL;
	size_t n = 0, i;

	q = store_rows(r, 3, sizeof *q, &n, &st);
	for (i = 0; i < n; i++) {
		q[i].id = xstrdup(PQgetvalue(r->res, (int)i, 0));
		q[i].name = xstrdup(PQgetvalue(r->res, (int)i, 1));
		q[i].sector = -1;
		q[i].paused = store_is_true(r->res, (int)i, 2);
	}
	cb(&st, q, n, p->arg);
	free(p);
}

void store_sim_queues(struct db *db, store_sim_queues_cb *cb, void *arg)
{
	db_query(db, "SELECT id, name, bot_paused FROM balie.read_queues() ORDER BY id",
		 0, NULL, on_queues, store_pending_new((void (*)(void))cb, arg, 0));
}

static void on_states(const struct db_result *r, void *arg)
{
	struct store_pending *p = arg;
	store_sim_states_cb *cb = (store_sim_states_cb *)p->fn;
	struct store_status st;
	struct store_sim_state *s = NULL;
	size_t n = 0, i;

	s = store_rows(r, 2, sizeof *s, &n, &st);
	for (i = 0; i < n; i++) {
		s[i].id = store_int_or_zero(r->res, (int)i, 0);
		snprintf(s[i].state, sizeof s[i].state, "%s",
			 PQgetvalue(r->res, (int)i, 1));
	}
	cb(&st, s, n, p->arg);
	free(s);
	free(p);
}

void store_sim_states(struct db *db, const int64_t *ids, size_t n,
		      store_sim_states_cb *cb, void *arg)
{
	char *lit = store_id_array(ids, n);
	const char *params[1] = { lit };

	db_query(db, "SELECT id, state FROM balie.read_states($1::bigint[])",
		 1, params, on_states, store_pending_new((void (*)(void))cb, arg, 0));
	free(lit);
}
