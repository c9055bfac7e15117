#!/bin/sh
# What the customer reads, driven as an agent at 80x24: a Dutch conversation
# shows its language; /name + Tab completes an ambiguous macro name (and
# lists the names), then expands it on the compose line with the customer's
# name filled in; the reply is stored with the macro's source and the source
# shows under it; c picks a wrap-up code and takes a resolution line, both
# stored, and the customer gets the closing text in Dutch; h takes an
# optional note for the bot, kept in the transcript.
. "$(dirname "$0")/lib.sh"

fresh_db
sql postgres >/dev/null <<'SQL'
SELECT balie.add_macro('billing', 'retour', 'nl',
	'Dag {customer}, retourneren kan binnen 30 dagen.',
	'[{"title": "Retourneren", "url": "https://kustbank.example/retour"}]');
SELECT balie.add_macro('billing', 'retourlabel', 'nl', 'Het retourlabel staat in de app.');
SELECT balie.add_macro('billing', 'retour', 'en', 'Returns are possible within 30 days.');
SELECT balie.add_wrapup('billing', 'solved', 'Solved in this conversation');
SELECT balie.add_wrapup('billing', 'callback', 'We call the customer back');
SQL

# A Dutch customer, the way a bot brings one.
open_dutch() {	# customer text
	sql botty -v name="$1" -v body="$2" <<'SQL'
SELECT balie.open_conversation('billing', 'ref-' || md5(:'name'), :'name', 'chat', 'nl') AS id \gset
SELECT balie.post_message(:id, 'customer', :'body') \g /dev/null
SELECT balie.escalate(:id, 'customer_request', 'refund_request', 0.62, 'Wil iets terugsturen.') \g /dev/null
SELECT :id;
SQL
}

conv=$(open_dutch 'Mia de Boer' 'Hoe stuur ik iets terug?')
start_console ann
wait_for_screen ' online *$'
wait_for_screen "WAIT .* billing +Mia de Boer"
keys Enter
wait_for_screen "#$conv Mia de Boer"
wait_for_screen ' · nl · '
keys t
wait_for_screen 'talking to: HUMAN \(Ann Jansen\)'

keys r
wait_for_screen "reply to #$conv \(Mia de Boer\)>"
keys -l 'Hoi! /ret'
keys Tab
wait_for_screen 'macros: /retour /retourlabel'
wait_for_screen "reply to #$conv \(Mia de Boer\)> +Hoi! /retour *$"
keys Tab
wait_for_screen '> .*Dag Mia de Boer, retourneren kan binnen 30 dagen\. *$'
keys Enter
wait_for_screen "reply sent to #$conv"
wait_for_sql ann 'https://kustbank.example/retour' 5 <<SQL
SELECT sources->0->>'url' FROM balie.messages WHERE conversation = $conv AND author_kind = 'agent'
	AND body = 'Hoi! Dag Mia de Boer, retourneren kan binnen 30 dagen.'
SQL
wait_for_screen 'source: Retourneren — https://kustbank.example/retour'
# A name no macro has: said, the line stays as typed.
keys -l ' /zzz'
keys Tab
wait_for_screen 'no such macro'
wait_for_screen '> +/zzz *$'
keys C-u Escape
wait_for_no_screen "reply to #$conv"

# Close: a wrap-up code from the queue's list, then a resolution.
keys c
wait_for_screen "close #$conv \(Mia de Boer\) with which wrap-up code\?"
wait_for_screen '> callback +We call the customer back'
wait_for_screen '  solved +Solved in this conversation'
keys j Enter
wait_for_screen "resolution of #$conv — solved \(optional\)>"
keys -l 'Retour uitgelegd, belt terug over label'
keys Enter
wait_for_screen "#$conv closed"
wait_for_sql ann 'closed|solved|Retour uitgelegd, belt terug over label' 5 <<SQL
SELECT state || '|' || wrapup || '|' || resolution FROM balie.conversations WHERE id = $conv
SQL
# The customer got the closing text, in Dutch.
wait_for_sql ann 't' 5 <<SQL
SELECT m.body = (SELECT t.body FROM balie.texts t WHERE t.key = 'closing' AND t.lang = 'nl'
		 ORDER BY t.version DESC LIMIT 1)
FROM balie.messages m WHERE m.conversation = $conv AND m.author_kind = 'system'
	AND m.template_key = 'closing'
SQL

# Hand back with a note for the bot.
other=$(open_dutch 'Kees Smit' 'Mijn pas is kwijt')
wait_for_screen "WAIT .* billing +Kees Smit"
keys g
wait_for_screen '^> WAIT .*Kees Smit'
keys Enter t
wait_for_screen 'talking to: HUMAN \(Ann Jansen\)'
keys h
wait_for_screen "note for the bot on #$other \(optional\)>"
keys -l 'Pas is geblokkeerd; vraag of hij een nieuwe wil.'
keys Enter
wait_for_sql ann 'bot|1' 5 <<SQL
SELECT c.state || '|' || (SELECT count(*) FROM balie.messages m WHERE m.conversation = c.id
	AND m.author_kind = 'note' AND m.body LIKE '%Pas is geblokkeerd; vraag of hij een nieuwe wil.%')
FROM balie.conversations c WHERE c.id = $other
SQL
wait_for_screen '^ +Pas is geblokkeerd; vraag of hij een nieuwe wil\.'
wait_for_screen 'talking to: BOT'

quit_console
pass
