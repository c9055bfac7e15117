/* compose: the one-line editor agents type replies, notes and agreements in.
 *
 * A UTF-8 buffer with a cursor that moves by character cluster (a base and
 * its combining marks are one step, a wide character is one step). Only
 * characters the terminal can show safely ever enter the buffer: no control
 * characters, no bidi controls, no invalid UTF-8, no line breaks (multi-line
 * replies go through $EDITOR). Input beyond the maximum length is refused
 * whole, never cut. No curses calls: compose_key() takes what wget_wch()
 * returned, and compose_view() says what to draw. */
#ifndef BALIE_COMPOSE_H
#define BALIE_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COMPOSE_DEFAULT_MAX 1048576

enum compose_status {
	COMPOSE_OK,		/* done (also a move that hit the end) */
	COMPOSE_IGNORED,	/* not an editing key: the caller handles it */
	COMPOSE_SUBMIT,		/* Enter: send compose_text() */
	COMPOSE_CANCEL,		/* Esc: the caller closes the compose line */
	COMPOSE_TOO_LONG,	/* refused: the text would exceed max bytes */
	COMPOSE_INVALID,	/* refused: a control, bidi or non-printable character */
};

struct compose {
	char *buf;		/* UTF-8, NUL-terminated */
	size_t len;		/* bytes in buf */
	size_t cap;
	size_t cursor;		/* byte offset, always on a cluster boundary */
	size_t scroll;		/* first byte compose_view() showed last time */
	size_t max;		/* the most bytes the text may hold */
};

/* What to draw for a compose line WIDTH columns wide. */
struct compose_view {
	size_t off;		/* first byte of compose_text() to draw */
	size_t len;		/* bytes to draw: whole clusters only */
	int cols;		/* their display columns (at most the width) */
	int cursor_col;		/* the cursor's column, 0 .. width - 1 */
	bool more_left;		/* text is hidden before the view */
	bool more_right;	/* text is hidden after the view */
};

/* Initialises an empty line that holds at most MAX bytes (0: the default). */
void compose_init(struct compose *c, size_t max);

/* Frees the buffer; compose_init() makes it usable again. */
void compose_free(struct compose *c);

/* The text (NUL-terminated, valid UTF-8) and its length in bytes. */
const char *compose_text(const struct compose *c);
size_t compose_len(const struct compose *c);

/* Empties the line. */
void compose_clear(struct compose *c);

/* Replaces the text (restoring a draft) with the cursor at its end; filtered
 * as compose_insert_str(); on refusal the line is left as it was. */
enum compose_status compose_set(struct compose *c, const char *s);

/* Inserts one code point at the cursor. */
enum compose_status compose_insert(struct compose *c, uint32_t cp);

/* Inserts pasted text at the cursor, all or nothing: tabs and line breaks
 * become spaces (CR LF one space), invalid UTF-8 becomes U+FFFD, other
 * characters compose_insert() would refuse are left out. */
enum compose_status compose_insert_str(struct compose *c, const char *s, size_t len);

/* Cursor movement; each returns whether the cursor moved. */
bool compose_left(struct compose *c);
bool compose_right(struct compose *c);
bool compose_word_left(struct compose *c);
bool compose_word_right(struct compose *c);
bool compose_home(struct compose *c);
bool compose_end(struct compose *c);

/* Deletions; each returns whether text was removed. */
bool compose_backspace(struct compose *c);	/* the cluster before the cursor */
bool compose_delete(struct compose *c);		/* the cluster at the cursor */
bool compose_delete_word(struct compose *c);	/* Ctrl-W: spaces, then a word */
bool compose_kill_start(struct compose *c);	/* Ctrl-U: start to cursor */
bool compose_kill_end(struct compose *c);	/* Ctrl-K: cursor to end */

/* Handles one key as wget_wch() delivered it: IS_KEYCODE when it returned
 * KEY_CODE_YES (KEY is then a KEY_* code), else KEY is a character.
 * Left/Right, C-b/C-f, S-Left/S-Right (words), Home/End, C-a/C-e,
 * Backspace/127/C-h, Delete/C-d, C-w, C-u, C-k edit; Enter ("\n", "\r",
 * KEY_ENTER) gives COMPOSE_SUBMIT, Esc COMPOSE_CANCEL; printable characters
 * are inserted; anything else is COMPOSE_IGNORED. */
enum compose_status compose_key(struct compose *c, int is_keycode, unsigned key);

/* A canned reply the line can expand ("/name" + Tab). */
struct compose_macro {
	const char *name;	/* without the slash */
	const char *body;
};

enum compose_expansion {
	COMPOSE_EXPAND_NOT_A_NAME,	/* no "/name" ends at the cursor */
	COMPOSE_EXPAND_NO_MATCH,	/* no macro starts with that name */
	COMPOSE_EXPAND_DONE,		/* one macro: its body replaced "/name" */
	COMPOSE_EXPAND_AMBIGUOUS,	/* several: the name was completed as far
					   as they agree; MATCH lists them */
	COMPOSE_EXPAND_TOO_LONG,	/* the body would exceed max bytes */
};

/* Expands the "/name" that ends at the cursor (at the start of the line or
 * after a space) from MACROS (N of them): a name equal to it (ASCII case
 * ignored) wins, else those it begins. The body goes in filtered as
 * compose_insert_str() does, the cursor after it. MATCH (room for N
 * indexes) gets the macros that matched, *NMATCH how many. */
enum compose_expansion compose_expand(struct compose *c, const struct compose_macro *macros,
				      size_t n, size_t *match, size_t *nmatch);

/* Works out which part of the line fits in WIDTH columns, scrolling
 * horizontally only as far as needed to keep the cursor visible. */
void compose_view(struct compose *c, int width, struct compose_view *v);

#endif
