/* fuzz_wrap: text_wrap(), text_truncate(), text_pad(), text_prefix() and
 * the cluster walk on sanitised text at random widths 1..300.
 *
 * The input is sanitised (one-line and multi-line, UTF-8 and ASCII) and laid
 * out at a handful of widths, some fixed, some drawn from the input's hash.
 * The checks are text.h's promises: wrapped lines are slices that cover the
 * text in order (only spaces at a break and the "\n" between paragraphs are
 * left out), start and end on cluster boundaries, are never wider than the
 * width except a single over-wide cluster, break at a space where one fits
 * and nowhere earlier than they must; truncate and pad land on exactly the
 * width and keep a prefix of the text; text_prev_cluster() inverts
 * text_next_cluster(). The raw, unsanitised input goes through the same
 * functions too, where only memory safety and slice structure are promised. */
#include "fuzz_common.c"

/* Whether the cluster at POS is one plain space (a break opportunity when
 * the cluster before it is not one too). */
static bool wrap_plain_space(const char *s, size_t len, size_t pos)
{
	return pos < len && s[pos] == ' ' && text_next_cluster(s, len, pos, NULL) == pos + 1;
}

/* Columns of S[FROM..TO), but stops counting once past LIMIT. */
static int wrap_width_upto(const char *s, size_t len, size_t from, size_t to, int limit)
{
	int total = 0, w;

	while (from < to && total <= limit) {
		from = text_next_cluster(s, len, from, &w);
		total += w;
	}
	return total;
}

/* Marks in B[0..LEN] every cluster boundary of S. */
static void wrap_boundaries(const char *s, size_t len, bool *b)
{
	size_t pos = 0;

	memset(b, 0, len + 1);
	while (pos < len) {
		b[pos] = true;
		pos = text_next_cluster(s, len, pos, NULL);
		FUZZ_CHECK(pos <= len, "text_next_cluster ran past the end");
	}
	b[len] = true;
}

/* text_prev_cluster() walks the boundaries B of S back exactly. */
static void wrap_check_prev_cluster(const char *s, size_t len, const bool *b)
{
	size_t pos = len, want;

	while (pos > 0) {
		want = pos - 1;
		while (!b[want])
			want--;
		FUZZ_CHECK(text_prev_cluster(s, pos) == want,
			   "text_prev_cluster(%zu) is %zu, expected %zu", pos,
			   text_prev_cluster(s, pos), want);
		pos = want;
	}
}

/* Checks the greedy promise between line A and the line B after it in the
 * same paragraph, which ends at PEND: B could not have started any later. */
static void wrap_check_break(const char *s, size_t len, const struct text_line *a,
			     const struct text_line *b, int width, size_t pend)
{
	size_t a_end = a->off + a->len, q, p;
	int w, total;

	if (b->off == a_end) {
		/* A hard break: no space to break at, and the next cluster
		 * did not fit. */
		for (p = text_next_cluster(s, len, a->off, NULL); p <= a_end && p < pend;
		     p = text_next_cluster(s, len, p, NULL))
			FUZZ_CHECK(!wrap_plain_space(s, len, p) ||
				   wrap_plain_space(s, len, text_prev_cluster(s, p)),
				   "hard break at %zu although the space at %zu was free", a_end, p);
		text_next_cluster(s, len, b->off, &w);
		FUZZ_CHECK(a->cols + w > width,
			   "hard break at %zu although the next cluster fitted (%d + %d <= %d)",
			   a_end, a->cols, w, width);
		return;
	}
	/* A break at spaces: A ends before a plain space, B after the run of
	 * them, and the word after the spaces did not fit on A. */
	FUZZ_CHECK(a->len > 0 && wrap_plain_space(s, len, a_end),
		   "line ending at %zu is not followed by a plain space", a_end);
	FUZZ_CHECK(!wrap_plain_space(s, len, text_prev_cluster(s, a_end)),
		   "line ending at %zu ends in a space", a_end);
	for (p = a_end; p < b->off; p++)
		FUZZ_CHECK(s[p] == ' ', "a break at %zu skipped a non-space at %zu", a_end, p);
	FUZZ_CHECK(!wrap_plain_space(s, len, b->off), "line at %zu starts with a plain space",
		   b->off);
	total = wrap_width_upto(s, len, a->off, b->off, width);
	for (q = b->off; total <= width && q < pend && !wrap_plain_space(s, len, q);) {
		q = text_next_cluster(s, len, q, &w);
		total += w;
	}
	FUZZ_CHECK(total > width,
		   "line at %zu broken at %zu although the next word fitted in %d columns",
		   a->off, a_end, width);
}

/* text_wrap() of sanitised text S at WIDTH: every promise of text.h. */
static void wrap_check_wrap(const char *s, size_t len, const bool *bound, int width)
{
	struct text_line *lines = NULL;
	size_t n = text_wrap(s, width, &lines), i, prev_end = 0, p, newlines = 0, gap_nl;
	size_t pend = 0;	/* the end of the paragraph the line is in */

	FUZZ_CHECK(n >= 1 && lines, "text_wrap gave no lines");
	for (i = 0; i < n; i++) {
		const struct text_line *l = &lines[i];
		size_t end = l->off + l->len;

		FUZZ_CHECK(l->off >= prev_end && end <= len && end >= l->off,
			   "line %zu (%zu+%zu) out of order or bounds (prev end %zu, len %zu)",
			   i, l->off, l->len, prev_end, len);
		FUZZ_CHECK(i > 0 || l->off == 0, "the first line starts at %zu", l->off);
		gap_nl = 0;
		for (p = prev_end; p < l->off; p++) {
			FUZZ_CHECK(s[p] == ' ' || (s[p] == '\n' && p == l->off - 1),
				   "byte %zu (0x%02X) belongs to no line", p, (unsigned char)s[p]);
			gap_nl += s[p] == '\n';
		}
		newlines += gap_nl;
		FUZZ_CHECK(!memchr(s + l->off, '\n', l->len), "line %zu holds a line break", i);
		FUZZ_CHECK(bound[l->off] && bound[end],
			   "line %zu (%zu+%zu) splits a cluster", i, l->off, l->len);
		FUZZ_CHECK(l->cols == text_width_n(s + l->off, l->len),
			   "line %zu says %d columns but is %d", i, l->cols,
			   text_width_n(s + l->off, l->len));
		FUZZ_CHECK(l->cols <= width || text_next_cluster(s, len, l->off, NULL) == end,
			   "line %zu is %d columns wide at width %d", i, l->cols, width);
		if (l->len == 0)
			FUZZ_CHECK((l->off == 0 || s[l->off - 1] == '\n') &&
				   (s[l->off] == '\n' || s[l->off] == '\0'),
				   "empty line %zu at %zu inside a paragraph", i, l->off);
		if (i == 0 || gap_nl) {
			const char *nl = memchr(s + l->off, '\n', len - l->off);

			pend = nl ? (size_t)(nl - s) : len;
		} else {
			wrap_check_break(s, len, &lines[i - 1], l, width, pend);
		}
		prev_end = end;
	}
	for (p = prev_end; p < len; p++)
		FUZZ_CHECK(s[p] == ' ', "byte %zu after the last line is not a space", p);
	for (p = 0; p < len; p++)
		newlines -= s[p] == '\n';
	FUZZ_CHECK(newlines == 0, "text_wrap lost paragraphs");
	free(lines);
}

/* text_prefix() of S at WIDTH: whole clusters, as many as fit, no "\n". */
static void wrap_check_prefix(const char *s, size_t len, const bool *bound, int width)
{
	int cols = -1, w;
	size_t n = text_prefix(s, width, &cols);

	FUZZ_CHECK(n <= len && bound[n], "text_prefix ends at %zu, inside a cluster", n);
	FUZZ_CHECK(!memchr(s, '\n', n), "text_prefix crossed a line break");
	FUZZ_CHECK(cols == text_width_n(s, n) && cols <= width,
		   "text_prefix says %d columns, is %d, width %d", cols, text_width_n(s, n), width);
	if (n < len && s[n] != '\n') {
		text_next_cluster(s, len, n, &w);
		FUZZ_CHECK(cols + w > width, "text_prefix stopped at %zu although more fitted", n);
	}
}

/* text_truncate() and text_pad() of S at WIDTH with FLAGS; S_FLAGS are the
 * flags S was sanitised with. */
static void wrap_check_truncate_pad(const char *s, size_t len, int width, unsigned flags,
				    unsigned s_flags)
{
	bool ascii = flags & TEXT_ASCII;
	const char *ell = ascii ? "..." : "\u2026";
	size_t ell_len = ascii ? (width < 3 ? (size_t)width : 3) : strlen(ell);
	int ell_cols = ascii ? (int)ell_len : 1, cols;
	bool fits = !memchr(s, '\n', len) && text_width(s) <= width;
	unsigned safe_flags = (ascii && (s_flags & TEXT_ASCII)) ? TEXT_ASCII : 0;
	char *t = text_truncate(s, width, flags), *p;
	size_t tl = strlen(t), n, i, pl;

	fuzz_check_safe(t, tl, safe_flags, "text_truncate");
	if (fits) {
		FUZZ_CHECK(strcmp(t, s) == 0, "text_truncate changed text that fits");
	} else {
		FUZZ_CHECK(text_width(t) == width, "text_truncate gave %d columns, not %d",
			   text_width(t), width);
		FUZZ_CHECK(tl >= ell_len && strncmp(t + tl - ell_len, ell, ell_len) == 0,
			   "text_truncate result does not end in the ellipsis");
		n = text_prefix(s, width - ell_cols, &cols);
		FUZZ_CHECK(n <= tl - ell_len && memcmp(t, s, n) == 0,
			   "text_truncate does not keep the prefix that fits");
		for (i = n; i < tl - ell_len; i++)
			FUZZ_CHECK(t[i] == ' ', "text_truncate filler is not spaces");
	}

	p = text_pad(s, width, flags);
	pl = strlen(p);
	fuzz_check_safe(p, pl, safe_flags, "text_pad");
	FUZZ_CHECK(text_width(p) == width, "text_pad gave %d columns, not %d",
		   text_width(p), width);
	FUZZ_CHECK(pl >= tl, "text_pad is shorter than text_truncate");
	if (flags & TEXT_ALIGN_RIGHT) {
		FUZZ_CHECK(memcmp(p + pl - tl, t, tl) == 0, "text_pad (right) lost the text");
		for (i = 0; i < pl - tl; i++)
			FUZZ_CHECK(p[i] == ' ', "text_pad (right) padding is not spaces");
	} else {
		FUZZ_CHECK(memcmp(p, t, tl) == 0, "text_pad (left) lost the text");
		for (i = tl; i < pl; i++)
			FUZZ_CHECK(p[i] == ' ', "text_pad (left) padding is not spaces");
	}
	free(p);
	free(t);
}

/* Unsanitised bytes: only memory safety and the shape of the results. */
static void wrap_check_raw(const char *r, int width, unsigned flags)
{
	struct text_line *lines = NULL;
	size_t len = strlen(r), n = text_wrap(r, width, &lines), i, prev_end = 0;
	char *t;

	FUZZ_CHECK(n >= 1 && lines, "text_wrap (raw) gave no lines");
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(lines[i].off >= prev_end && lines[i].off + lines[i].len <= len,
			   "raw line %zu out of order or bounds", i);
		FUZZ_CHECK(!memchr(r + lines[i].off, '\n', lines[i].len),
			   "raw line %zu holds a line break", i);
		prev_end = lines[i].off + lines[i].len;
	}
	free(lines);
	t = text_truncate(r, width, flags);
	FUZZ_CHECK(strlen(t) <= len + (size_t)width + 3, "text_truncate (raw) grew");
	free(t);
	t = text_pad(r, width, flags);
	free(t);
	text_prefix(r, width, NULL);
	text_width(r);
}

static int fuzz_wrap_one(const uint8_t *data, size_t size)
{
	static const unsigned modes[] = {
		0, TEXT_MULTILINE, TEXT_ASCII, TEXT_MULTILINE | TEXT_ASCII,
	};
	uint32_t h = fuzz_hash(data, size);
	int widths[3] = { 1 + (int)(h % 300), 1 + (int)((h >> 9) % 40), 1 };
	unsigned lay_flags = ((h >> 20) & 1 ? TEXT_ASCII : 0) |
			     ((h >> 21) & 1 ? TEXT_ALIGN_RIGHT : 0);
	size_t m, k, len;
	char *raw = fuzz_strndup(data, size), *s, *t;
	bool *bound;

	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		s = text_sanitize((const char *)data, size, modes[m]);
		len = strlen(s);
		bound = malloc(len + 1);
		if (!bound)
			abort();
		wrap_boundaries(s, len, bound);
		wrap_check_prev_cluster(s, len, bound);
		for (k = 0; k < sizeof(widths) / sizeof(widths[0]); k++) {
			wrap_check_wrap(s, len, bound, widths[k]);
			wrap_check_prefix(s, len, bound, widths[k]);
			wrap_check_truncate_pad(s, len, widths[k], lay_flags, modes[m]);
		}
		free(bound);
		free(s);
	}

	/* Widths below 1: wrap treats them as 1, truncate and pad give "". */
	t = text_truncate(raw, (int)(h % 3) - 2, lay_flags);
	FUZZ_CHECK(t[0] == '\0', "text_truncate at width <= 0 is not empty");
	free(t);
	t = text_pad(raw, (int)(h % 3) - 2, lay_flags);
	FUZZ_CHECK(t[0] == '\0', "text_pad at width <= 0 is not empty");
	free(t);

	wrap_check_raw(raw, widths[0], lay_flags);
	len = strlen(raw);
	if (fuzz_utf8_valid(raw, len)) {
		bound = malloc(len + 1);
		if (!bound)
			abort();
		wrap_boundaries(raw, len, bound);
		wrap_check_prev_cluster(raw, len, bound);
		free(bound);
	}
	free(raw);
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
	return fuzz_wrap_one(data, size);
}
#endif
