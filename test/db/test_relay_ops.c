/* `balie relay` in operation: two relays on one database, a relay killed
 * mid-burst (its temporary slot vanishes; clients re-attach and converge),
 * a server restart under the relay (it reconnects and sends gap), and a slot
 * that passes max_slot_wal_keep_size while the relay is stuck (the server
 * drops it, the relay starts a new one and sends gap). */
#define _GNU_SOURCE
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
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

static int nsock;

static void sock_path(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/balie-relay-ops-%d-%d.sock", (int)getpid(), ++nsock);
}

static void post(PGconn *bot, const char *id, int i)
{
	char body[32];

	snprintf(body, sizeof body, "burst %d", i);
	PQclear(pgt_ok(bot, "SELECT balie.post_message($1, 'customer', $2)", id, body));
}

static long relay_slots(PGconn *root, pid_t pid)
{
	char like[64];

	snprintf(like, sizeof like, "balie_relay_%d_%%", (int)pid);
	return pgt_long(root, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE $1", like);
}

/* Pumps C until it has seen at least N gaps. */
static void wait_gaps(struct rt_client *c, unsigned long n, double seconds)
{
	double deadline = pgt_now_s() + seconds;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	while (c->n_gap < n) {
		assert_true(pgt_now_s() < deadline);
		poll(&p, 1, 100);
		rt_pump(c);
	}
}

static void test_two_relays(void **state)
{
	struct pgt_roles r;
	struct rt_relay a, b;
	struct rt_client sue_a, sue_b, ann_b, *all[3] = { &sue_a, &sue_b, &ann_b };
	char s[108], id[24];
	int i;

	(void)state;
	pgt_roles_open(&r);
	sock_path(s, sizeof s);
	rt_relay_start(&a, r.db, s);
	sock_path(s, sizeof s);
	rt_relay_start(&b, r.db, s);
	assert_int_equal(relay_slots(r.root, a.pid), 1);
	assert_int_equal(relay_slots(r.root, b.pid), 1);
	rt_attach(&sue_a, &a, r.db, "sue");
	rt_attach(&sue_b, &b, r.db, "sue");
	rt_attach(&ann_b, &b, r.db, "ann");
	for (i = 0; i < 10; i++) {
		pgt_open_conv(r.bot, i % 2 ? "billing" : "parcels", id);
		post(r.bot, id, i);
	}
	rt_sync(r.root, all, 3);
	assert_int_equal(sue_a.nconvs, 10);
	assert_int_equal(sue_b.nconvs, 10);
	assert_int_equal(ann_b.nconvs, 5);
	for (i = 0; i < 3; i++)
		rt_assert_converged(all[i]);
	for (i = 0; i < 3; i++)
		rt_close(all[i]);
	assert_int_equal(rt_relay_stop(&a, false), 0);
	assert_int_equal(rt_relay_stop(&b, false), 0);
	unlink(a.err);
	unlink(b.err);
	pgt_roles_close(&r);
}

static void test_killed_mid_burst(void **state)
{
	struct pgt_roles r;
	struct rt_relay a;
	struct rt_client sue, bob, *all[2] = { &sue, &bob };
	char s[108], id[24];
	double deadline;
	pid_t dead = 0;
	int i;

	(void)state;
	pgt_roles_open(&r);
	sock_path(s, sizeof s);
	rt_relay_start(&a, r.db, s);
	rt_attach(&sue, &a, r.db, "sue");
	rt_attach(&bob, &a, r.db, "bob");
	pgt_open_conv(r.bot, "billing", id);
	for (i = 0; i < 200; i++) {
		post(r.bot, id, i);
		if (i == 100) {
			dead = a.pid;
			rt_relay_stop(&a, true);
		}
	}
	/* The temporary slot goes with the relay's session: no WAL is held. */
	deadline = pgt_now_s() + 30;
	while (relay_slots(r.root, dead) != 0) {
		assert_true(pgt_now_s() < deadline);
		pgt_pause_ms(20);
	}
	rt_pump(&sue);
	rt_pump(&bob);
	assert_true(sue.eof && bob.eof);
	rt_relay_start(&a, r.db, s);
	rt_reattach(&sue, &a);
	rt_reattach(&bob, &a);
	for (i = 200; i < 220; i++)
		post(r.bot, id, i);
	rt_sync(r.root, all, 2);
	rt_assert_converged(&sue);
	rt_assert_converged(&bob);
	rt_close(&sue);
	rt_close(&bob);
	assert_int_equal(rt_relay_stop(&a, false), 0);
	unlink(a.err);
	pgt_roles_close(&r);
}

static void test_server_restart(void **state)
{
	struct pgt_roles r;
	struct rt_relay a;
	struct rt_client sue, ann, *all[2] = { &sue, &ann };
	char s[108], id[24];
	int i;

	(void)state;
	pgt_roles_open(&r);
	sock_path(s, sizeof s);
	rt_relay_start(&a, r.db, s);
	rt_attach(&sue, &a, r.db, "sue");
	rt_attach(&ann, &a, r.db, "ann");
	pgt_open_conv(r.bot, "health", id);
	post(r.bot, id, 1);
	rt_sync(r.root, all, 2);
	pgt_harness("restart");
	PQreset(r.root);
	PQreset(r.bot);
	PQreset(sue.conn);
	PQreset(ann.conn);
	/* Written while the relay may still be reconnecting: gap covers it. */
	post(r.bot, id, 2);
	wait_gaps(&sue, 1, 60);
	wait_gaps(&ann, 1, 60);
	assert_false(sue.eof || ann.eof);	/* clients stay attached */
	for (i = 3; i < 10; i++)
		post(r.bot, id, i);
	rt_sync(r.root, all, 2);
	rt_assert_converged(&sue);
	rt_assert_converged(&ann);
	rt_close(&sue);
	rt_close(&ann);
	assert_int_equal(rt_relay_stop(&a, false), 0);
	unlink(a.err);
	pgt_roles_close(&r);
}

/* A stuck relay holds WAL only up to max_slot_wal_keep_size: past it the
 * server invalidates the slot; the relay starts over and clients re-read. */
static void test_slot_bound(void **state)
{
	struct pgt_roles r;
	struct rt_relay a;
	struct rt_client sue, *all[1] = { &sue };
	char s[108], id[24];
	double deadline;
	int i;

	(void)state;
	pgt_roles_open(&r);
	PQclear(pgt_ok(r.root, "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'"));
	PQclear(pgt_ok(r.root, "SELECT pg_reload_conf()"));
	sock_path(s, sizeof s);
	rt_relay_start(&a, r.db, s);
	rt_attach(&sue, &a, r.db, "sue");
	pgt_open_conv(r.bot, "billing", id);
	kill(a.pid, SIGSTOP);
	for (i = 0; i < 4; i++) {
		post(r.bot, id, i);
		free(pgt_scalar(r.root, "SELECT pg_switch_wal()::text"));
	}
	post(r.bot, id, 99);
	PQclear(pgt_ok(r.root, "CHECKPOINT"));
	deadline = pgt_now_s() + 30;
	while (pgt_long(r.root, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE"
			" 'balie_relay_%' AND wal_status NOT IN ('lost', 'unreserved')") != 0) {
		assert_true(pgt_now_s() < deadline);
		PQclear(pgt_ok(r.root, "CHECKPOINT"));
		pgt_pause_ms(50);
	}
	kill(a.pid, SIGCONT);
	wait_gaps(&sue, 1, 60);
	post(r.bot, id, 100);
	rt_sync(r.root, all, 1);
	rt_assert_converged(&sue);
	rt_close(&sue);
	assert_int_equal(rt_relay_stop(&a, false), 0);
	PQclear(pgt_ok(r.root, "ALTER SYSTEM RESET max_slot_wal_keep_size"));
	PQclear(pgt_ok(r.root, "SELECT pg_reload_conf()"));
	unlink(a.err);
	pgt_roles_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_relays),
		cmocka_unit_test(test_killed_mid_burst),
		cmocka_unit_test(test_server_restart),
		cmocka_unit_test(test_slot_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
