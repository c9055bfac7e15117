/* verb: everything a person can ask of the console, one row per verb.
 *
 * A row says what the verb is called (in the config file and the help
 * screen), its default keys, on which screens its key works, how the console
 * asks for what it needs (a compose line, $EDITOR, the queue picker, y/n),
 * who may use it in which state (the policy), the SQL API function it calls
 * with the kinds of its parameters, and the words the person reads: the
 * question, the answer to "no", what happens now, what happened. Moving,
 * help and quitting are verbs too, without SQL.
 *
 * Adding a verb: one row here, its SQL function in schemas/, its test (see
 * README, ARCHITECTURE). The console, the key map, the help screen, the
 * refusals and the store all read this table; none lists verbs by hand.
 *
 * Words: "{id}" the conversation, "{customer}" its customer, "{owner}" the
 * person who has it ("someone else" when unknown), "{arg}" the argument
 * (a queue id, a login), "{queue}" that queue's name, "{value}" what the
 * function answered (done words only). "A|B": B is said when
 * the answer is no — the flag parameter was false, or the function answered
 * false (then it is shown as a refusal). No curses, no libpq. */
#ifndef BALIE_VERB_H
#define BALIE_VERB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balie/i18n.h"

/* Where a verb's key does something (0: no key, the console calls it). */
enum {
	VERB_ON_AGENT = 1u << 0,
	VERB_ON_SUPER = 1u << 1,
};
#define VERB_ON_BOTH (VERB_ON_AGENT | VERB_ON_SUPER)

/* How the console asks for what the verb needs before it is sent. */
enum verb_ask {
	VERB_ASK_NONE,		/* local, or sent at once */
	VERB_ASK_LINE,		/* text on the compose line */
	VERB_ASK_EDITOR,	/* text in $EDITOR (sends as the reply verb) */
	VERB_ASK_QUEUE,		/* a queue from the picker */
	VERB_ASK_YESNO,		/* a y/n question first */
};

/* Who may use a verb in which state: what the model already knows, so the
 * console refuses at once in words (the store still decides). */
enum {
	VERB_IF_CONV = 1u << 0,	/* acts on a conversation that is not closed */
	VERB_IF_OWNER = 1u << 1,	/* only its owner … */
	VERB_IF_SUPER = 1u << 2,	/* … or a supervisor */
	VERB_IF_UNTAKEN = 1u << 3,	/* not mine, not with another person */
	VERB_IF_OFFLINE = 1u << 4,	/* may be asked offline: kept in the outbox */
	VERB_IF_OPENS = 1u << 5,	/* opens the conversation's pane first */
	VERB_IF_GONE = 1u << 6,	/* the conversation leaves us: no news when it does */
	VERB_IF_ENDS = 1u << 7,	/* done: the pane closes, back to the queue */
	VERB_IF_SUPERVISOR = 1u << 8,	/* supervisors only */
};

/* Parameter kinds, one letter each, in $-order: c the conversation, t the
 * text (may be NULL), u the client_msg_id (NULL when empty), a the argument,
 * f the flag as a boolean, n the number. */

/* X(ENUM, name, default keys, screens, ask, policy, SQL call, parameters,
 *   help, refusal ("you cannot …"), question, answer to no, doing, done),
 * SQL being the statement (parameters only) or NULL for the console's own,
 * in help-screen order. */
#define VERB_TABLE(X) \
	X(DOWN, "down", "j Down", VERB_ON_BOTH, VERB_ASK_NONE, 0, NULL, "", \
	  N_("move down"), NULL, NULL, NULL, NULL, NULL) \
	X(UP, "up", "k Up", VERB_ON_BOTH, VERB_ASK_NONE, 0, NULL, "", \
	  N_("move up"), NULL, NULL, NULL, NULL, NULL) \
	X(PAGE_DOWN, "page-down", "PgDn C-f", VERB_ON_BOTH, VERB_ASK_NONE, 0, NULL, "", \
	  N_("move one page down"), NULL, NULL, NULL, NULL, NULL) \
	X(PAGE_UP, "page-up", "PgUp C-b", VERB_ON_BOTH, VERB_ASK_NONE, 0, NULL, "", \
	  N_("move one page up"), NULL, NULL, NULL, NULL, NULL) \
	X(HOME, "home", "Home g", VERB_ON_BOTH, VERB_ASK_NONE, 0, NULL, "", \
	  N_("go to the first line"), NULL, NULL, NULL, NULL, NULL) \
	X(END, "end", "End G", VERB_ON_BOTH, VERB_ASK_NONE, 0, NULL, "", \
	  N_("go to the last line"), NULL, NULL, NULL, NULL, NULL) \
	X(OPEN, "open", "Enter", VERB_ON_BOTH, VERB_ASK_NONE, 0, NULL, "", \
	  N_("open the selected conversation"), NULL, NULL, NULL, NULL, NULL) \
	X(BACK, "back", "Esc", VERB_ON_BOTH, VERB_ASK_NONE, 0, NULL, "", \
	  N_("close the pane, go back"), NULL, NULL, NULL, NULL, NULL) \
	X(TAKEOVER, "takeover", "t", VERB_ON_BOTH, VERB_ASK_NONE, \
	  VERB_IF_CONV | VERB_IF_UNTAKEN | VERB_IF_OPENS, "SELECT balie.takeover($1)", "c", \
	  N_("take the conversation over from the bot"), N_("take it over"), NULL, NULL, \
	  N_("taking over #{id}…"), \
	  N_("taken over #{id} — you talk to {customer} now|#{id} was taken by {owner} first")) \
	X(REPLY, "reply", "r", VERB_ON_AGENT, VERB_ASK_LINE, \
	  VERB_IF_CONV | VERB_IF_OWNER | VERB_IF_OFFLINE, "SELECT balie.reply($1, $2, $3::uuid)", "ctu", \
	  N_("reply on the compose line (Enter sends, Esc cancels)"), N_("reply"), \
	  N_("reply to #{id} ({customer})"), NULL, N_("sending the reply to #{id}…"), \
	  N_("reply sent to #{id}")) \
	X(REPLY_EDITOR, "reply-editor", "E", VERB_ON_AGENT, VERB_ASK_EDITOR, \
	  VERB_IF_CONV | VERB_IF_OWNER | VERB_IF_OFFLINE, NULL, "", \
	  N_("write a reply in $EDITOR"), N_("reply"), NULL, NULL, NULL, NULL) \
	X(NOTE, "note", "n", VERB_ON_AGENT, VERB_ASK_LINE, VERB_IF_CONV, \
	  "SELECT balie.note($1, $2)", "ct", \
	  N_("add an internal note (never shown to the customer)"), N_("add a note"), \
	  N_("note on #{id} ({customer})"), NULL, NULL, \
	  N_("note added to #{id} (not shown to the customer)")) \
	X(AGREEMENT, "agreement", "a", VERB_ON_AGENT, VERB_ASK_LINE, VERB_IF_CONV | VERB_IF_OWNER, \
	  "SELECT balie.confirm_agreement($1, $2)", "ct", \
	  N_("confirm an agreement to the customer in writing"), N_("confirm an agreement"), \
	  N_("agreement with #{id} ({customer})"), NULL, NULL, \
	  N_("agreement stored and sent to the customer of #{id}")) \
	X(HANDBACK, "handback", "h", VERB_ON_AGENT, VERB_ASK_NONE, VERB_IF_CONV | VERB_IF_OWNER, \
	  "SELECT balie.handback($1, $2)", "ct", \
	  N_("hand the conversation back to the bot"), N_("hand it back"), NULL, NULL, \
	  N_("handing #{id} back to the bot…"), N_("#{id} handed back to the bot")) \
	X(TRANSFER, "transfer", "x", VERB_ON_BOTH, VERB_ASK_QUEUE, \
	  VERB_IF_CONV | VERB_IF_OWNER | VERB_IF_SUPER | VERB_IF_GONE, "SELECT balie.transfer($1, $2, $3)", "cat", \
	  N_("transfer the conversation to another queue"), N_("transfer it"), \
	  N_("transfer #{id} to which queue?"), N_("not transferred"), \
	  N_("transferring #{id} to {arg}…"), N_("#{id} transferred to {queue}")) \
	X(CLOSE, "close", "c", VERB_ON_AGENT, VERB_ASK_YESNO, \
	  VERB_IF_CONV | VERB_IF_OWNER | VERB_IF_SUPER | VERB_IF_GONE | VERB_IF_ENDS, "SELECT balie.close($1, $2)", "ct", \
	  N_("close the conversation (asks first)"), N_("close it"), \
	  N_("close #{id} ({customer})? y/n "), N_("not closed"), N_("closing #{id}…"), N_("#{id} closed")) \
	X(SEARCH, "search", "/", VERB_ON_AGENT, VERB_ASK_NONE, 0, NULL, "", \
	  N_("search conversations"), NULL, NULL, NULL, NULL, NULL) \
	X(SUPERVISOR, "supervisor", "S", VERB_ON_BOTH, VERB_ASK_NONE, VERB_IF_SUPERVISOR, NULL, "", \
	  N_("supervisor screen"), NULL, NULL, NULL, NULL, NULL) \
	X(PAUSE_BOT, "pause-bot", "p", VERB_ON_BOTH, VERB_ASK_YESNO, VERB_IF_SUPERVISOR, \
	  "SELECT balie.pause_bot($1, $2::boolean)", "af", \
	  N_("pause or resume the bot of a queue (supervisor screen)"), NULL, \
	  N_("pause the bot of {arg}? new conversations will wait for a person. y/n " \
	  "|resume the bot of {arg}? y/n "), \
	  N_("the bot keeps talking|the bot stays paused"), \
	  N_("pausing the bot of {arg}…|resuming the bot of {arg}…"), \
	  N_("the bot of {arg} is paused: new conversations wait for a person" \
	  "|the bot of {arg} talks to new customers again")) \
	X(HELP, "help", "? F1", VERB_ON_BOTH, VERB_ASK_NONE, 0, NULL, "", \
	  N_("show the keys"), NULL, NULL, NULL, NULL, NULL) \
	X(REDRAW, "redraw", "C-l", VERB_ON_BOTH, VERB_ASK_NONE, 0, NULL, "", \
	  N_("redraw the screen"), NULL, NULL, NULL, NULL, NULL) \
	X(QUIT, "quit", "q", VERB_ON_BOTH, VERB_ASK_NONE, 0, NULL, "", \
	  N_("quit balie"), NULL, NULL, NULL, NULL, NULL) \
	X(ASSIGN, "assign", "", 0, VERB_ASK_NONE, VERB_IF_CONV | VERB_IF_SUPERVISOR, \
	  "SELECT balie.assign($1, $2)", "ca", NULL, NULL, NULL, NULL, \
	  N_("taking #{id} over from {owner}…"), N_("#{id} is yours now (Enter opens it)")) \
	X(HEARTBEAT, "heartbeat", "", 0, VERB_ASK_NONE, 0, \
	  "SELECT balie.heartbeat($1::boolean)", "f", NULL, NULL, NULL, NULL, NULL, NULL) \
	/* The shift: several conversations at once. */ \
	X(TAKE_NEXT, "take-next", "N", VERB_ON_AGENT, VERB_ASK_NONE, 0, \
	  "SELECT balie.take_next()", "", \
	  "take the next waiting conversation (the most urgent one)", "take the next one", \
	  NULL, NULL, "taking the next waiting conversation…", \
	  "#{value} is yours now — you talk to {customer}|nobody is waiting for you") \
	X(STATUS, "status", "A", VERB_ON_AGENT, VERB_ASK_NONE, 0, \
	  "SELECT balie.set_status($1)", "a", \
	  "toggle your status: available or away", "change your status", NULL, NULL, \
	  "telling the store you are {arg}…", "you are {arg} now") \
	X(MARK_READ, "mark-read", "", 0, VERB_ASK_NONE, VERB_IF_CONV, \
	  "SELECT balie.mark_read($1, $2)", "cn", NULL, NULL, NULL, NULL, NULL, NULL) \
	X(SET_VIEWING, "set-viewing", "", 0, VERB_ASK_NONE, 0, \
	  "SELECT balie.set_viewing($1, $2)", "ct", NULL, NULL, NULL, NULL, NULL, NULL) \
	/* What the customer reads: languages, macros, wrap-up. */ \
	/* Supervisors: raised hands, whispers, capacity, routing. */ \
	/* (end of the verb table) */

#define VERB_ENUM_(e, ...) VERB_##e,
enum verb {
	VERB_NONE,
	VERB_TABLE(VERB_ENUM_)
	VERB_COUNT
};
#undef VERB_ENUM_

/* One row, as the console reads it (the SQL is the store's: store_verb.c). */
struct verb_info {
	const char *name;
	const char *keys;	/* default key names, space-separated */
	unsigned screens;	/* VERB_ON_* */
	enum verb_ask ask;
	unsigned policy;	/* VERB_IF_CONV, VERB_IF_OWNER, … */
	const char *params;
	const char *help;	/* NULL: no key (the console calls it) */
	const char *refuse, *question, *cancel, *doing, *done;
};

/* The row of V; VERB_NONE and out-of-range values get an empty row named
 * "none". */
const struct verb_info *verb_info(enum verb v);
/* The verb named NAME (case-insensitive, "_" for "-"), among those with a
 * key; VERB_NONE if none. */
enum verb verb_parse(const char *name);
/* Whether V is a verb a key can be bound to. */
bool verb_has_key(enum verb v);

/* What the words of a verb are filled in with; NULL fields read "". */
struct verb_words {
	int64_t id;
	const char *customer, *owner, *arg, *queue, *value;
	bool no;		/* the answer was no: say the part after '|' */
};

/* Fills TEMPLATE (a verb's words, may be NULL) into BUF; returns BUF, or
 * NULL when TEMPLATE is NULL. */
char *verb_format(const char *tmpl, const struct verb_words *w, char *buf, size_t size);

#endif
