/* Unit tests of compose: the one-line editor, its keys and its view. */
#include <curses.h>	/* KEY_* constants, as wget_wch() would deliver them */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balie/compose.h"
#include "balie/text.h"
#include "balie/util.h"

#define CTRL(c) ((unsigned)(c) & 0x1F)

/* Feeds a UTF-8 string to compose_key() one character at a time. */
static void type(struct compose *c, const char *s)
{
	size_t len = strlen(s), i = 0;

	while (i < len) {
		uint32_t cp;

		i += text_decode(s + i, len - i, &cp);
		assert_int_equal(compose_key(c, 0, cp), COMPOSE_OK);
	}
}

static void key(struct compose *c, unsigned k)
{
	assert_int_equal(compose_key(c, 1, k), COMPOSE_OK);
}

static void ch(struct compose *c, unsigned k)
{
	assert_int_equal(compose_key(c, 0, k), COMPOSE_OK);
}

static void test_ascii_editing(void **state)
{
	struct compose c;

	compose_init(&c, 0);
	assert_string_equal(compose_text(&c), "");
	type(&c, "abc");
	assert_string_equal(compose_text(&c), "abc");
	assert_int_equal(c.cursor, 3);
	key(&c, KEY_LEFT);
	assert_int_equal(c.cursor, 2);
	type(&c, "X");
	assert_string_equal(compose_text(&c), "abXc");
	assert_int_equal(c.cursor, 3);
	ch(&c, CTRL('a'));
	assert_int_equal(c.cursor, 0);
	key(&c, KEY_LEFT);		/* at the start: stays */
	assert_int_equal(c.cursor, 0);
	key(&c, KEY_RIGHT);
	assert_int_equal(c.cursor, 1);
	ch(&c, CTRL('e'));
	assert_int_equal(c.cursor, 4);
	key(&c, KEY_RIGHT);		/* at the end: stays */
	assert_int_equal(c.cursor, 4);
	ch(&c, 127);
	assert_string_equal(compose_text(&c), "abX");
	key(&c, KEY_BACKSPACE);
	assert_string_equal(compose_text(&c), "ab");
	ch(&c, CTRL('h'));
	assert_string_equal(compose_text(&c), "a");
	key(&c, KEY_HOME);
	assert_int_equal(c.cursor, 0);
	ch(&c, 127);			/* nothing before the cursor */
	assert_string_equal(compose_text(&c), "a");
	key(&c, KEY_DC);
	assert_string_equal(compose_text(&c), "");
	type(&c, "xyz");
	key(&c, KEY_HOME);
	ch(&c, CTRL('d'));
	assert_string_equal(compose_text(&c), "yz");
	ch(&c, CTRL('f'));
	assert_int_equal(c.cursor, 1);
	ch(&c, CTRL('b'));
	assert_int_equal(c.cursor, 0);
	key(&c, KEY_END);
	assert_int_equal(c.cursor, 2);
	assert_int_equal(compose_len(&c), 2);
	compose_free(&c);
}

static void test_multibyte(void **state)
{
	struct compose c;

	compose_init(&c, 0);
	type(&c, "é");
	assert_int_equal(compose_len(&c), 2);
	assert_int_equal(c.cursor, 2);
	key(&c, KEY_LEFT);
	assert_int_equal(c.cursor, 0);
	key(&c, KEY_RIGHT);
	assert_int_equal(c.cursor, 2);
	type(&c, "én");
	assert_string_equal(compose_text(&c), "één");
	key(&c, KEY_LEFT);
	key(&c, KEY_LEFT);
	assert_int_equal(c.cursor, 2);
	key(&c, KEY_DC);
	assert_string_equal(compose_text(&c), "én");
	ch(&c, 127);
	assert_string_equal(compose_text(&c), "n");
	assert_int_equal(c.cursor, 0);
	compose_free(&c);
}

static void test_wide(void **state)
{
	struct compose c;
	struct compose_view v;

	compose_init(&c, 0);
	type(&c, "漢字");
	assert_int_equal(c.cursor, 6);
	key(&c, KEY_LEFT);
	assert_int_equal(c.cursor, 3);
	compose_view(&c, 20, &v);
	assert_int_equal(v.cursor_col, 2);
	ch(&c, 127);
	assert_string_equal(compose_text(&c), "字");
	assert_int_equal(c.cursor, 0);
	type(&c, "a");
	key(&c, KEY_END);
	compose_view(&c, 20, &v);
	assert_int_equal(v.cursor_col, 3);
	compose_free(&c);
}

static void test_combining(void **state)
{
	struct compose c;

	compose_init(&c, 0);
	assert_int_equal(compose_insert_str(&c, "e\u0301a", strlen("e\u0301a")), COMPOSE_OK);
	assert_int_equal(c.cursor, 4);
	key(&c, KEY_LEFT);
	assert_int_equal(c.cursor, 3);
	key(&c, KEY_LEFT);		/* e and its accent are one step */
	assert_int_equal(c.cursor, 0);
	key(&c, KEY_RIGHT);
	assert_int_equal(c.cursor, 3);
	ch(&c, 127);			/* removes the accent with its base */
	assert_string_equal(compose_text(&c), "a");
	type(&c, "o\u0308");		/* a mark typed after its base joins it */
	assert_string_equal(compose_text(&c), "o\u0308a");
	key(&c, KEY_HOME);
	key(&c, KEY_DC);
	assert_string_equal(compose_text(&c), "a");
	/* A mark with no base before it is refused. */
	assert_int_equal(compose_key(&c, 0, 0x301), COMPOSE_INVALID);
	assert_string_equal(compose_text(&c), "a");
	compose_free(&c);
}

static void test_delete_word_and_kills(void **state)
{
	struct compose c;

	compose_init(&c, 0);
	type(&c, "hello big  world");
	ch(&c, CTRL('w'));
	assert_string_equal(compose_text(&c), "hello big  ");
	ch(&c, CTRL('w'));
	assert_string_equal(compose_text(&c), "hello ");
	ch(&c, CTRL('w'));
	assert_string_equal(compose_text(&c), "");
	ch(&c, CTRL('w'));
	assert_string_equal(compose_text(&c), "");

	type(&c, "één twee 漢字");
	ch(&c, CTRL('w'));
	assert_string_equal(compose_text(&c), "één twee ");
	key(&c, KEY_LEFT);
	key(&c, KEY_LEFT);		/* cursor inside "twee", before its last e */
	ch(&c, CTRL('w'));
	assert_string_equal(compose_text(&c), "één e ");
	assert_int_equal(c.cursor, strlen("één "));

	ch(&c, CTRL('u'));
	assert_string_equal(compose_text(&c), "e ");
	assert_int_equal(c.cursor, 0);

	key(&c, KEY_RIGHT);
	ch(&c, CTRL('k'));
	assert_string_equal(compose_text(&c), "e");
	assert_int_equal(c.cursor, 1);

	compose_clear(&c);
	type(&c, "one two three");
	key(&c, KEY_SLEFT);
	assert_int_equal(c.cursor, 8);
	key(&c, KEY_SLEFT);
	assert_int_equal(c.cursor, 4);
	key(&c, KEY_SRIGHT);
	assert_int_equal(c.cursor, 7);
	compose_free(&c);
}

static void test_special_keys(void **state)
{
	struct compose c;

	compose_init(&c, 0);
	type(&c, "hi");
	assert_int_equal(compose_key(&c, 0, '\n'), COMPOSE_SUBMIT);
	assert_int_equal(compose_key(&c, 0, '\r'), COMPOSE_SUBMIT);
	assert_int_equal(compose_key(&c, 1, KEY_ENTER), COMPOSE_SUBMIT);
	assert_int_equal(compose_key(&c, 0, 27), COMPOSE_CANCEL);
	assert_int_equal(compose_key(&c, 1, KEY_UP), COMPOSE_IGNORED);
	assert_int_equal(compose_key(&c, 1, KEY_RESIZE), COMPOSE_IGNORED);
	assert_int_equal(compose_key(&c, 0, '\t'), COMPOSE_IGNORED);
	assert_int_equal(compose_key(&c, 0, CTRL('g')), COMPOSE_IGNORED);
	assert_int_equal(compose_key(&c, 0, 0x9B), COMPOSE_INVALID);
	assert_int_equal(compose_key(&c, 0, 0x202E), COMPOSE_INVALID);
	assert_int_equal(compose_key(&c, 0, 0xD800), COMPOSE_INVALID);
	assert_int_equal(compose_key(&c, 0, 0x110000), COMPOSE_INVALID);
	assert_int_equal(compose_insert(&c, 0x1B), COMPOSE_INVALID);
	assert_string_equal(compose_text(&c), "hi");
	compose_free(&c);
}

static void test_paste_filter(void **state)
{
	static const char paste[] = "a\tb\r\nc\x1b[31md\xe2\x80\xae" "e\xff\u2028f\x7f";
	struct compose c;

	compose_init(&c, 0);
	assert_int_equal(compose_insert_str(&c, paste, sizeof(paste) - 1), COMPOSE_OK);
	assert_string_equal(compose_text(&c), "a b c[31mde\ufffd f");
	assert_int_equal(c.cursor, compose_len(&c));
	/* Pasting in the middle keeps the rest. */
	key(&c, KEY_HOME);
	assert_int_equal(compose_insert_str(&c, ">> ", 3), COMPOSE_OK);
	assert_int_equal(c.cursor, 3);
	assert_string_equal(compose_text(&c), ">> a b c[31mde\ufffd f");
	/* A leading mark in a paste at the start is left out. */
	compose_clear(&c);
	assert_int_equal(compose_insert_str(&c, "\u0301x", 3), COMPOSE_OK);
	assert_string_equal(compose_text(&c), "x");
	compose_free(&c);
}

static void test_max_length(void **state)
{
	struct compose c;

	compose_init(&c, 10);
	assert_int_equal(compose_insert_str(&c, "012345678", 9), COMPOSE_OK);
	/* Two bytes do not fit in one: refused whole, nothing cut. */
	assert_int_equal(compose_insert_str(&c, "ab", 2), COMPOSE_TOO_LONG);
	assert_int_equal(compose_key(&c, 0, 0xE9), COMPOSE_TOO_LONG);
	assert_string_equal(compose_text(&c), "012345678");
	assert_int_equal(compose_key(&c, 0, 'x'), COMPOSE_OK);
	assert_int_equal(compose_len(&c), 10);
	assert_int_equal(compose_key(&c, 0, 'y'), COMPOSE_TOO_LONG);
	assert_string_equal(compose_text(&c), "012345678x");
	/* Deleting makes room again. */
	ch(&c, 127);
	assert_int_equal(compose_key(&c, 0, 'y'), COMPOSE_OK);
	/* A draft that is too long leaves the line as it was. */
	assert_int_equal(compose_set(&c, "01234567890"), COMPOSE_TOO_LONG);
	assert_string_equal(compose_text(&c), "012345678y");
	compose_free(&c);
}

static void test_default_max(void **state)
{
	struct compose c;
	size_t n = COMPOSE_DEFAULT_MAX;
	char *big = xmalloc(n + 1);

	compose_init(&c, 0);
	assert_int_equal(c.max, 1048576);
	memset(big, 'a', n);
	big[n] = '\0';
	assert_int_equal(compose_insert_str(&c, big, n), COMPOSE_OK);
	assert_int_equal(compose_len(&c), n);
	assert_int_equal(compose_key(&c, 0, 'b'), COMPOSE_TOO_LONG);
	assert_int_equal(compose_insert_str(&c, "b", 1), COMPOSE_TOO_LONG);
	assert_int_equal(compose_len(&c), n);
	compose_clear(&c);
	/* One byte too many is refused, not cut. */
	assert_int_equal(compose_insert_str(&c, "x", 1), COMPOSE_OK);
	assert_int_equal(compose_insert_str(&c, big, n), COMPOSE_TOO_LONG);
	assert_string_equal(compose_text(&c), "x");
	free(big);
	compose_free(&c);
}

static void test_set_and_clear(void **state)
{
	struct compose c;

	compose_init(&c, 0);
	assert_int_equal(compose_set(&c, "draft één"), COMPOSE_OK);
	assert_string_equal(compose_text(&c), "draft één");
	assert_int_equal(c.cursor, strlen("draft één"));
	type(&c, "!");
	assert_string_equal(compose_text(&c), "draft één!");
	compose_clear(&c);
	assert_string_equal(compose_text(&c), "");
	assert_int_equal(c.cursor, 0);
	assert_int_equal(compose_set(&c, NULL), COMPOSE_OK);
	assert_string_equal(compose_text(&c), "");
	compose_free(&c);
}

/* Checks what compose_view() promises for a WIDTH-column line. */
static void check_view(struct compose *c, int width)
{
	struct compose_view v;
	int cur_w = 1;

	compose_view(c, width, &v);
	if (c->cursor < c->len)
		text_next_cluster(c->buf, c->len, c->cursor, &cur_w);
	assert_true(v.cols <= width);
	assert_true(v.cols == text_width_n(c->buf + v.off, v.len));
	assert_true(v.off <= c->cursor);
	assert_true(c->cursor <= v.off + v.len || width < cur_w);
	assert_int_equal(v.cursor_col, text_width_n(c->buf + v.off, c->cursor - v.off));
	assert_true(v.cursor_col + (cur_w ? cur_w : 1) <= width || width < cur_w);
	assert_true(v.more_left == (v.off > 0));
	assert_true(v.more_right == (v.off + v.len < c->len));
}

static void test_view_scrolls(void **state)
{
	struct compose c;
	struct compose_view v;
	int i;

	compose_init(&c, 0);
	for (i = 0; i < 30; i++) {
		ch(&c, (unsigned)('a' + i % 26));
		check_view(&c, 10);
	}
	compose_view(&c, 10, &v);
	assert_int_equal(v.cursor_col, 9);
	assert_int_equal(v.off, 21);
	assert_true(v.more_left);
	assert_false(v.more_right);

	/* Moving left scrolls only when the cursor reaches the edge. */
	for (i = 0; i < 9; i++) {
		key(&c, KEY_LEFT);
		check_view(&c, 10);
	}
	compose_view(&c, 10, &v);
	assert_int_equal(v.off, 21);
	assert_int_equal(v.cursor_col, 0);
	key(&c, KEY_LEFT);
	compose_view(&c, 10, &v);
	assert_int_equal(v.off, 20);
	assert_int_equal(v.cursor_col, 0);

	key(&c, KEY_HOME);
	compose_view(&c, 10, &v);
	assert_int_equal(v.off, 0);
	assert_int_equal(v.cursor_col, 0);
	assert_int_equal(v.len, 10);
	assert_true(v.more_right);
	for (i = 0; i < 30; i++) {
		key(&c, KEY_RIGHT);
		check_view(&c, 10);
	}

	/* Deleting at the end pulls the text back into view. */
	for (i = 0; i < 25; i++) {
		ch(&c, 127);
		check_view(&c, 10);
	}
	compose_view(&c, 10, &v);
	assert_int_equal(v.off, 0);
	assert_int_equal(v.cursor_col, 5);
	compose_free(&c);
}

static void test_view_wide_and_combining(void **state)
{
	struct compose c;
	int i, width;

	for (width = 1; width <= 9; width++) {
		compose_init(&c, 0);
		for (i = 0; i < 12; i++) {
			type(&c, i % 3 == 0 ? "漢" : i % 3 == 1 ? "e\u0301" : "x");
			check_view(&c, width);
		}
		for (i = 0; i < 14; i++) {
			key(&c, KEY_LEFT);
			check_view(&c, width);
		}
		for (i = 0; i < 14; i++) {
			key(&c, KEY_RIGHT);
			check_view(&c, width);
		}
		ch(&c, CTRL('u'));
		check_view(&c, width);
		compose_free(&c);
	}
}


/* Macros: "/name" + Tab. */
static const struct compose_macro macros[] = {
	{ "groet", "Goedemiddag Jan, u spreekt met Anna." },
	{ "refund", "Het bedrag wordt binnen 5 werkdagen teruggestort." },
	{ "refund-late", "Excuses: uw terugbetaling is vertraagd." },
	{ "café", "Één moment, ik kijk het na… ☕" },
	{ "cafétaria", "De kantine is open." },
};
#define NMACROS (sizeof macros / sizeof macros[0])

static void test_macro_expands_at_cursor(void **state)
{
	struct compose c;
	size_t match[NMACROS], n;

	(void)state;
	compose_init(&c, 0);
	type(&c, "Hallo /gr");
	assert_int_equal(compose_expand(&c, macros, NMACROS, match, &n), COMPOSE_EXPAND_DONE);
	assert_int_equal(n, 1);
	assert_int_equal(match[0], 0);
	assert_string_equal(compose_text(&c), "Hallo Goedemiddag Jan, u spreekt met Anna.");
	assert_int_equal(c.cursor, compose_len(&c));
	/* In the middle of the line: the rest stays after the cursor. */
	compose_set(&c, "/REFUND-LATE en verder");
	c.cursor = strlen("/REFUND-LATE");
	assert_int_equal(compose_expand(&c, macros, NMACROS, match, &n), COMPOSE_EXPAND_DONE);
	assert_int_equal(match[0], 2);
	assert_string_equal(compose_text(&c), "Excuses: uw terugbetaling is vertraagd. en verder");
	assert_int_equal(c.cursor, strlen("Excuses: uw terugbetaling is vertraagd."));
	compose_free(&c);
}

static void test_macro_utf8_cursor(void **state)
{
	struct compose c;
	size_t match[NMACROS], n;
	struct compose_view v;
	const char *body = "Één moment, ik kijk het na… ☕";

	(void)state;
	compose_init(&c, 0);
	type(&c, "ü /café");
	assert_int_equal(compose_expand(&c, macros, NMACROS, match, &n), COMPOSE_EXPAND_DONE);
	assert_int_equal(match[0], 3);
	assert_int_equal(c.cursor, strlen("ü ") + strlen(body));
	assert_string_equal(compose_text(&c) + strlen("ü "), body);
	/* The cursor sits on a character boundary: moving left steps over ☕. */
	key(&c, KEY_LEFT);
	assert_int_equal(c.cursor, compose_len(&c) - strlen("☕"));
	key(&c, KEY_END);
	/* ☕ is two columns: the cursor column counts it so. */
	compose_view(&c, 80, &v);
	assert_int_equal(v.cursor_col, 2 + 28 + 2);
	compose_free(&c);
}

static void test_macro_ambiguous_completes_and_lists(void **state)
{
	struct compose c;
	size_t match[NMACROS], n;

	(void)state;
	compose_init(&c, 0);
	type(&c, "/re");
	assert_int_equal(compose_expand(&c, macros, NMACROS, match, &n),
			 COMPOSE_EXPAND_AMBIGUOUS);
	assert_int_equal(n, 2);
	assert_int_equal(match[0], 1);
	assert_int_equal(match[1], 2);
	/* Completed as far as both agree; the exact name then wins. */
	assert_string_equal(compose_text(&c), "/refund");
	assert_int_equal(c.cursor, 7);
	assert_int_equal(compose_expand(&c, macros, NMACROS, match, &n), COMPOSE_EXPAND_DONE);
	assert_int_equal(match[0], 1);
	/* A shared part that ends inside a character is cut before it. */
	compose_set(&c, "/caf");
	assert_int_equal(compose_expand(&c, macros, NMACROS, match, &n),
			 COMPOSE_EXPAND_AMBIGUOUS);
	assert_string_equal(compose_text(&c), "/café");
	/* "/" alone lists them all and changes nothing. */
	compose_set(&c, "x /");
	assert_int_equal(compose_expand(&c, macros, NMACROS, match, &n),
			 COMPOSE_EXPAND_AMBIGUOUS);
	assert_int_equal(n, NMACROS);
	assert_string_equal(compose_text(&c), "x /");
	compose_free(&c);
}

static void test_macro_no_match_leaves_the_line(void **state)
{
	struct compose c;
	size_t match[NMACROS], n;

	(void)state;
	compose_init(&c, 0);
	type(&c, "/nope");
	assert_int_equal(compose_expand(&c, macros, NMACROS, match, &n), COMPOSE_EXPAND_NO_MATCH);
	assert_int_equal(n, 0);
	assert_string_equal(compose_text(&c), "/nope");
	assert_int_equal(c.cursor, 5);
	/* Not a name: a slash inside a word, a space before the cursor. */
	compose_set(&c, "en/of");
	assert_int_equal(compose_expand(&c, macros, NMACROS, match, &n),
			 COMPOSE_EXPAND_NOT_A_NAME);
	compose_set(&c, "/groet ");
	assert_int_equal(compose_expand(&c, macros, NMACROS, match, &n),
			 COMPOSE_EXPAND_NOT_A_NAME);
	assert_int_equal(compose_expand(&c, NULL, 0, match, &n), COMPOSE_EXPAND_NOT_A_NAME);
	compose_clear(&c);
	assert_int_equal(compose_expand(&c, macros, NMACROS, match, &n),
			 COMPOSE_EXPAND_NOT_A_NAME);
	assert_string_equal(compose_text(&c), "");
	compose_free(&c);
}

static void test_macro_body_is_filtered_and_bounded(void **state)
{
	static const struct compose_macro hostile[] = {
		{ "x", "a\x1b[2Jb\nc\xff" },
		{ "long", "0123456789" },
	};
	struct compose c;
	size_t match[2], n;

	(void)state;
	compose_init(&c, 12);
	type(&c, "/x");
	assert_int_equal(compose_expand(&c, hostile, 2, match, &n), COMPOSE_EXPAND_DONE);
	assert_string_equal(compose_text(&c), "a[2Jb c\xef\xbf\xbd");
	compose_set(&c, "abcd /long");
	/* 5 + 10 bytes > 12: refused whole, the line as it was. */
	assert_int_equal(compose_expand(&c, hostile, 2, match, &n), COMPOSE_EXPAND_TOO_LONG);
	assert_string_equal(compose_text(&c), "abcd /long");
	compose_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_editing),
		cmocka_unit_test(test_multibyte),
		cmocka_unit_test(test_wide),
		cmocka_unit_test(test_combining),
		cmocka_unit_test(test_delete_word_and_kills),
		cmocka_unit_test(test_special_keys),
		cmocka_unit_test(test_paste_filter),
		cmocka_unit_test(test_max_length),
		cmocka_unit_test(test_default_max),
		cmocka_unit_test(test_set_and_clear),
		cmocka_unit_test(test_view_scrolls),
		cmocka_unit_test(test_view_wide_and_combining),
		cmocka_unit_test(test_macro_expands_at_cursor),
		cmocka_unit_test(test_macro_utf8_cursor),
		cmocka_unit_test(test_macro_ambiguous_completes_and_lists),
		cmocka_unit_test(test_macro_no_match_leaves_the_line),
		cmocka_unit_test(test_macro_body_is_filtered_and_bounded),
	};

	if (!setlocale(LC_ALL, "C.UTF-8"))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
