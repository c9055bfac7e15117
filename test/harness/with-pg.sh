#!/bin/sh
# Run a command with a throwaway PostgreSQL server beside it.
#
#   with-pg.sh COMMAND [ARG...]
#
# The server lives in a fresh temporary directory and is stopped (and the
# directory removed) when the command ends, also when it fails or is
# interrupted. The command sees BALIE_TEST_* in its environment.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/balie-pg.XXXXXX")

cleanup() {
	"$here/pg.sh" stop "$dir" || true
	if [ -n "${BALIE_KEEP_PG:-}" ]; then
		echo "with-pg.sh: kept $dir" >&2
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

"$here/pg.sh" start "$dir"
eval "$("$here/pg.sh" env "$dir")"
export BALIE_TEST_PGDIR BALIE_TEST_PGPORT BALIE_TEST_PGBIN BALIE_TEST_HARNESS
# "$@" runs in the foreground (not exec) so that the trap still fires.
"$@"
