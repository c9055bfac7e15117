/* paths: where balie finds the files it ships (schemas, translations).
 *
 * An installed binary uses the directories compiled in from the Makefile's
 * DATADIR and LOCALEDIR. A binary that runs from its source tree (./balie,
 * build/san/balie) uses the tree's own schemas/ and build/locale instead, so
 * a developer never migrates with, or reads the words of, an older install. */
#ifndef BALIE_PATHS_H
#define BALIE_PATHS_H

#include <stddef.h>

/* The directory of schema files to apply; writes into buf and returns it. */
const char *paths_schema_dir(char *buf, size_t len);

/* The directory of message catalogues ($BALIE_LOCALEDIR wins when set). */
const char *paths_locale_dir(char *buf, size_t len);

#endif
