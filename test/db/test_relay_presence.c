/* Presence without queries: an agent attached through `balie relay` sends no
 * heartbeat of its own, yet shows online in supervisor_agents() (the relay
 * calls balie.relay_seen() for all its attached agents, here every 100 ms
 * through BALIE_RELAY_SEEN_MS) and stays online past the 30 s offline bound;
 * once detached it goes offline when the bound passes. Those refreshes are
 * not forwarded to clients as agent frames; real agent changes are. */
#define _GNU_SOURCE
#include <poll.h>
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

	setenv("BALIE_RELAY_SEEN_MS", "100", 1);
	pgt_roles_open(&fx->r);
	snprintf(sock, sizeof sock, "/tmp/balie-relay-pr-%d-%d.sock", (int)getpid(), ++n);
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

static long status_long(const struct fx *fx, const char *key)
{
	char *v = rt_relay_status(&fx->relay, key);
	long n;

	if (!v) {
		fprintf(stderr, "relay status has no %s (see %s)\n", key, fx->relay.err);
		fail();
	}
	n = atol(v);
	free(v);
	return n;
}

/* Waits until the relay has called relay_seen() MORE times after now. */
static void wait_seen_calls(const struct fx *fx, long more)
{
	long want = status_long(fx, "seen_calls") + more;
	double deadline = pgt_now_s() + 10;

	while (status_long(fx, "seen_calls") < want) {
		if (pgt_now_s() > deadline) {
			fprintf(stderr, "relay made no relay_seen() call (see %s)\n", fx->relay.err);
			fail();
		}
		pgt_pause_ms(20);
	}
}

static void wait_clients(const struct fx *fx, long n)
{
	double deadline = pgt_now_s() + 10;

	while (status_long(fx, "clients") != n) {
		assert_true(pgt_now_s() < deadline);
		pgt_pause_ms(20);
	}
}

/* The presence of LOGIN as the supervisor reads it. */
static char *presence(const struct fx *fx, const char *login)
{
	return pgt_scalar(fx->r.sue, "SELECT presence FROM balie.supervisor_agents()"
			  " WHERE login = $1", login);
}

static void wait_presence(const struct fx *fx, const char *login, const char *want)
{
	double deadline = pgt_now_s() + 10;

	for (;;) {
		char *p = presence(fx, login);
		bool ok = strcmp(p, want) == 0;

		if (!ok && pgt_now_s() > deadline)
			fprintf(stderr, "%s is %s, not %s\n", login, p, want);
		free(p);
		if (ok)
			return;
		assert_true(pgt_now_s() < deadline);
		pgt_pause_ms(20);
	}
}

/* As postgres: LOGIN was last seen a minute ago (past the 30 s bound). */
static void set_back(const struct fx *fx, const char *login)
{
	PQclear(pgt_ok(fx->r.root, "UPDATE balie.agents SET last_seen = now() - interval '60 s'"
		       " WHERE login = $1", login));
}

static bool got_notify(PGconn *c, const char *channel, double seconds)
{
	double deadline = pgt_now_s() + seconds;
	struct pollfd p = { .fd = PQsocket(c), .events = POLLIN };
	PGnotify *n;
	bool got = false;

	while (!got && pgt_now_s() < deadline) {
		poll(&p, 1, 100);
		PQconsumeInput(c);
		while ((n = PQnotifies(c))) {
			got = got || strcmp(n->relname, channel) == 0;
			PQfreemem(n);
		}
	}
	return got;
}

/* Only the relay's role vouches for presence; bots and strangers are no agents. */
static void test_relay_seen_rights(void **state)
{
	struct fx *fx = *state;
	PGconn *relayd = pgt_connect(fx->r.db, "relayd");
	char *n;

	free(pgt_fails(fx->r.ann, "42501", "SELECT balie.relay_seen(ARRAY['ann'])"));
	free(pgt_fails(fx->r.sue, "42501", "SELECT balie.relay_seen(ARRAY['ann'])"));
	set_back(fx, "ann");
	n = pgt_scalar(relayd, "SELECT balie.relay_seen(ARRAY['ann', 'botty', 'nobody', 'a\"b'])");
	assert_string_equal(n, "1");
	free(n);
	wait_presence(fx, "ann", "online");
	PQfinish(relayd);
}

static void test_attached_agent_is_online(void **state)
{
	struct fx *fx = *state;
	struct rt_client ann, bob;
	char *since;

	set_back(fx, "ann");
	set_back(fx, "bob");
	wait_presence(fx, "ann", "offline");
	PQclear(pgt_ok(fx->r.sue, "LISTEN balie_presence"));
	rt_attach(&ann, &fx->relay, fx->r.db, "ann");
	rt_attach(&bob, &fx->relay, fx->r.db, "bob");
	/* No heartbeat of ann's own: the relay says she is here. */
	wait_presence(fx, "ann", "online");
	wait_presence(fx, "bob", "online");
	assert_true(got_notify(fx->r.sue, "balie_presence", 10));
	since = pgt_scalar(fx->r.sue, "SELECT presence_since > now() - interval '20 s'"
			   " FROM balie.supervisor_agents() WHERE login = 'ann'");
	assert_string_equal(since, "t");
	free(since);

	/* Past the 30 s bound while attached: refreshed, online again. */
	set_back(fx, "ann");
	wait_presence(fx, "ann", "online");

	/* Detached: no longer refreshed, offline once the bound has passed. */
	rt_close(&ann);
	wait_clients(fx, 1);
	wait_seen_calls(fx, 2);	/* every call now is without ann */
	set_back(fx, "ann");
	set_back(fx, "bob");
	wait_seen_calls(fx, 2);
	wait_presence(fx, "bob", "online");
	wait_presence(fx, "ann", "offline");
	rt_close(&bob);
}

static void test_presence_updates_not_forwarded(void **state)
{
	struct fx *fx = *state;
	struct rt_client sue, ann, *all[1] = { &sue };
	unsigned long agents;
	long skipped;

	rt_attach(&sue, &fx->relay, fx->r.db, "sue");
	rt_attach(&ann, &fx->relay, fx->r.db, "ann");
	wait_presence(fx, "sue", "online");	/* a supervisor is present too */
	wait_seen_calls(fx, 2);
	rt_sync(fx->r.root, all, 1);
	agents = sue.n_agent;
	skipped = status_long(fx, "presence_skipped");

	/* Presence times alone: the relay's refreshes and a last_seen set back. */
	set_back(fx, "ann");
	wait_presence(fx, "ann", "online");
	wait_seen_calls(fx, 3);
	rt_sync(fx->r.root, all, 1);
	assert_int_equal(sue.n_agent, agents);
	assert_true(status_long(fx, "presence_skipped") > skipped);

	/* A display name, and away, still go out at once. */
	PQclear(pgt_ok(fx->r.root, "UPDATE balie.agents SET display_name = 'Ann J.'"
		       " WHERE login = 'ann'"));
	rt_sync(fx->r.root, all, 1);
	assert_int_equal(sue.n_agent, agents + 1);
	PQclear(pgt_ok(ann.conn, "SELECT balie.heartbeat(true)"));
	rt_sync(fx->r.root, all, 1);
	assert_int_equal(sue.n_agent, agents + 2);
	wait_presence(fx, "ann", "away");
	wait_seen_calls(fx, 2);		/* the relay keeps her away, not online */
	wait_presence(fx, "ann", "away");
	rt_close(&ann);
	rt_close(&sue);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_relay_seen_rights, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attached_agent_is_online, setup, teardown),
		cmocka_unit_test_setup_teardown(test_presence_updates_not_forwarded, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
