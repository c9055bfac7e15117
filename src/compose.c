/* compose: the one-line editor agents type replies, notes and agreements in. */
#include <curses.h>	/* KEY_* constants only: this module draws nothing */
#include <stdlib.h>
#include <string.h>

#include "balie/compose.h"
#include "balie/text.h"
#include "balie/util.h"

#define CTRL(c) ((c) & 0x1F)

void compose_init(struct compose *c, size_t max)
{
	c->cap = 64;
	c->buf = xmalloc(c->cap);
	c->buf[0] = '\0';
	c->len = 0;
	c->cursor = 0;
	c->scroll = 0;
	c->max = max ? max : COMPOSE_DEFAULT_MAX;
}

void compose_free(struct compose *c)
{
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = c->cursor = c->scroll = 0;
}

const char *compose_text(const struct compose *c)
{
	return c->buf;
}

size_t compose_len(const struct compose *c)
{
	return c->len;
}

void compose_clear(struct compose *c)
{
	c->len = 0;
	c->buf[0] = '\0';
	c->cursor = 0;
	c->scroll = 0;
}

static void reserve(struct compose *c, size_t len)
{
	size_t cap = c->cap;

	if (len + 1 <= cap)
		return;
	while (cap < len + 1)
		cap *= 2;
	c->buf = xrealloc(c->buf, cap);
	c->cap = cap;
}

/* Replaces DEL bytes at AT with INS; the caller has checked the maximum.
 * The scroll position follows the text so it stays on a cluster boundary. */
static void splice(struct compose *c, size_t at, size_t del, const char *ins, size_t ins_len)
{
	size_t new_len = c->len - del + ins_len;

	reserve(c, new_len);
	memmove(c->buf + at + ins_len, c->buf + at + del, c->len - at - del + 1);
	if (ins_len)
		memcpy(c->buf + at, ins, ins_len);
	c->len = new_len;
	if (c->scroll >= at + del)
		c->scroll = c->scroll - del + ins_len;
	else if (c->scroll > at)
		c->scroll = at;
}

enum compose_status compose_insert(struct compose *c, uint32_t cp)
{
	int w = text_cp_width(cp);
	char u[4];
	size_t n;

	/* A lone combining mark at the start would join whatever the UI drew
	 * left of the line, so it needs a base first. */
	if (w < 0 || (w == 0 && c->cursor == 0))
		return COMPOSE_INVALID;
	n = text_encode(cp, u);
	if (n == 0)
		return COMPOSE_INVALID;
	if (c->len + n > c->max || c->len + n < c->len)
		return COMPOSE_TOO_LONG;
	splice(c, c->cursor, 0, u, n);
	c->cursor += n;
	return COMPOSE_OK;
}

struct filtered {
	char *p;
	size_t len;
	size_t cap;
};

static void filtered_put(struct filtered *f, const char *s, size_t n)
{
	if (f->len + n + 1 > f->cap) {
		while (f->len + n + 1 > f->cap)
			f->cap *= 2;
		f->p = xrealloc(f->p, f->cap);
	}
	memcpy(f->p + f->len, s, n);
	f->len += n;
}

/* Turns pasted bytes into text the line may hold (see compose_insert_str);
 * AT_START says whether the text goes to the very start of the line.
 * Returns false, with nothing allocated, once the result exceeds LIMIT bytes. */
static bool filter_paste(const char *s, size_t len, bool at_start, size_t limit,
			 struct filtered *f)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	f->cap = (len < limit ? len : limit) + 8;
	f->p = xmalloc(f->cap);
	f->len = 0;
	while (i < len) {
		uint32_t cp;
		char enc[4];
		int w;

		if (u[i] == '\r' && i + 1 < len && u[i + 1] == '\n')
			i++;
		i += text_decode(s + i, len - i, &cp);
		if (cp == '\r' || cp == '\n' || cp == '\t' || cp == 0x2028 || cp == 0x2029)
			cp = ' ';
		else if (cp == TEXT_BAD_CP)
			cp = 0xFFFD;
		w = text_cp_width(cp);
		if (w < 0 || (w == 0 && at_start && f->len == 0))
			continue;
		filtered_put(f, enc, text_encode(cp, enc));
		if (f->len > limit) {
			free(f->p);
			f->p = NULL;
			return false;
		}
	}
	f->p[f->len] = '\0';
	return true;
}

enum compose_status compose_insert_str(struct compose *c, const char *s, size_t len)
{
	struct filtered f;

	if (!s || len == 0)
		return COMPOSE_OK;
	if (!filter_paste(s, len, c->cursor == 0, c->max - c->len, &f))
		return COMPOSE_TOO_LONG;
	splice(c, c->cursor, 0, f.p, f.len);
	c->cursor += f.len;
	free(f.p);
	return COMPOSE_OK;
}

enum compose_status compose_set(struct compose *c, const char *s)
{
	struct filtered f;

	if (!s)
		s = "";
	if (!filter_paste(s, strlen(s), true, c->max, &f))
		return COMPOSE_TOO_LONG;
	free(c->buf);
	c->buf = f.p;
	c->len = f.len;
	c->cap = f.cap;
	c->cursor = f.len;
	c->scroll = 0;
	return COMPOSE_OK;
}

static size_t next_cluster(const struct compose *c, size_t pos)
{
	return text_next_cluster(c->buf, c->len, pos, NULL);
}

static int cluster_cols(const struct compose *c, size_t pos)
{
	int w;

	text_next_cluster(c->buf, c->len, pos, &w);
	return w;
}

bool compose_left(struct compose *c)
{
	if (c->cursor == 0)
		return false;
	c->cursor = text_prev_cluster(c->buf, c->cursor);
	return true;
}

bool compose_right(struct compose *c)
{
	if (c->cursor >= c->len)
		return false;
	c->cursor = next_cluster(c, c->cursor);
	return true;
}

bool compose_home(struct compose *c)
{
	bool moved = c->cursor != 0;

	c->cursor = 0;
	return moved;
}

bool compose_end(struct compose *c)
{
	bool moved = c->cursor != c->len;

	c->cursor = c->len;
	return moved;
}

/* The start of the word before POS: back over spaces, then over the word. */
static size_t word_start(const struct compose *c, size_t pos)
{
	while (pos > 0 && c->buf[text_prev_cluster(c->buf, pos)] == ' ')
		pos = text_prev_cluster(c->buf, pos);
	while (pos > 0 && c->buf[text_prev_cluster(c->buf, pos)] != ' ')
		pos = text_prev_cluster(c->buf, pos);
	return pos;
}

bool compose_word_left(struct compose *c)
{
	size_t to = word_start(c, c->cursor);
	bool moved = to != c->cursor;

	c->cursor = to;
	return moved;
}

bool compose_word_right(struct compose *c)
{
	size_t pos = c->cursor;

	while (pos < c->len && c->buf[pos] == ' ')
		pos = next_cluster(c, pos);
	while (pos < c->len && c->buf[pos] != ' ')
		pos = next_cluster(c, pos);
	if (pos == c->cursor)
		return false;
	c->cursor = pos;
	return true;
}

/* Removes the bytes FROM..TO (cluster boundaries) and leaves the cursor at FROM. */
static bool remove_range(struct compose *c, size_t from, size_t to)
{
	if (from >= to)
		return false;
	splice(c, from, to - from, NULL, 0);
	c->cursor = from;
	return true;
}

bool compose_backspace(struct compose *c)
{
	if (c->cursor == 0)
		return false;
	return remove_range(c, text_prev_cluster(c->buf, c->cursor), c->cursor);
}

bool compose_delete(struct compose *c)
{
	if (c->cursor >= c->len)
		return false;
	return remove_range(c, c->cursor, next_cluster(c, c->cursor));
}

bool compose_delete_word(struct compose *c)
{
	return remove_range(c, word_start(c, c->cursor), c->cursor);
}

bool compose_kill_start(struct compose *c)
{
	return remove_range(c, 0, c->cursor);
}

bool compose_kill_end(struct compose *c)
{
	size_t at = c->cursor;

	if (!remove_range(c, at, c->len))
		return false;
	c->cursor = at;
	return true;
}

static enum compose_status edit_keycode(struct compose *c, unsigned key)
{
	switch (key) {
	case KEY_LEFT:		compose_left(c); break;
	case KEY_RIGHT:		compose_right(c); break;
	case KEY_SLEFT:		compose_word_left(c); break;
	case KEY_SRIGHT:	compose_word_right(c); break;
	case KEY_HOME:		compose_home(c); break;
	case KEY_END:		compose_end(c); break;
	case KEY_BACKSPACE:	compose_backspace(c); break;
	case KEY_DC:		compose_delete(c); break;
	case KEY_ENTER:		return COMPOSE_SUBMIT;
	default:		return COMPOSE_IGNORED;
	}
	return COMPOSE_OK;
}

enum compose_status compose_key(struct compose *c, int is_keycode, unsigned key)
{
	if (is_keycode)
		return edit_keycode(c, key);
	switch (key) {
	case CTRL('a'):	compose_home(c); break;
	case CTRL('b'):	compose_left(c); break;
	case CTRL('d'):	compose_delete(c); break;
	case CTRL('e'):	compose_end(c); break;
	case CTRL('f'):	compose_right(c); break;
	case CTRL('h'):
	case 0x7F:	compose_backspace(c); break;
	case CTRL('k'):	compose_kill_end(c); break;
	case CTRL('u'):	compose_kill_start(c); break;
	case CTRL('w'):	compose_delete_word(c); break;
	case '\n':
	case '\r':	return COMPOSE_SUBMIT;
	case 0x1B:	return COMPOSE_CANCEL;
	default:
		if (key < 0x20)
			return COMPOSE_IGNORED;
		return compose_insert(c, key);
	}
	return COMPOSE_OK;
}

/* Columns of FROM..TO, counting no further than just past LIMIT. */
static int cols_upto(const struct compose *c, size_t from, size_t to, int limit)
{
	int total = 0, w;

	while (from < to && total <= limit) {
		from = text_next_cluster(c->buf, to, from, &w);
		total += w;
	}
	return total;
}

void compose_view(struct compose *c, int width, struct compose_view *v)
{
	size_t start, p, end;
	int cur_w, acc, tail, w;

	if (width < 1)
		width = 1;
	if (c->scroll > c->len)
		c->scroll = c->len;
	if (c->scroll > c->cursor)
		c->scroll = c->cursor;
	cur_w = c->cursor < c->len ? cluster_cols(c, c->cursor) : 1;
	if (cur_w < 1)
		cur_w = 1;

	/* Scroll right just far enough that the cursor's cell fits. */
	if (cols_upto(c, c->scroll, c->cursor, width) + cur_w > width) {
		start = c->cursor;
		acc = 0;
		while (start > 0) {
			p = text_prev_cluster(c->buf, start);
			w = cols_upto(c, p, start, width);
			if (acc + w + cur_w > width)
				break;
			acc += w;
			start = p;
		}
		c->scroll = start;
	}

	/* Scroll back left while the rest of the text (and a cursor cell at
	 * its end) still fits, so deleting at the end never leaves a gap. */
	tail = cols_upto(c, c->scroll, c->len, width) + 1;
	while (c->scroll > 0) {
		p = text_prev_cluster(c->buf, c->scroll);
		w = cols_upto(c, p, c->scroll, width);
		if (tail + w > width)
			break;
		tail += w;
		c->scroll = p;
	}

	v->off = c->scroll;
	v->cols = 0;
	end = c->scroll;
	while (end < c->len) {
		p = text_next_cluster(c->buf, c->len, end, &w);
		if (v->cols + w > width)
			break;
		v->cols += w;
		end = p;
	}
	v->len = end - c->scroll;
	v->cursor_col = cols_upto(c, c->scroll, c->cursor, width);
	if (v->cursor_col > width - 1)
		v->cursor_col = width - 1;
	v->more_left = c->scroll > 0;
	v->more_right = end < c->len;
}

/* Macros ---------------------------------------------------------------- */

static int fold(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Bytes NAME and the LEN bytes of S share at the start, ASCII case ignored. */
static size_t common_prefix(const char *name, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && name[i] && fold((unsigned char)name[i]) == fold((unsigned char)s[i]))
		i++;
	return i;
}

/* The start of the "/name" that ends at the cursor, or c->len + 1. */
static size_t name_start(const struct compose *c)
{
	size_t p = c->cursor;

	while (p > 0 && c->buf[p - 1] != ' ')
		p--;
	return p < c->cursor && c->buf[p] == '/' ? p : c->len + 1;
}

/* Replaces AT..AT+DEL with S (filtered); the cursor ends after it. */
static enum compose_status replace_with(struct compose *c, size_t at, size_t del, const char *s,
					size_t len)
{
	struct filtered f;

	if (!filter_paste(s, len, at == 0, c->max - (c->len - del), &f))
		return COMPOSE_TOO_LONG;
	splice(c, at, del, f.p, f.len);
	c->cursor = at + f.len;
	free(f.p);
	return COMPOSE_OK;
}

/* Of the names in MATCH, the bytes all share (whole characters only). */
static size_t shared_length(const struct compose_macro *m, const size_t *match, size_t nmatch)
{
	const char *first = m[match[0]].name;
	size_t len = strlen(first), i;

	for (i = 1; i < nmatch; i++)
		len = common_prefix(m[match[i]].name, first, len);
	while (len > 0 && ((unsigned char)first[len] & 0xC0) == 0x80)
		len--;
	return len;
}

enum compose_expansion compose_expand(struct compose *c, const struct compose_macro *m,
				      size_t n, size_t *match, size_t *nmatch)
{
	size_t start = name_start(c), typed, i, shared;

	*nmatch = 0;
	if (start > c->len)
		return COMPOSE_EXPAND_NOT_A_NAME;
	typed = c->cursor - start - 1;
	for (i = 0; i < n; i++) {
		const char *name = m[i].name ? m[i].name : "";

		if (common_prefix(name, c->buf + start + 1, typed) != typed)
			continue;
		if (name[typed] == '\0') {	/* the very name */
			match[0] = i;
			*nmatch = 1;
			break;
		}
		match[(*nmatch)++] = i;
	}
	if (*nmatch == 0)
		return COMPOSE_EXPAND_NO_MATCH;
	if (*nmatch == 1) {
		const char *body = m[match[0]].body ? m[match[0]].body : "";

		if (replace_with(c, start, c->cursor - start, body, strlen(body)) != COMPOSE_OK)
			return COMPOSE_EXPAND_TOO_LONG;
		return COMPOSE_EXPAND_DONE;
	}
	shared = shared_length(m, match, *nmatch);
	if (shared > typed && replace_with(c, start + 1, typed, m[match[0]].name,
					   shared) != COMPOSE_OK)
		return COMPOSE_EXPAND_TOO_LONG;
	return COMPOSE_EXPAND_AMBIGUOUS;
}
