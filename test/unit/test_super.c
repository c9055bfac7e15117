/* Unit tests of the supervisor data: the pacing rule under bursts (with a
 * simulated clock), sparklines, figures, names and the store's list parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balie/store.h"
#include "balie/super.h"

/* A refresh takes this long in the simulation. */
#define QUERY_MS 25

/* The refresher's timer and query, driven by a simulated clock. */
struct sim {
	struct super_pace p;
	uint64_t timer;		/* when the timer fires; 0 = not armed */
	uint64_t answer;	/* when the query in flight is answered; 0 = none */
	uint64_t now;
	uint64_t starts[64];	/* when each refresh began (the first 64) */
};

static void sim_init(struct sim *s)
{
	memset(s, 0, sizeof *s);
	super_pace_init(&s->p, 200, 500, 5000);
	s->now = 1000;
	s->timer = super_pace_online(&s->p, s->now, true);
}

/* Runs timer and answer events in time order up to T. */
static void sim_run_to(struct sim *s, uint64_t t)
{
	for (;;) {
		bool timer_first = s->timer && (!s->answer || s->timer <= s->answer);
		uint64_t at = timer_first ? s->timer : s->answer;
		bool start;

		if (!at || at > t)
			break;
		s->now = at;
		if (timer_first) {
			s->timer = super_pace_due(&s->p, s->now, &start);
			if (start) {
				if (s->p.refreshes <= 64)
					s->starts[s->p.refreshes - 1] = s->now;
				s->answer = s->now + QUERY_MS;
			}
		} else {
			s->answer = 0;
			s->timer = super_pace_done(&s->p, s->now);
		}
	}
	s->now = t;
}

static void sim_change(struct sim *s, uint64_t t)
{
	sim_run_to(s, t);
	s->timer = super_pace_change(&s->p, t);
}

static void sim_show(struct sim *s, uint64_t t, bool visible)
{
	sim_run_to(s, t);
	s->timer = super_pace_show(&s->p, t, visible);
}

static void test_a_burst_of_1000_costs_a_refresh_or_two(void **state)
{
	struct sim s;
	unsigned long before;

	(void)state;
	sim_init(&s);
	sim_show(&s, 1000, true);
	sim_run_to(&s, 2000);
	assert_int_equal(s.p.refreshes, 1);	/* showing the screen */
	before = s.p.refreshes;
	/* 1,000 changes within 100 ms. */
	for (int i = 0; i < 1000; i++)
		sim_change(&s, 2000 + (uint64_t)i / 10);
	sim_run_to(&s, 4000);
	assert_int_equal(s.p.changes, 1000);
	assert_true(s.p.refreshes - before >= 1);
	assert_true(s.p.refreshes - before <= 2);
	/* The first comes 200 ms after the first change. */
	assert_int_equal(s.starts[before], 2200);
}

static void test_a_long_storm_is_held_to_two_a_second(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s);
	sim_show(&s, 1000, true);
	/* A change every millisecond for ten seconds. */
	for (uint64_t t = 2000; t < 12000; t++)
		sim_change(&s, t);
	sim_run_to(&s, 12600);
	/* One to show, then at most one per 500 ms, and the last one after. */
	assert_true(s.p.refreshes >= 20);
	assert_true(s.p.refreshes <= 23);
	for (unsigned long i = 1; i < s.p.refreshes && i < 64; i++)
		assert_true(s.starts[i] - s.starts[i - 1] >= 500);
}

static void test_a_change_is_never_left_behind(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s);
	sim_show(&s, 1000, true);
	sim_run_to(&s, 1010);
	/* A change while the showing refresh is in flight gets its own. */
	assert_true(s.answer != 0);
	sim_change(&s, 1010);
	sim_run_to(&s, 1600);
	assert_int_equal(s.p.refreshes, 2);
	assert_true(s.starts[1] >= 1500);
}

static void test_quiet_and_shown_means_every_five_seconds(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s);
	sim_show(&s, 1000, true);
	sim_run_to(&s, 1000 + 60000);
	/* The first at once, then one per 5 s: presence changes by time. */
	assert_int_equal(s.p.refreshes, 13);
	assert_int_equal(s.starts[1] - s.starts[0], 5000);
}

static void test_hidden_or_offline_means_no_queries(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s);
	for (uint64_t t = 1000; t < 5000; t += 10)
		sim_change(&s, t);
	sim_run_to(&s, 60000);
	assert_int_equal(s.p.refreshes, 0);
	assert_int_equal(s.timer, 0);
	/* Shown: at once. */
	sim_show(&s, 60000, true);
	sim_run_to(&s, 60001);
	assert_int_equal(s.p.refreshes, 1);
	/* Hidden again: the timer stops. */
	sim_show(&s, 61000, false);
	assert_int_equal(s.timer, 0);
	sim_run_to(&s, 120000);
	assert_int_equal(s.p.refreshes, 1);
	/* Offline while shown: nothing; back online: at once. */
	sim_show(&s, 120000, true);
	sim_run_to(&s, 120100);
	assert_int_equal(s.p.refreshes, 2);
	s.timer = super_pace_online(&s.p, 120100, false);
	assert_int_equal(s.timer, 0);
	sim_change(&s, 121000);
	sim_run_to(&s, 130000);
	assert_int_equal(s.p.refreshes, 2);
	s.timer = super_pace_online(&s.p, 130000, true);
	sim_run_to(&s, 130001);
	assert_int_equal(s.p.refreshes, 3);
}

/* ------------------------------------------------------------- sparklines */

static void test_sparkline_unicode(void **state)
{
	int pts[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	char out[64];

	(void)state;
	assert_int_equal(super_sparkline(pts, 8, 8, true, out, sizeof out), 8);
	assert_string_equal(out, "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588");
	/* Only zero is the lowest block: one waiting among hundreds still shows. */
	pts[1] = 1;
	pts[7] = 700;
	assert_int_equal(super_sparkline(pts, 8, 8, true, out, sizeof out), 8);
	assert_memory_equal(out, "\u2581\u2582", 6);
	assert_memory_equal(out + 21, "\u2588", 3);
}

static void test_sparkline_ascii_and_downsampling(void **state)
{
	int pts[SUPER_SPARK_POINTS] = { 0 };
	char out[128];

	(void)state;
	assert_int_equal(super_sparkline(pts, 60, 10, false, out, sizeof out), 10);
	assert_string_equal(out, "__________");
	/* One busy minute is not averaged away when 6 minutes share a cell. */
	pts[13] = 4;
	pts[59] = 2;
	assert_int_equal(super_sparkline(pts, 60, 10, false, out, sizeof out), 10);
	assert_string_equal(out, "__#______-");
	/* Never wider than the data, never past the buffer. */
	assert_int_equal(super_sparkline(pts, 60, 200, false, out, sizeof out), 60);
	assert_int_equal(strlen(out), 60);
	assert_int_equal(super_sparkline(pts, 60, 60, false, out, 5), 4);
	assert_string_equal(out, "____");
	assert_int_equal(super_sparkline(pts, 60, 60, true, out, 8), 2);
	assert_int_equal(strlen(out), 6);
}

/* ---------------------------------------------------------------- figures */

static void test_figures(void **state)
{
	struct super_queue q = { 0 };
	struct super_agent a = { 0 };

	(void)state;
	assert_int_equal(super_containment_percent(&q), -1);
	q.closed_today = 3;
	q.contained_today = 2;
	assert_int_equal(super_containment_percent(&q), 66);
	assert_int_equal(super_longest_wait(&q, 1000), 0);
	q.waiting = 2;
	q.oldest_waiting_since = 900;
	assert_int_equal(super_longest_wait(&q, 1000), 100);
	assert_int_equal(super_longest_wait(&q, 1001), 101);	/* it ticks */
	assert_int_equal(super_longest_wait(&q, 800), 0);	/* clocks apart */

	a.presence = SUPER_OFFLINE;
	assert_false(super_agent_stranded(&a));
	a.open_count = 1;
	assert_true(super_agent_stranded(&a));
	a.presence = SUPER_AWAY;
	assert_false(super_agent_stranded(&a));
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(super_presence_parse("online"), SUPER_ONLINE);
	assert_int_equal(super_presence_parse("away"), SUPER_AWAY);
	assert_int_equal(super_presence_parse("offline"), SUPER_OFFLINE);
	assert_int_equal(super_presence_parse("gone"), SUPER_PRESENCE_UNKNOWN);
	assert_int_equal(super_presence_parse(NULL), SUPER_PRESENCE_UNKNOWN);
	assert_string_equal(super_presence_name(SUPER_AWAY), "away");
	/* The store's reasons, every one of them. */
	assert_int_equal(SUPER_REASON_COUNT, 7);
	assert_string_equal(super_reason_name(SUPER_REASON_CUSTOMER_REQUEST), "customer_request");
	assert_string_equal(super_reason_name(SUPER_REASON_BOT_PAUSED), "bot_paused");
	assert_string_equal(super_reason_label(SUPER_REASON_NOT_UNDERSTOOD), "not understood");
	assert_string_equal(super_reason_name(SUPER_REASON_COUNT), "");
}

static void test_list_parsing(void **state)
{
	int v[4];
	int64_t *ids;
	size_t n;
	static const char *const bad[] = { ",", "1,", ",1", "1,,2", "a", "1 ,2", "1;2", "99999999999", "1,2x" };

	(void)state;
	assert_int_equal(store_parse_int_list("", v, 4), 0);
	assert_int_equal(store_parse_int_list("3,-1,0", v, 4), 3);
	assert_int_equal(v[0], 3);
	assert_int_equal(v[1], -1);
	assert_int_equal(v[2], 0);
	assert_int_equal(store_parse_int_list("1,2,3,4,5", v, 4), -1);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(store_parse_int_list(bad[i], v, 4), -1);

	assert_int_equal(store_parse_id_list("", &ids, &n), 0);
	assert_null(ids);
	assert_int_equal(store_parse_id_list("42,9000000000", &ids, &n), 2);
	assert_int_equal(n, 2);
	assert_int_equal(ids[1], 9000000000LL);
	free(ids);
	assert_int_equal(store_parse_id_list("1,2,", &ids, &n), -1);
	assert_null(ids);
	assert_int_equal(n, 0);
	assert_int_equal(store_parse_id_list("1,99999999999999999999", &ids, &n), -1);
	assert_null(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_burst_of_1000_costs_a_refresh_or_two),
		cmocka_unit_test(test_a_long_storm_is_held_to_two_a_second),
		cmocka_unit_test(test_a_change_is_never_left_behind),
		cmocka_unit_test(test_quiet_and_shown_means_every_five_seconds),
		cmocka_unit_test(test_hidden_or_offline_means_no_queries),
		cmocka_unit_test(test_sparkline_unicode),
		cmocka_unit_test(test_sparkline_ascii_and_downsampling),
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_list_parsing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
