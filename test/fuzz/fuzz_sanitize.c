/* fuzz_sanitize: text_sanitize() and text_decode() on hostile bytes.
 *
 * The input is untrusted text exactly as it could come from the database.
 * For each mode (one-line, multi-line, ASCII, both) it checks that the
 * result is safe for the terminal (fuzz_unsafe_at), that sanitising is
 * idempotent, that text which is already safe passes unchanged, that
 * line breaks survive in multi-line mode and only there, that the result
 * grows at most eightfold, that text_clean() agrees, and that
 * text_decode() matches an independent strict UTF-8 decoder byte for byte. */
#include "fuzz_common.c"

static const unsigned sanitize_modes[] = {
	0, TEXT_MULTILINE, TEXT_ASCII, TEXT_MULTILINE | TEXT_ASCII,
};

/* Line breaks text_sanitize() keeps: "\n", "\r", "\r\n", U+2028, U+2029. */
static size_t sanitize_count_breaks(const uint8_t *in, size_t len)
{
	size_t i = 0, breaks = 0;
	uint32_t cp;

	while (i < len) {
		if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
			i++;
		i += fuzz_utf8_decode(in + i, len - i, &cp);
		if (cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029)
			breaks++;
	}
	return breaks;
}

/* Whether text_sanitize() may change IN even though it is safe: tabs and
 * carriage returns are rewritten, a leading byte order mark dropped. */
static bool sanitize_rewrites(const uint8_t *in, size_t len)
{
	if (len >= 3 && in[0] == 0xEF && in[1] == 0xBB && in[2] == 0xBF)
		return true;
	return memchr(in, '\t', len) || memchr(in, '\r', len);
}

/* The width text_cp_width() must report for a valid code point CP. */
static int sanitize_expected_width(uint32_t cp)
{
	int w;

	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || fuzz_is_bidi_control(cp) ||
	    cp == 0x2028 || cp == 0x2029)
		return -1;
	w = wcwidth((wchar_t)cp);
	if (w < 0)
		return -1;
	return w > 2 ? 2 : w;
}

/* text_decode(), text_cp_width() and text_encode() against our decoder. */
static void sanitize_check_decode(const uint8_t *in, size_t len)
{
	size_t i = 0;

	FUZZ_CHECK(text_cp_width(TEXT_BAD_CP) == -1, "text_cp_width(TEXT_BAD_CP) is not -1");
	while (i < len) {
		uint32_t want, got;
		size_t n = fuzz_utf8_decode(in + i, len - i, &want);
		size_t m = text_decode((const char *)in + i, len - i, &got);

		FUZZ_CHECK(n == m && want == got,
			   "text_decode at byte %zu: %zu bytes U+%04X, expected %zu bytes U+%04X",
			   i, m, (unsigned)got, n, (unsigned)want);
		if (want != FUZZ_BAD) {
			char enc[4];
			size_t k = text_encode(want, enc);

			FUZZ_CHECK(k == n && memcmp(enc, in + i, n) == 0,
				   "text_encode(U+%04X) does not give back its bytes", (unsigned)want);
			FUZZ_CHECK(text_cp_width(want) == sanitize_expected_width(want),
				   "text_cp_width(U+%04X) is %d, expected %d", (unsigned)want,
				   text_cp_width(want), sanitize_expected_width(want));
		}
		i += n;
	}
}

static void sanitize_check_mode(const uint8_t *data, size_t size, unsigned flags)
{
	char *out = text_sanitize((const char *)data, size, flags), *again;
	size_t len, at, lines = 0, i;

	FUZZ_CHECK(out != NULL, "text_sanitize returned NULL");
	len = strlen(out);
	fuzz_check_safe(out, len, flags, "text_sanitize");
	FUZZ_CHECK(len <= 8 * size, "text_sanitize grew %zu bytes into %zu", size, len);

	again = text_sanitize(out, len, flags);
	FUZZ_CHECK(strcmp(again, out) == 0, "text_sanitize (flags %u) is not idempotent", flags);
	free(again);

	if (!sanitize_rewrites(data, size) && !fuzz_unsafe_at((const char *)data, size, flags, &at))
		FUZZ_CHECK(len == size && memcmp(out, data, size) == 0,
			   "text_sanitize (flags %u) changed text that was already safe", flags);

	for (i = 0; i < len; i++)
		lines += out[i] == '\n';
	if (flags & TEXT_MULTILINE)
		FUZZ_CHECK(lines == sanitize_count_breaks(data, size),
			   "text_sanitize kept %zu of %zu line breaks", lines,
			   sanitize_count_breaks(data, size));

	/* An unknown flag bit (text_pad's alignment) changes nothing. */
	again = text_sanitize((const char *)data, size, flags | TEXT_ALIGN_RIGHT);
	FUZZ_CHECK(strcmp(again, out) == 0, "TEXT_ALIGN_RIGHT changed text_sanitize");
	free(again);
	free(out);
}

static int fuzz_sanitize_one(const uint8_t *data, size_t size)
{
	size_t m, nul;
	char *s, *a, *b;

	for (m = 0; m < sizeof(sanitize_modes) / sizeof(sanitize_modes[0]); m++)
		sanitize_check_mode(data, size, sanitize_modes[m]);
	sanitize_check_decode(data, size);

	/* text_clean() is text_sanitize() up to the first NUL. */
	s = fuzz_strndup(data, size);
	nul = strlen(s);
	a = text_clean(s, TEXT_MULTILINE);
	b = text_sanitize(s, nul, TEXT_MULTILINE);
	FUZZ_CHECK(strcmp(a, b) == 0, "text_clean differs from text_sanitize");
	free(a);
	free(b);
	free(s);
	return 0;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_locale();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_sanitize_one(data, size);
}
#endif
