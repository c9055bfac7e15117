/* Unit tests of the store's pure parts: notification payloads, ids, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "balie/store.h"

static void test_notify_payloads(void **state)
{
	int64_t conv = 0, version = 0;

	(void)state;
	/* json_build_object's own spacing, and compact JSON. */
	assert_int_equal(store_parse_notify("{\"conv\" : 42, \"version\" : 7}", &conv, &version), 0);
	assert_int_equal(conv, 42);
	assert_int_equal(version, 7);
	assert_int_equal(store_parse_notify("{\"version\":9,\"conv\":3}", &conv, &version), 0);
	assert_int_equal(conv, 3);
	assert_int_equal(version, 9);
	/* Unknown keys are skipped, strings with escapes too. */
	assert_int_equal(store_parse_notify("{\"state\" : \"a\\\"b}\", \"conv\" : 5, \"x\" : null, \"version\" : 1}",
					    &conv, &version), 0);
	assert_int_equal(conv, 5);
	assert_int_equal(store_parse_notify("{\"conv\": 9223372036854775807, \"version\": 1}", &conv, &version), 0);
	assert_true(conv == INT64_MAX);
}

static void test_notify_rejects_garbage(void **state)
{
	static const char *const bad[] = {
		"", "{", "}", "[]", "{\"conv\" : 1}", "{\"version\" : 1}",
		"{\"conv\" : \"1\", \"version\" : 1}", "{\"conv\" : 1, \"version\" : 1} x",
		"{\"conv\" : 0, \"version\" : 1}", "{\"conv\" : 1 \"version\" : 1}",
		"{\"conv\" : 12345678901234567890123, \"version\" : 1}",
		"{\"conv\" : 1, \"version\" : tru}", "{\"conv\" : 1, \"version\" : 1,",
		"{\"conv\\", "\x1b]0;x\x07",
		/* Out of int64 range: refused, never clamped (found by fuzzing). */
		"{\"conv\": 9223372036854775808, \"version\": 1}",
		"{\"conv\": 1, \"version\": 9999999999999999999}",
	};
	size_t i;
	int64_t conv, version;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(store_parse_notify(bad[i], &conv, &version), -1);
}

static void test_uuid_shape(void **state)
{
	char a[37], b[37];
	int i;

	(void)state;
	store_new_uuid(a);
	store_new_uuid(b);
	assert_int_equal(strlen(a), 36);
	assert_string_not_equal(a, b);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(a[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", a[i]));
	}
	assert_int_equal(a[14], '4');			/* version 4 */
	assert_non_null(strchr("89ab", a[19]));		/* RFC 4122 variant */
}

static void test_explain(void **state)
{
	char buf[200];
	struct store_status own = { STORE_SQL_ERROR, "BL011", "conversation 4 is owned by Bob de Vries" };
	struct store_status other = { STORE_SQL_ERROR, "23505", "duplicate key value" };
	struct store_status lost = { STORE_LOST, "", "server closed the connection" };
	struct store_status denied = { STORE_SQL_ERROR, "42501", "permission denied for function pause_bot" };

	(void)state;
	/* balie's own refusals are written for people: shown as they are. */
	assert_string_equal(store_explain(&own, buf, sizeof buf), "conversation 4 is owned by Bob de Vries");
	assert_non_null(strstr(store_explain(&other, buf, sizeof buf), "refused"));
	assert_non_null(strstr(store_explain(&lost, buf, sizeof buf), "connection was lost"));
	assert_non_null(strstr(store_explain(&denied, buf, sizeof buf), "your role may not do this"));
}

/* The one parser also reads balie_bot's {"conv": id, "state": s}. */
static void test_notice_bot_payloads(void **state)
{
	struct store_notice n;

	(void)state;
	assert_int_equal(store_parse_notice("{\"conv\" : 12, \"state\" : \"human\"}", &n), 0);
	assert_int_equal(n.conv, 12);
	assert_string_equal(n.state, "human");
	assert_false(n.has_version);
	assert_int_equal(store_parse_notice("{\"conv\":3,\"version\":4}", &n), 0);
	assert_true(n.has_version);
	assert_int_equal(n.version, 4);
	assert_string_equal(n.state, "");
	/* A state too long or with escapes is not taken, the payload still is. */
	assert_int_equal(store_parse_notice("{\"conv\":3,\"state\":\"a-very-long-state-name\"}", &n), 0);
	assert_string_equal(n.state, "");
	assert_int_equal(store_parse_notice("{\"conv\":3,\"state\":\"hu\\\"man\"}", &n), 0);
	assert_string_equal(n.state, "");
	/* No conv, or not JSON: refused. */
	assert_int_equal(store_parse_notice("{\"state\":\"bot\"}", &n), -1);
	assert_int_equal(store_parse_notice("conv=3 state=bot", &n), -1);
	/* The changes channel needs the version. */
	{
		int64_t conv, version;

		assert_int_equal(store_parse_notify("{\"conv\":3,\"state\":\"bot\"}", &conv, &version), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notice_bot_payloads),
		cmocka_unit_test(test_notify_payloads),
		cmocka_unit_test(test_notify_rejects_garbage),
		cmocka_unit_test(test_uuid_shape),
		cmocka_unit_test(test_explain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
