/* Unit tests of the verb table (verb.h) and what the store makes of a row
 * (store_verb.c): names, keys, words, SQL and parameters, without a database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "balie/keys.h"
#include "balie/store_verb.h"
#include "balie/verb.h"

/* Every row is whole: a verb with a key has help and default keys that
 * parse; a verb that asks has a question; SQL names exactly its parameters. */
static void test_every_row_is_whole(void **state)
{
	int v;

	(void)state;
	for (v = VERB_NONE + 1; v < VERB_COUNT; v++) {
		const struct verb_info *i = verb_info((enum verb)v);
		const char *sql = store_verb_sql((enum verb)v), *p;
		int dollars = 0;

		assert_non_null(i->name);
		if (i->help) {
			assert_true(i->keys[0] != '\0');
			assert_true(i->screens != 0);
		} else {
			assert_int_equal(i->screens, 0);
		}
		if (i->ask == VERB_ASK_LINE || i->ask == VERB_ASK_YESNO || i->ask == VERB_ASK_QUEUE)
			assert_non_null(i->question);
		if (i->ask == VERB_ASK_YESNO || i->ask == VERB_ASK_QUEUE ||
		    i->ask >= VERB_ASK_NOTE) {
			assert_non_null(i->question);
			assert_non_null(i->cancel);
		}
		if (!sql) {
			assert_string_equal(i->params, "");
			continue;
		}
		assert_true(strncmp(sql, "SELECT balie.", 13) == 0);
		for (p = sql; (p = strchr(p, '$')) != NULL; p++)
			dollars++;
		assert_int_equal(dollars, (int)strlen(i->params));
		assert_true(strspn(i->params, "ctuafnj") == strlen(i->params));
	}
}

static void test_default_keys_come_from_the_table(void **state)
{
	struct keys_map m;
	char buf[48];

	(void)state;
	keys_defaults(&m);
	assert_string_equal(keys_describe(&m, VERB_DOWN, buf, sizeof buf), "j, Down");
	assert_string_equal(keys_describe(&m, VERB_HELP, buf, sizeof buf), "?, F1");
	assert_string_equal(keys_describe(&m, VERB_TAKEOVER, buf, sizeof buf), "t");
	/* The console's own calls have no key and cannot get one. */
	assert_int_equal(keys_first(&m, VERB_HEARTBEAT), KEYS_NO_KEY);
	assert_int_equal(keys_bind(&m, 'z', VERB_ASSIGN), -1);
	assert_false(verb_has_key(VERB_HEARTBEAT));
	assert_true(verb_has_key(VERB_PAUSE_BOT));
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(verb_parse("Pause_Bot"), VERB_PAUSE_BOT);
	assert_int_equal(verb_parse("assign"), VERB_NONE);
	assert_int_equal(verb_parse("a-very-long-name-that-no-verb-has-at-all"), VERB_NONE);
	assert_string_equal(verb_info(VERB_COUNT)->name, "none");
	assert_string_equal(verb_info((enum verb)-1)->name, "none");
}

static void test_words(void **state)
{
	struct verb_words w = { .id = 12, .customer = "Mia", .arg = "health",
				.queue = "Health insurance" };
	char buf[200], small[8];

	(void)state;
	assert_string_equal(verb_format(verb_info(VERB_TAKEOVER)->done, &w, buf, sizeof buf),
			    "taken over #12 — you talk to Mia now");
	w.no = true;
	assert_string_equal(verb_format(verb_info(VERB_TAKEOVER)->done, &w, buf, sizeof buf),
			    "#12 was taken by someone else first");
	w.owner = "Bob";
	assert_string_equal(verb_format(verb_info(VERB_TAKEOVER)->done, &w, buf, sizeof buf),
			    "#12 was taken by Bob first");
	assert_string_equal(verb_format(verb_info(VERB_PAUSE_BOT)->doing, &w, buf, sizeof buf),
			    "resuming the bot of health…");
	w.no = false;
	assert_string_equal(verb_format(verb_info(VERB_TRANSFER)->done, &w, buf, sizeof buf),
			    "#12 transferred to Health insurance");
	assert_string_equal(verb_format(verb_info(VERB_CLOSE)->question, &w, buf, sizeof buf),
			    "close #12 (Mia) with which wrap-up code?");
	/* Unknown braces stay as they are; a short buffer is cut, not overrun. */
	assert_string_equal(verb_format("{nope} #{id}", &w, buf, sizeof buf), "{nope} #12");
	assert_string_equal(verb_format("#{id} {customer} and more", &w, small, sizeof small),
			    "#12 Mia");
	assert_null(verb_format(NULL, &w, buf, sizeof buf));
	w.value = "42";
	assert_string_equal(verb_format("took #{value}", &w, buf, sizeof buf), "took #42");
}

/* store_call sends exactly the parameters the row names, in $-order. */
static void test_store_parameters(void **state)
{
	const char *p[8];
	char conv[24], num[24];
	struct action reply = { .kind = VERB_REPLY, .conv = 7, .text = "hello" };
	struct action transfer = { .kind = VERB_TRANSFER, .conv = 7, .arg = "health" };
	struct action pause = { .kind = VERB_PAUSE_BOT, .arg = "billing", .flag = true };
	struct action hb = { .kind = VERB_HEARTBEAT };

	(void)state;
	assert_int_equal(store_verb_params(&reply, p, 8, conv, num, sizeof conv), 4);
	assert_string_equal(p[0], "7");
	assert_string_equal(p[1], "hello");
	assert_null(p[2]);		/* no client_msg_id yet: NULL, not "" */
	assert_null(p[3]);		/* no sources */
	snprintf(reply.uuid, sizeof reply.uuid, "%s", "0b0e6f5e-4c3a-4f7e-9d8b-1c2d3e4f5a6b");
	reply.json = "[{\"title\": \"Refunds\", \"url\": \"https://example.nl/r\"}]";
	assert_int_equal(store_verb_params(&reply, p, 8, conv, num, sizeof conv), 4);
	assert_string_equal(p[2], reply.uuid);
	assert_string_equal(p[3], reply.json);
	assert_int_equal(store_verb_params(&transfer, p, 8, conv, num, sizeof conv), 3);
	assert_string_equal(p[1], "health");
	assert_null(p[2]);		/* no note */
	assert_int_equal(store_verb_params(&pause, p, 8, conv, num, sizeof conv), 2);
	assert_string_equal(p[0], "billing");
	assert_string_equal(p[1], "true");
	assert_int_equal(store_verb_params(&hb, p, 8, conv, num, sizeof conv), 1);
	assert_string_equal(p[0], "false");
	assert_string_equal(store_verb_sql(VERB_TAKEOVER), "SELECT balie.takeover($1)");
	assert_null(store_verb_sql(VERB_DOWN));
	assert_null(store_verb_sql(VERB_REPLY_EDITOR));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_is_whole),
		cmocka_unit_test(test_default_keys_come_from_the_table),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_store_parameters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
