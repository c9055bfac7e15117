/* The relay client's frame parsing: a conv frame built with the relay's own
 * encoder comes back field for field (NULLs, TABs, newlines, backslashes),
 * its JSON line is the store's (keys, spacing, escapes, "waited"); msg
 * frames say whether sources must be fetched; malformed frames are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balie/feed.h"
#include "balie/relay_proto.h"

static char *encode(const char *const *fields, int n)
{
	struct relay_buf b;
	size_t len;
	char *s;

	relay_buf_init(&b);
	relay_line(&b, fields, n);
	s = relay_buf_take(&b, &len);
	assert_true(len > 0 && s[len - 1] == '\n');
	s[len - 1] = '\0';
	return s;
}

static void test_conv_round_trip(void **state)
{
	const char *in[RELAY_CONV_FIELDS] = {
		"conv", "42", "7", "billing", "waiting", NULL, "ref\t1", "Ann \"A\"\\B\nC",
		"web", NULL, "0.75", "customer_request", NULL, "1000", "1100", NULL, NULL,
		"3", "customer", "line1\r\nline2",
	};
	char *line = encode(in, RELAY_CONV_FIELDS), *f[32];
	int n = relay_split(line, f, 32);
	struct model_conv *c;

	(void)state;
	assert_int_equal(n, RELAY_CONV_FIELDS);
	c = feed_parse_conv(f + 1, (size_t)n - 1, 1130);
	assert_non_null(c);
	assert_int_equal(c->id, 42);
	assert_int_equal(c->version, 7);
	assert_int_equal(c->state, MODEL_WAITING);
	assert_null(c->agent);
	assert_string_equal(c->customer_ref, "ref\t1");
	assert_string_equal(c->customer_name, "Ann \"A\"\\B\nC");
	assert_null(c->intent);
	assert_true(c->has_confidence);
	assert_int_equal(c->escalated_at, 1100);
	assert_int_equal(c->message_count, 3);
	assert_int_equal(c->last_kind, AUTHOR_CUSTOMER);
	assert_string_equal(c->last_body, "line1\r\nline2");
	assert_string_equal(c->json,
		"{\"conv\" : 42, \"version\" : 7, \"state\" : \"waiting\", \"agent\" : null, "
		"\"queue\" : \"billing\", \"customer\" : \"Ann \\\"A\\\"\\\\B\\nC\", "
		"\"reason\" : \"customer_request\", \"messages\" : 3, \"waited\" : 30}");
	model_conv_free(c);
	free(line);
}

static void test_msg_and_malformed(void **state)
{
	const char *plain[RELAY_MSG_FIELDS] = { "msg", "42", "4", "99", "bot", NULL, "hi\tthere",
						"1200", NULL };
	const char *cited[RELAY_MSG_FIELDS] = { "msg", "42", "5", "100", "bot", NULL, "see",
						"1201", "[{\"title\": \"T\", \"url\": \"u\"}]" };
	char *line, *f[32];
	struct model_msg m;
	int64_t conv;
	bool complete;
	int n;

	(void)state;
	line = encode(plain, RELAY_MSG_FIELDS);
	n = relay_split(line, f, 32);
	assert_int_equal(feed_parse_msg(f + 1, (size_t)n - 1, &conv, &m, &complete), 0);
	assert_int_equal(conv, 42);
	assert_int_equal(m.seq, 4);
	assert_int_equal(m.kind, AUTHOR_BOT);
	assert_string_equal(m.body, "hi\tthere");
	assert_true(complete);
	model_msg_clear(&m);
	free(line);

	line = encode(cited, RELAY_MSG_FIELDS);
	n = relay_split(line, f, 32);
	assert_int_equal(feed_parse_msg(f + 1, (size_t)n - 1, &conv, &m, &complete), 0);
	assert_false(complete);
	model_msg_clear(&m);
	free(line);

	/* Too few fields, no id, a NULL body: refused. */
	assert_null(feed_parse_conv(f + 1, 3, 0));
	f[1] = NULL;
	assert_int_equal(feed_parse_msg(f + 1, 8, &conv, &m, &complete), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv_round_trip),
		cmocka_unit_test(test_msg_and_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
