/* fuzz_common: the checks every balie fuzz harness shares.
 *
 * Included (not linked) by each test/fuzz/fuzz_*.c, and by
 * test/unit/test_fuzz_regress.c, which defines FUZZ_REPLAY to turn every
 * failed check into a cmocka failure instead of an abort(). The oracles here
 * are written apart from src/text.c on purpose: a strict UTF-8 decoder of our
 * own, and the safety rules of text.h's "Untrusted text" restated. */
#ifndef BALIE_FUZZ_COMMON_C
#define BALIE_FUZZ_COMMON_C

#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "balie/text.h"

#define FUZZ_BAD UINT32_C(0xFFFFFFFF)

/* Each harness uses only some of the helpers below. */
#define FUZZ_HELPER static __attribute__((unused))

#ifdef FUZZ_REPLAY
/* Provided by the replay test: records MSG as the failure of the input
 * being replayed and does not return. */
void fuzz_replay_failed(const char *msg);
#endif

/* Reports a broken promise: under libFuzzer an abort() (a crash it saves). */
__attribute__((format(printf, 1, 2), noreturn))
FUZZ_HELPER void fuzz_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
#ifdef FUZZ_REPLAY
	fuzz_replay_failed(msg);
#endif
	fprintf(stderr, "fuzz check failed: %s\n", msg);
	abort();
}

#define FUZZ_CHECK(cond, ...) do { \
		if (!(cond)) \
			fuzz_fail(__VA_ARGS__); \
	} while (0)

/* The locale every harness runs in: wcwidth() answers from it. */
FUZZ_HELPER void fuzz_init_locale(void)
{
	if (!setlocale(LC_ALL, "C.UTF-8") || !text_locale_is_utf8()) {
		fprintf(stderr, "fuzz: the C.UTF-8 locale is not available\n");
		abort();
	}
}

/* Decodes one strict UTF-8 character (Unicode 15, table 3-7) of S, LEN > 0
 * bytes, into *CP; invalid input gives FUZZ_BAD and the length of the
 * maximal ill-formed subpart, as Unicode's "substitution of maximal
 * subparts" counts U+FFFD replacements. Written independently of
 * text_decode(), which the sanitize harness compares against it. */
FUZZ_HELPER size_t fuzz_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	static const struct {
		unsigned char lead_lo, lead_hi, second_lo, second_hi;
		int trail;
	} rows[] = {
		{ 0xC2, 0xDF, 0x80, 0xBF, 1 },
		{ 0xE0, 0xE0, 0xA0, 0xBF, 2 },
		{ 0xE1, 0xEC, 0x80, 0xBF, 2 },
		{ 0xED, 0xED, 0x80, 0x9F, 2 },
		{ 0xEE, 0xEF, 0x80, 0xBF, 2 },
		{ 0xF0, 0xF0, 0x90, 0xBF, 3 },
		{ 0xF1, 0xF3, 0x80, 0xBF, 3 },
		{ 0xF4, 0xF4, 0x80, 0x8F, 3 },
	};
	size_t r, k;
	uint32_t v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
		if (s[0] >= rows[r].lead_lo && s[0] <= rows[r].lead_hi)
			break;
	*cp = FUZZ_BAD;
	if (r == sizeof(rows) / sizeof(rows[0]))
		return 1;
	if (len < 2 || s[1] < rows[r].second_lo || s[1] > rows[r].second_hi)
		return 1;
	v = s[0] & (rows[r].trail == 1 ? 0x1F : rows[r].trail == 2 ? 0x0F : 0x07);
	v = (v << 6) | (s[1] & 0x3F);
	for (k = 2; k <= (size_t)rows[r].trail; k++) {
		if (k >= len || (s[k] & 0xC0) != 0x80)
			return k;
		v = (v << 6) | (s[k] & 0x3F);
	}
	*cp = v;
	return (size_t)rows[r].trail + 1;
}

/* Whether LEN bytes of S are valid UTF-8 throughout. */
FUZZ_HELPER bool fuzz_utf8_valid(const char *s, size_t len)
{
	size_t i = 0;
	uint32_t cp;

	while (i < len) {
		i += fuzz_utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (cp == FUZZ_BAD)
			return false;
	}
	return true;
}

FUZZ_HELPER bool fuzz_is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

/* Returns why S (LEN bytes) is not what text.h promises the terminal
 * receives, or NULL when it is: valid UTF-8; no C0 control but "\n" (only
 * with TEXT_MULTILINE), no DEL, no C1 control, no bidi control, no
 * U+2028/2029, nothing wcwidth() cannot print; no zero-width character that
 * could combine with what was drawn before the line; with TEXT_ASCII only
 * printable ASCII and "\n". *AT gets the offending byte offset. */
FUZZ_HELPER const char *fuzz_unsafe_at(const char *s, size_t len, unsigned flags, size_t *at)
{
	const unsigned char *u = (const unsigned char *)s;
	bool line_start = true;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = fuzz_utf8_decode(u + i, len - i, &cp);

		*at = i;
		if (cp == FUZZ_BAD)
			return "invalid UTF-8";
		if (cp == '\n') {
			if (!(flags & TEXT_MULTILINE))
				return "a line break in one-line text";
			line_start = true;
			i += n;
			continue;
		}
		if (cp == 0x1B)
			return "ESC";
		if (cp < 0x20)
			return "a C0 control";
		if (cp == 0x7F)
			return "DEL";
		if (cp >= 0x80 && cp <= 0x9F)
			return "a C1 control";
		if (fuzz_is_bidi_control(cp))
			return "a bidi control";
		if (cp == 0x2028 || cp == 0x2029)
			return "a line separator";
		if (wcwidth((wchar_t)cp) < 0)
			return "an unprintable character";
		if (line_start && wcwidth((wchar_t)cp) == 0)
			return "a zero-width character at the start of a line";
		if ((flags & TEXT_ASCII) && cp >= 0x7F)
			return "non-ASCII in ASCII text";
		line_start = false;
		i += n;
	}
	return NULL;
}

/* Fails unless S (LEN bytes) passes fuzz_unsafe_at(); WHAT names the text. */
FUZZ_HELPER void fuzz_check_safe(const char *s, size_t len, unsigned flags, const char *what)
{
	size_t at = 0;
	const char *why = fuzz_unsafe_at(s, len, flags, &at);

	FUZZ_CHECK(!why, "%s (flags %u): %s at byte %zu of %zu", what, flags, why ? why : "",
		   at, len);
}

/* A NUL-terminated copy of LEN bytes of DATA (embedded NULs kept). */
FUZZ_HELPER char *fuzz_strndup(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		abort();
	if (len)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

/* FNV-1a of the input: picks "random" but reproducible parameters. */
FUZZ_HELPER uint32_t fuzz_hash(const uint8_t *data, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

#endif
