/* The store's calls for `balie sim` (store_sim.c) and the connection life
 * the layers above see (store_link.c), against a real PostgreSQL: every
 * call reaches the SQL API and comes back parsed; a refusal carries its
 * SQLSTATE; a takeover's notice on balie_bot reaches the link parsed by the
 * one NOTIFY parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

#include "balie/store.h"
#include "balie/store_sim.h"
#include "pgtest.h"
#include "uvtest.h"

struct fx {
	uv_loop_t loop;
	uv_timer_t deadline;
	bool expired;
	struct pgt_roles r;
	struct db *db;
	enum store_link state;
	unsigned connected;
	struct store_notice bot_notice;
	bool got_bot_notice;
	/* The last answer. */
	bool done;
	struct store_status st;
	char sqlstate[8], value[64], kind[16], login[64];
	long seq;
	bool is_bot;
	size_t n;
	struct sim_queue *queues;
	struct store_sim_state states[8];
};

static void on_state(struct db *db, enum store_link st, const char *reason,
		     unsigned retry_ms, void *user)
{
	struct fx *f = user;

	(void)db, (void)reason, (void)retry_ms;
	f->state = st;
	if (st == STORE_LINK_CONNECTED)
		f->connected++;
}

static void on_notify(struct db *db, const char *channel, const char *payload, void *user)
{
	struct fx *f = user;

	(void)db;
	if (strcmp(channel, STORE_CHANNEL_BOT) == 0 &&
	    store_parse_notice(payload, &f->bot_notice) == 0)
		f->got_bot_notice = true;
}

static void keep_status(struct fx *f, const struct store_status *st)
{
	f->st = *st;
	snprintf(f->sqlstate, sizeof f->sqlstate, "%s", st->sqlstate);
	f->done = true;
}

static void on_value(const struct store_status *st, const char *value, void *arg)
{
	struct fx *f = arg;

	snprintf(f->value, sizeof f->value, "%s", value ? value : "");
	keep_status(f, st);
}

static void on_last(const struct store_status *st, long seq, const char *kind, void *arg)
{
	struct fx *f = arg;

	f->seq = seq;
	snprintf(f->kind, sizeof f->kind, "%s", kind ? kind : "");
	keep_status(f, st);
}

static void on_role(const struct store_status *st, const char *login, bool is_bot, void *arg)
{
	struct fx *f = arg;

	snprintf(f->login, sizeof f->login, "%s", login ? login : "");
	f->is_bot = is_bot;
	keep_status(f, st);
}

static void on_queues(const struct store_status *st, struct sim_queue *q, size_t n, void *arg)
{
	struct fx *f = arg;

	f->queues = q;
	f->n = n;
	keep_status(f, st);
}

static void on_states(const struct store_status *st, const struct store_sim_state *s,
		      size_t n, void *arg)
{
	struct fx *f = arg;

	f->n = n < 8 ? n : 8;
	memcpy(f->states, s, f->n * sizeof *s);
	keep_status(f, st);
}

#define RUN_UNTIL(f, cond) UVT_RUN_UNTIL(&(f)->loop, &(f)->deadline, &(f)->expired, cond, 5000)

/* Waits for the answer of the call just made. */
static void wait_answer(struct fx *f)
{
	RUN_UNTIL(f, f->done);
	assert_true(f->done);
	f->done = false;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_link_events ev = { on_state, on_notify, f };
	char *ci;

	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->deadline);
	pgt_roles_open(&f->r);
	ci = pgt_conninfo(f->r.db, "botty");
	f->db = store_link_new(&f->loop, ci, NULL, &ev);
	free(ci);
	store_link_listen(f->db, STORE_CHANNEL_BOT);
	assert_int_equal(store_link_start(f->db), 0);
	RUN_UNTIL(f, f->connected == 1);
	assert_int_equal(f->state, STORE_LINK_CONNECTED);
	assert_int_equal(store_link_connects(f->db), 1);
	assert_int_equal(store_link_retry_in_ms(f->db), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_link_stop(f->db);
	uv_close((uv_handle_t *)&f->deadline, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	sim_queues_free(f->queues, f->queues ? f->n : 0);
	pgt_roles_close(&f->r);
	free(f);
	return 0;
}

static void test_role_and_queues(void **state)
{
	struct fx *f = *state;

	store_sim_role(f->db, on_role, f);
	wait_answer(f);
	assert_int_equal(f->st.outcome, STORE_OK);
	assert_string_equal(f->login, "botty");
	assert_true(f->is_bot);
	store_sim_queues(f->db, on_queues, f);
	wait_answer(f);
	assert_int_equal(f->st.outcome, STORE_OK);
	assert_int_equal(f->n, 3);
	assert_string_equal(f->queues[0].id, "billing");
	assert_string_equal(f->queues[0].name, "Billing & banking");
	assert_int_equal(f->queues[0].sector, -1);
	assert_false(f->queues[0].paused);
}

/* A whole bot conversation through the store, then a refused late message. */
static void test_conversation_calls(void **state)
{
	struct fx *f = *state;
	int64_t id, ids[2];
	char cmid[37], idtext[24], *conf;

	store_sim_open(f->db, "billing", "ref-1", "Sanne Jansen", "chat", "nl", on_value, f);
	wait_answer(f);
	assert_int_equal(f->st.outcome, STORE_OK);
	id = strtoll(f->value, NULL, 10);
	assert_true(id > 0);
	store_new_uuid(cmid);
	store_sim_post(f->db, id, false, "Waar blijft mijn pas?", NULL, cmid, on_value, f);
	wait_answer(f);
	assert_int_equal(f->st.outcome, STORE_OK);
	store_new_uuid(cmid);
	store_sim_post(f->db, id, true, "Kijk hier.",
		       "[{\"title\": \"Pas\", \"url\": \"https://bank.example/pas\"}]", cmid,
		       on_value, f);
	wait_answer(f);
	assert_int_equal(f->st.outcome, STORE_OK);
	store_sim_last_message(f->db, id, on_last, f);
	wait_answer(f);
	assert_string_equal(f->kind, "bot");
	assert_true(f->seq > 1);
	store_sim_escalate(f->db, id, "customer_request", "card.lost", 0.81,
			   "Pas kwijt", on_value, f);
	wait_answer(f);
	assert_int_equal(f->st.outcome, STORE_OK);
	store_sim_state(f->db, id, on_value, f);
	wait_answer(f);
	assert_string_equal(f->value, "waiting");
	snprintf(idtext, sizeof idtext, "%lld", (long long)id);
	conf = pgt_scalar(f->r.root, "SELECT round(confidence::numeric, 2)::text"
			  " FROM balie.conversations WHERE id = $1", idtext);
	assert_string_equal(conf, "0.81");
	free(conf);

	/* Ann takes over: the bot hears it on balie_bot, and its next message
	 * is refused with BL012. */
	PQclear(pgt_ok(f->r.ann, "SELECT balie.takeover($1)", idtext));
	/* The escalation said "waiting" on the same channel before. */
	RUN_UNTIL(f, f->got_bot_notice && strcmp(f->bot_notice.state, "human") == 0);
	assert_true(f->got_bot_notice);
	assert_int_equal(f->bot_notice.conv, id);
	assert_string_equal(f->bot_notice.state, "human");
	store_new_uuid(cmid);
	store_sim_post(f->db, id, true, "Nog iets?", NULL, cmid, on_value, f);
	wait_answer(f);
	assert_int_equal(f->st.outcome, STORE_SQL_ERROR);
	assert_string_equal(f->sqlstate, "BL012");

	ids[0] = id;
	ids[1] = id + 1000;	/* not there: simply not returned */
	store_sim_states(f->db, ids, 2, on_states, f);
	wait_answer(f);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->states[0].id, id);
	assert_string_equal(f->states[0].state, "human");
	store_sim_close(f->db, id, "done", on_value, f);
	wait_answer(f);
	assert_int_equal(f->st.outcome, STORE_SQL_ERROR);	/* a person owns it */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_role_and_queues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conversation_calls, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
