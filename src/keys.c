/* keys: the key map of the console — actions, default bindings, key names. */
#include <curses.h>	/* KEY_* constants only: this module draws nothing */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "balie/keys.h"
#include "balie/text.h"

#define KC(k) (KEYS_KEYCODE | (unsigned)(k))
#define ESC 0x1Bu
#define DEL 0x7Fu

/* Key names; keys_name() writes the first name of a key that is no alias. */
static const struct {
	const char *name;
	unsigned key;
	bool alias;
} named_keys[] = {
	{ "Enter",	'\n', false },
	{ "Esc",	ESC, false },
	{ "Tab",	'\t', false },
	{ "S-Tab",	KC(KEY_BTAB), false },
	{ "Space",	' ', false },
	{ "Backspace",	KC(KEY_BACKSPACE), false },
	{ "Up",		KC(KEY_UP), false },
	{ "Down",	KC(KEY_DOWN), false },
	{ "Left",	KC(KEY_LEFT), false },
	{ "Right",	KC(KEY_RIGHT), false },
	{ "S-Left",	KC(KEY_SLEFT), false },
	{ "S-Right",	KC(KEY_SRIGHT), false },
	{ "PgUp",	KC(KEY_PPAGE), false },
	{ "PgDn",	KC(KEY_NPAGE), false },
	{ "Home",	KC(KEY_HOME), false },
	{ "End",	KC(KEY_END), false },
	{ "Insert",	KC(KEY_IC), false },
	{ "Delete",	KC(KEY_DC), false },
	/* Aliases. */
	{ "Return",	'\n', true },
	{ "RET",	'\n', true },
	{ "Escape",	ESC, true },
	{ "BackTab",	KC(KEY_BTAB), true },
	{ "SPC",	' ', true },
	{ "BS",		KC(KEY_BACKSPACE), true },
	{ "PageUp",	KC(KEY_PPAGE), true },
	{ "PageDown",	KC(KEY_NPAGE), true },
	{ "PPage",	KC(KEY_PPAGE), true },
	{ "NPage",	KC(KEY_NPAGE), true },
	{ "Ins",	KC(KEY_IC), true },
	{ "Del",	KC(KEY_DC), true },
	{ "Hash",	'#', true },	/* "#" starts a comment in the config file */
};

#define N_NAMED (sizeof(named_keys) / sizeof(named_keys[0]))

unsigned keys_code(int is_keycode, unsigned value)
{
	if (is_keycode) {
		if (value == KEY_ENTER)
			return '\n';
		return KC(value);
	}
	if (value == '\r')
		return '\n';
	if (value == DEL || value == KEYS_CTRL('h'))
		return KC(KEY_BACKSPACE);
	return value;
}

void keys_defaults(struct keys_map *m)
{
	int v;

	m->n = 0;
	for (v = VERB_NONE + 1; v < VERB_COUNT; v++) {
		const char *p = verb_info((enum verb)v)->keys;

		while (*p) {
			char name[32];
			size_t len = strcspn(p, " ");
			unsigned key;

			snprintf(name, sizeof name, "%.*s", (int)len, p);
			/* The table's own names: a bad one is a bug the unit test finds. */
			if (keys_parse(name, &key) == 0 && m->n < KEYS_MAX_BINDINGS)
				m->b[m->n++] = (struct keys_binding){ key, (enum verb)v };
			p += len;
			p += strspn(p, " ");
		}
	}
}

static size_t find(const struct keys_map *m, unsigned key)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->b[i].key == key)
			return i;
	return m->n;
}

enum verb keys_lookup(const struct keys_map *m, unsigned key)
{
	size_t i = find(m, key);

	return i < m->n ? m->b[i].action : VERB_NONE;
}

int keys_bind(struct keys_map *m, unsigned key, enum verb action)
{
	size_t i = find(m, key);

	if (key == KEYS_NO_KEY || !verb_has_key(action))
		return -1;
	if (i < m->n) {
		m->b[i].action = action;
		return 0;
	}
	if (m->n >= KEYS_MAX_BINDINGS)
		return -1;
	m->b[m->n].key = key;
	m->b[m->n].action = action;
	m->n++;
	return 0;
}

bool keys_unbind(struct keys_map *m, unsigned key)
{
	size_t i = find(m, key);

	if (i >= m->n)
		return false;
	memmove(&m->b[i], &m->b[i + 1], (m->n - i - 1) * sizeof(m->b[0]));
	m->n--;
	return true;
}

unsigned keys_first(const struct keys_map *m, enum verb action)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->b[i].action == action)
			return m->b[i].key;
	return KEYS_NO_KEY;
}

/* Parses the character after "C-" or "^" into a control code. */
static int parse_ctrl(char c, unsigned *key)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if ((c >= 'A' && c <= '_') && c != '@') {
		*key = keys_code(0, KEYS_CTRL(c));
		return 0;
	}
	if (c == '?') {
		*key = keys_code(0, DEL);
		return 0;
	}
	return -1;
}

/* Parses the decimal number S (nothing else) within LO..HI. */
static int parse_number(const char *s, int base, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	v = strtoul(s, &end, base);
	if (*end || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int keys_parse(const char *name, unsigned *key)
{
	size_t len = strlen(name), i;
	uint32_t cp;
	unsigned v;

	if (len == 0)
		return -1;
	if (text_decode(name, len, &cp) == len) {
		if (text_cp_width(cp) <= 0)
			return -1;
		*key = keys_code(0, cp);
		return 0;
	}
	if (len == 3 && (name[0] == 'C' || name[0] == 'c') && name[1] == '-')
		return parse_ctrl(name[2], key);
	if (len == 2 && name[0] == '^')
		return parse_ctrl(name[1], key);
	for (i = 0; i < N_NAMED; i++) {
		if (strcasecmp(name, named_keys[i].name) == 0) {
			*key = named_keys[i].key;
			return 0;
		}
	}
	if ((name[0] == 'F' || name[0] == 'f') && parse_number(name + 1, 10, 1, 63, &v) == 0) {
		*key = KC(KEY_F(v));
		return 0;
	}
	if ((name[0] == 'U' || name[0] == 'u') && name[1] == '+' &&
	    parse_number(name + 2, 16, 1, 0x10FFFF, &v) == 0) {
		*key = keys_code(0, v);
		return *key == KEYS_NO_KEY ? -1 : 0;
	}
	if (strncasecmp(name, "Key", 3) == 0 &&
	    parse_number(name + 3, 10, KEY_MIN, 0xFFFF, &v) == 0) {
		*key = keys_code(1, v);
		return 0;
	}
	return -1;
}

char *keys_name(unsigned key, char *buf, size_t size)
{
	char u[5];
	size_t i;

	if (size == 0)
		return buf;
	for (i = 0; i < N_NAMED; i++) {
		if (named_keys[i].key == key && !named_keys[i].alias) {
			snprintf(buf, size, "%s", named_keys[i].name);
			return buf;
		}
	}
	if (key & KEYS_KEYCODE) {
		unsigned k = key & ~KEYS_KEYCODE;

		if (k >= (unsigned)KEY_F(1) && k <= (unsigned)KEY_F(63))
			snprintf(buf, size, "F%u", k - (unsigned)KEY_F0);
		else
			snprintf(buf, size, "Key%u", k);
		return buf;
	}
	if (key >= 1 && key <= 26)
		snprintf(buf, size, "C-%c", (char)('a' - 1 + key));
	else if (key >= 27 && key < 0x20)
		snprintf(buf, size, "C-%c", (char)(key + 0x40));
	else if (text_cp_width(key) > 0) {
		u[text_encode(key, u)] = '\0';
		snprintf(buf, size, "%s", u);
	} else
		snprintf(buf, size, "U+%04X", key);
	return buf;
}

char *keys_describe(const struct keys_map *m, enum verb action,
		    char *buf, size_t size)
{
	size_t i, used = 0;
	char name[32];

	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < m->n; i++) {
		const char *sep = used ? ", " : "";
		size_t need;

		if (m->b[i].action != action)
			continue;
		keys_name(m->b[i].key, name, sizeof(name));
		need = strlen(sep) + strlen(name);
		if (used + need + 1 > size)
			break;
		memcpy(buf + used, sep, strlen(sep));
		memcpy(buf + used + strlen(sep), name, strlen(name) + 1);
		used += need;
	}
	return buf;
}

size_t keys_help(const struct keys_map *m, struct keys_help_row *rows)
{
	size_t n = 0;
	int a;

	for (a = VERB_NONE + 1; a < VERB_COUNT; a++) {
		const struct verb_info *v = verb_info((enum verb)a);

		if (!v->help)
			continue;
		rows[n].action = (enum verb)a;
		rows[n].name = v->name;
		rows[n].description = v->help;
		keys_describe(m, (enum verb)a, rows[n].keys, sizeof(rows[n].keys));
		n++;
	}
	return n;
}
