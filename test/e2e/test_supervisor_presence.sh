#!/bin/sh
# Presence on the supervisor screen: an agent's console shows ONLINE; when
# it is killed with SIGKILL (no goodbye) the agent shows OFFLINE within the
# documented 35 seconds, and its conversation is flagged as needing a
# person; one key (t) gives it to the supervisor, another (Enter) opens it.
. "$(dirname "$0")/lib.sh"

# start_agent ROLE SESSION: a second console in its own tmux session.
start_agent() {
	cat >"$E2E_TMP/run-$2.sh" <<AGENT
#!/bin/sh
export TERM=tmux-256color LC_ALL=C.UTF-8 XDG_CONFIG_HOME=$E2E_TMP/config
"$BALIE" -d "$(conninfo "$1")"
echo "EXIT=\$?"
exec sleep 600
AGENT
	chmod +x "$E2E_TMP/run-$2.sh"
	tm new-session -d -s "$2" -x 80 -y 24 "$E2E_TMP/run-$2.sh" || fail "cannot start tmux"
}

fresh_db
conv=$(escalate billing 'Mia de Boer' customer_request 'I was charged twice')
[ "$(echo "SELECT balie.takeover($conv)" | sql ann)" = t ] || fail "ann could not take over"

start_console sue tmux-256color --supervisor
wait_for_screen 'SUPERVISOR · Sue Visser'
wait_for_screen '^  Ann Jansen +OFFLINE! .*needs a person'

start_agent ann agent
wait_for_screen '^  Ann Jansen +ONLINE ' 10
wait_for_screen "^    #$conv +HUMAN .* billing +Mia de Boer"

pid=$(console_pid ann)
[ -n "$pid" ] || fail "cannot find ann's console"
kill -KILL "$pid"
killed=$(date +%s)
wait_for_screen '^  Ann Jansen +OFFLINE! .*needs a person' 40
took=$(( $(date +%s) - killed ))
[ "$took" -le 35 ] || fail "offline only after $took s"
echo "offline shown $took s after SIGKILL"

# Stranded agents come first: Ann, then her conversation.
keys g j j j j
wait_for_screen "^>   #$conv "
keys t
wait_for_sql sue sue 5 <<SQL
SELECT agent FROM balie.conversations WHERE id = $conv
SQL
wait_for_screen "#$conv is yours now"
# The customer is told the person changed (schema 007's person_changed text).
wait_for_screen "^  Sue Visser .*billing, health"
wait_for_screen "^>   #$conv +HUMAN .* billing +Mia de Boer"
wait_for_screen '^  Ann Jansen +offline '
keys Enter
wait_for_screen 'talking to: HUMAN \(Sue Visser\) · you'
keys q
wait_for_screen 'open conversation.*press q again to quit'
keys q
wait_for_screen '^EXIT=0$'
pass
