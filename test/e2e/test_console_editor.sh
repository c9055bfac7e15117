#!/bin/sh
# E replies in $EDITOR: curses steps aside, the editor runs on the terminal,
# and what it saved is sent once (two lines stay two lines); an empty file
# sends nothing; the screen comes back afterwards.
. "$(dirname "$0")/lib.sh"

fresh_db
conv=$(escalate billing 'Lotte Smit' customer_request 'Kan ik mijn termijn aanpassen?')
[ "$(echo "SELECT balie.takeover($conv)" | sql ann)" = t ] || fail "takeover failed"

# The "editor" writes a reply the first time and leaves the file empty the
# second time, like a person who quits without saving.
editor=$E2E_TMP/editor.sh
cat >"$editor" <<EOF2
#!/bin/sh
if [ -e "$E2E_TMP/edited-once" ]; then
	: >"\$1"
else
	printf 'Dat kan zeker.\nIk pas het vandaag aan.\n' >"\$1"
	touch "$E2E_TMP/edited-once"
fi
EOF2
chmod +x "$editor"
export EDITOR="$editor"

start_console ann
wait_for_screen 'Lotte Smit'
keys Enter
wait_for_screen 'talking to: HUMAN \(Ann Jansen\)'
keys E
wait_for_screen 'agent +Dat kan zeker\.' 10
wait_for_screen 'Ik pas het vandaag aan\.'
wait_for_sql ann 1 5 <<SQL
SELECT count(*) FROM balie.messages WHERE conversation = $conv AND author_kind = 'agent'
 AND body = E'Dat kan zeker.\nIk pas het vandaag aan.'
SQL

keys E
wait_for_screen 'empty reply: nothing sent' 10
[ "$(echo "SELECT count(*) FROM balie.messages WHERE conversation = $conv AND author_kind = 'agent'" |
	sql postgres)" = 1 ] || fail "an empty edit sent something"
# The screen is whole again after the editor: header and status are back.
wait_for_screen '^ balie · Ann Jansen \(ann\)'
wait_for_screen ' online *$'
keys Escape
keys q
wait_for_screen 'open conversation.*press q again to quit'
keys q
wait_for_screen '^EXIT=0$'
pass
