/* Unit tests of keys: the default map of SPEC.md, key names, rebinding. */
#include <curses.h>	/* KEY_* constants, as wget_wch() would deliver them */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balie/keys.h"

static enum verb char_action(const struct keys_map *m, unsigned c)
{
	return keys_lookup(m, keys_code(0, c));
}

static enum verb keycode_action(const struct keys_map *m, int k)
{
	return keys_lookup(m, keys_code(1, (unsigned)k));
}

static void test_defaults_match_spec(void **state)
{
	struct keys_map m;

	keys_defaults(&m);
	/* "j/k or arrows move, Enter opens" */
	assert_int_equal(char_action(&m, 'j'), VERB_DOWN);
	assert_int_equal(char_action(&m, 'k'), VERB_UP);
	assert_int_equal(keycode_action(&m, KEY_DOWN), VERB_DOWN);
	assert_int_equal(keycode_action(&m, KEY_UP), VERB_UP);
	assert_int_equal(char_action(&m, '\n'), VERB_OPEN);
	assert_int_equal(char_action(&m, '\r'), VERB_OPEN);
	assert_int_equal(keycode_action(&m, KEY_ENTER), VERB_OPEN);
	assert_int_equal(char_action(&m, 27), VERB_BACK);
	/* "t takes over, r replies, E replies in $EDITOR, n note, a agreement,
	 * h hand back, x transfer, c close, / search, S supervisor, ? help,
	 * q quit" */
	assert_int_equal(char_action(&m, 't'), VERB_TAKEOVER);
	assert_int_equal(char_action(&m, 'r'), VERB_REPLY);
	assert_int_equal(char_action(&m, 'E'), VERB_REPLY_EDITOR);
	assert_int_equal(char_action(&m, 'n'), VERB_NOTE);
	assert_int_equal(char_action(&m, 'a'), VERB_AGREEMENT);
	assert_int_equal(char_action(&m, 'h'), VERB_HANDBACK);
	assert_int_equal(char_action(&m, 'x'), VERB_TRANSFER);
	assert_int_equal(char_action(&m, 'c'), VERB_CLOSE);
	assert_int_equal(char_action(&m, '/'), VERB_SEARCH);
	assert_int_equal(char_action(&m, 'S'), VERB_SUPERVISOR);
	assert_int_equal(char_action(&m, '?'), VERB_HELP);
	assert_int_equal(char_action(&m, 'q'), VERB_QUIT);
	/* The rest of the map. */
	assert_int_equal(char_action(&m, 'p'), VERB_PAUSE_BOT);
	assert_int_equal(char_action(&m, KEYS_CTRL('l')), VERB_REDRAW);
	assert_int_equal(keycode_action(&m, KEY_NPAGE), VERB_PAGE_DOWN);
	assert_int_equal(keycode_action(&m, KEY_PPAGE), VERB_PAGE_UP);
	assert_int_equal(keycode_action(&m, KEY_HOME), VERB_HOME);
	assert_int_equal(keycode_action(&m, KEY_END), VERB_END);
	assert_int_equal(keycode_action(&m, KEY_F(1)), VERB_HELP);
	/* Case matters; unbound keys do nothing. */
	assert_int_equal(char_action(&m, 'T'), VERB_NONE);
	assert_int_equal(char_action(&m, 'e'), VERB_NONE);
	assert_int_equal(keycode_action(&m, KEY_F(2)), VERB_NONE);
	/* A KEY_* code never collides with a character of the same value. */
	assert_int_equal(char_action(&m, KEY_DOWN), VERB_NONE);
}

static void test_every_action_has_a_default_key(void **state)
{
	struct keys_map m;
	int a;

	keys_defaults(&m);
	for (a = VERB_NONE + 1; a < VERB_COUNT; a++)
		if (verb_has_key((enum verb)a))
			assert_int_not_equal(keys_first(&m, (enum verb)a), KEYS_NO_KEY);
		else
			assert_int_equal(keys_first(&m, (enum verb)a), KEYS_NO_KEY);
}

static void test_normalisation(void **state)
{
	assert_int_equal(keys_code(0, '\r'), '\n');
	assert_int_equal(keys_code(1, KEY_ENTER), '\n');
	assert_int_equal(keys_code(0, 127), keys_code(1, KEY_BACKSPACE));
	assert_int_equal(keys_code(0, 8), keys_code(1, KEY_BACKSPACE));
	assert_int_equal(keys_code(0, 'j'), 'j');
	assert_int_equal(keys_code(1, KEY_UP), KEYS_KEYCODE | KEY_UP);
}

static void expect_name(const char *in, const char *canonical)
{
	char buf[32];
	unsigned key;

	assert_int_equal(keys_parse(in, &key), 0);
	assert_string_equal(keys_name(key, buf, sizeof(buf)), canonical);
}

static void test_names_round_trip(void **state)
{
	static const char *const names[] = {
		"j", "G", "/", "?", "#", "é", "漢", "Enter", "Esc", "Tab", "S-Tab",
		"Space", "Backspace", "Up", "Down", "Left", "Right", "S-Left",
		"S-Right", "PgUp", "PgDn", "Home", "End", "Insert", "Delete", "C-a",
		"C-l", "C-z", "C-\\", "C-]", "C-_", "F1", "F12", "F63", "Key600",
		"U+0301",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		expect_name(names[i], names[i]);
}

static void test_aliases(void **state)
{
	expect_name("^L", "C-l");
	expect_name("^l", "C-l");
	expect_name("c-L", "C-l");
	expect_name("enter", "Enter");
	expect_name("Return", "Enter");
	expect_name("C-m", "Enter");
	expect_name("C-j", "Enter");
	expect_name("C-i", "Tab");
	expect_name("C-[", "Esc");
	expect_name("escape", "Esc");
	expect_name("PageDown", "PgDn");
	expect_name("pageup", "PgUp");
	expect_name("del", "Delete");
	expect_name("C-h", "Backspace");
	expect_name("^?", "Backspace");
	expect_name("Hash", "#");
	expect_name("SPC", "Space");
	expect_name("f5", "F5");
	expect_name("u+6f22", "漢");
}

static void test_bad_names(void **state)
{
	static const char *const bad[] = {
		"", "Foo", "C-", "C-1", "C-@", "^", "F0", "F64", "F", "Fx", "jj",
		"\xff", "U+", "U+110000", "Key12", "\u0301", "\x1b",
	};
	unsigned key = 12345;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* "^" and "F" alone are keys themselves. */
		if (strcmp(bad[i], "^") == 0 || strcmp(bad[i], "F") == 0) {
			assert_int_equal(keys_parse(bad[i], &key), 0);
			continue;
		}
		assert_int_equal(keys_parse(bad[i], &key), -1);
	}
}

static void test_default_keys_have_names(void **state)
{
	struct keys_map m;
	char buf[32];
	unsigned key;
	size_t i;

	keys_defaults(&m);
	for (i = 0; i < m.n; i++) {
		keys_name(m.b[i].key, buf, sizeof(buf));
		assert_int_equal(keys_parse(buf, &key), 0);
		assert_int_equal(key, m.b[i].key);
	}
}

static void test_action_names(void **state)
{
	int a;

	for (a = VERB_NONE + 1; a < VERB_COUNT; a++) {
		const char *name = verb_info((enum verb)a)->name;

		if (!verb_has_key((enum verb)a)) {
			/* The console's own calls cannot be bound. */
			assert_int_equal(verb_parse(name), VERB_NONE);
			continue;
		}
		assert_int_equal(verb_parse(name), a);
		assert_true(strlen(verb_info((enum verb)a)->help) > 0);
	}
	assert_int_equal(verb_parse("heartbeat"), VERB_NONE);
	assert_int_equal(verb_parse("takeover"), VERB_TAKEOVER);
	assert_int_equal(verb_parse("reply-editor"), VERB_REPLY_EDITOR);
	assert_int_equal(verb_parse("reply_editor"), VERB_REPLY_EDITOR);
	assert_int_equal(verb_parse("pause-bot"), VERB_PAUSE_BOT);
	assert_int_equal(verb_parse("tkaeover"), VERB_NONE);
	assert_int_equal(verb_parse("none"), VERB_NONE);
	assert_int_equal(verb_parse(""), VERB_NONE);
	assert_string_equal(verb_info(VERB_NONE)->name, "none");
	assert_string_equal(verb_info(VERB_HANDBACK)->name, "handback");
}

static void test_rebinding(void **state)
{
	struct keys_map m;
	char buf[64];
	unsigned key;
	int i;

	keys_defaults(&m);
	assert_int_equal(keys_bind(&m, 'T', VERB_TAKEOVER), 0);
	assert_int_equal(char_action(&m, 'T'), VERB_TAKEOVER);
	assert_int_equal(char_action(&m, 't'), VERB_TAKEOVER);
	/* Rebinding a key replaces what it did. */
	assert_int_equal(keys_bind(&m, 't', VERB_NOTE), 0);
	assert_int_equal(char_action(&m, 't'), VERB_NOTE);
	assert_string_equal(keys_describe(&m, VERB_TAKEOVER, buf, sizeof(buf)), "T");
	assert_string_equal(keys_describe(&m, VERB_NOTE, buf, sizeof(buf)), "t, n");

	assert_true(keys_unbind(&m, 'q'));
	assert_int_equal(char_action(&m, 'q'), VERB_NONE);
	assert_false(keys_unbind(&m, 'q'));
	assert_string_equal(keys_describe(&m, VERB_QUIT, buf, sizeof(buf)), "");
	assert_int_equal(keys_first(&m, VERB_QUIT), KEYS_NO_KEY);

	assert_string_equal(keys_describe(&m, VERB_DOWN, buf, sizeof(buf)), "j, Down");
	assert_int_equal(keys_parse("C-n", &key), 0);
	assert_int_equal(keys_bind(&m, key, VERB_DOWN), 0);
	assert_string_equal(keys_describe(&m, VERB_DOWN, buf, sizeof(buf)), "j, Down, C-n");
	/* A short buffer ends at a whole name. */
	assert_string_equal(keys_describe(&m, VERB_DOWN, buf, 9), "j, Down");
	assert_int_equal(keys_first(&m, VERB_DOWN), 'j');

	assert_int_equal(keys_bind(&m, KEYS_NO_KEY, VERB_QUIT), -1);
	assert_int_equal(keys_bind(&m, 'z', VERB_NONE), -1);
	assert_int_equal(keys_bind(&m, 'z', VERB_COUNT), -1);

	/* The map is bounded and says so. */
	for (i = 0; m.n < KEYS_MAX_BINDINGS; i++)
		assert_int_equal(keys_bind(&m, 0x4E00 + (unsigned)i, VERB_HELP), 0);
	assert_int_equal(keys_bind(&m, 0x3042, VERB_HELP), -1);
	assert_int_equal(keys_bind(&m, 'j', VERB_UP), 0);	/* replacing still works */
}

static void test_help_table(void **state)
{
	struct keys_help_row rows[VERB_COUNT];
	struct keys_map m;
	size_t n, i;

	keys_defaults(&m);
	n = keys_help(&m, rows);
	/* all but none, assign, heartbeat, mark-read, set-viewing */
	assert_int_equal(n, VERB_COUNT - 5);
	for (i = 0; i < n; i++) {
		assert_true(rows[i].keys[0] != '\0');
		assert_true(rows[i].description[0] != '\0');
		assert_string_equal(rows[i].name, verb_info(rows[i].action)->name);
	}
	assert_int_equal(rows[0].action, VERB_DOWN);
	assert_string_equal(rows[0].keys, "j, Down");
	for (i = 0; i < n; i++)
		if (rows[i].action == VERB_TAKEOVER)
			assert_string_equal(rows[i].keys, "t");
		else if (rows[i].action == VERB_OPEN)
			assert_string_equal(rows[i].keys, "Enter");
		else if (rows[i].action == VERB_HELP)
			assert_string_equal(rows[i].keys, "?, F1");
		else if (rows[i].action == VERB_REDRAW)
			assert_string_equal(rows[i].keys, "C-l");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_match_spec),
		cmocka_unit_test(test_every_action_has_a_default_key),
		cmocka_unit_test(test_normalisation),
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_default_keys_have_names),
		cmocka_unit_test(test_action_names),
		cmocka_unit_test(test_rebinding),
		cmocka_unit_test(test_help_table),
	};

	if (!setlocale(LC_ALL, "C.UTF-8"))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
