/* migrate_file: a schema file's statements, found by a small SQL lexer that
 * knows quotes, dollar quotes and comments; see migrate_unwrap in migrate.h. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "balie/i18n.h"
#include "balie/migrate.h"

#define UNENDING ((size_t)-1)

struct span {
	size_t start, end;	/* a statement's text, without comments around it */
};

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

static int line_of(const char *text, size_t at)
{
	int line = 1;

	for (size_t i = 0; i < at && text[i]; i++)
		line += text[i] == '\n';
	return line;
}

/* Skips a comment or quoted token at text[i]; returns the index after it,
 * i itself if none starts there, or UNENDING when it never ends. */
static size_t skip_token(const char *text, size_t i)
{
	const char *p = text + i;

	if (p[0] == '-' && p[1] == '-') {
		const char *nl = strchr(p, '\n');
		return nl ? (size_t)(nl - text) + 1 : strlen(text);
	}
	if (p[0] == '/' && p[1] == '*') {
		int depth = 0;	/* PostgreSQL's block comments nest */
		for (size_t j = i; text[j]; j++) {
			if (text[j] == '/' && text[j + 1] == '*')
				depth++, j++;
			else if (text[j] == '*' && text[j + 1] == '/' && --depth == 0)
				return j + 2;
			else if (text[j] == '*' && text[j + 1] == '/')
				j++;
		}
		return UNENDING;
	}
	if (p[0] == '\'' || p[0] == '"') {
		bool backslash = p[0] == '\'' && i > 0 && (p[-1] == 'e' || p[-1] == 'E') &&
				 (i < 2 || !ident_char(p[-2]));
		for (size_t j = i + 1; text[j]; j++) {
			if (backslash && text[j] == '\\' && text[j + 1])
				j++;
			else if (text[j] == p[0] && text[j + 1] == p[0])
				j++;
			else if (text[j] == p[0])
				return j + 1;
		}
		return UNENDING;
	}
	if (p[0] == '$' && (i == 0 || !ident_char(p[-1])) && !isdigit((unsigned char)p[1])) {
		size_t n = 1;
		while (isalnum((unsigned char)p[n]) || p[n] == '_')
			n++;
		if (p[n] != '$')
			return i;
		char tag[64];
		if (n + 1 >= sizeof tag)
			return UNENDING;
		memcpy(tag, p, n + 1);
		tag[n + 1] = '\0';
		const char *close = strstr(p + n + 1, tag);
		return close ? (size_t)(close - text) + n + 1 : UNENDING;
	}
	return i;
}

/* Splits TEXT into top-level statements; returns their number (at most
 * max), or -1 with err set. */
static int split(const char *text, struct span *out, int max, char *err, size_t errlen)
{
	int n = 0;
	size_t i = 0, start = (size_t)-1, last = 0;

	while (text[i]) {
		size_t next = skip_token(text, i);

		if (next == UNENDING) {
			snprintf(err, errlen, _("line %d: a quote or comment that never ends"),
				 line_of(text, i));
			return -1;
		}
		bool comment = next > i && (text[i] == '-' || text[i] == '/');
		if (next > i) {
			if (!comment && start == (size_t)-1)
				start = i;
			if (!comment)
				last = next;
			i = next;
			continue;
		}
		if (text[i] == ';') {
			if (start != (size_t)-1) {
				if (n == max) {
					snprintf(err, errlen, _("too many statements"));
					return -1;
				}
				out[n++] = (struct span){ start, i + 1 };
			}
			start = (size_t)-1;
		} else if (!isspace((unsigned char)text[i])) {
			if (text[i] == '\\' && start == (size_t)-1) {
				snprintf(err, errlen, _("line %d: a psql meta-command; migrate "
					 "runs plain SQL only"), line_of(text, i));
				return -1;
			}
			if (start == (size_t)-1)
				start = i;
			last = i + 1;
		}
		i++;
	}
	if (start != (size_t)-1 && n < max)
		out[n++] = (struct span){ start, last };
	return n;
}

/* The transaction command a statement is: 'B'egin, 'C'ommit, 'R'ollback,
 * or 0 for any other statement. */
static char transaction_kind(const char *text, struct span s)
{
	static const struct { const char *word; char kind; } words[] = {
		{ "begin", 'B' }, { "start", 'B' }, { "commit", 'C' },
		{ "end", 'C' }, { "rollback", 'R' }, { "abort", 'R' },
	};
	size_t len = 0;

	while (s.start + len < s.end && isalpha((unsigned char)text[s.start + len]))
		len++;
	for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
		if (strlen(words[k].word) == len &&
		    strncasecmp(text + s.start, words[k].word, len) == 0)
			return words[k].kind;
	return 0;
}

static void blank(char *text, struct span s)
{
	for (size_t i = s.start; i < s.end; i++)
		if (text[i] != '\n')
			text[i] = ' ';
}

int migrate_unwrap(char *text, char *err, size_t errlen)
{
	static struct span stmts[20000];
	int n = split(text, stmts, (int)(sizeof stmts / sizeof stmts[0]), err, errlen);

	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	bool opens = transaction_kind(text, stmts[0]) == 'B';
	bool closes = n > 1 && transaction_kind(text, stmts[n - 1]) == 'C';
	if (opens != closes) {
		snprintf(err, errlen, opens ? _("line %d: BEGIN without a COMMIT at the end")
				       : _("line %d: COMMIT without a BEGIN at the start"),
			 line_of(text, stmts[opens ? 0 : n - 1].start));
		return -1;
	}
	for (int k = opens ? 1 : 0; k < (opens ? n - 1 : n); k++) {
		if (transaction_kind(text, stmts[k])) {
			snprintf(err, errlen, _("line %d: a transaction command in the middle "
				 "of the file; a schema file is one transaction"),
				 line_of(text, stmts[k].start));
			return -1;
		}
	}
	if (opens) {
		blank(text, stmts[0]);
		blank(text, stmts[n - 1]);
	}
	return 0;
}
