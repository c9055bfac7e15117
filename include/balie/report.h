/* report: `balie report` and its CSV writer (RFC 4180). */
#ifndef BALIE_REPORT_H
#define BALIE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

int report_main(int argc, char **argv);

/* Whether V must be quoted: a comma, a double quote, CR or LF, or a blank
 * at either end. */
bool report_csv_needs_quotes(const char *v);
/* Writes V as one CSV field (quoted and doubled when needed; NULL empty). */
void report_csv_field(FILE *out, const char *v);
/* Writes one record of NCOLS fields, ended by CRLF. */
void report_csv_row(FILE *out, int ncols, const char *const *values);

#endif
