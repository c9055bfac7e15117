/* relay_proto: COPY-text escaping of relay frames, shared by relay and clients. */
#include <stdlib.h>
#include <string.h>

#include "balie/relay_proto.h"
#include "balie/util.h"

void relay_buf_init(struct relay_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void relay_buf_free(struct relay_buf *b)
{
	free(b->data);
	relay_buf_init(b);
}

void relay_buf_reserve(struct relay_buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;

	if (want <= b->cap)
		return;
	if (b->cap * 2 > want)
		want = b->cap * 2;
	if (want < 256)
		want = 256;
	b->data = xrealloc(b->data, want);
	b->cap = want;
}

void relay_buf_add(struct relay_buf *b, const char *s, size_t n)
{
	relay_buf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void relay_buf_adds(struct relay_buf *b, const char *s)
{
	relay_buf_add(b, s, strlen(s));
}

char *relay_buf_take(struct relay_buf *b, size_t *len)
{
	char *d = b->data;

	*len = b->len;
	relay_buf_init(b);
	return d;
}

void relay_field_n(struct relay_buf *b, const char *s, size_t n, bool first)
{
	size_t i;
	char *o;

	/* Worst case every byte doubles. */
	relay_buf_reserve(b, 2 * n + 1);
	o = b->data + b->len;
	if (!first)
		*o++ = '\t';
	for (i = 0; i < n; i++) {
		char c = s[i];

		switch (c) {
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		default: *o++ = c; break;
		}
	}
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
}

void relay_field(struct relay_buf *b, const char *s, bool first)
{
	if (!s) {
		relay_buf_add(b, first ? "\\N" : "\t\\N", first ? 2 : 3);
		return;
	}
	relay_field_n(b, s, strlen(s), first);
}

void relay_line(struct relay_buf *b, const char *const *fields, int nfields)
{
	int i;

	for (i = 0; i < nfields; i++)
		relay_field(b, fields[i], i == 0);
	relay_buf_add(b, "\n", 1);
}

/* Unescapes one field in place; returns false on an invalid escape. */
static bool unescape(char *f)
{
	char *r = f, *w = f;

	while (*r) {
		if (*r != '\\') {
			*w++ = *r++;
			continue;
		}
		switch (r[1]) {
		case '\\': *w++ = '\\'; break;
		case 't': *w++ = '\t'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		default: return false;
		}
		r += 2;
	}
	*w = '\0';
	return true;
}

int relay_split(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *tab = strchr(p, '\t');

		if (n == max)
			return -1;
		if (tab)
			*tab = '\0';
		if (strcmp(p, "\\N") == 0)
			fields[n] = NULL;
		else if (unescape(p))
			fields[n] = p;
		else
			return -1;
		n++;
		if (!tab)
			return n;
		p = tab + 1;
	}
}
