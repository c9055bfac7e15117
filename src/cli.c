/* cli: what the commands share on the command line. */
#include <stdarg.h>
#include <stdio.h>

#include "balie/cli.h"
#include "balie/i18n.h"

void cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, _("\nTry '%s --help' for more information.\n"), cmd);
}
