/* fuzz_notify: store_parse_notify(), the parser of NOTIFY balie payloads.
 *
 * Any role that may LISTEN may also NOTIFY, so the payload is untrusted.
 * The input, up to its first NUL (a payload is text), is the payload. It is
 * compared with two reference parsers written here:
 *
 *   - the documented grammar, exactly: a JSON object whose keys are strings
 *     (compared byte for byte, escapes not decoded) and whose values are
 *     strings, integers or null, "conv" (> 0) and "version" integers within
 *     int64 required, unknown keys skipped, the last of duplicates winning,
 *     a trailing comma and leading zeros tolerated: store_parse_notify()
 *     must give the same answer and the same numbers for every input;
 *   - strict RFC 8259 JSON of that shape: every such payload (what the
 *     trigger's jsonb_build_object sends) must be accepted.
 *
 * Both take numbers of at most 19 characters, as store_parse_notify() does
 * (so int64 values below -10^18 are refused; versions and ids are positive).
 *
 * An integer beyond int64 must be refused, never read as a different one.
 * The first 16 bytes also give a conv/version pair that must survive the
 * trigger's own format "{"conv": N, "version": N}". */
#include <inttypes.h>

#include "balie/store.h"
#include "fuzz_common.c"

struct nt_result {
	bool ok;
	int64_t conv;
	int64_t version;
};

static const char *nt_ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

/* A string; STRICT follows RFC 8259 (no raw controls, known escapes). */
static const char *nt_string(const char *s, bool strict, const char **start, size_t *len)
{
	static const char escapes[] = "\"\\/bfnrt";
	int k;

	if (*s != '"')
		return NULL;
	*start = ++s;
	while (*s != '"') {
		if (*s == '\0' || (strict && (unsigned char)*s < 0x20))
			return NULL;
		if (*s == '\\') {
			s++;
			if (*s == '\0')
				return NULL;
			if (strict && *s == 'u') {
				for (k = 1; k <= 4; k++)
					if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f') ||
					      (s[k] >= 'A' && s[k] <= 'F')))
						return NULL;
				s += 4;
			} else if (strict && !strchr(escapes, *s)) {
				return NULL;
			}
		}
		s++;
	}
	*len = (size_t)(s - *start);
	return s + 1;
}

/* An integer: "-"? digits, at most 19 characters; STRICT forbids leading
 * zeros. *IN_RANGE says whether it fits int64. */
static const char *nt_integer(const char *s, bool strict, int64_t *out, bool *in_range)
{
	const char *start = s;
	bool neg = *s == '-';
	uint64_t v = 0, limit;

	if (neg)
		s++;
	if (*s < '0' || *s > '9')
		return NULL;
	if (strict && *s == '0' && s[1] >= '0' && s[1] <= '9')
		return NULL;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	*in_range = true;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (limit - d) / 10)
			*in_range = false;
		else
			v = v * 10 + d;
	}
	if (s - start > 19)
		return NULL;
	if (strict && (*s == '.' || *s == 'e' || *s == 'E'))
		return NULL;	/* a fraction or exponent: not an integer */
	if (*in_range)
		*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return s;
}

static struct nt_result nt_parse(const char *p, bool strict)
{
	struct nt_result r = { false, 0, 0 };
	bool have_conv = false, have_version = false, first = true;
	const char *s = nt_ws(p), *key;
	size_t klen;

	if (*s++ != '{')
		return r;
	for (;;) {
		bool is_conv, is_version, in_range;
		int64_t n = 0;

		s = nt_ws(s);
		if (*s == '}' && (first || !strict))
			break;
		first = false;
		if (!(s = nt_string(s, strict, &key, &klen)))
			return r;
		is_conv = klen == 4 && memcmp(key, "conv", 4) == 0;
		is_version = klen == 7 && memcmp(key, "version", 7) == 0;
		s = nt_ws(s);
		if (*s++ != ':')
			return r;
		s = nt_ws(s);
		if (*s == '"') {
			const char *v;
			size_t vlen;

			if (!(s = nt_string(s, strict, &v, &vlen)))
				return r;
			if (strict && (is_conv || is_version))
				return r;
		} else if (*s == '-' || (*s >= '0' && *s <= '9')) {
			if (!(s = nt_integer(s, strict, &n, &in_range)) || !in_range)
				return r;
			if (is_conv) {
				r.conv = n;
				have_conv = true;
			} else if (is_version) {
				r.version = n;
				have_version = true;
			}
		} else if (strncmp(s, "null", 4) == 0) {
			s += 4;
			if (strict && (is_conv || is_version))
				return r;
		} else {
			return r;
		}
		s = nt_ws(s);
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s != '}')
			return r;
		break;
	}
	if (*nt_ws(s + 1) != '\0')
		return r;
	r.ok = have_conv && have_version && r.conv > 0;
	return r;
}

static void nt_check(const char *payload)
{
	struct nt_result want = nt_parse(payload, false), strict = nt_parse(payload, true);
	int64_t conv = 0, version = 0;
	int ret = store_parse_notify(payload, &conv, &version);

	FUZZ_CHECK(ret == 0 || ret == -1, "store_parse_notify returned %d", ret);
	FUZZ_CHECK(!strict.ok || want.ok, "reference parsers disagree");
	FUZZ_CHECK((ret == 0) == want.ok, "store_parse_notify %s a payload it should %s",
		   ret == 0 ? "accepted" : "refused", want.ok ? "accept" : "refuse");
	if (ret == 0)
		FUZZ_CHECK(conv == want.conv && version == want.version && conv > 0,
			   "store_parse_notify read conv %" PRId64 " version %" PRId64
			   ", the payload says %" PRId64 " and %" PRId64,
			   conv, version, want.conv, want.version);
}

static int fuzz_notify_one(const uint8_t *data, size_t size)
{
	char *payload = fuzz_strndup(data, size), built[96];
	int64_t pair[2], conv = 0, version = 0;
	int ret;

	nt_check(payload);
	free(payload);

	if (size >= 16) {
		memcpy(pair, data, sizeof(pair));
		snprintf(built, sizeof(built), "{\"conv\": %" PRId64 ", \"version\": %" PRId64 "}",
			 pair[0], pair[1]);
		nt_check(built);
		ret = store_parse_notify(built, &conv, &version);
		if (pair[0] > 0 && pair[1] > -INT64_C(1000000000000000000))
			FUZZ_CHECK(ret == 0 && conv == pair[0] && version == pair[1],
				   "the trigger's payload %s does not read back", built);
	}
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
	return fuzz_notify_one(data, size);
}
#endif
