/* text: the one sanitiser for untrusted text, plus display width and wrapping. */
#include <langinfo.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "balie/text.h"
#include "balie/util.h"

#define TAB_STOP 8

/* A growing output buffer; doubling keeps text_sanitize linear. */
struct sbuf {
	char *p;
	size_t len;
	size_t cap;
};

static void sb_reserve(struct sbuf *b, size_t n)
{
	size_t cap = b->cap;

	if (b->len + n < b->len)
		util_fatal("text too large");
	if (b->len + n <= cap)
		return;
	while (cap < b->len + n) {
		if (cap > SIZE_MAX / 2)
			util_fatal("text too large");
		cap *= 2;
	}
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void sb_putc(struct sbuf *b, char c)
{
	sb_reserve(b, 1);
	b->p[b->len++] = c;
}

static void sb_put_cp(struct sbuf *b, uint32_t cp)
{
	char u[4];

	sb_put(b, u, text_encode(cp, u));
}

static void sb_spaces(struct sbuf *b, int n)
{
	while (n-- > 0)
		sb_putc(b, ' ');
}

/* Appends CP as "<U+XXXX>", a placeholder that names what was hidden. */
static int sb_put_uplus(struct sbuf *b, uint32_t cp)
{
	char tmp[16];
	int n = snprintf(tmp, sizeof(tmp), "<U+%04X>", (unsigned)cp);

	sb_put(b, tmp, (size_t)n);
	return n;
}

/* Appends a C1 control as "<9B>": four ASCII columns in every mode. */
static int sb_put_c1(struct sbuf *b, uint32_t cp)
{
	static const char hex[] = "0123456789ABCDEF";
	char tmp[4] = { '<', hex[(cp >> 4) & 15], hex[cp & 15], '>' };

	sb_put(b, tmp, sizeof(tmp));
	return 4;
}

static char *sb_finish(struct sbuf *b)
{
	sb_putc(b, '\0');
	return b->p;
}

static void sb_init(struct sbuf *b, size_t hint)
{
	b->cap = hint < SIZE_MAX - 64 ? hint + 64 : hint;
	b->p = xmalloc(b->cap);
	b->len = 0;
}

/* Bidirectional embeddings, overrides, isolates and marks reorder what the
 * terminal shows, so a message could disguise itself or the lines around it. */
static bool is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

size_t text_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need, i;
	uint32_t v;

	if (len == 0) {
		*cp = TEXT_BAD_CP;
		return 0;
	}
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] < 0xC2 || u[0] > 0xF4) {
		*cp = TEXT_BAD_CP;
		return 1;
	}
	if (u[0] < 0xE0) {
		need = 1;
		v = u[0] & 0x1F;
	} else if (u[0] < 0xF0) {
		need = 2;
		v = u[0] & 0x0F;
		if (u[0] == 0xE0)
			lo = 0xA0;	/* overlong */
		else if (u[0] == 0xED)
			hi = 0x9F;	/* surrogates */
	} else {
		need = 3;
		v = u[0] & 0x07;
		if (u[0] == 0xF0)
			lo = 0x90;	/* overlong */
		else if (u[0] == 0xF4)
			hi = 0x8F;	/* beyond U+10FFFF */
	}
	for (i = 1; i <= need; i++) {
		if (i >= len || u[i] < lo || u[i] > hi) {
			*cp = TEXT_BAD_CP;
			return i;
		}
		v = (v << 6) | (u[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return need + 1;
}

size_t text_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return 0;
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	if (cp <= 0x10FFFF) {
		out[0] = (char)(0xF0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[3] = (char)(0x80 | (cp & 0x3F));
		return 4;
	}
	return 0;
}

int text_cp_width(uint32_t cp)
{
	int w;

	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
		return -1;
	if (is_bidi_control(cp) || cp == 0x2028 || cp == 0x2029)
		return -1;
	w = wcwidth((wchar_t)cp);
	if (w < 0)
		return -1;
	return w > 2 ? 2 : w;
}

bool text_locale_is_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "UTF8") == 0);
}

/* A line break: kept in multi-line text, one space in a single line. */
static void put_break(struct sbuf *b, unsigned flags, int *col, bool *line_start)
{
	if (flags & TEXT_MULTILINE) {
		sb_putc(b, '\n');
		*col = 0;
		*line_start = true;
	} else {
		sb_putc(b, ' ');
		*col += 1;
	}
}

/* Handles one byte below 0x80 and returns the columns it added. */
static int put_ascii(struct sbuf *b, unsigned char c, unsigned flags)
{
	if (c == '\t') {
		sb_putc(b, ' ');
		return 1;
	}
	if (c < 0x20 || c == 0x7F) {
		if (flags & TEXT_ASCII) {
			sb_putc(b, '^');
			sb_putc(b, c == 0x7F ? '?' : (char)(c + 0x40));
			return 2;
		}
		sb_put_cp(b, c == 0x7F ? 0x2421 : 0x2400 + c);
		return 1;
	}
	sb_putc(b, (char)c);
	return 1;
}

char *text_sanitize(const char *in, size_t len, unsigned flags)
{
	const unsigned char *u = (const unsigned char *)in;
	struct sbuf b;
	bool line_start = true;
	int col = 0;
	size_t i = 0;

	if (!in)
		len = 0;
	sb_init(&b, len + len / 8);
	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		i = 3;
	while (i < len) {
		uint32_t cp;
		int w;

		if (u[i] == '\n' || u[i] == '\r') {
			if (u[i] == '\r' && i + 1 < len && u[i + 1] == '\n')
				i++;
			i++;
			put_break(&b, flags, &col, &line_start);
			continue;
		}
		if (u[i] == '\t' && (flags & TEXT_MULTILINE)) {
			w = TAB_STOP - col % TAB_STOP;
			sb_spaces(&b, w);
			col += w;
			i++;
			line_start = false;
			continue;
		}
		if (u[i] < 0x80) {
			col += put_ascii(&b, u[i], flags);
			i++;
			line_start = false;
			continue;
		}
		i += text_decode(in + i, len - i, &cp);
		if (cp == 0x2028 || cp == 0x2029) {
			put_break(&b, flags, &col, &line_start);
			continue;
		}
		if (cp == TEXT_BAD_CP) {
			if (flags & TEXT_ASCII)
				sb_putc(&b, '?');
			else
				sb_put_cp(&b, 0xFFFD);
			col += 1;
		} else if (cp < 0xA0) {
			col += sb_put_c1(&b, cp);
		} else if (is_bidi_control(cp)) {
			col += sb_put_uplus(&b, cp);
		} else if (flags & TEXT_ASCII) {
			char t[TEXT_TRANSLIT_MAX];

			/* Not wcwidth: under LANG=C it knows no letter beyond ASCII. */
			if (!text_translit(cp, t, sizeof t))
				snprintf(t, sizeof t, "?");
			sb_put(&b, t, strlen(t));
			col += (int)strlen(t);
		} else if ((w = text_cp_width(cp)) < 0) {
			col += sb_put_uplus(&b, cp);
		} else {
			if (w == 0 && line_start) {
				sb_put_cp(&b, 0x25CC);
				col += 1;
			}
			sb_put_cp(&b, cp);
			col += w;
		}
		line_start = false;
	}
	return sb_finish(&b);
}

char *text_clean(const char *s, unsigned flags)
{
	return text_sanitize(s, s ? strlen(s) : 0, flags);
}

size_t text_next_cluster(const char *s, size_t len, size_t pos, int *cols)
{
	uint32_t cp;
	size_t end = pos + text_decode(s + pos, len - pos, &cp);
	int w;

	if (cp == '\n') {
		if (cols)
			*cols = 0;
		return end;
	}
	w = text_cp_width(cp);
	if (w < 0)
		w = 1;
	while (end < len) {
		size_t n = text_decode(s + end, len - end, &cp);

		if (text_cp_width(cp) != 0)
			break;
		end += n;
	}
	if (cols)
		*cols = w;
	return end;
}

/* Returns the start of the character that ends at POS, or POS - 1 when the
 * bytes before POS are not one well-formed sequence. */
static size_t prev_char(const char *s, size_t pos)
{
	size_t q = pos - 1;
	uint32_t cp;
	int k = 0;

	while (q > 0 && k < 3 && ((unsigned char)s[q] & 0xC0) == 0x80) {
		q--;
		k++;
	}
	if (text_decode(s + q, pos - q, &cp) == pos - q)
		return q;
	return pos - 1;
}

/* The code point of the character S[from..to), or TEXT_BAD_CP. */
static uint32_t cp_between(const char *s, size_t from, size_t to)
{
	uint32_t cp;

	text_decode(s + from, to - from, &cp);
	return cp;
}

size_t text_prev_cluster(const char *s, size_t pos)
{
	size_t start, q;
	uint32_t cp;

	if (pos == 0)
		return 0;
	start = prev_char(s, pos);
	cp = cp_between(s, start, pos);
	while (start > 0 && text_cp_width(cp) == 0) {
		q = prev_char(s, start);
		cp = cp_between(s, q, start);
		if (cp == '\n')
			break;
		start = q;
	}
	return start;
}

int text_width_n(const char *s, size_t len)
{
	size_t pos = 0;
	int total = 0, w;

	while (pos < len) {
		pos = text_next_cluster(s, len, pos, &w);
		if (total > INT_MAX - 2)
			break;
		total += w;
	}
	return total;
}

int text_width(const char *s)
{
	return s ? text_width_n(s, strlen(s)) : 0;
}

size_t text_prefix(const char *s, int width, int *cols)
{
	size_t len = strlen(s), pos = 0, next;
	int total = 0, w;

	while (pos < len && s[pos] != '\n') {
		next = text_next_cluster(s, len, pos, &w);
		if (total + w > width)
			break;
		total += w;
		pos = next;
	}
	if (cols)
		*cols = total;
	return pos;
}

struct line_vec {
	struct text_line *v;
	size_t n;
	size_t cap;
};

static void push_line(struct line_vec *lv, size_t off, size_t len, int cols)
{
	if (lv->n == lv->cap) {
		lv->cap = lv->cap ? lv->cap * 2 : 8;
		lv->v = xrealloc(lv->v, lv->cap * sizeof(*lv->v));
	}
	lv->v[lv->n].off = off;
	lv->v[lv->n].len = len;
	lv->v[lv->n].cols = cols;
	lv->n++;
}

/* Skips plain spaces only: a space with combining marks is a cluster of its
 * own, and skipping its space would start the next line with a bare mark. */
static size_t skip_spaces(const char *s, size_t pos, size_t end)
{
	while (pos < end && s[pos] == ' ' && text_next_cluster(s, end, pos, NULL) == pos + 1)
		pos++;
	return pos;
}

/* Wraps one paragraph S[start..end), which holds no "\n". */
static void wrap_paragraph(const char *s, size_t start, size_t end, int width,
			   struct line_vec *lv)
{
	size_t line = start;

	if (start == end) {
		push_line(lv, start, 0, 0);
		return;
	}
	while (line < end) {
		size_t p = line, brk = 0, next;
		int cols = 0, brk_cols = 0, w;
		bool have_brk = false, prev_space = false, broke = false;

		while (p < end) {
			size_t q = text_next_cluster(s, end, p, &w);
			bool space = q == p + 1 && s[p] == ' ';

			if (space && p > line && !prev_space) {
				brk = p;
				brk_cols = cols;
				have_brk = true;
			}
			if (cols + w > width) {
				if (have_brk) {
					push_line(lv, line, brk - line, brk_cols);
					next = skip_spaces(s, brk, end);
				} else if (p == line) {
					/* A cluster wider than the line, alone;
					 * spaces after it are a break too. */
					push_line(lv, line, q - line, w);
					next = skip_spaces(s, q, end);
				} else {
					push_line(lv, line, p - line, cols);
					next = p;
				}
				line = next;
				broke = true;
				break;
			}
			cols += w;
			prev_space = space;
			p = q;
		}
		if (!broke) {
			push_line(lv, line, end - line, cols);
			return;
		}
	}
}

size_t text_wrap(const char *s, int width, struct text_line **lines)
{
	struct line_vec lv = { NULL, 0, 0 };
	size_t len, pos = 0;

	if (!s)
		s = "";
	if (width < 1)
		width = 1;
	len = strlen(s);
	for (;;) {
		const char *nl = memchr(s + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - s) : len;

		wrap_paragraph(s, pos, end, width, &lv);
		if (!nl)
			break;
		pos = end + 1;
	}
	*lines = lv.v;
	return lv.n;
}

char *text_truncate(const char *s, int width, unsigned flags)
{
	const char *ell = (flags & TEXT_ASCII) ? "..." : "\u2026";
	int ell_cols, cols;
	size_t n, ell_len;
	struct sbuf b;

	if (!s)
		s = "";
	if (width <= 0)
		return xstrdup("");
	n = text_prefix(s, width, &cols);
	if (s[n] == '\0')
		return xstrdup(s);
	if (flags & TEXT_ASCII) {
		ell_cols = width < 3 ? width : 3;
		ell_len = (size_t)ell_cols;
	} else {
		ell_cols = 1;
		ell_len = strlen(ell);
	}
	n = text_prefix(s, width - ell_cols, &cols);
	sb_init(&b, n + ell_len + (size_t)width);
	sb_put(&b, s, n);
	sb_spaces(&b, width - ell_cols - cols);
	sb_put(&b, ell, ell_len);
	return sb_finish(&b);
}

char *text_pad(const char *s, int width, unsigned flags)
{
	char *t = text_truncate(s, width, flags);
	int pad = width - text_width(t);
	size_t n = strlen(t);
	struct sbuf b;

	if (pad <= 0)
		return t;
	sb_init(&b, n + (size_t)pad);
	if (flags & TEXT_ALIGN_RIGHT) {
		sb_spaces(&b, pad);
		sb_put(&b, t, n);
	} else {
		sb_put(&b, t, n);
		sb_spaces(&b, pad);
	}
	free(t);
	return sb_finish(&b);
}

char *text_duration(long seconds, char *buf, size_t size)
{
	long h, m, s;

	if (size == 0)
		return buf;
	if (seconds < 0)
		seconds = 0;
	h = seconds / 3600;
	m = seconds / 60 % 60;
	s = seconds % 60;
	if (h > 0)
		snprintf(buf, size, "%ld:%02ld:%02ld", h, m, s);
	else
		snprintf(buf, size, "%ld:%02ld", m, s);
	return buf;
}
