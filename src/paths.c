/* paths: compiled-in install directories, or the source tree's; see paths.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "balie/paths.h"

#ifndef BALIE_SCHEMADIR
#define BALIE_SCHEMADIR "/usr/local/share/balie/schemas"
#endif
#ifndef BALIE_LOCALEDIR
#define BALIE_LOCALEDIR "/usr/local/share/locale"
#endif

/* Finds the source tree the running binary was built in: its own directory
 * or up to two levels above (build/san/balie), recognised by the first
 * schema file beside a Makefile. Returns 0 and the tree's path in buf. */
static int source_tree(char *buf, size_t len)
{
	char exe[4096], probe[4200];
	size_t n = sizeof exe;

	if (uv_exepath(exe, &n) != 0)
		return -1;
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(exe, '/');

		if (!slash || slash == exe)
			return -1;
		*slash = '\0';
		snprintf(probe, sizeof probe, "%s/schemas/001_core.sql", exe);
		if (access(probe, R_OK) != 0)
			continue;
		snprintf(probe, sizeof probe, "%s/Makefile", exe);
		if (access(probe, R_OK) != 0)
			continue;
		if ((size_t)snprintf(buf, len, "%s", exe) >= len)
			return -1;
		return 0;
	}
	return -1;
}

const char *paths_schema_dir(char *buf, size_t len)
{
	char tree[4096];

	if (source_tree(tree, sizeof tree) == 0)
		snprintf(buf, len, "%s/schemas", tree);
	else
		snprintf(buf, len, "%s", BALIE_SCHEMADIR);
	return buf;
}

const char *paths_locale_dir(char *buf, size_t len)
{
	const char *env = getenv("BALIE_LOCALEDIR");
	char tree[4096];

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if (source_tree(tree, sizeof tree) == 0)
		snprintf(buf, len, "%s/build/locale", tree);
	else
		snprintf(buf, len, "%s", BALIE_LOCALEDIR);
	return buf;
}
