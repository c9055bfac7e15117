#!/bin/sh
# The console speaks Dutch when LANG=nl_NL.UTF-8 (no LC_ALL, no LANGUAGE):
# at 80x24 the header counts, the list's column titles and state flags, the
# status line's keys, the open conversation, a refusal in words, the done
# words of a takeover and the help screen are Dutch, and nothing that
# matters is cut: the status line keeps every key hint and the connection
# state on one line. Skipped (with a note) where nl_NL.UTF-8 is not
# generated; .ci/run generates it.
. "$(dirname "$0")/lib.sh"

if ! locale -a 2>/dev/null | grep -qi '^nl_NL\.utf-\?8$'; then
	echo "note ($E2E_NAME): locale nl_NL.UTF-8 is not generated here (locale-gen); skipped"
	pass
fi
[ -f "$E2E_TOP/build/locale/nl/LC_MESSAGES/balie.mo" ] || fail "make built no Dutch catalogue"

fresh_db
conv=$(escalate billing 'Mia de Boer' customer_request 'Ik heb twee keer betaald')
E2E_LANG=nl_NL.UTF-8 start_console ann
wait_for_screen 'Ann Jansen \(ann\)'
wait_for_screen ' online *$'
# Header: the long counts when they fit, the short codes otherwise.
wait_for_screen '1 (wachtend|WACHT) · 0 (bij een medewerker|MENS) · 0 (bij de bot|BOT) *$'
# Column titles and the state flag in a column wide enough for WACHT.
wait_for_screen '^ +status +klok +wachtrij +klant +wie / waarom +laatste bericht'
wait_for_screen "^> WACHT +[0-9]+:[0-9]{2}[ !] billing +Mia de Boer +customer_request"
# The list's key hints, whole, with the connection state on the same line.
wait_for_screen '^ Enter openen t overnemen / zoeken \? hulp q afsluiten +online *$'

keys Enter
wait_for_screen "#$conv Mia de Boer"
wait_for_screen 'in gesprek met: BOT · WACHT op een medewerker'
wait_for_screen 'klant +Ik heb twee keer betaald'
wait_for_screen 'samenvatting: Charged twice'
# A refusal in words: replying before taking over.
keys r
wait_for_screen "#$conv wacht op een medewerker: neem het eerst over \(t\)"
keys t
wait_for_sql ann ann 5 <<SQL
SELECT agent FROM balie.conversations WHERE id = $conv
SQL
wait_for_screen "#$conv overgenomen — je praat nu met Mia de Boer"
wait_for_screen 'in gesprek met: MENS \(Ann Jansen\) · jij'
# The owner's key hints are the longest status line: all of it, and the
# connection state after it, within 80 columns (once the takeover news,
# shown 15 s, has gone).
wait_for_screen '^ r antwoord n notitie h naar bot x overdragen c sluiten Esc terug \? hulp +online$' 20
# The supervisor screen refused in Dutch.
keys S
wait_for_screen 'het supervisorscherm is voor supervisors; ann is er geen'
# Help: Dutch descriptions and legend, wrapped within the screen.
keys '?'
wait_for_screen 'balie-toetsen — wijzig ze in ~/.config/balie/config'
wait_for_screen 'het gekozen gesprek openen'
wait_for_screen 'het gesprek overnemen van de bot'
keys Escape
wait_for_no_screen 'balie-toetsen'
screen >"$E2E_TMP/dutch.txt"
keys q
wait_for_screen '^EXIT=0$'
tm kill-server

# The supervisor screen: header, column titles with the Dutch flags, the
# queue's day in words, the agents' titles and the hints, all at 80x24.
E2E_LANG=nl_NL.UTF-8 start_console sue tmux-256color --supervisor
wait_for_screen 'SUPERVISOR · Sue Visser \(sue\)'
wait_for_screen '0 (wachtend|WACHT) · 0 (over SLA|SLA!) · 1 (bij een medewerker|MENS) · 0 (bij de bot|BOT) *$'
wait_for_screen '^ +wachtrij +BOT +WACHT +MENS +langste +SLA!'
wait_for_screen '^[> ] billing +0 +0 +1 '
wait_for_screen 'Billing & banking · vandaag 1 geëscaleerd \(wil een mens 1\)'
wait_for_screen '^ +medewerker +aanwezig +sinds +wachtrijen +open +gesprekken'
wait_for_screen "^    #$conv +MENS .* billing +Mia de Boer"
wait_for_screen ' online *$'
screen >"$E2E_TMP/super.txt"
keys q
wait_for_screen '^EXIT=0$'
if [ -n "${BALIE_E2E_CAPTURE:-}" ]; then
	cat "$E2E_TMP/dutch.txt" "$E2E_TMP/super.txt" >"$BALIE_E2E_CAPTURE"
fi
pass
