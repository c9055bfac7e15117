/* A shift (schema 008): capacity and status, take_next under a race, auto
 * routing, read marks, the customer's wait, who else is here, search. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pgtest.h"

#define OK(c, ...) PQclear(pgt_ok(c, __VA_ARGS__))
#define FAILS(c, state, ...) free(pgt_fails(c, state, __VA_ARGS__))
#define assert_value(c, want, ...) do { \
		char *v_ = pgt_scalar(c, __VA_ARGS__); \
		if (!v_ || strcmp(v_, want) != 0) \
			fail_msg("got %s, want %s", v_ ? v_ : "NULL", want); \
		free(v_); \
	} while (0)

struct fx {
	struct pgt_roles r;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	pgt_roles_open(&f->r);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	pgt_roles_close(&f->r);
	free(f);
	return 0;
}

static void waiting_conv(struct fx *f, const char *queue, char id[24])
{
	snprintf(id, 24, "%ld", pgt_long(f->r.bot, "select balie.open_conversation($1, 'c', 'Carla')", queue));
	OK(f->r.bot, "select balie.escalate($1, 'other')", id);
}

static void capacity_refusals(void **state)
{
	struct fx *f = *state;
	char a[24], b[24], c[24];
	char *msg;

	OK(f->r.sue, "select balie.set_capacity('ann', 2)");
	waiting_conv(f, "billing", a);
	waiting_conv(f, "billing", b);
	waiting_conv(f, "billing", c);
	assert_value(f->r.ann, "t", "select balie.takeover($1)", a);
	assert_value(f->r.ann, b, "select balie.take_next()");
	msg = pgt_fails(f->r.ann, "BL050", "select balie.takeover($1)", c);
	assert_string_equal(msg, "you already have 2 open conversations, your capacity");
	free(msg);
	FAILS(f->r.ann, "BL050", "select balie.take_next()");
	msg = pgt_fails(f->r.sue, "BL050", "select balie.assign($1, 'ann')", c);
	assert_string_equal(msg, "Ann Jansen already has 2 open conversations, their capacity");
	free(msg);
	OK(f->r.ann, "select balie.close($1)", a);
	assert_value(f->r.ann, c, "select balie.take_next()");
	FAILS(f->r.ann, "BL050", "select balie.take_next()");
	OK(f->r.sue, "select balie.set_capacity('ann', 10)");
	assert_value(f->r.ann, "", "select coalesce(balie.take_next()::text, '')");	/* none left */
	FAILS(f->r.ann, "42501", "select balie.set_capacity('ann', 9)");
	FAILS(f->r.sue, "BL030", "select balie.set_capacity('ann', -1)");
	FAILS(f->r.ann, "BL030", "select balie.set_status('gone')");
	OK(f->r.ann, "select balie.set_status('away')");
	assert_value(f->r.root, "away|t", "select concat_ws('|', status, status_since is not null)"
		     " from balie.agents where login = 'ann'");
	FAILS(f->r.bot, "42501", "select balie.take_next()");
	FAILS(f->r.mallory, "42501", "select balie.take_next()");
}

/* take_next: the most urgent first (priority, then the longest wait), and
 * never one of a queue the caller does not work. */
static void take_next_takes_the_most_urgent(void **state)
{
	struct fx *f = *state;
	char p[24], b1[24], b2[24], h[24];

	waiting_conv(f, "parcels", p);
	waiting_conv(f, "billing", b1);
	waiting_conv(f, "billing", b2);
	waiting_conv(f, "health", h);
	assert_value(f->r.bob, b1, "select balie.take_next()");	/* bob works billing only */
	assert_value(f->r.ann, h, "select balie.take_next()");	/* health has priority 10 */
	assert_value(f->r.ann, b2, "select balie.take_next()");
	assert_value(f->r.ann, "", "select coalesce(balie.take_next()::text, '')");
	assert_value(f->r.root, "human|ann|Ann Jansen has joined the conversation.",
		     "select concat_ws('|', c.state, c.agent, m.body) from balie.conversations c join balie.messages m"
		     " on m.conversation = c.id and m.seq = c.message_count where c.id = $1", b2);
}

/* ------------------------------------------------------------- the race */

#define RACERS 30
#define CONVS 1000
#define CAP 40

struct racer {
	char *db;
	int n;
	char login[16];
	long got[CONVS];
	int ngot;
	char err[256];
};

static void *race(void *arg)
{
	struct racer *r = arg;
	char *ci = pgt_conninfo(r->db, r->login);
	PGconn *c = PQconnectdb(ci);

	free(ci);
	for (;;) {
		PGresult *res = PQexec(c, "select balie.take_next()");

		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			if (!st || strcmp(st, "BL050") != 0)
				snprintf(r->err, sizeof r->err, "%s", PQresultErrorMessage(res));
			PQclear(res);
			break;
		}
		if (PQgetisnull(res, 0, 0)) {
			PQclear(res);
			break;
		}
		r->got[r->ngot++] = atol(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	PQfinish(c);
	return NULL;
}

static void take_next_race_gives_each_once(void **state)
{
	struct fx *f = *state;
	static struct racer rs[RACERS];
	pthread_t t[RACERS];
	char *seen = calloc(1u << 20, 1);
	long total = 0;
	double start;

	assert_non_null(seen);
	OK(f->r.root, "update balie.agents set capacity = 40 where login like 'race%'");
	OK(f->r.bot, "select balie.escalate(balie.open_conversation('billing', 'r' || i, 'R'), 'other')"
	   " from generate_series(1, 1000) i");
	start = pgt_now_s();
	for (int i = 0; i < RACERS; i++) {
		memset(&rs[i], 0, sizeof rs[i]);
		rs[i].db = f->r.db;
		snprintf(rs[i].login, sizeof rs[i].login, "race%02d", i + 1);
		assert_int_equal(pthread_create(&t[i], NULL, race, &rs[i]), 0);
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	print_message("take_next: %d agents, %d conversations in %.2f s\n", RACERS, CONVS, pgt_now_s() - start);
	for (int i = 0; i < RACERS; i++) {
		if (rs[i].err[0])
			fail_msg("%s: %s", rs[i].login, rs[i].err);
		assert_true(rs[i].ngot <= CAP);
		for (int k = 0; k < rs[i].ngot; k++) {
			long id = rs[i].got[k];

			assert_true(id > 0 && id < (1 << 20));
			if (seen[id])
				fail_msg("conversation %ld given twice", id);
			seen[id] = 1;
			total++;
		}
	}
	assert_int_equal(total, CONVS);
	assert_value(f->r.root, "0", "select count(*) from balie.conversations where state = 'waiting'");
	assert_value(f->r.root, "0", "select count(*) from (select agent from balie.conversations"
		     " where state = 'human' group by agent having count(*) > 40) x");
	free(seen);
}

/* ---------------------------------------------------------- auto routing */

static void auto_routing_gives_the_longest_waiting_to_the_freest(void **state)
{
	struct fx *f = *state;
	char a[24], b[24], c[24], d[24];

	OK(f->r.sue, "select balie.set_capacity('bob', 1)");
	OK(f->r.sue, "select balie.set_capacity('ann', 2)");
	OK(f->r.ann, "select balie.heartbeat()");
	OK(f->r.bob, "select balie.heartbeat()");
	waiting_conv(f, "billing", a);	/* manual: nobody gets it */
	assert_value(f->r.root, "waiting", "select state from balie.conversations where id = $1", a);
	OK(f->r.sue, "select balie.set_routing('billing', 'auto')");
	/* The longest-waiting goes to the agent with the most free capacity. */
	assert_value(f->r.root, "human|ann", "select state || '|' || agent from balie.conversations where id = $1", a);
	waiting_conv(f, "billing", b);	/* ann 1 free, bob 1 free: bob idled longer */
	assert_value(f->r.root, "bob", "select agent from balie.conversations where id = $1", b);
	waiting_conv(f, "billing", c);
	assert_value(f->r.root, "ann", "select agent from balie.conversations where id = $1", c);
	waiting_conv(f, "billing", d);	/* everyone full */
	assert_value(f->r.root, "waiting", "select state from balie.conversations where id = $1", d);
	/* A freed slot takes the waiting one in the same transaction. */
	OK(f->r.bob, "select balie.close($1)", b);
	assert_value(f->r.root, "bob", "select agent from balie.conversations where id = $1", d);
	/* Away agents get nothing; becoming available takes the next. */
	OK(f->r.ann, "select balie.set_status('away')");
	OK(f->r.ann, "select balie.close($1)", a);
	waiting_conv(f, "billing", a);
	assert_value(f->r.root, "waiting", "select state from balie.conversations where id = $1", a);
	OK(f->r.ann, "select balie.set_status('available')");
	assert_value(f->r.root, "ann", "select agent from balie.conversations where id = $1", a);
}

struct escalator {
	char *db;
	int n;
	char err[256];
};

static void *escalate_many(void *arg)
{
	struct escalator *e = arg;
	char *ci = pgt_conninfo(e->db, "botty");
	PGconn *c = PQconnectdb(ci);

	free(ci);
	for (int i = 0; i < e->n; i++) {
		PGresult *r = PQexec(c, "select balie.escalate(balie.open_conversation('billing', 'x', 'X'), 'other')");

		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			snprintf(e->err, sizeof e->err, "%s", PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(c);
	return NULL;
}

static void *toggle_status(void *arg)
{
	struct escalator *e = arg;
	char *ci = pgt_conninfo(e->db, "race01");
	PGconn *c = PQconnectdb(ci);

	free(ci);
	for (int i = 0; i < e->n; i++) {
		PGresult *r = PQexec(c, i % 2 ? "select balie.set_status('available')" : "select balie.set_status('away')");
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		if (PQresultStatus(r) != PGRES_TUPLES_OK && (!st || strcmp(st, "BL040") != 0))
			snprintf(e->err, sizeof e->err, "%s", PQresultErrorMessage(r));
		PQclear(r);
	}
	PQfinish(c);
	return NULL;
}

static void auto_routing_under_concurrency(void **state)
{
	struct fx *f = *state;
	struct escalator e[5];
	pthread_t t[5];

	OK(f->r.root, "update balie.agents set capacity = 3, last_seen = now() where login like 'race%'");
	OK(f->r.root, "update balie.agents set capacity = 0 where login not like 'race%'");
	OK(f->r.sue, "select balie.set_routing('billing', 'auto')");
	for (int i = 0; i < 5; i++) {
		e[i].db = f->r.db;
		e[i].n = i == 4 ? 60 : 40;
		e[i].err[0] = '\0';
		assert_int_equal(pthread_create(&t[i], NULL, i == 4 ? toggle_status : escalate_many, &e[i]), 0);
	}
	for (int i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 5; i++)
		if (e[i].err[0])
			fail_msg("%s", e[i].err);
	/* 160 conversations, 32 agents of 3: 96 given, never over capacity,
	 * each to one owner, the rest waiting. */
	assert_value(f->r.root, "0", "select count(*) from (select agent from balie.conversations"
		     " where state = 'human' group by agent having count(*) > 3) x");
	assert_value(f->r.root, "96|64", "select concat_ws('|', count(*) filter (where state = 'human'),"
		     " count(*) filter (where state = 'waiting')) from balie.conversations");
	assert_value(f->r.root, "0", "select count(*) from balie.conversations c where state = 'human'"
		     " and (select count(*) from balie.state_changes s where s.conversation = c.id"
		     " and s.to_state = 'human') <> 1");
}

/* ------------------------------------------------------- marks and more */

static void mark_read_and_the_customers_wait(void **state)
{
	struct fx *f = *state;
	char a[24], other[24];

	waiting_conv(f, "billing", a);
	OK(f->r.bot, "select balie.post_message($1, 'customer', 'hallo?')", a);
	OK(f->r.bot, "select balie.post_message($1, 'customer', 'iemand?')", a);
	{
		char *want = pgt_scalar(f->r.root, "select '0|' || extract(epoch from min(created_at))::bigint"
					" from balie.messages where conversation = $1 and author_kind = 'customer'", a);

		assert_value(f->r.ann, want, "select concat_ws('|', my_read_seq, customer_waiting_since)"
			     " from balie.read_conversations(array[$1::bigint])", a);
		free(want);
	}
	OK(f->r.ann, "select balie.takeover($1)", a);
	OK(f->r.ann, "select balie.mark_read($1, 3)", a);
	OK(f->r.ann, "select balie.mark_read($1, 2)", a);	/* never back */
	assert_value(f->r.ann, "3", "select my_read_seq from balie.read_conversations(array[$1::bigint])", a);
	assert_value(f->r.bob, "0", "select my_read_seq from balie.read_conversations(array[$1::bigint])", a);
	OK(f->r.ann, "select balie.reply($1, 'ja')", a);
	assert_value(f->r.ann, "", "select coalesce(customer_waiting_since::text, '')"
		     " from balie.read_conversations(array[$1::bigint])", a);
	/* Attack: hidden and missing say the same. */
	snprintf(other, sizeof other, "%ld", pgt_long(f->r.bot, "select balie.open_conversation('parcels', 'c', 'C')"));
	FAILS(f->r.ann, "BL001", "select balie.mark_read($1, 1)", other);
	FAILS(f->r.ann, "BL001", "select balie.mark_read(999999, 1)");
	FAILS(f->r.ann, "BL001", "select balie.set_viewing($1, 'viewing')", other);
	FAILS(f->r.bot, "42501", "select balie.mark_read($1, 1)", a);
}

static void who_else_is_here(void **state)
{
	struct fx *f = *state;
	char a[24];
	long v;

	waiting_conv(f, "billing", a);
	OK(f->r.ann, "select balie.set_viewing($1, 'viewing')", a);
	OK(f->r.bob, "select balie.set_viewing($1, 'typing a note')", a);
	assert_value(f->r.sue, "[{\"name\": \"Ann Jansen\", \"login\": \"ann\", \"activity\": \"viewing\"}, "
		     "{\"name\": \"Bob de Vries\", \"login\": \"bob\", \"activity\": \"typing a note\"}]",
		     "select viewers from balie.read_conversations(array[$1::bigint])", a);
	v = pgt_long(f->r.root, "select version from balie.conversations where id = $1", a);
	OK(f->r.ann, "select balie.set_viewing($1, 'viewing')", a);	/* the same: no change */
	assert_int_equal(pgt_long(f->r.root, "select version from balie.conversations where id = $1", a), v);
	OK(f->r.ann, "select balie.set_viewing($1, null)", a);
	OK(f->r.bob, "select balie.set_viewing($1, null)", a);
	assert_value(f->r.sue, "", "select coalesce(viewers, '') from balie.read_conversations(array[$1::bigint])", a);
	FAILS(f->r.ann, "BL030", "select balie.set_viewing($1, 'dancing')", a);
}

static void search_ignores_accents_and_case(void **state)
{
	struct fx *f = *state;
	char a[24], p[24];

	snprintf(a, sizeof a, "%ld", pgt_long(f->r.bot, "select balie.open_conversation('billing', 'k1', 'Zoë Yılmaz')"));
	snprintf(p, sizeof p, "%ld", pgt_long(f->r.bot, "select balie.open_conversation('parcels', 'k2', 'Zoë Parcel')"));
	assert_value(f->r.ann, a, "select string_agg(id::text, ',') from balie.search('zoe', 10)");
	assert_value(f->r.ann, a, "select string_agg(id::text, ',') from balie.search('YILMAZ', 10)");
	OK(f->r.bot, "select balie.escalate($1, 'other')", a);
	OK(f->r.ann, "select balie.takeover($1)", a);
	assert_value(f->r.bob, a, "select string_agg(id::text, ',') from balie.search('ann jans', 10)");
	/* Only what the caller may see. */
	assert_value(f->r.cid, p, "select string_agg(id::text, ',') from balie.search('zoë', 10)");
	assert_value(f->r.sue, "2", "select count(*) from balie.search('ZOE', 10)");
	assert_value(f->r.ann, "0", "select count(*) from balie.search('%', 10)");
	FAILS(f->r.mallory, "42501", "select * from balie.search('zoe', 10)");
	FAILS(f->r.bot, "42501", "select * from balie.search('zoe', 10)");
}

static void read_queues_tell_the_load(void **state)
{
	struct fx *f = *state;
	char a[24];

	waiting_conv(f, "billing", a);
	OK(f->r.bob, "select balie.heartbeat()");
	assert_value(f->r.ann, "1|1", "select concat_ws('|', waiting, agents_online) from balie.read_queues()"
		     " where id = 'billing'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(capacity_refusals),
		T(take_next_takes_the_most_urgent),
		T(take_next_race_gives_each_once),
		T(auto_routing_gives_the_longest_waiting_to_the_freest),
		T(auto_routing_under_concurrency),
		T(mark_read_and_the_customers_wait),
		T(who_else_is_here),
		T(search_ignores_accents_and_case),
		T(read_queues_tell_the_load),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
