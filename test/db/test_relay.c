/* `balie relay` against the harness's real server: tickets, routing by
 * rights (an agent never receives another queue's rows; bots never notes),
 * a conversation leaving sight, large bodies as hints, and a differential
 * test: after a random workload, what each attached login holds equals what
 * it reads through the read API. */
#define _GNU_SOURCE
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
#include "relaytest.h"

struct fx {
	struct pgt_roles r;
	struct rt_relay relay;
};

static int setup(void **state)
{
	static int n;
	struct fx *fx = calloc(1, sizeof *fx);
	char sock[108];

	pgt_roles_open(&fx->r);
	snprintf(sock, sizeof sock, "/tmp/balie-relay-%d-%d.sock", (int)getpid(), ++n);
	rt_relay_start(&fx->relay, fx->r.db, sock);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(rt_relay_stop(&fx->relay, false), 0);
	unlink(fx->relay.err);
	pgt_roles_close(&fx->r);
	free(fx);
	return 0;
}

static void set_queues(struct rt_client *c, int n, ...)
{
	va_list ap;
	int i;

	c->my_queues = calloc((size_t)n, sizeof *c->my_queues);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		c->my_queues[i] = strdup(va_arg(ap, const char *));
	va_end(ap);
	c->nmy_queues = n;
}

static void call(PGconn *c, const char *sql, const char *a, const char *b)
{
	PQclear(b ? pgt_query(c, sql, a, b) : pgt_query(c, sql, a));
}

static void test_tickets(void **state)
{
	struct fx *fx = *state;
	char *t, *msg;

	t = pgt_scalar(fx->r.ann, "SELECT balie.relay_ticket()");
	assert_int_equal(strlen(t), 64);
	/* Only the relay's role redeems; an agent may not. */
	free(pgt_fails(fx->r.ann, "42501", "SELECT * FROM balie.relay_redeem($1)", t));
	/* A role that is no balie agent or bot gets no ticket. */
	msg = pgt_fails(fx->r.mallory, "42501", "SELECT balie.relay_ticket()");
	free(msg);
	{
		PGconn *relayd = pgt_connect(fx->r.db, "relayd");
		PGresult *res = pgt_ok(relayd, "SELECT login, kind, queues::text FROM balie.relay_redeem($1)", t);

		assert_string_equal(PQgetvalue(res, 0, 0), "ann");
		assert_string_equal(PQgetvalue(res, 0, 1), "agent");
		assert_string_equal(PQgetvalue(res, 0, 2), "{billing,health}");
		PQclear(res);
		/* One time only. */
		free(pgt_fails(relayd, "BL040", "SELECT * FROM balie.relay_redeem($1)", t));
		free(t);
		/* Expired after 60 s. */
		t = pgt_scalar(fx->r.sue, "SELECT balie.relay_ticket()");
		PQclear(pgt_ok(fx->r.root, "UPDATE balie.relay_tickets SET created_at = now() - interval '61 s'"));
		free(pgt_fails(relayd, "BL040", "SELECT * FROM balie.relay_redeem($1)", t));
		free(t);
		t = pgt_scalar(fx->r.sue, "SELECT balie.relay_ticket()");
		res = pgt_ok(relayd, "SELECT kind FROM balie.relay_redeem($1)", t);
		assert_string_equal(PQgetvalue(res, 0, 0), "supervisor");
		PQclear(res);
		free(t);
		PQfinish(relayd);
	}
	/* The feed mode: admin only, readable by consoles. */
	free(pgt_scalar(fx->r.ann, "SELECT balie.read_feed()"));
	free(pgt_fails(fx->r.sue, "42501", "SELECT balie.set_feed('relay')"));
	free(pgt_fails(fx->r.root, "BL030", "SELECT balie.set_feed('carrier pigeon')"));
	PQclear(pgt_ok(fx->r.root, "SELECT balie.set_feed('relay')"));
	t = pgt_scalar(fx->r.ann, "SELECT balie.read_feed()");
	assert_string_equal(t, "relay");
	free(t);
}

/* In relay mode writes send no NOTIFY on balie; balie_bot stays. */
static void test_relay_mode_is_silent(void **state)
{
	struct fx *fx = *state;
	PGconn *l = pgt_connect(fx->r.db, "sue");
	char id[24];
	PGnotify *n;
	int balie = 0, bot = 0;

	PQclear(pgt_ok(l, "LISTEN balie"));
	PQclear(pgt_ok(l, "LISTEN balie_bot"));
	PQclear(pgt_ok(fx->r.root, "SELECT balie.set_feed('relay')"));
	pgt_open_conv(fx->r.bot, "billing", id);
	call(fx->r.bot, "SELECT balie.post_message($1, 'customer', 'hi')", id, NULL);
	PQclear(pgt_ok(l, "SELECT 1"));
	PQconsumeInput(l);
	while ((n = PQnotifies(l))) {
		balie += strcmp(n->relname, "balie") == 0;
		bot += strcmp(n->relname, "balie_bot") == 0;
		PQfreemem(n);
	}
	assert_int_equal(balie, 0);
	assert_true(bot >= 1);
	PQclear(pgt_ok(fx->r.root, "SELECT balie.set_feed('notify')"));
	call(fx->r.bot, "SELECT balie.post_message($1, 'customer', 'again')", id, NULL);
	PQclear(pgt_ok(l, "SELECT 1"));
	PQconsumeInput(l);
	while ((n = PQnotifies(l))) {
		balie += strcmp(n->relname, "balie") == 0;
		PQfreemem(n);
	}
	assert_true(balie >= 1);
	PQfinish(l);
}

/* cid serves parcels only: a burst in billing and health sends him nothing. */
static void test_agent_never_gets_other_queues(void **state)
{
	struct fx *fx = *state;
	struct rt_client cid, bob, *all[2] = { &cid, &bob };
	char id[24];
	int i;

	rt_attach(&cid, &fx->relay, fx->r.db, "cid");
	rt_attach(&bob, &fx->relay, fx->r.db, "bob");
	for (i = 0; i < 20; i++) {
		pgt_open_conv(fx->r.bot, i % 2 ? "billing" : "health", id);
		call(fx->r.bot, "SELECT balie.post_message($1, 'customer', 'private matter')", id, NULL);
		call(fx->r.bot, "SELECT balie.escalate($1, 'sensitive_topic')", id, NULL);
		call(fx->r.ann, "SELECT balie.takeover($1)", id, NULL);
		call(fx->r.ann, "SELECT balie.note($1, 'note')", id, NULL);
		if (i % 3 == 0)
			call(fx->r.ann, "SELECT balie.transfer($1, 'health')", id, NULL);
	}
	rt_sync(fx->r.root, all, 2);
	assert_int_equal(cid.n_conv + cid.n_msg + cid.n_hint + cid.n_gone, 0);
	assert_true(bob.n_conv > 0);	/* the feed did run */
	rt_assert_converged(&cid);
	rt_assert_converged(&bob);
	rt_close(&cid);
	rt_close(&bob);
}

/* A transfer out of bob's queue is told to bob; a large body is a hint. */
static void test_leaving_sight_and_big_bodies(void **state)
{
	struct fx *fx = *state;
	struct rt_client bob, *all[1] = { &bob };
	char id[24], *big;
	unsigned long hints;

	rt_attach(&bob, &fx->relay, fx->r.db, "bob");
	pgt_open_conv(fx->r.bot, "billing", id);
	call(fx->r.bot, "SELECT balie.post_message($1, 'customer', 'hello')", id, NULL);
	call(fx->r.bot, "SELECT balie.escalate($1, 'customer_request')", id, NULL);
	rt_sync(fx->r.root, all, 1);
	assert_non_null(bob.nconvs ? &bob.convs[0] : NULL);
	hints = bob.n_hint;
	big = malloc(20001);
	memset(big, 'x', 20000);
	big[20000] = '\0';
	call(fx->r.bot, "SELECT balie.post_message($1, 'customer', $2)", id, big);
	free(big);
	rt_sync(fx->r.root, all, 1);
	assert_true(bob.n_hint > hints);
	rt_assert_converged(&bob);
	call(fx->r.ann, "SELECT balie.takeover($1)", id, NULL);
	call(fx->r.ann, "SELECT balie.transfer($1, 'health')", id, NULL);
	rt_sync(fx->r.root, all, 1);
	assert_int_equal(bob.n_gone, 1);
	assert_int_equal(bob.nconvs, 0);
	rt_assert_converged(&bob);
	rt_close(&bob);
}

static const char *const queues[] = { "billing", "health", "parcels" };
static const char *const reasons[] = { "customer_request", "not_understood", "sensitive_topic" };

/* One random API call; refusals (wrong state, not the owner) are part of it. */
static void random_op(struct fx *fx, char ids[][24], int *nids, unsigned *seed)
{
	PGconn *people[4] = { fx->r.ann, fx->r.bob, fx->r.cid, fx->r.sue };
	PGconn *who = people[rand_r(seed) % 4];
	const char *id = *nids ? ids[rand_r(seed) % (unsigned)*nids] : NULL;
	char body[64];
	int op = (int)(rand_r(seed) % 12);

	snprintf(body, sizeof body, "text %u\twith\\tab", rand_r(seed) % 1000);
	if (!id || op == 0) {
		if (*nids < 60)
			pgt_open_conv(fx->r.bot, queues[rand_r(seed) % 3], ids[(*nids)++]);
		return;
	}
	switch (op) {
	case 1: case 2:
		call(fx->r.bot, "SELECT balie.post_message($1, 'customer', $2)", id, body);
		break;
	case 3:
		call(fx->r.bot, "SELECT balie.post_message($1, 'bot', $2)", id, body);
		break;
	case 4:
		call(fx->r.bot, "SELECT balie.escalate($1, $2)", id, reasons[rand_r(seed) % 3]);
		break;
	case 5:
		call(who, "SELECT balie.takeover($1)", id, NULL);
		break;
	case 6:
		call(who, "SELECT balie.reply($1, $2)", id, body);
		break;
	case 7:
		call(who, "SELECT balie.note($1, $2)", id, body);
		break;
	case 8:
		call(who, "SELECT balie.transfer($1, $2)", id, queues[rand_r(seed) % 3]);
		break;
	case 9:
		if (rand_r(seed) % 4 == 0)
			call(who, "SELECT balie.close($1)", id, NULL);
		break;
	case 10:
		call(fx->r.sue, "SELECT balie.assign($1, $2)", id,
		     (const char *[]){ "ann", "bob", "cid" }[rand_r(seed) % 3]);
		break;
	default:
		call(who, "SELECT balie.handback($1)", id, NULL);
		break;
	}
}

static void test_differential(void **state)
{
	struct fx *fx = *state;
	struct rt_client ann, bob, cid, sue, bot;
	struct rt_client *all[5] = { &ann, &bob, &cid, &sue, &bot };
	char ids[64][24];
	int nids = 0, i, k;
	unsigned seed = 20261205;

	if (getenv("BALIE_TEST_SEED"))
		seed = (unsigned)strtoul(getenv("BALIE_TEST_SEED"), NULL, 10);
	fprintf(stderr, "differential seed %u\n", seed);
	/* Conversations from before the attach are read at attach. */
	for (i = 0; i < 30; i++)
		random_op(fx, ids, &nids, &seed);
	rt_attach(&ann, &fx->relay, fx->r.db, "ann");
	rt_attach(&bob, &fx->relay, fx->r.db, "bob");
	rt_attach(&cid, &fx->relay, fx->r.db, "cid");
	rt_attach(&sue, &fx->relay, fx->r.db, "sue");
	rt_attach(&bot, &fx->relay, fx->r.db, "botty");
	set_queues(&ann, 2, "billing", "health");
	set_queues(&bob, 2, "billing", "parcels");
	set_queues(&cid, 1, "parcels");
	for (i = 0; i < 600; i++) {
		random_op(fx, ids, &nids, &seed);
		if (i == 300)	/* rights change mid-stream: bob also serves parcels */
			PQclear(pgt_ok(fx->r.root, "SELECT balie.add_agent('bob', 'Bob de Vries',"
				       " ARRAY['billing', 'parcels'])"));
		if (i % 10 == 0)
			for (k = 0; k < 5; k++)
				rt_pump(all[k]);
	}
	rt_sync(fx->r.root, all, 5);
	for (k = 0; k < 5; k++) {
		fprintf(stderr, "%s: conv %lu msg %lu hint %lu gone %lu gap %lu; holds %d convs, %d msgs\n",
			all[k]->role, all[k]->n_conv, all[k]->n_msg, all[k]->n_hint, all[k]->n_gone,
			all[k]->n_gap, all[k]->nconvs, all[k]->nmsgs);
		assert_int_equal(all[k]->violations, 0);
		rt_assert_converged(all[k]);
	}
	assert_true(bob.n_gap >= 1);	/* the rights change */
	assert_true(sue.n_conv > 0 && ann.n_msg > 0 && bot.n_msg > 0);
	for (k = 0; k < 5; k++)
		rt_close(all[k]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tickets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_mode_is_silent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_never_gets_other_queues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaving_sight_and_big_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_differential, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
