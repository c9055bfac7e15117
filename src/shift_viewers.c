/* shift_viewers: who else has a conversation open, from the viewers column
 * (a JSON array the store writes: [{"login":…,"name":…,"activity":…}]).
 * A small reader for exactly that shape; anything else is -1. */
#include <stdio.h>
#include <string.h>

#include "balie/shift.h"

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Appends code point U as UTF-8 to OUT (room SIZE, used *LEN). */
static void put_utf8(char *out, size_t size, size_t *len, unsigned u)
{
	char b[4];
	size_t n, i;

	if (u < 0x80) {
		b[0] = (char)u;
		n = 1;
	} else if (u < 0x800) {
		b[0] = (char)(0xC0 | u >> 6);
		b[1] = (char)(0x80 | (u & 0x3F));
		n = 2;
	} else {
		b[0] = (char)(0xE0 | u >> 12);
		b[1] = (char)(0x80 | (u >> 6 & 0x3F));
		b[2] = (char)(0x80 | (u & 0x3F));
		n = 3;
	}
	if (*len + n >= size)
		return;		/* cut whole characters only */
	for (i = 0; i < n; i++)
		out[(*len)++] = b[i];
	out[*len] = '\0';
}

/* Reads a JSON string at P (at its quote) into OUT (may be NULL: skipped);
 * returns the position after it, or NULL. */
static const char *read_string(const char *p, char *out, size_t size)
{
	size_t len = 0;
	bool cut = false;

	if (*p++ != '"')
		return NULL;
	if (out && size)
		out[0] = '\0';
	while (*p && *p != '"') {
		unsigned u = (unsigned char)*p++;

		if (u == '\\') {
			switch (*p++) {
			case '"': u = '"'; break;
			case '\\': u = '\\'; break;
			case '/': u = '/'; break;
			case 'b': u = '\b'; break;
			case 'f': u = '\f'; break;
			case 'n': u = '\n'; break;
			case 'r': u = '\r'; break;
			case 't': u = '\t'; break;
			case 'u': {
				unsigned v = 0;
				int i;

				for (i = 0; i < 4; i++, p++) {
					char h = *p;

					v <<= 4;
					if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
					else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
					else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
					else return NULL;
				}
				/* Surrogates become U+FFFD: names are shown, not kept. */
				u = v >= 0xD800 && v <= 0xDFFF ? 0xFFFD : v;
				if (out && size && !cut)
					put_utf8(out, size, &len, u);
				continue;
			}
			default:
				return NULL;
			}
		}
		if (!out || !size || cut)
			continue;
		if (len + 1 >= size) {
			/* Full: drop a character this byte would have continued. */
			if ((u & 0xC0) == 0x80) {
				while (len && ((unsigned char)out[len - 1] & 0xC0) == 0x80)
					len--;
				if (len)
					len--;
			}
			out[len] = '\0';
			cut = true;
			continue;
		}
		out[len++] = (char)u;
		out[len] = '\0';
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *read_object(const char *p, struct shift_viewer *v)
{
	if (v)
		memset(v, 0, sizeof *v);
	p = skip_ws(p);
	if (*p++ != '{')
		return NULL;
	p = skip_ws(p);
	if (*p == '}')
		return p + 1;
	for (;;) {
		char key[16];
		char *dst = NULL;
		size_t size = 0;

		p = read_string(skip_ws(p), key, sizeof key);
		if (!p)
			return NULL;
		p = skip_ws(p);
		if (*p++ != ':')
			return NULL;
		p = skip_ws(p);
		if (v && strcmp(key, "login") == 0)
			dst = v->login, size = sizeof v->login;
		else if (v && strcmp(key, "name") == 0)
			dst = v->name, size = sizeof v->name;
		else if (v && strcmp(key, "activity") == 0)
			dst = v->activity, size = sizeof v->activity;
		if (*p == '"') {
			p = read_string(p, dst, size);
		} else if (strncmp(p, "null", 4) == 0) {
			p += 4;
		} else {
			return NULL;	/* only strings and null in this shape */
		}
		if (!p)
			return NULL;
		p = skip_ws(p);
		if (*p == '}')
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

int shift_viewers_parse(const char *json, struct shift_viewer *out, size_t max)
{
	const char *p;
	size_t n = 0;

	if (!json)
		return 0;
	p = skip_ws(json);
	if (*p++ != '[')
		return -1;
	p = skip_ws(p);
	if (*p == ']')
		return *skip_ws(p + 1) ? -1 : 0;
	for (;;) {
		p = read_object(p, n < max ? &out[n] : NULL);
		if (!p)
			return -1;
		if (n < max)
			n++;
		p = skip_ws(p);
		if (*p == ']')
			break;
		if (*p++ != ',')
			return -1;
	}
	return *skip_ws(p + 1) ? -1 : (int)n;
}

int shift_viewers_line(const char *json, const char *me, char *buf, size_t size)
{
	struct shift_viewer v[8];
	int n = shift_viewers_parse(json, v, 8), i, named = 0;
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *who = v[i].name[0] ? v[i].name : v[i].login;
		int w;

		if (!who[0] || (me && strcmp(v[i].login, me) == 0))
			continue;
		w = snprintf(buf + len, size - len, "%s%s is %s", named ? ", " : "", who,
			     v[i].activity[0] ? v[i].activity : "viewing");
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
		named++;
	}
	return named;
}
