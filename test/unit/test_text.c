/* Unit tests of text: the sanitiser, display width, wrapping, truncation. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>

#include "balie/text.h"
#include "balie/util.h"

/* Sanitises a NUL-terminated literal with FLAGS and compares the result. */
static void expect_clean(const char *in, unsigned flags, const char *want)
{
	char *out = text_clean(in, flags);

	assert_string_equal(out, want);
	free(out);
}

/* Fails unless S (LEN bytes) is what the terminal may safely receive: valid
 * UTF-8 without control characters (but "\n" in multi-line text), DEL, C1
 * controls, bidi controls or anything wcwidth() cannot print; with
 * ASCII_ONLY nothing above 0x7E. */
static void assert_safe(const char *s, size_t len, bool multiline, bool ascii_only)
{
	size_t i = 0;

	while (i < len) {
		unsigned char b = (unsigned char)s[i];
		uint32_t cp;
		size_t n;

		assert_true(b != 0x1B);
		assert_true(b != 0x7F);
		if (b < 0x20)
			assert_true(multiline && b == '\n');
		if (ascii_only)
			assert_true(b < 0x7F);
		n = text_decode(s + i, len - i, &cp);
		assert_true(cp != TEXT_BAD_CP);
		assert_false(cp >= 0x80 && cp <= 0x9F);
		assert_false(cp >= 0x202A && cp <= 0x202E);
		assert_false(cp >= 0x2066 && cp <= 0x2069);
		assert_false(cp == 0x200E || cp == 0x200F || cp == 0x061C);
		assert_false(cp == 0x2028 || cp == 0x2029);
		/* Everything left is something the terminal can print. */
		assert_true(cp == '\n' || wcwidth((wchar_t)cp) >= 0);
		i += n;
	}
}

static void check_attack(const char *in, size_t len, const char *want)
{
	char *out = text_sanitize(in, len, 0);

	assert_string_equal(out, want);
	assert_safe(out, strlen(out), false, false);
	free(out);
	out = text_sanitize(in, len, TEXT_MULTILINE);
	assert_safe(out, strlen(out), true, false);
	free(out);
	out = text_sanitize(in, len, TEXT_ASCII);
	assert_safe(out, strlen(out), false, true);
	free(out);
}

#define ATTACK(lit, want) check_attack(lit, sizeof(lit) - 1, want)

static void test_osc_sequences(void **state)
{
	ATTACK("\x1b]0;pwned\x07", "\u241b]0;pwned\u2407");
	ATTACK("\x1b]2;title\x1b\\", "\u241b]2;title\u241b\\");
	ATTACK("\x1b]50;?\x07", "\u241b]50;?\u2407");
	ATTACK("\x1b]52;c;Y3VybCBldmlsfHNo\x07", "\u241b]52;c;Y3VybCBldmlsfHNo\u2407");
	ATTACK("\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\",
	       "\u241b]8;;http://evil/\u241b\\click\u241b]8;;\u241b\\");
}

static void test_csi_dcs_sequences(void **state)
{
	ATTACK("\x1b[2J", "\u241b[2J");
	ATTACK("\x1b[31mred\x1b[0m", "\u241b[31mred\u241b[0m");
	ATTACK("\x1b[6n", "\u241b[6n");
	ATTACK("\x1bPq#0;2;0;0;0\x1b\\", "\u241bPq#0;2;0;0;0\u241b\\");
	ATTACK("\x1b" "c", "\u241b" "c");
}

static void test_c1_controls(void **state)
{
	/* 8-bit CSI as a UTF-8 encoded code point and as a raw byte. */
	ATTACK("\xc2\x9b" "2J", "<9B>2J");
	ATTACK("\x9b" "2J", "\ufffd" "2J");
	ATTACK("\xc2\x90" "q\xc2\x9c", "<90>q<9C>");
	ATTACK("\xc2\x80\xc2\x85\xc2\x9d\xc2\x9f", "<80><85><9D><9F>");
}

static void test_lone_controls(void **state)
{
	ATTACK("abc\x1b", "abc\u241b");
	ATTACK("\x1b", "\u241b");
	ATTACK("bell\x07", "bell\u2407");
	ATTACK("abc\x08\x08\x08xyz", "abc\u2408\u2408\u2408xyz");
	ATTACK("del\x7f", "del\u2421");
	ATTACK("\x01\x1f", "\u2401\u241f");
	check_attack("a\0b", 3, "a\u2400b");
}

static void test_bidi_controls(void **state)
{
	ATTACK("abc\u202edef", "abc<U+202E>def");
	ATTACK("\u202a\u202b\u202c\u202d", "<U+202A><U+202B><U+202C><U+202D>");
	ATTACK("\u2066x\u2067y\u2068z\u2069", "<U+2066>x<U+2067>y<U+2068>z<U+2069>");
	ATTACK("\u200e\u200f\u061c", "<U+200E><U+200F><U+061C>");
}

static void test_invalid_utf8(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
		{ "\xff", "\ufffd" },
		{ "\xfe\xfe", "\ufffd\ufffd" },
		{ "\x80", "\ufffd" },				/* lone continuation */
		{ "\xc0\xaf", "\ufffd\ufffd" },			/* overlong "/" */
		{ "\xc1\xbf", "\ufffd\ufffd" },
		{ "\xe0\x80\xaf", "\ufffd\ufffd\ufffd" },	/* overlong, 3 bytes */
		{ "\xf0\x80\x80\xaf", "\ufffd\ufffd\ufffd\ufffd" },
		{ "\xed\xa0\x80", "\ufffd\ufffd\ufffd" },	/* surrogate D800 */
		{ "\xed\xbf\xbf", "\ufffd\ufffd\ufffd" },	/* surrogate DFFF */
		{ "\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd" }, /* U+110000 */
		{ "\xf5\x80\x80\x80", "\ufffd\ufffd\ufffd\ufffd" },
		{ "\xe6\x97", "\ufffd" },			/* truncated at the end */
		{ "\xe6\x97" "A", "\ufffd" "A" },		/* truncated mid-text */
		{ "\xf0\x9f\x98", "\ufffd" },
		{ "a\xc3", "a\ufffd" },
		{ "\xc3\x28", "\ufffd(" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = text_clean(cases[i].in, 0);

		assert_string_equal(out, cases[i].want);
		assert_safe(out, strlen(out), false, false);
		free(out);
		out = text_clean(cases[i].in, TEXT_ASCII);
		assert_safe(out, strlen(out), false, true);
		free(out);
	}
}

static void test_valid_text_unchanged(void **state)
{
	static const char *const texts[] = {
		"Goedemiddag, ik wil mijn hypotheek oversluiten.",
		"één café, coördinatie, reünie, Müller, naïef, ĳs",
		"漢字とカタカナ、한국어",
		"👍🏽 😀 🇳🇱 👩\u200d💻",
		"cafe\u0301 n\u0303 a\u0300\u0301",	/* combining marks */
		"<U+202E> is just text",
		"",
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		expect_clean(texts[i], 0, texts[i]);
		expect_clean(texts[i], TEXT_MULTILINE, texts[i]);
	}
}

static void test_line_breaks_and_tabs(void **state)
{
	const char *in = "a\r\nb\rc\nd\u2028e\u2029f";

	expect_clean(in, TEXT_MULTILINE, "a\nb\nc\nd\ne\nf");
	expect_clean(in, 0, "a b c d e f");
	expect_clean("a\tb", TEXT_MULTILINE, "a       b");
	expect_clean("\tx", TEXT_MULTILINE, "        x");
	expect_clean("漢\tx", TEXT_MULTILINE, "漢      x");
	expect_clean("ab\n\tx", TEXT_MULTILINE, "ab\n        x");
	expect_clean("a\tb", 0, "a b");
	expect_clean("a\r\n", TEXT_MULTILINE, "a\n");
}

static void test_ascii_mode(void **state)
{
	expect_clean("\x1b[2J", TEXT_ASCII, "^[[2J");
	expect_clean("bell\x07", TEXT_ASCII, "bell^G");
	expect_clean("del\x7f", TEXT_ASCII, "del^?");
	expect_clean("café 漢", TEXT_ASCII, "cafe ?");
	/* Transliterated, not "?" (issue 14 #13), whatever LC_CTYPE is. */
	expect_clean("Still waiting… €178.14 García Yılmaz Zoë", TEXT_ASCII,
		     "Still waiting... EUR178.14 Garcia Yilmaz Zoe");
	expect_clean("e\u0301", TEXT_ASCII, "e");
	setlocale(LC_ALL, "C");
	expect_clean("Still waiting… €178.14 García", TEXT_ASCII,
		     "Still waiting... EUR178.14 Garcia");
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "C.utf8");
	expect_clean("\xc2\x9b", TEXT_ASCII, "<9B>");
	expect_clean("x\u202ey", TEXT_ASCII, "x<U+202E>y");
	expect_clean("\xff", TEXT_ASCII, "?");
	expect_clean("a\nb", TEXT_ASCII | TEXT_MULTILINE, "a\nb");
}

static void test_orphans_and_non_printables(void **state)
{
	/* A mark with no base must not join what the UI drew before it. */
	expect_clean("\u0301x", 0, "\u25cc\u0301x");
	expect_clean("a\n\u0301", TEXT_MULTILINE, "a\n\u25cc\u0301");
	expect_clean("\xef\xbb\xbfhallo", 0, "hallo");
	expect_clean("\xef\xbf\xbe", 0, "<U+FFFE>");
	expect_clean("\xcd\xb8", 0, "<U+0378>");	/* unassigned */
}

/* A tiny deterministic generator, so failures reproduce. */
static uint32_t next_random(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static void test_one_megabyte(void **state)
{
	size_t len = 1024 * 1024, i;
	char *in = xmalloc(len);
	uint32_t seed = 42;
	char *out;

	/* Random bytes, weighted towards escapes and lead bytes. */
	for (i = 0; i < len; i++) {
		uint32_t r = next_random(&seed);

		in[i] = (char)((r & 7) == 0 ? 0x1b : (r & 7) == 1 ? 0xe2 : (r >> 4) & 0xff);
	}
	out = text_sanitize(in, len, 0);
	assert_safe(out, strlen(out), false, false);
	free(out);
	out = text_sanitize(in, len, TEXT_MULTILINE);
	assert_safe(out, strlen(out), true, false);
	free(out);

	/* Only escapes: each becomes a three-byte picture. */
	memset(in, 0x1b, len);
	out = text_sanitize(in, len, 0);
	assert_int_equal(strlen(out), 3 * len);
	free(out);

	/* Valid text comes back unchanged. */
	for (i = 0; i + 3 <= len; i += 3)
		memcpy(in + i, "\xe6\xbc\xa2", 3);	/* 漢 */
	out = text_sanitize(in, i, 0);
	assert_int_equal(strlen(out), i);
	assert_memory_equal(out, in, i);
	free(out);
	free(in);
}

static void test_width(void **state)
{
	assert_int_equal(text_width("hello"), 5);
	assert_int_equal(text_width("漢字"), 4);
	assert_int_equal(text_width("😀"), 2);
	assert_int_equal(text_width("e\u0301"), 1);
	assert_int_equal(text_width("cafe\u0301!"), 5);
	assert_int_equal(text_width("één"), 3);
	assert_int_equal(text_width(""), 0);
	assert_int_equal(text_width(NULL), 0);
	assert_int_equal(text_cp_width(0x301), 0);
	assert_int_equal(text_cp_width(0x6F22), 2);
	assert_int_equal(text_cp_width(0x202E), -1);
	assert_int_equal(text_cp_width('\n'), -1);
	assert_int_equal(text_cp_width(0x9B), -1);
	assert_int_equal(text_cp_width(TEXT_BAD_CP), -1);
}

static void test_clusters(void **state)
{
	const char *s = "e\u0301\u0300x漢";
	size_t len = strlen(s);
	int cols;

	assert_int_equal(text_next_cluster(s, len, 0, &cols), 5);
	assert_int_equal(cols, 1);
	assert_int_equal(text_next_cluster(s, len, 5, &cols), 6);
	assert_int_equal(text_next_cluster(s, len, 6, &cols), 9);
	assert_int_equal(cols, 2);
	assert_int_equal(text_prev_cluster(s, 9), 6);
	assert_int_equal(text_prev_cluster(s, 6), 5);
	assert_int_equal(text_prev_cluster(s, 5), 0);
	assert_int_equal(text_prev_cluster(s, 0), 0);
}

/* Checks every promise of text_wrap() for S at WIDTH. */
static void check_wrap(const char *s, int width)
{
	struct text_line *lines;
	size_t n = text_wrap(s, width, &lines), i, j, prev_end = 0;
	size_t len = strlen(s);
	char *covered = xcalloc(len + 1, 1);

	assert_true(n >= 1);
	for (i = 0; i < n; i++) {
		const struct text_line *l = &lines[i];
		size_t pos = l->off;

		assert_true(l->off >= prev_end);
		assert_true(l->off + l->len <= len);
		assert_int_equal(l->cols, text_width_n(s + l->off, l->len));
		/* Only a single cluster may be wider than the width. */
		if (l->cols > width)
			assert_int_equal(text_next_cluster(s, len, l->off, NULL), l->off + l->len);
		/* Whole clusters: walking clusters lands exactly on the end. */
		while (pos < l->off + l->len)
			pos = text_next_cluster(s, len, pos, NULL);
		assert_int_equal(pos, l->off + l->len);
		assert_true(memchr(s + l->off, '\n', l->len) == NULL);
		for (j = l->off; j < l->off + l->len; j++)
			covered[j] = 1;
		prev_end = l->off + l->len;
	}
	/* Nothing but spaces at breaks and newlines is left out. */
	for (j = 0; j < len; j++)
		if (!covered[j])
			assert_true(s[j] == ' ' || s[j] == '\n');
	free(covered);
	free(lines);
}

static void expect_lines(const char *s, int width, const char *const *want, size_t nwant)
{
	struct text_line *lines;
	size_t n = text_wrap(s, width, &lines), i;

	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++) {
		assert_int_equal(lines[i].len, strlen(want[i]));
		assert_memory_equal(s + lines[i].off, want[i], lines[i].len);
	}
	free(lines);
	check_wrap(s, width);
}

#define LINES(...) (const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)

static void test_wrap_words(void **state)
{
	expect_lines("hello world foo", 11, LINES("hello world", "foo"));
	expect_lines("hello world", 5, LINES("hello", "world"));
	expect_lines("aa   bb", 3, LINES("aa", "bb"));
	expect_lines("  ab cd", 10, LINES("  ab cd"));
	expect_lines("ab cdefghij", 5, LINES("ab", "cdefg", "hij"));
	expect_lines("abc   ", 3, LINES("abc"));
}

static void test_wrap_hard_breaks(void **state)
{
	expect_lines("abcdefghij", 4, LINES("abcd", "efgh", "ij"));
	expect_lines("漢字漢字漢", 5, LINES("漢字", "漢字", "漢"));
	expect_lines("漢a", 1, LINES("漢", "a"));
	expect_lines("😀😀", 1, LINES("😀", "😀"));
	expect_lines("e\u0301e\u0301e\u0301", 2, LINES("e\u0301e\u0301", "e\u0301"));
	expect_lines("x", 0, LINES("x"));
	/* Found by fuzzing: an accented space after a break stays whole, and
	 * spaces after an over-wide character are a break, not lines. */
	expect_lines("ab  \u0301cd", 3, LINES("ab", " \u0301cd"));
	expect_lines("中  x", 1, LINES("中", "x"));
}

static void test_wrap_newlines(void **state)
{
	expect_lines("", 10, LINES(""));
	expect_lines("a\n\nb", 10, LINES("a", "", "b"));
	expect_lines("a\n", 10, LINES("a", ""));
	expect_lines("one two\nthree", 3, LINES("one", "two", "thr", "ee"));
}

static void test_wrap_never_exceeds(void **state)
{
	static const char *const texts[] = {
		"De klant wil graag weten waarom de rekening van maart hoger is.",
		"漢字とカタカナ、한국어 mixed with Latin and 😀 emoji 👍🏽 here",
		"cafe\u0301 cafe\u0301 a\u0300\u0301\u0302 n\u0303n\u0303n\u0303",
		"averyveryverylongwordthatmustbehardbrokenacrosslines",
		"   leading   and   trailing   spaces   ",
		"line one\nline two\n\n  indented\n",
		"\u25cc\u0301 orphan",
	};
	size_t i;
	int width;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		for (width = 1; width <= 24; width++)
			check_wrap(texts[i], width);
}

static void test_wrap_garbage_terminates(void **state)
{
	char s[257];
	uint32_t seed = 7;
	struct text_line *lines;
	size_t i, n;
	int round, width;

	/* Unsanitised bytes must still be memory-safe and finite. */
	for (round = 0; round < 50; round++) {
		for (i = 0; i < 256; i++)
			s[i] = (char)(next_random(&seed) % 255 + 1);
		s[256] = '\0';
		for (width = 1; width < 6; width++) {
			n = text_wrap(s, width, &lines);
			assert_true(n >= 1 && n <= 257);
			free(lines);
		}
	}
}

static void test_truncate(void **state)
{
	char *t;

	t = text_truncate("hello world", 8, 0);
	assert_string_equal(t, "hello w\u2026");
	assert_int_equal(text_width(t), 8);
	free(t);

	t = text_truncate("hello", 5, 0);
	assert_string_equal(t, "hello");
	free(t);

	/* A wide character that would straddle the edge leaves a space. */
	t = text_truncate("漢字漢字", 4, 0);
	assert_string_equal(t, "漢 \u2026");
	assert_int_equal(text_width(t), 4);
	free(t);

	t = text_truncate("漢字漢字", 5, 0);
	assert_string_equal(t, "漢字\u2026");
	assert_int_equal(text_width(t), 5);
	free(t);

	t = text_truncate("cafe\u0301s and more", 5, 0);
	assert_string_equal(t, "cafe\u0301\u2026");
	assert_int_equal(text_width(t), 5);
	free(t);

	t = text_truncate("hello world", 8, TEXT_ASCII);
	assert_string_equal(t, "hello...");
	free(t);
	t = text_truncate("hello world", 2, TEXT_ASCII);
	assert_string_equal(t, "..");
	free(t);
	t = text_truncate("hello world", 1, 0);
	assert_string_equal(t, "\u2026");
	free(t);
	t = text_truncate("hello world", 0, 0);
	assert_string_equal(t, "");
	free(t);

	assert_int_equal(text_prefix("漢字x", 3, NULL), 3);
}

static void test_truncate_exact_width(void **state)
{
	static const char *const texts[] = {
		"Goedemiddag meneer", "漢字とカタカナ", "😀a😀b😀c", "cafe\u0301 cafe\u0301",
	};
	size_t i;
	int width;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		for (width = 1; width < 20; width++) {
			char *t = text_truncate(texts[i], width, 0);
			char *p = text_pad(texts[i], width, 0);
			char *r = text_pad(texts[i], width, TEXT_ALIGN_RIGHT);

			if (text_width(texts[i]) > width)
				assert_int_equal(text_width(t), width);
			else
				assert_string_equal(t, texts[i]);
			assert_int_equal(text_width(p), width);
			assert_int_equal(text_width(r), width);
			free(t);
			free(p);
			free(r);
		}
	}
}

static void test_pad(void **state)
{
	char *p;

	p = text_pad("漢a", 6, 0);
	assert_string_equal(p, "漢a   ");
	free(p);
	p = text_pad("漢a", 6, TEXT_ALIGN_RIGHT);
	assert_string_equal(p, "   漢a");
	free(p);
	p = text_pad("abcdef", 4, 0);
	assert_string_equal(p, "abc\u2026");
	free(p);
	p = text_pad(NULL, 2, 0);
	assert_string_equal(p, "  ");
	free(p);
}

static void test_duration(void **state)
{
	char buf[TEXT_DURATION_SIZE];

	assert_string_equal(text_duration(0, buf, sizeof(buf)), "0:00");
	assert_string_equal(text_duration(59, buf, sizeof(buf)), "0:59");
	assert_string_equal(text_duration(61, buf, sizeof(buf)), "1:01");
	assert_string_equal(text_duration(3599, buf, sizeof(buf)), "59:59");
	assert_string_equal(text_duration(3600, buf, sizeof(buf)), "1:00:00");
	assert_string_equal(text_duration(3661, buf, sizeof(buf)), "1:01:01");
	assert_string_equal(text_duration(100L * 3600 + 5, buf, sizeof(buf)), "100:00:05");
	assert_string_equal(text_duration(-5, buf, sizeof(buf)), "0:00");
}

static void test_decode_encode(void **state)
{
	char u[4];
	uint32_t cp;

	assert_int_equal(text_encode(0x20AC, u), 3);
	assert_int_equal(text_decode(u, 3, &cp), 3);
	assert_int_equal(cp, 0x20AC);
	assert_int_equal(text_encode(0x1F600, u), 4);
	assert_int_equal(text_decode(u, 4, &cp), 4);
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(text_encode(0xD800, u), 0);
	assert_int_equal(text_encode(0x110000, u), 0);
	assert_int_equal(text_decode(u, 2, &cp), 2);	/* truncated */
	assert_true(cp == TEXT_BAD_CP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_osc_sequences),
		cmocka_unit_test(test_csi_dcs_sequences),
		cmocka_unit_test(test_c1_controls),
		cmocka_unit_test(test_lone_controls),
		cmocka_unit_test(test_bidi_controls),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_valid_text_unchanged),
		cmocka_unit_test(test_line_breaks_and_tabs),
		cmocka_unit_test(test_ascii_mode),
		cmocka_unit_test(test_orphans_and_non_printables),
		cmocka_unit_test(test_one_megabyte),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_clusters),
		cmocka_unit_test(test_wrap_words),
		cmocka_unit_test(test_wrap_hard_breaks),
		cmocka_unit_test(test_wrap_newlines),
		cmocka_unit_test(test_wrap_never_exceeds),
		cmocka_unit_test(test_wrap_garbage_terminates),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_truncate_exact_width),
		cmocka_unit_test(test_pad),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_decode_encode),
	};

	if (!setlocale(LC_ALL, "C.UTF-8"))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
