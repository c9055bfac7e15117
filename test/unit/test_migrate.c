/* Unit tests of migrate_unwrap: a schema file's own transaction is found
 * and taken off, whatever quotes, dollar quotes and comments hold. */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balie/migrate.h"

/* Unwraps SRC and returns the result (static) or "ERR: reason". */
static const char *unwrap(const char *src)
{
	static char buf[4096], err[256];

	strcpy(buf, src);
	if (migrate_unwrap(buf, err, sizeof err) != 0) {
		snprintf(buf, sizeof buf, "ERR: %s", err);
	}
	return buf;
}

static void test_outer_transaction_blanked(void **state)
{
	assert_string_equal(unwrap("-- c\nBEGIN;\nSELECT 1;\nCOMMIT;\n"),
			    "-- c\n      \nSELECT 1;\n       \n");
	assert_string_equal(unwrap("/* x */ begin ; select 1; commit;"),
			    "/* x */         select 1;        ");
	assert_string_equal(unwrap("START TRANSACTION;\nSELECT 1;\nEND;"),
			    "                  \nSELECT 1;\n    ");
}

static void test_no_transaction_left_alone(void **state)
{
	assert_string_equal(unwrap("SELECT 1;\nSELECT 2;"), "SELECT 1;\nSELECT 2;");
	assert_string_equal(unwrap(""), "");
	assert_string_equal(unwrap("-- only a comment\n"), "-- only a comment\n");
}

static void test_quoted_words_are_not_statements(void **state)
{
	const char *fn = "BEGIN;\nDO $$ BEGIN PERFORM 1; COMMIT; END $$;\n"
			 "SELECT 'COMMIT; it''s', E'\\'; BEGIN;', \"a;b\";\n"
			 "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ SELECT $1; $fn$;\n"
			 "/* COMMIT; /* nested */ ROLLBACK; */\nCOMMIT;\n";

	assert_string_equal(strstr(unwrap(fn), "ERR") ? "error" : "ok", "ok");
	assert_int_equal(strncmp(unwrap(fn), "      \nDO $$", 12), 0);
}

static void test_refusals(void **state)
{
	assert_string_equal(unwrap("BEGIN;\nSELECT 1;\n"),
			    "ERR: line 1: BEGIN without a COMMIT at the end");
	assert_string_equal(unwrap("SELECT 1;\nCOMMIT;\n"),
			    "ERR: line 2: COMMIT without a BEGIN at the start");
	assert_string_equal(unwrap("BEGIN;\nSELECT 1;\nROLLBACK;\n"),
			    "ERR: line 1: BEGIN without a COMMIT at the end");
	assert_string_equal(unwrap("BEGIN;\nCOMMIT;\nBEGIN;\nCOMMIT;\n"),
			    "ERR: line 2: a transaction command in the middle of the "
			    "file; a schema file is one transaction");
	assert_string_equal(unwrap("SELECT 1;\n\\set x 1\nSELECT 2;\n"),
			    "ERR: line 2: a psql meta-command; migrate runs plain SQL only");
	assert_string_equal(unwrap("SELECT 'open;\n"),
			    "ERR: line 1: a quote or comment that never ends");
	assert_string_equal(unwrap("SELECT 1;\nDO $x$ BEGIN END $y$;\n"),
			    "ERR: line 2: a quote or comment that never ends");
}

/* Every schema file of the tree (the unit tests run from its top). */
static void test_shipped_files_unwrap(void **state)
{
	glob_t g;

	assert_int_equal(glob("schemas/[0-9]*_*.sql", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 4);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		static char text[1 << 20];
		char err[256];
		size_t n;

		assert_non_null(f);
		n = fread(text, 1, sizeof text - 1, f);
		fclose(f);
		text[n] = '\0';
		if (migrate_unwrap(text, err, sizeof err) != 0)
			fail_msg("%s: %s", g.gl_pathv[i], err);
		/* The transaction is gone; the file's own work is all still there. */
		assert_null(strstr(text, "\nCOMMIT;"));
		assert_null(strstr(text, "\nBEGIN;"));
		assert_non_null(strstr(text, "schema_version"));
	}
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outer_transaction_blanked),
		cmocka_unit_test(test_no_transaction_left_alone),
		cmocka_unit_test(test_quoted_words_are_not_statements),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_shipped_files_unwrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
