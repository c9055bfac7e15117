#!/bin/sh
# Bash completion: subcommands at the first word, each subcommand's own
# options, values for --format, --lang and --schemas. Needs bash, no database.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
command -v bash >/dev/null || { echo "note: no bash; skipped"; exit 0; }

fail() {
	echo "FAIL (test_completion): $*"
	exit 1
}
# complete WORDS...: what completing the last word offers, one line.
complete_words() {
	bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_balie balie
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
	' sh "$top/src/completion/balie" "$@"
}
expect() {	# "offer" words...
	want=$1
	shift
	got=$(complete_words "$@")
	[ "$got" = "$want" ] || fail "'$*' offered '$got', not '$want'"
}

expect "migrate " balie mi
expect "migrate relay report sim watch " balie ""
expect "--schemas " balie migrate --sc
expect "--socket " balie relay --so
expect "--supervisor " balie --su
expect "--format --from " balie report --f
expect "csv json " balie report --format ""
expect "en nl " balie sim --lang ""
expect "--duration " balie -d "dbname=x" sim --du
mkdir -p "$top/build"
d=$(mktemp -d "$top/build/compl.XXXXXX")
trap 'rm -rf "$d"' EXIT
mkdir "$d/schemas-here"
expect "$d/schemas-here " balie migrate --schemas "$d/sch"
echo "ok (test_completion)"
