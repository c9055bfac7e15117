/* keys: the key map of the console — default bindings (from the verb
 * table, verb.h), key names, lookups.
 *
 * A key is an unsigned code: a Unicode character as wget_wch() returns it
 * with OK, or a curses KEY_* code with KEYS_KEYCODE set (wget_wch() returned
 * KEY_CODE_YES). keys_code() builds one and normalises the variants of one
 * physical key: "\r" and KEY_ENTER are "\n" (Enter), 127 and C-h are
 * KEY_BACKSPACE. The compose line handles its own keys (compose_key); this
 * map is for everything else. No curses calls. */
#ifndef BALIE_KEYS_H
#define BALIE_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "balie/verb.h"

/* Set on curses KEY_* codes, so they never collide with characters. */
#define KEYS_KEYCODE 0x40000000u

/* A control character: KEYS_CTRL('l') is C-l. */
#define KEYS_CTRL(c) ((unsigned)(c) & 0x1Fu)

/* No key: returned by keys_first(); keys_bind() refuses it. */
#define KEYS_NO_KEY 0u

/* The most bindings a map holds. */
#define KEYS_MAX_BINDINGS 128

struct keys_binding {
	unsigned key;
	enum verb action;
};

/* Bindings in the order they were made (defaults first): that order is the
 * order keys_describe() lists them in. */
struct keys_map {
	size_t n;
	struct keys_binding b[KEYS_MAX_BINDINGS];
};

/* One row of the help screen. */
struct keys_help_row {
	enum verb action;
	const char *name;		/* "takeover" */
	char keys[48];			/* "t" or "j, Down"; "" when unbound */
	const char *description;	/* "take the conversation over from the bot" */
};

/* The key code of what wget_wch() returned: IS_KEYCODE when it returned
 * KEY_CODE_YES; normalised as described above. */
unsigned keys_code(int is_keycode, unsigned value);

/* Fills M with the default keys of every verb's row, in table order (the
 * product contract: j/Down, k/Up, PgDn/C-f, PgUp/C-b, Home/g, End/G, Enter,
 * Esc, t, r, E, n, a, h, x, c, /, S, p, ?/F1, C-l, q). */
void keys_defaults(struct keys_map *m);

/* The action bound to KEY (a keys_code()), or VERB_NONE. */
enum verb keys_lookup(const struct keys_map *m, unsigned key);

/* Binds KEY to ACTION, replacing what KEY did before; -1 if the map is full
 * or KEY/ACTION is not valid. */
int keys_bind(struct keys_map *m, unsigned key, enum verb action);

/* Removes KEY's binding; returns whether it had one. */
bool keys_unbind(struct keys_map *m, unsigned key);

/* The first key bound to ACTION (for a status-line hint), or KEYS_NO_KEY. */
unsigned keys_first(const struct keys_map *m, enum verb action);

/* Parses a key name into *KEY; returns 0, or -1 for an unknown name. Names:
 * a single character ("j", "/", "é"); Enter, Esc, Tab, S-Tab, Space,
 * Backspace, Up, Down, Left, Right, PgUp, PgDn, Home, End, Insert, Delete,
 * F1-F63 (any case; aliases Return, Escape, PageUp, PageDown, Del, Ins,
 * BackTab, Hash for "#"); C-x or ^X for control characters. */
int keys_parse(const char *name, unsigned *key);

/* Writes the canonical name of KEY ("j", "Enter", "PgDn", "C-l", "F1") into
 * BUF and returns BUF; keys_parse() reads every name back. */
char *keys_name(unsigned key, char *buf, size_t size);

/* Writes the keys bound to ACTION, comma-separated ("j, Down"), into BUF
 * (truncated at a whole name when BUF is short) and returns BUF. */
char *keys_describe(const struct keys_map *m, enum verb action,
		    char *buf, size_t size);

/* Fills ROWS (room for VERB_COUNT) with the help screen, one row per verb
 * that has a key, in table order; returns the number of rows. */
size_t keys_help(const struct keys_map *m, struct keys_help_row *rows);

#endif
