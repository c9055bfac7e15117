/* verb: the console's side of the verb table — names, keys, policy, words. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "balie/i18n.h"
#include "balie/verb.h"

#define VERB_ROW_(e, name, keys, screens, ask, policy, sql, params, help, refuse, question, \
		  cancel, doing, done) \
	[VERB_##e] = { name, keys, screens, ask, policy, params, help, refuse, question, cancel, \
		       doing, done },
static const struct verb_info verbs[VERB_COUNT] = {
	[VERB_NONE] = { .name = "none", .keys = "", .params = "" },
	VERB_TABLE(VERB_ROW_)
};
#undef VERB_ROW_

const struct verb_info *verb_info(enum verb v)
{
	if ((int)v <= VERB_NONE || v >= VERB_COUNT)
		return &verbs[VERB_NONE];
	return &verbs[v];
}

bool verb_has_key(enum verb v)
{
	return verb_info(v)->help != NULL;
}

enum verb verb_parse(const char *name)
{
	char norm[32];
	size_t i;
	int v;

	for (i = 0; name[i] && i + 1 < sizeof norm; i++)
		norm[i] = name[i] == '_' ? '-' : name[i];
	if (name[i])
		return VERB_NONE;
	norm[i] = '\0';
	for (v = VERB_NONE + 1; v < VERB_COUNT; v++)
		if (verbs[v].help && strcasecmp(norm, verbs[v].name) == 0)
			return (enum verb)v;
	return VERB_NONE;
}

/* The value of placeholder NAME (LEN bytes), or NULL if it is none. */
static const char *placeholder(const char *name, size_t len, const struct verb_words *w,
			       char *num, size_t numlen)
{
	static const char *const names[] = { "id", "customer", "owner", "arg", "queue", "value" };
	const char *values[] = { NULL, w->customer, w->owner ? w->owner : _("someone else"),
				 w->arg, w->queue ? w->queue : w->arg, w->value };
	size_t k;

	for (k = 0; k < sizeof names / sizeof names[0]; k++) {
		if (strlen(names[k]) != len || strncmp(name, names[k], len) != 0)
			continue;
		if (k == 0) {
			snprintf(num, numlen, "%lld", (long long)w->id);
			return num;
		}
		return values[k] ? values[k] : "";
	}
	return NULL;
}

char *verb_format(const char *tmpl, const struct verb_words *w, char *buf, size_t size)
{
	const char *p, *end, *bar;
	size_t n = 0;
	char num[24];

	if (!tmpl || size == 0)
		return NULL;
	tmpl = _(tmpl);	/* the table holds N_() source strings */
	/* "A|B": A for yes, B for no; without a bar both are A. */
	bar = strchr(tmpl, '|');
	p = bar && w->no ? bar + 1 : tmpl;
	end = bar && !w->no ? bar : p + strlen(p);
	while (p < end && n + 1 < size) {
		const char *close = *p == '{' ? memchr(p, '}', (size_t)(end - p)) : NULL;
		const char *val = close ? placeholder(p + 1, (size_t)(close - p - 1), w, num,
						      sizeof num) : NULL;

		if (val) {
			n += (size_t)snprintf(buf + n, size - n, "%s", val);
			if (n >= size)
				n = size - 1;
			p = close + 1;
		} else {
			buf[n++] = *p++;
		}
	}
	buf[n] = '\0';
	return buf;
}
