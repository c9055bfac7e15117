/* Unit tests of balie report's CSV writer: RFC 4180 quoting, so that a
 * spreadsheet opens the file as is whatever a queue or wrap-up code is
 * called. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balie/report.h"

/* The bytes report_csv_row writes for N fields. */
static const char *row_text(int n, const char *const *v)
{
	static char buf[1024];
	FILE *f = tmpfile();
	size_t len;

	assert_non_null(f);
	report_csv_row(f, n, v);
	rewind(f);
	len = fread(buf, 1, sizeof buf - 1, f);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static void test_plain_fields_stay_plain(void **state)
{
	const char *v[] = { "2026-12-05", "billing", "0.75", "42" };

	(void)state;
	assert_string_equal(row_text(4, v), "2026-12-05,billing,0.75,42\r\n");
	assert_false(report_csv_needs_quotes("Billing & banking"));
	assert_false(report_csv_needs_quotes(""));
}

static void test_quoting(void **state)
{
	const char *v[] = { "a,b", "say \"hi\"", "two\nlines", "cr\rhere", " padded ", NULL, "" };

	(void)state;
	assert_true(report_csv_needs_quotes("a,b"));
	assert_true(report_csv_needs_quotes("\""));
	assert_true(report_csv_needs_quotes("x\n"));
	assert_true(report_csv_needs_quotes(" lead"));
	/* Quotes doubled inside quotes; NULL and "" are empty fields. */
	assert_string_equal(row_text(7, v),
			    "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rhere\",\" padded \",,\r\n");
}

static void test_wrapups_column(void **state)
{
	/* The wrap-up counts are "code=n,code=n": one field, quoted. */
	const char *v[] = { "billing", "refund=3,info=1" };

	(void)state;
	assert_string_equal(row_text(2, v), "billing,\"refund=3,info=1\"\r\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_fields_stay_plain),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_wrapups_column),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
