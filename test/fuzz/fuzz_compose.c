/* fuzz_compose: random key sequences into the compose-line editor.
 *
 * The input is a script. Valid UTF-8 characters and the bytes 0x00-0x1F are
 * typed with compose_key() as wget_wch() would deliver them (so C-a, C-w,
 * Esc, Enter ... arrive as themselves); other bytes 0x80-0xF7 are typed as
 * the code point of that byte value (C1 controls, Latin-1). Bytes 0xF8-0xFF
 * start an operation:
 *
 *   F8 k        a KEY_* code from a table (arrows, Home, Delete, Enter ...)
 *   F9 n ...    paste the next n bytes (compose_insert_str)
 *   FA w        lay out at width w - 2 (-2 .. 253; 255 is 300)
 *   FB b0..b3   type the 32-bit value b0..b3 (little endian) as a character
 *   FC n ...    replace the text with the next n bytes (compose_set)
 *   FD x        call an editing function directly (word moves, kills ...)
 *   FE m        start again with a maximum of m bytes (0: the default)
 *   FF b0..b3   the 32-bit value as a KEY_* code
 *
 * After every step it checks compose.h's promises: the buffer is valid,
 * NUL-terminated UTF-8 that the terminal may show on one line, at most the
 * maximum; the cursor sits on a cluster boundary; the step did exactly what
 * it says (an insert inserts, a refusal changes nothing, a deletion removes
 * one cluster ...); and compose_view() shows whole clusters within the
 * width with the cursor's cell visible and no needless scrolling. */
#include <curses.h>	/* KEY_* codes only */

#include "balie/compose.h"
#include "fuzz_common.c"

#define COMPOSE_FUZZ_CTRL(c) ((unsigned)(c) & 0x1Fu)

/* What the line held before a step, to compare the step's effect with. */
struct cz_before {
	char *text;
	size_t len;
	size_t cursor;
	bool *bound;	/* cluster boundaries of text, len + 1 entries */
};

static bool *cz_boundaries(const char *s, size_t len)
{
	bool *b = calloc(len + 1, 1);
	size_t pos = 0;

	if (!b)
		abort();
	while (pos < len) {
		b[pos] = true;
		pos = text_next_cluster(s, len, pos, NULL);
	}
	b[len] = true;
	return b;
}

static void cz_snapshot(const struct compose *c, struct cz_before *b)
{
	b->len = c->len;
	b->cursor = c->cursor;
	b->text = malloc(c->len + 1);
	if (!b->text)
		abort();
	memcpy(b->text, c->buf, c->len + 1);
	b->bound = cz_boundaries(c->buf, c->len);
}

static void cz_snapshot_free(struct cz_before *b)
{
	free(b->text);
	free(b->bound);
}

static bool cz_same(const struct compose *c, const struct cz_before *b)
{
	return c->len == b->len && c->cursor == b->cursor && memcmp(c->buf, b->text, b->len) == 0;
}

/* Fails unless the line is BEFORE[0..CUT) + MID + BEFORE[RESUME..). */
static void cz_expect_text(const struct compose *c, const struct cz_before *b, size_t cut,
			   const char *mid, size_t mid_len, size_t resume, const char *what)
{
	size_t want = cut + mid_len + (b->len - resume);

	FUZZ_CHECK(c->len == want && memcmp(c->buf, b->text, cut) == 0 &&
		   memcmp(c->buf + cut, mid, mid_len) == 0 &&
		   memcmp(c->buf + cut + mid_len, b->text + resume, b->len - resume) == 0,
		   "%s: text is not what the step should leave (%zu bytes, expected %zu)",
		   what, c->len, want);
}

/* The boundary before POS in BEFORE (POS > 0). */
static size_t cz_prev(const struct cz_before *b, size_t pos)
{
	do
		pos--;
	while (!b->bound[pos]);
	return pos;
}

static size_t cz_next(const struct cz_before *b, size_t pos)
{
	do
		pos++;
	while (!b->bound[pos]);
	return pos;
}

/* "Spaces, then a word" back from POS, cluster by cluster. */
static size_t cz_word_start(const struct cz_before *b, size_t pos)
{
	while (pos > 0 && b->text[cz_prev(b, pos)] == ' ')
		pos = cz_prev(b, pos);
	while (pos > 0 && b->text[cz_prev(b, pos)] != ' ')
		pos = cz_prev(b, pos);
	return pos;
}

static size_t cz_word_end(const struct cz_before *b, size_t pos)
{
	while (pos < b->len && b->text[pos] == ' ')
		pos = cz_next(b, pos);
	while (pos < b->len && b->text[pos] != ' ')
		pos = cz_next(b, pos);
	return pos;
}

/* The width text.h gives a valid code point: -1 for what must not enter. */
static int cz_width(uint32_t cp)
{
	int w;

	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || fuzz_is_bidi_control(cp) ||
	    cp == 0x2028 || cp == 0x2029)
		return -1;
	w = wcwidth((wchar_t)cp);
	return w < 0 ? -1 : w;
}

/* What compose_insert_str() promises to make of pasted bytes: line breaks
 * and tabs become spaces (CR LF one), invalid UTF-8 U+FFFD, what the line
 * may not hold is left out, and so is a zero-width character that would
 * start the line. Returns a new string, its length in *LEN. */
static char *cz_filter(const uint8_t *in, size_t n, bool at_start, size_t *len)
{
	char *out = malloc(4 * n + 1);
	size_t i = 0, o = 0;

	if (!out)
		abort();
	while (i < n) {
		uint32_t cp;
		int w;

		if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
			i++;
		i += fuzz_utf8_decode(in + i, n - i, &cp);
		if (cp == '\r' || cp == '\n' || cp == '\t' || cp == 0x2028 || cp == 0x2029)
			cp = ' ';
		else if (cp == FUZZ_BAD)
			cp = 0xFFFD;
		w = cz_width(cp);
		if (w < 0 || (w == 0 && at_start && o == 0))
			continue;
		o += text_encode(cp, out + o);
	}
	out[o] = '\0';
	*len = o;
	return out;
}

/* The state promises, then compose_view() at WIDTH. */
static void cz_check_state(struct compose *c, int width)
{
	struct compose_view v;
	bool *bound;
	size_t end;
	int cur_w = 1, lay = width < 1 ? 1 : width;

	FUZZ_CHECK(c->buf && c->len < c->cap && c->buf[c->len] == '\0' &&
		   strlen(c->buf) == c->len, "buffer is not a NUL-terminated string of len bytes");
	FUZZ_CHECK(c->len <= c->max, "len %zu exceeds max %zu", c->len, c->max);
	FUZZ_CHECK(compose_text(c) == c->buf && compose_len(c) == c->len, "accessors disagree");
	fuzz_check_safe(c->buf, c->len, 0, "compose buffer");
	bound = cz_boundaries(c->buf, c->len);
	FUZZ_CHECK(c->cursor <= c->len && bound[c->cursor],
		   "cursor %zu is not on a cluster boundary (len %zu)", c->cursor, c->len);

	memset(&v, 0xA5, sizeof(v));
	compose_view(c, width, &v);
	end = v.off + v.len;
	FUZZ_CHECK(v.off == c->scroll && v.off <= c->len && end <= c->len && end >= v.off,
		   "view %zu+%zu outside the text (len %zu)", v.off, v.len, c->len);
	FUZZ_CHECK(bound[v.off] && bound[end], "view %zu+%zu splits a cluster", v.off, v.len);
	FUZZ_CHECK(v.cols == text_width_n(c->buf + v.off, v.len) && v.cols <= lay,
		   "view says %d columns, shows %d, width %d", v.cols,
		   text_width_n(c->buf + v.off, v.len), lay);
	if (end < c->len) {
		int w;

		text_next_cluster(c->buf, c->len, end, &w);
		FUZZ_CHECK(v.cols + w > lay, "view stops at %zu although more fits", end);
	}
	FUZZ_CHECK(v.more_left == (v.off > 0) && v.more_right == (end < c->len),
		   "more_left/more_right wrong");
	FUZZ_CHECK(v.off <= c->cursor && c->cursor <= end,
		   "cursor %zu outside the view %zu+%zu", c->cursor, v.off, v.len);
	FUZZ_CHECK(v.cursor_col >= 0 && v.cursor_col <= lay - 1,
		   "cursor column %d outside width %d", v.cursor_col, lay);
	FUZZ_CHECK(v.cursor_col == text_width_n(c->buf + v.off, c->cursor - v.off),
		   "cursor column %d, but the cursor is %d columns into the view", v.cursor_col,
		   text_width_n(c->buf + v.off, c->cursor - v.off));
	if (c->cursor < c->len)
		text_next_cluster(c->buf, c->len, c->cursor, &cur_w);
	FUZZ_CHECK(v.cursor_col + cur_w <= lay || c->cursor == v.off,
		   "the cursor's cell (%d + %d) does not fit in %d", v.cursor_col, cur_w, lay);
	if (v.off > 0) {
		/* Scrolled only as far as needed: one cluster more on the left
		 * and the rest of the text with a cursor cell would not fit. */
		size_t p = text_prev_cluster(c->buf, v.off), q = p;
		int total = 1, w;

		while (q < c->len && total <= lay) {
			q = text_next_cluster(c->buf, c->len, q, &w);
			total += w;
		}
		FUZZ_CHECK(total > lay, "view scrolled to %zu although all from %zu fits in %d",
			   v.off, p, lay);
	}
	free(bound);
}

enum cz_edit {
	CZ_LEFT, CZ_RIGHT, CZ_WORD_LEFT, CZ_WORD_RIGHT, CZ_HOME, CZ_END,
	CZ_BACKSPACE, CZ_DELETE, CZ_DELETE_WORD, CZ_KILL_START, CZ_KILL_END,
	CZ_CLEAR, CZ_EDIT_COUNT
};

static const char *const cz_edit_names[CZ_EDIT_COUNT] = {
	"left", "right", "word-left", "word-right", "home", "end", "backspace",
	"delete", "delete-word", "kill-start", "kill-end", "clear",
};

/* Checks that EDIT did to the line (now C, before B) exactly what compose.h
 * says; returns what the function should have returned (moved/removed). */
static bool cz_expect_edit(const struct compose *c, const struct cz_before *b, enum cz_edit edit)
{
	const char *what = cz_edit_names[edit];
	size_t cur = b->cursor, to = cur, from = cur;
	bool move = true;

	switch (edit) {
	case CZ_LEFT:		to = cur > 0 ? cz_prev(b, cur) : 0; break;
	case CZ_RIGHT:		to = cur < b->len ? cz_next(b, cur) : cur; break;
	case CZ_WORD_LEFT:	to = cz_word_start(b, cur); break;
	case CZ_WORD_RIGHT:	to = cz_word_end(b, cur); break;
	case CZ_HOME:		to = 0; break;
	case CZ_END:		to = b->len; break;
	case CZ_BACKSPACE:	from = cur > 0 ? cz_prev(b, cur) : 0; move = false; break;
	case CZ_DELETE:		to = cur < b->len ? cz_next(b, cur) : cur; move = false; break;
	case CZ_DELETE_WORD:	from = cz_word_start(b, cur); move = false; break;
	case CZ_KILL_START:	from = 0; move = false; break;
	case CZ_KILL_END:	to = b->len; move = false; break;
	case CZ_CLEAR:		from = 0; to = b->len; move = false; break;
	default:		abort();
	}
	if (move) {
		cz_expect_text(c, b, b->len, "", 0, b->len, what);
		FUZZ_CHECK(c->cursor == to, "%s: cursor at %zu, expected %zu (from %zu)", what,
			   c->cursor, to, cur);
		return to != cur;
	}
	/* A deletion of FROM..TO leaves the cursor at FROM. */
	if (edit == CZ_DELETE || edit == CZ_KILL_END)
		from = cur;
	if (edit == CZ_BACKSPACE || edit == CZ_DELETE_WORD || edit == CZ_KILL_START)
		to = cur;
	cz_expect_text(c, b, from, "", 0, to, what);
	FUZZ_CHECK(c->cursor == from, "%s: cursor at %zu, expected %zu", what, c->cursor, from);
	return to > from;
}

/* Calls EDIT's function directly and checks its result. */
static void cz_direct(struct compose *c, enum cz_edit edit)
{
	struct cz_before b;
	bool r = false;

	cz_snapshot(c, &b);
	switch (edit) {
	case CZ_LEFT:		r = compose_left(c); break;
	case CZ_RIGHT:		r = compose_right(c); break;
	case CZ_WORD_LEFT:	r = compose_word_left(c); break;
	case CZ_WORD_RIGHT:	r = compose_word_right(c); break;
	case CZ_HOME:		r = compose_home(c); break;
	case CZ_END:		r = compose_end(c); break;
	case CZ_BACKSPACE:	r = compose_backspace(c); break;
	case CZ_DELETE:		r = compose_delete(c); break;
	case CZ_DELETE_WORD:	r = compose_delete_word(c); break;
	case CZ_KILL_START:	r = compose_kill_start(c); break;
	case CZ_KILL_END:	r = compose_kill_end(c); break;
	case CZ_CLEAR:		compose_clear(c); r = b.len > 0; break;
	default:		abort();
	}
	FUZZ_CHECK(r == cz_expect_edit(c, &b, edit), "%s returned %d", cz_edit_names[edit], r);
	cz_snapshot_free(&b);
}

/* Checks compose_insert(CP)'s result ST on the line (before B). */
static void cz_expect_insert(const struct compose *c, const struct cz_before *b, uint32_t cp,
			     enum compose_status st)
{
	int w = cz_width(cp);
	char enc[4];
	size_t n;

	if (w < 0 || (w == 0 && b->cursor == 0)) {
		FUZZ_CHECK(st == COMPOSE_INVALID && cz_same(c, b),
			   "U+%04X (width %d) at %zu was not refused (status %d)", (unsigned)cp, w,
			   b->cursor, st);
		return;
	}
	n = text_encode(cp, enc);
	if (b->len + n > c->max) {
		FUZZ_CHECK(st == COMPOSE_TOO_LONG && cz_same(c, b),
			   "U+%04X beyond the maximum was not refused (status %d)", (unsigned)cp, st);
		return;
	}
	FUZZ_CHECK(st == COMPOSE_OK, "U+%04X was refused (status %d)", (unsigned)cp, st);
	cz_expect_text(c, b, b->cursor, enc, n, b->cursor, "insert");
	FUZZ_CHECK(c->cursor == b->cursor + n, "insert: cursor at %zu, expected %zu", c->cursor,
		   b->cursor + n);
}

/* Types KEY (a KEY_* code when IS_KEYCODE) and checks what it did. */
static void cz_type(struct compose *c, int is_keycode, unsigned key)
{
	static const struct {
		unsigned key;
		enum cz_edit edit;
	} keycodes[] = {
		{ KEY_LEFT, CZ_LEFT }, { KEY_RIGHT, CZ_RIGHT },
		{ KEY_SLEFT, CZ_WORD_LEFT }, { KEY_SRIGHT, CZ_WORD_RIGHT },
		{ KEY_HOME, CZ_HOME }, { KEY_END, CZ_END },
		{ KEY_BACKSPACE, CZ_BACKSPACE }, { KEY_DC, CZ_DELETE },
	}, chars[] = {
		{ COMPOSE_FUZZ_CTRL('a'), CZ_HOME }, { COMPOSE_FUZZ_CTRL('b'), CZ_LEFT },
		{ COMPOSE_FUZZ_CTRL('d'), CZ_DELETE }, { COMPOSE_FUZZ_CTRL('e'), CZ_END },
		{ COMPOSE_FUZZ_CTRL('f'), CZ_RIGHT }, { COMPOSE_FUZZ_CTRL('h'), CZ_BACKSPACE },
		{ 0x7F, CZ_BACKSPACE }, { COMPOSE_FUZZ_CTRL('k'), CZ_KILL_END },
		{ COMPOSE_FUZZ_CTRL('u'), CZ_KILL_START }, { COMPOSE_FUZZ_CTRL('w'), CZ_DELETE_WORD },
	};
	struct cz_before b;
	enum compose_status st;
	size_t i;

	cz_snapshot(c, &b);
	st = compose_key(c, is_keycode, key);
	if (is_keycode) {
		for (i = 0; i < sizeof(keycodes) / sizeof(keycodes[0]); i++)
			if (keycodes[i].key == key)
				break;
		if (i < sizeof(keycodes) / sizeof(keycodes[0])) {
			FUZZ_CHECK(st == COMPOSE_OK, "key code %u: status %d", key, st);
			cz_expect_edit(c, &b, keycodes[i].edit);
		} else {
			FUZZ_CHECK(st == (key == KEY_ENTER ? COMPOSE_SUBMIT : COMPOSE_IGNORED) &&
				   cz_same(c, &b), "key code %u: status %d or the text changed",
				   key, st);
		}
		cz_snapshot_free(&b);
		return;
	}
	for (i = 0; i < sizeof(chars) / sizeof(chars[0]); i++)
		if (chars[i].key == key)
			break;
	if (i < sizeof(chars) / sizeof(chars[0])) {
		FUZZ_CHECK(st == COMPOSE_OK, "key 0x%X: status %d", key, st);
		cz_expect_edit(c, &b, chars[i].edit);
	} else if (key == '\n' || key == '\r') {
		FUZZ_CHECK(st == COMPOSE_SUBMIT && cz_same(c, &b), "Enter: status %d", st);
	} else if (key == 0x1B) {
		FUZZ_CHECK(st == COMPOSE_CANCEL && cz_same(c, &b), "Esc: status %d", st);
	} else if (key < 0x20) {
		FUZZ_CHECK(st == COMPOSE_IGNORED && cz_same(c, &b), "key 0x%X: status %d", key, st);
	} else {
		cz_expect_insert(c, &b, key, st);
	}
	cz_snapshot_free(&b);
}

/* Pastes N bytes (compose_insert_str) and checks the all-or-nothing result. */
static void cz_paste(struct compose *c, const uint8_t *in, size_t n)
{
	struct cz_before b;
	enum compose_status st;
	size_t flen;
	char *f;

	cz_snapshot(c, &b);
	f = cz_filter(in, n, b.cursor == 0, &flen);
	st = compose_insert_str(c, (const char *)in, n);
	if (n > 0 && b.len + flen > c->max) {
		FUZZ_CHECK(st == COMPOSE_TOO_LONG && cz_same(c, &b),
			   "paste of %zu bytes beyond the maximum: status %d", flen, st);
	} else {
		FUZZ_CHECK(st == COMPOSE_OK, "paste refused (status %d)", st);
		cz_expect_text(c, &b, b.cursor, f, flen, b.cursor, "paste");
		FUZZ_CHECK(c->cursor == b.cursor + flen, "paste: cursor at %zu, expected %zu",
			   c->cursor, b.cursor + flen);
	}
	free(f);
	cz_snapshot_free(&b);
}

/* Replaces the text with N bytes (compose_set, up to a NUL). */
static void cz_set(struct compose *c, const uint8_t *in, size_t n)
{
	struct cz_before b;
	enum compose_status st;
	char *s = fuzz_strndup(in, n), *f;
	size_t flen;

	cz_snapshot(c, &b);
	f = cz_filter((const uint8_t *)s, strlen(s), true, &flen);
	st = compose_set(c, s);
	if (flen > c->max) {
		FUZZ_CHECK(st == COMPOSE_TOO_LONG && cz_same(c, &b),
			   "set of %zu bytes beyond the maximum: status %d", flen, st);
	} else {
		FUZZ_CHECK(st == COMPOSE_OK && c->len == flen && memcmp(c->buf, f, flen) == 0 &&
			   c->cursor == flen, "set: status %d, text or cursor wrong", st);
	}
	free(f);
	free(s);
	cz_snapshot_free(&b);
}

static uint32_t cz_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int fuzz_compose_one(const uint8_t *data, size_t size)
{
	static const unsigned keycodes[] = {
		KEY_LEFT, KEY_RIGHT, KEY_SLEFT, KEY_SRIGHT, KEY_HOME, KEY_END,
		KEY_BACKSPACE, KEY_DC, KEY_ENTER, KEY_UP, KEY_DOWN, KEY_NPAGE,
		KEY_PPAGE, KEY_IC, KEY_BTAB, KEY_RESIZE, KEY_F(1), KEY_MOUSE,
		KEY_CODE_YES, 0, 'a', 0x7F, '\n', 0x1B,
	};
	struct compose c;
	int width = 20;
	size_t i = 0, n;

	compose_init(&c, 0);
	cz_check_state(&c, width);
	while (i < size) {
		uint8_t op = data[i];
		uint32_t cp;

		if (op < 0xF8) {
			n = fuzz_utf8_decode(data + i, size - i, &cp);
			cz_type(&c, 0, cp == FUZZ_BAD ? op : cp);
			i += cp == FUZZ_BAD ? 1 : n;
			cz_check_state(&c, width);
			continue;
		}
		i++;
		switch (op) {
		case 0xF8:
			if (i < size)
				cz_type(&c, 1, keycodes[data[i++] % (sizeof(keycodes) / sizeof(keycodes[0]))]);
			break;
		case 0xF9:
		case 0xFC:
			n = i < size ? data[i++] : 0;
			if (n > size - i)
				n = size - i;
			if (op == 0xF9)
				cz_paste(&c, data + i, n);
			else
				cz_set(&c, data + i, n);
			i += n;
			break;
		case 0xFA:
			if (i < size) {
				width = data[i] == 255 ? 300 : (int)data[i] - 2;
				i++;
			}
			break;
		case 0xFB:
		case 0xFF:
			if (size - i >= 4) {
				cz_type(&c, op == 0xFF, cz_u32(data + i));
				i += 4;
			}
			break;
		case 0xFD:
			if (i < size)
				cz_direct(&c, (enum cz_edit)(data[i++] % CZ_EDIT_COUNT));
			break;
		case 0xFE:
			if (i < size) {
				compose_free(&c);
				FUZZ_CHECK(c.buf == NULL && c.len == 0, "compose_free left a buffer");
				compose_init(&c, data[i++]);
				FUZZ_CHECK(c.max == (data[i - 1] ? data[i - 1] : COMPOSE_DEFAULT_MAX),
					   "compose_init: max %zu", c.max);
			}
			break;
		}
		cz_check_state(&c, width);
	}
	compose_free(&c);
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
	return fuzz_compose_one(data, size);
}
#endif
