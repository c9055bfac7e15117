/* Unit tests of the language set-up (i18n.c) and of the words that go
 * through it: the verb table's words are translated where they are filled
 * in, a context picks the short key hint, counts take their plural, and the
 * locale never reaches LC_NUMERIC (a Dutch locale must not turn decimal
 * points into commas in SQL parameters or JSON). Reads the catalogue that
 * `make` built in build/locale; skips the Dutch checks without it. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "balie/i18n.h"
#include "balie/verb.h"

/* Dutch through LANGUAGE, from the tree's catalogue; false if there is none. */
static bool dutch(void)
{
	char cwd[2048], dir[2600], mo[2700];

	if (!getcwd(cwd, sizeof cwd))
		return false;
	snprintf(dir, sizeof dir, "%s/build/locale", cwd);
	snprintf(mo, sizeof mo, "%s/nl/LC_MESSAGES/balie.mo", dir);
	if (access(mo, R_OK) != 0)
		return false;
	setenv("BALIE_LOCALEDIR", dir, 1);
	setenv("LANGUAGE", "nl", 1);
	setenv("LC_ALL", "C.UTF-8", 1);
	i18n_init();
	return true;
}

static void test_verb_words_are_translated_where_filled(void **state)
{
	struct verb_words w = { .id = 12, .customer = "Mia de Boer", .owner = "Bob" };
	char buf[256];

	(void)state;
	if (!dutch())
		skip();
	assert_string_equal(verb_format(verb_info(VERB_CLOSE)->done, &w, buf, sizeof buf),
			    "#12 gesloten");
	assert_string_equal(verb_format(verb_info(VERB_TAKEOVER)->done, &w, buf, sizeof buf),
			    "#12 overgenomen — je praat nu met Mia de Boer");
	w.no = true;
	assert_string_equal(verb_format(verb_info(VERB_TAKEOVER)->done, &w, buf, sizeof buf),
			    "#12 was al overgenomen door Bob");
	w.owner = NULL;
	assert_string_equal(verb_format(verb_info(VERB_TAKEOVER)->done, &w, buf, sizeof buf),
			    "#12 was al overgenomen door iemand anders");
	/* The table itself keeps the English source. */
	assert_string_equal(verb_info(VERB_CLOSE)->done, "#{id} closed");
}

static void test_context_and_plural(void **state)
{
	(void)state;
	if (!dutch())
		skip();
	assert_string_equal(C_("key hint", "reply"), "antwoord");
	assert_string_equal(_("reply"), "antwoorden");
	/* A context without a translation falls back to the English word. */
	assert_string_equal(C_("no such context", "reply"), "reply");
	assert_string_equal(P_("%zu conversation: ", "%zu conversations: ", 1), "%zu gesprek: ");
	assert_string_equal(P_("%zu conversation: ", "%zu conversations: ", 3),
			    "%zu gesprekken: ");
}

static void test_numbers_keep_their_point(void **state)
{
	char buf[32];

	(void)state;
	unsetenv("LC_ALL");
	unsetenv("LANGUAGE");
	setenv("LANG", "nl_NL.UTF-8", 1);
	setenv("LC_NUMERIC", "nl_NL.UTF-8", 1);
	i18n_init();
	snprintf(buf, sizeof buf, "%.2f", 0.62);
	assert_string_equal(buf, "0.62");
	assert_string_equal(setlocale(LC_NUMERIC, NULL), "C");
	if (!setlocale(LC_CTYPE, NULL) || strstr(setlocale(LC_CTYPE, NULL), "nl_NL") == NULL)
		skip();	/* nl_NL.UTF-8 is not generated here: LC_NUMERIC was checked */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verb_words_are_translated_where_filled),
		cmocka_unit_test(test_context_and_plural),
		cmocka_unit_test(test_numbers_keep_their_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
