/* Unit tests of sim's pure parts: choosing customers and building plans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "balie/sim.h"

/* A corpus with Dutch customers only: --lang en once divided by zero. */
static const struct sim_customer dutch_only[] = {
	{ "Anouk de Jong", SIM_NL },
	{ "Bram Visser", SIM_NL },
	{ "Chantal Bakker", SIM_NL },
};

static void test_pick_without_the_language(void **state)
{
	size_t which = 99, i;
	const struct sim_customer *c;

	(void)state;
	for (i = 0; i < 10; i++) {
		c = sim_customer_pick(dutch_only, 3, 42, (unsigned)i, SIM_EN, &which);
		assert_non_null(c);
		assert_true(which < 3);
		assert_ptr_equal(c, &dutch_only[which]);
	}
}

static void test_pick_empty_table(void **state)
{
	size_t which = 7;

	(void)state;
	assert_null(sim_customer_pick(dutch_only, 0, 42, 3, SIM_EN, &which));
	assert_null(sim_customer_pick(dutch_only, 0, 42, 3, SIM_LANG_MIXED, &which));
	assert_int_equal(which, 7);
}

/* Everyone takes a turn before anyone comes back, the same for the same seed. */
static void test_pick_takes_turns(void **state)
{
	size_t which, seen[3] = { 0 }, again, i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_non_null(sim_customer_pick(dutch_only, 3, 7, (unsigned)i, SIM_NL, &which));
		seen[which]++;
		sim_customer_pick(dutch_only, 3, 7, (unsigned)i, SIM_NL, &again);
		assert_int_equal(again, which);
	}
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2], 1);
}

static void test_pick_filters_language(void **state)
{
	size_t which, i;
	const struct sim_customer *c;

	(void)state;
	for (i = 0; i < 40; i++) {
		c = sim_customer_pick(sim_customers, sim_ncustomers, 1, (unsigned)i, SIM_EN, &which);
		assert_non_null(c);
		assert_int_equal(c->lang, SIM_EN);
	}
}

/* A plan asked for in one language speaks it, whoever the customer is. */
static void test_plan_keeps_language(void **state)
{
	struct sim_queue q = { "billing", "Billing", -1, 0 };
	struct sim_plan p;
	unsigned i;

	(void)state;
	for (i = 0; i < 20; i++) {
		sim_plan_make(&p, 5, i, &q, 1, SIM_EN);
		assert_int_equal(p.lang, SIM_EN);
		assert_true(p.nsteps > 0);
		sim_plan_free(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick_without_the_language),
		cmocka_unit_test(test_pick_empty_table),
		cmocka_unit_test(test_pick_takes_turns),
		cmocka_unit_test(test_pick_filters_language),
		cmocka_unit_test(test_plan_keeps_language),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
