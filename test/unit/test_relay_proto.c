/* relay_proto: COPY-text escaping round-trips, NULLs, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balie/relay_proto.h"

static void test_round_trip(void **state)
{
	const char *in[] = { "conv", "a\tb", "line\nnext\r", "back\\slash", NULL, "", "\\N" };
	struct relay_buf b;
	char *f[10];
	int n;

	(void)state;
	relay_buf_init(&b);
	relay_line(&b, in, 7);
	assert_string_equal(b.data,
		"conv\ta\\tb\tline\\nnext\\r\tback\\\\slash\t\\N\t\t\\\\N\n");
	b.data[b.len - 1] = '\0';
	n = relay_split(b.data, f, 10);
	assert_int_equal(n, 7);
	assert_string_equal(f[0], "conv");
	assert_string_equal(f[1], "a\tb");
	assert_string_equal(f[2], "line\nnext\r");
	assert_string_equal(f[3], "back\\slash");
	assert_null(f[4]);
	assert_string_equal(f[5], "");
	assert_string_equal(f[6], "\\N");
	relay_buf_free(&b);
}

static void test_bad_input(void **state)
{
	char bad[] = "conv\t\\x";
	char many[] = "a\tb\tc";
	char *f[2];

	(void)state;
	assert_int_equal(relay_split(bad, f, 2), -1);
	assert_int_equal(relay_split(many, f, 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
