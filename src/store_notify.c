/* store_notify: the one parser of NOTIFY payloads (every channel's payload
 * is a flat JSON object built by the schema's triggers). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "balie/store.h"

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* Reads a JSON string without escapes we care about; returns the end or
 * NULL. Keys we need are plain ASCII; others are skipped whole. */
static const char *scan_string(const char *s, const char **start, size_t *len)
{
	if (*s != '"')
		return NULL;
	*start = ++s;
	while (*s && *s != '"') {
		if (*s == '\\') {
			if (!s[1])
				return NULL;
			s++;
		}
		s++;
	}
	if (*s != '"')
		return NULL;
	*len = (size_t)(s - *start);
	return s + 1;
}

static bool key_is(const char *key, size_t klen, const char *name)
{
	return klen == strlen(name) && memcmp(key, name, klen) == 0;
}

/* Keeps a "state" string when it is short and plain (no escapes). */
static void take_state(struct store_notice *out, const char *v, size_t vlen)
{
	if (vlen >= sizeof out->state || memchr(v, '\\', vlen))
		return;
	memcpy(out->state, v, vlen);
	out->state[vlen] = '\0';
}

/* Reads one number value at *S for KEY; returns the end or NULL. */
static const char *take_number(const char *s, const char *key, size_t klen,
			       struct store_notice *out, bool *have_conv)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	/* Out of range is refused, never read as LLONG_MAX. */
	if (end == s || end - s > 19 || errno == ERANGE)
		return NULL;
	if (key_is(key, klen, "conv")) {
		out->conv = n;
		*have_conv = true;
	} else if (key_is(key, klen, "version")) {
		out->version = n;
		out->has_version = true;
	}
	return end;
}

/* Reads one "key": value pair at S; returns the end or NULL. */
static const char *take_pair(const char *s, struct store_notice *out, bool *have_conv)
{
	const char *key, *v;
	size_t klen, vlen;

	if (!(s = scan_string(s, &key, &klen)))
		return NULL;
	s = skip_ws(s);
	if (*s++ != ':')
		return NULL;
	s = skip_ws(s);
	if (*s == '"') {
		if ((s = scan_string(s, &v, &vlen)) && key_is(key, klen, "state"))
			take_state(out, v, vlen);
		return s;
	}
	if (*s == '-' || (*s >= '0' && *s <= '9'))
		return take_number(s, key, klen, out, have_conv);
	if (strncmp(s, "null", 4) == 0)
		return s + 4;
	return NULL;
}

int store_parse_notice(const char *payload, struct store_notice *out)
{
	const char *s = skip_ws(payload);
	bool have_conv = false;

	memset(out, 0, sizeof *out);
	if (*s++ != '{')
		return -1;
	for (;;) {
		s = skip_ws(s);
		if (*s == '}')
			break;
		if (!(s = take_pair(s, out, &have_conv)))
			return -1;
		s = skip_ws(s);
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s != '}')
			return -1;
		break;
	}
	if (*skip_ws(s + 1) != '\0')
		return -1;
	return have_conv && out->conv > 0 ? 0 : -1;
}

int store_parse_notify(const char *payload, int64_t *conv, int64_t *version)
{
	struct store_notice n;

	if (store_parse_notice(payload, &n) != 0 || !n.has_version)
		return -1;
	*conv = n.conv;
	*version = n.version;
	return 0;
}
