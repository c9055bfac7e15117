/* fuzz_config: config_parse_string() on hostile config files.
 *
 * The input is the file's text. If it starts with a NUL byte, the bytes up
 * to the next NUL are the file name shown in messages (a path can hold
 * escape sequences too) and the rest is the text; otherwise the name is
 * "fuzz.conf".
 *
 * Checks: every value stays in its documented range (colours -1..255, the
 * four attribute bits, bell, away_after 1..86400, reconnect_max_ms
 * 100..3600000); the key map holds at most KEYS_MAX_BINDINGS distinct keys
 * bound to real actions, and every bound key's name reads back as the same
 * key; the error count returned matches the messages kept (at most
 * CONFIG_MAX_ERRORS and one "too many"), and every message is safe for the
 * terminal, names the file and is on one line; "a bad line never stops the
 * rest": parsing the text line by line gives the same settings and the same
 * count as parsing it whole. */
#include "balie/config.h"
#include "balie/keys.h"
#include "fuzz_common.c"

/* Whether A and B hold the same settings (messages aside). */
static bool cfg_same_settings(const struct config *a, const struct config *b)
{
	size_t i;

	if (a->bell != b->bell || a->away_after != b->away_after ||
	    a->reconnect_max_ms != b->reconnect_max_ms || a->keys.n != b->keys.n)
		return false;
	for (i = 0; i < CONFIG_ROLE_COUNT; i++)
		if (a->colors[i].fg != b->colors[i].fg || a->colors[i].bg != b->colors[i].bg ||
		    a->colors[i].attrs != b->colors[i].attrs)
			return false;
	for (i = 0; i < a->keys.n; i++)
		if (a->keys.b[i].key != b->keys.b[i].key ||
		    a->keys.b[i].action != b->keys.b[i].action)
			return false;
	return true;
}

static void cfg_check_keys(const struct keys_map *m)
{
	struct keys_help_row rows[VERB_COUNT];
	char name[32], small[7];
	size_t i, j, n;
	unsigned back;

	FUZZ_CHECK(m->n <= KEYS_MAX_BINDINGS, "%zu bindings", m->n);
	for (i = 0; i < m->n; i++) {
		const struct keys_binding *b = &m->b[i];

		FUZZ_CHECK(b->key != KEYS_NO_KEY, "binding %zu has no key", i);
		FUZZ_CHECK(b->action > VERB_NONE && b->action < VERB_COUNT,
			   "binding %zu has action %d", i, (int)b->action);
		for (j = i + 1; j < m->n; j++)
			FUZZ_CHECK(m->b[j].key != b->key, "key 0x%X bound twice", b->key);
		FUZZ_CHECK(keys_lookup(m, b->key) == b->action, "keys_lookup(0x%X) disagrees",
			   b->key);
		keys_name(b->key, name, sizeof(name));
		fuzz_check_safe(name, strlen(name), 0, "keys_name");
		FUZZ_CHECK(keys_parse(name, &back) == 0 && back == b->key,
			   "key 0x%X is named \"%s\", which does not read back", b->key, name);
		FUZZ_CHECK(verb_parse(verb_info(b->action)->name) == b->action,
			   "action %d does not read back", (int)b->action);
	}
	n = keys_help(m, rows);
	FUZZ_CHECK(n > 0 && n < VERB_COUNT, "keys_help gave %zu rows", n);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(strlen(rows[i].keys) < sizeof(rows[i].keys), "help row overflow");
		fuzz_check_safe(rows[i].keys, strlen(rows[i].keys), 0, "keys_help");
		keys_describe(m, rows[i].action, small, sizeof(small));
		FUZZ_CHECK(strlen(small) < sizeof(small), "keys_describe overflow");
	}
}

static void cfg_check(const struct config *c, const char *name, size_t added)
{
	size_t i, want = added < CONFIG_MAX_ERRORS + 1 ? added : CONFIG_MAX_ERRORS + 1;

	for (i = 0; i < CONFIG_ROLE_COUNT; i++) {
		FUZZ_CHECK(c->colors[i].fg >= -1 && c->colors[i].fg <= 255 &&
			   c->colors[i].bg >= -1 && c->colors[i].bg <= 255 &&
			   (c->colors[i].attrs & ~0xFu) == 0, "colour of role %zu out of range", i);
		FUZZ_CHECK(config_role_name((enum config_role)i)[0] != '\0', "role %zu has no name", i);
	}
	FUZZ_CHECK(c->bell == CONFIG_BELL_OFF || c->bell == CONFIG_BELL_ON ||
		   c->bell == CONFIG_BELL_FLASH, "bell %d", (int)c->bell);
	FUZZ_CHECK(c->away_after >= 1 && c->away_after <= 86400, "away_after %u", c->away_after);
	FUZZ_CHECK(c->reconnect_max_ms >= 100 && c->reconnect_max_ms <= 3600000,
		   "reconnect_max_ms %u", c->reconnect_max_ms);
	cfg_check_keys(&c->keys);

	FUZZ_CHECK(c->nerrors == want, "%zu errors reported, %zu messages kept", added, c->nerrors);
	for (i = 0; i < c->nerrors; i++) {
		const char *m = c->errors[i];

		FUZZ_CHECK(m != NULL, "message %zu is NULL", i);
		fuzz_check_safe(m, strlen(m), 0, "config message");
		/* The name is shown sanitised, so compare with that. */
		{
			char *shown = text_clean(name, 0);
			size_t k = strlen(shown);

			FUZZ_CHECK(strncmp(m, shown, k) == 0 && m[k] == ':',
				   "message %zu does not start with the file name: %s", i, m);
			free(shown);
		}
	}
}

static int fuzz_config_one(const uint8_t *data, size_t size)
{
	char name[64] = "fuzz.conf";
	const char *text = (const char *)data;
	struct config whole, lines;
	size_t len = size, added, line_added = 0, pos = 0;

	if (size > 0 && data[0] == '\0') {
		const uint8_t *nul = memchr(data + 1, '\0', size - 1);
		size_t k = nul ? (size_t)(nul - data - 1) : size - 1;

		if (k >= sizeof(name))
			k = sizeof(name) - 1;
		memcpy(name, data + 1, k);
		name[k] = '\0';
		text = nul ? (const char *)nul + 1 : (const char *)data + size;
		len = (size_t)((const char *)data + size - text);
	}

	config_defaults(&whole);
	added = config_parse_string(&whole, name, text, len);
	cfg_check(&whole, name, added);

	config_defaults(&lines);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) + 1 : len;

		line_added += config_parse_string(&lines, name, text + pos, end - pos);
		pos = end;
	}
	FUZZ_CHECK(line_added == added, "line by line %zu errors, whole %zu", line_added, added);
	FUZZ_CHECK(cfg_same_settings(&whole, &lines), "line by line gives other settings");

	config_free(&lines);
	config_free(&whole);
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
	return fuzz_config_one(data, size);
}
#endif
