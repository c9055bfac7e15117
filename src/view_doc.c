/* view_doc: lines of styled spans, the only thing views hand to the ui. */
#include <stdlib.h>
#include <string.h>

#include "balie/text.h"
#include "balie/util.h"
#include "balie/view.h"

void view_doc_init(struct view_doc *d)
{
	memset(d, 0, sizeof *d);
}

/* The ASCII stand-in for the punctuation the views use. */
static const char *ascii_for(uint32_t cp)
{
	switch (cp) {
	case 0x2014: case 0x2013: case 0x2500: return "-";
	case 0x00B7: case 0x2502: return "|";
	case 0x2026: return "...";
	case 0x2191: return "^";
	case 0x2193: return "v";
	default: return "?";
	}
}

/* Appends to the buffer only (no span bookkeeping). */
static void buf_put(struct view_doc *d, const char *s, size_t len)
{
	if (d->blen + len + 1 > d->bcap) {
		while (d->blen + len + 1 > d->bcap)
			d->bcap = d->bcap ? d->bcap * 2 : 1024;
		d->buf = xrealloc(d->buf, d->bcap);
	}
	memcpy(d->buf + d->blen, s, len);
	d->blen += len;
	d->buf[d->blen] = '\0';
}

void view_doc_clear(struct view_doc *d)
{
	d->blen = d->nspans = d->nlines = 0;
}

void view_doc_free(struct view_doc *d)
{
	bool ascii = d->ascii;

	free(d->buf);
	free(d->spans);
	free(d->lines);
	view_doc_init(d);
	d->ascii = ascii;
}

void view_doc_append(struct view_doc *d, const struct view_doc *src)
{
	size_t boff = d->blen, soff = d->nspans, i;

	if (src->nlines == 0)
		return;
	buf_put(d, src->buf ? src->buf : "", src->blen);
	if (d->nspans + src->nspans > d->scap) {
		while (d->nspans + src->nspans > d->scap)
			d->scap = d->scap ? d->scap * 2 : 128;
		d->spans = xrealloc(d->spans, d->scap * sizeof *d->spans);
	}
	for (i = 0; i < src->nspans; i++) {
		d->spans[d->nspans] = src->spans[i];
		d->spans[d->nspans++].off += boff;
	}
	if (d->nlines + src->nlines > d->lcap) {
		while (d->nlines + src->nlines > d->lcap)
			d->lcap = d->lcap ? d->lcap * 2 : 64;
		d->lines = xrealloc(d->lines, d->lcap * sizeof *d->lines);
	}
	for (i = 0; i < src->nlines; i++) {
		d->lines[d->nlines] = src->lines[i];
		d->lines[d->nlines++].span0 += soff;
	}
}

void view_doc_shrink(struct view_doc *d)
{
	if (d->buf && d->bcap > d->blen + 1) {
		d->bcap = d->blen + 1;
		d->buf = xrealloc(d->buf, d->bcap);
	}
	if (d->spans && d->scap > d->nspans) {
		d->scap = d->nspans;
		d->spans = xrealloc(d->spans, (d->scap ? d->scap : 1) * sizeof *d->spans);
	}
	if (d->lines && d->lcap > d->nlines) {
		d->lcap = d->nlines;
		d->lines = xrealloc(d->lines, (d->lcap ? d->lcap : 1) * sizeof *d->lines);
	}
}

void view_line(struct view_doc *d, enum view_role fill, int tag)
{
	if (d->nlines == d->lcap) {
		d->lcap = d->lcap ? d->lcap * 2 : 64;
		d->lines = xrealloc(d->lines, d->lcap * sizeof *d->lines);
	}
	d->lines[d->nlines++] = (struct view_line){ d->nspans, 0, 0, fill, tag };
}

/* Appends LEN bytes of SAFE; COLS is their display width, or -1 to measure
 * it here (after the ASCII conversion, which changes it). */
static void put_span(struct view_doc *d, enum view_role role, const char *safe, size_t len,
		     int cols)
{
	struct view_line *l;
	size_t start, i;

	if (d->nlines == 0)
		view_line(d, VIEW_ROLE_NORMAL, 0);
	if (len == 0)
		return;
	l = &d->lines[d->nlines - 1];
	start = d->blen;
	if (d->ascii) {
		for (i = 0; i < len;) {
			uint32_t cp;
			size_t n;

			if ((unsigned char)safe[i] < 0x80) {
				buf_put(d, safe + i, 1);
				i++;
				continue;
			}
			n = text_decode(safe + i, len - i, &cp);
			buf_put(d, ascii_for(cp), strlen(ascii_for(cp)));
			i += n;
		}
	} else {
		buf_put(d, safe, len);
	}
	len = d->blen - start;
	if (cols < 0 || d->ascii)
		cols = text_width_n(d->buf + start, len);
	/* Neighbouring text of one role is one span: fewer attribute changes. */
	if (l->nspans && d->spans[d->nspans - 1].role == role &&
	    d->spans[d->nspans - 1].off + d->spans[d->nspans - 1].len == start) {
		d->spans[d->nspans - 1].len += len;
		d->spans[d->nspans - 1].cols += cols;
	} else {
		if (d->nspans == d->scap) {
			d->scap = d->scap ? d->scap * 2 : 128;
			d->spans = xrealloc(d->spans, d->scap * sizeof *d->spans);
		}
		d->spans[d->nspans++] = (struct view_span){ start, len, cols, role };
		l->nspans++;
	}
	l->cols += cols;
}

void view_put(struct view_doc *d, enum view_role role, const char *safe, size_t len)
{
	put_span(d, role, safe, len, -1);
}

void view_put_cols(struct view_doc *d, enum view_role role, const char *safe, size_t len,
		   int cols)
{
	put_span(d, role, safe, len, cols);
}

void view_puts(struct view_doc *d, enum view_role role, const char *safe)
{
	view_put(d, role, safe, strlen(safe));
}

void view_put_pad(struct view_doc *d, enum view_role role, const char *safe, int width,
		  unsigned flags)
{
	char *p;

	if (width <= 0)
		return;
	p = text_pad(safe, width, flags);
	view_puts(d, role, p);
	free(p);
}

void view_put_clean(struct view_doc *d, enum view_role role, const char *untrusted,
		    int width, unsigned flags)
{
	char *clean = text_clean(untrusted, flags & ~(unsigned)TEXT_MULTILINE);
	char *cut;

	if (width >= 0) {
		view_put_pad(d, role, clean, width, flags & ~(unsigned)TEXT_MULTILINE);
	} else {
		cut = text_truncate(clean, -width, flags & ~(unsigned)TEXT_MULTILINE);
		view_puts(d, role, cut);
		free(cut);
	}
	free(clean);
}

void view_put_to(struct view_doc *d, enum view_role role, int col)
{
	static const char spaces[] = "                                ";
	int have;

	if (d->nlines == 0)
		view_line(d, VIEW_ROLE_NORMAL, 0);
	have = d->lines[d->nlines - 1].cols;
	while (have < col) {
		int n = col - have < 32 ? col - have : 32;

		view_put(d, role, spaces, (size_t)n);
		have += n;
	}
}

int view_clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

char *view_line_text(const struct view_doc *d, size_t i, char *buf, size_t size)
{
	size_t n = 0, k;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (i >= d->nlines)
		return buf;
	for (k = 0; k < d->lines[i].nspans; k++) {
		const struct view_span *s = &d->spans[d->lines[i].span0 + k];
		size_t len = s->len < size - 1 - n ? s->len : size - 1 - n;

		memcpy(buf + n, d->buf + s->off, len);
		n += len;
	}
	buf[n] = '\0';
	return buf;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--) {
		h ^= *b++;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

uint64_t view_doc_hash(const struct view_doc *d, size_t first, size_t n, uint64_t seed)
{
	uint64_t h = UINT64_C(14695981039346656037) ^ seed;
	size_t i, k;

	for (i = first; i < first + n && i < d->nlines; i++) {
		const struct view_line *l = &d->lines[i];

		h = fnv(h, &l->fill, sizeof l->fill);
		for (k = 0; k < l->nspans; k++) {
			const struct view_span *s = &d->spans[l->span0 + k];

			h = fnv(h, &s->role, sizeof s->role);
			h = fnv(h, d->buf + s->off, s->len);
		}
		h = fnv(h, "\n", 1);
	}
	return h;
}
