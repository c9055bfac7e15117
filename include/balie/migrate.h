/* migrate: `balie migrate` brings a database to the schema this balie ships.
 *
 * The numbered files of the schema directory (NNN_name.sql) are applied in
 * order, each in one transaction together with the record of its version in
 * balie.schema_version. Files already recorded are skipped, up to the first
 * one that is not; from there on every file is applied (they are idempotent,
 * so re-applying a later one after filling a gap is safe). A database that
 * records a version newer than the newest file is refused. */
#ifndef BALIE_MIGRATE_H
#define BALIE_MIGRATE_H

#include <stddef.h>

/* Exit status of balie migrate beyond EXIT_OK/1/2 (see balie(1)). */
enum { MIGRATE_EXIT_TOO_NEW = 3 };

int migrate_main(int argc, char **argv);

/* Takes a schema file's own outer transaction off TEXT (in place: "BEGIN;"
 * and the final "COMMIT;" become blanks, so line numbers stay), so that
 * migrate can run the file and record its version in one transaction. A file
 * without BEGIN/COMMIT is left as it is. Returns 0, or -1 with a reason in
 * err: an unclosed BEGIN, a COMMIT without BEGIN, a transaction command in
 * the middle, a psql meta-command (\...), an unterminated quote or comment. */
int migrate_unwrap(char *text, char *err, size_t errlen);

#endif
