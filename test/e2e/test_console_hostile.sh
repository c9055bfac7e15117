#!/bin/sh
# Hostile customer text (an OSC title change, clear screen, SGR red, an
# 8-bit CSI) cannot reach the terminal: the pane title stays, nothing is
# cleared or coloured, and the placeholders are visible. Once on a UTF-8
# tmux-256color terminal, once on a vt100 in the C locale (ASCII output,
# no colour at all).
. "$(dirname "$0")/lib.sh"

fresh_db
hostile=$(printf '\033]0;pwned\007\033[2J\033[31mred\302\233')
conv=$(escalate health 'Jan Pietersen' sensitive_topic "$hostile")

check() {	# term locale placeholder-pattern
	E2E_LC_ALL=$2 start_console ann "$1"
	title=$(tm display -p -t "$SESSION" '#{pane_title}')
	wait_for_screen 'Jan Pietersen'
	keys Enter
	wait_for_screen "#$conv Jan Pietersen"
	wait_for_screen "customer $3"
	[ "$(tm display -p -t "$SESSION" '#{pane_title}')" = "$title" ] ||
		fail "$1: the pane title changed"
	# Not cleared: the header and the list are still there.
	screen | grep -q 'Ann Jansen (ann)' || fail "$1: the header is gone"
	screen | grep -Eq '^. WAIT .*Jan Pietersen' || fail "$1: the list row is gone"
	tm capture-pane -e -p -t "$SESSION:0.0" >"$E2E_TMP/sgr"
	if grep 'pwned' "$E2E_TMP/sgr" | grep -q "$(printf '\033')\\[[0-9;]*31m"; then
		fail "$1: red from the customer's text"
	fi
	grep -q 'pwned' "$E2E_TMP/sgr" || fail "$1: placeholder missing"
	if [ "$1" = vt100 ] && grep -q "$(printf '\033')\\[[0-9;]*3[0-7]m" "$E2E_TMP/sgr"; then
		fail "vt100: colour used on a monochrome terminal"
	fi
	keys q
	wait_for_screen '^EXIT=0$'
	tm kill-server
}

check tmux-256color C.UTF-8 '␛\]0;pwned␇␛\[2J␛\[31mred<9B>'
check vt100 C '\^\[\]0;pwned\^G\^\[\[2J\^\[\[31mred<9B>'
pass
