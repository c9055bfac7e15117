#!/bin/sh
# Runs the test suite: unit tests first (no database), then the SQL API and
# integration tests and the end-to-end tests against one throwaway server.
#
#   test/run-tests.sh [unit|db|e2e|all] [NAME-REGEX]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
what=${1:-all}
filter=${2:-}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ "$what" = inner ]; then
	shift 2>/dev/null || true
	passed=0; failed=0; failures=""
	for t in build/dbtest/test_* test/e2e/test_*.sh; do
		[ -x "$t" ] && [ -f "$t" ] || continue
		case "$t" in *.d|*.o) continue ;; esac
		[ -z "$filter" ] || echo "$t" | grep -Eq -- "$filter" || continue
		case "$t" in test/e2e/*) [ "${SKIP_E2E:-}" = 1 ] && continue ;; esac
		case "$t" in build/*) [ "${SKIP_DB:-}" = 1 ] && continue ;; esac
		echo "=== $t"
		start=$(date +%s)
		if "$t"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1)); failures="$failures $t"
		fi
		echo "--- $t: $(( $(date +%s) - start ))s"
	done
	echo "$passed $failed $failures" >"${RESULT_FILE:?}"
	exit 0
fi

passed=0; failed=0; failures=""
if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in build/test/test_*; do
		[ -x "$t" ] && [ -f "$t" ] || continue
		case "$t" in *.d|*.o) continue ;; esac
		[ -z "$filter" ] || echo "$t" | grep -Eq -- "$filter" || continue
		echo "=== $t"
		if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures="$failures $t"; fi
	done
fi
if [ "$what" = all ] || [ "$what" = db ] || [ "$what" = e2e ]; then
	[ "$what" = db ] && export SKIP_E2E=1
	[ "$what" = e2e ] && export SKIP_DB=1
	RESULT_FILE=$(mktemp); export RESULT_FILE
	chmod 666 "$RESULT_FILE"
	if test/harness/with-pg.sh "$0" inner "$filter"; then
		read -r p f rest <"$RESULT_FILE" || { p=0; f=1; rest="(harness)"; }
		passed=$((passed + p)); failed=$((failed + f)); failures="$failures $rest"
	else
		failed=$((failed + 1)); failures="$failures (database harness)"
	fi
	rm -f "$RESULT_FILE"
fi
echo
[ "$failed" -gt 0 ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
