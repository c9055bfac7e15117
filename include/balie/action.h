/* action: the SQL API calls a person can make from the console, as plain
 * data, so the UI can ask for them without knowing SQL or libpq. */
#ifndef BALIE_ACTION_H
#define BALIE_ACTION_H

#include <stdbool.h>
#include <stdint.h>

enum action_kind {
	ACTION_TAKEOVER,	/* conv */
	ACTION_REPLY,		/* conv, text; uuid made by sync if empty */
	ACTION_NOTE,		/* conv, text */
	ACTION_AGREEMENT,	/* conv, text */
	ACTION_HANDBACK,	/* conv, text (a note, may be NULL) */
	ACTION_TRANSFER,	/* conv, arg (queue), text (a note, may be NULL) */
	ACTION_CLOSE,		/* conv, text (resolution, may be NULL) */
	ACTION_ASSIGN,		/* conv, arg (agent login) */
	ACTION_PAUSE_BOT,	/* arg (queue), flag (paused) */
	ACTION_HEARTBEAT,	/* flag (away: idle longer than away_after) */
};

struct action {
	enum action_kind kind;
	int64_t conv;
	const char *text;
	const char *arg;
	char uuid[37];		/* client_msg_id of a reply */
	bool flag;
};

/* How an action ended. */
enum action_outcome {
	ACTION_DONE,		/* the server did it */
	ACTION_REFUSED,		/* the server said no; message says why */
	ACTION_QUEUED,		/* offline: a reply kept, sent after reconnect */
	ACTION_UNKNOWN,		/* lost mid-flight and not safe to repeat */
	ACTION_NOT_SENT,	/* offline and not safe to queue */
};

struct action_result {
	enum action_outcome outcome;
	const char *value;	/* e.g. "t"/"f" for takeover, a message id */
	const char *message;	/* readable line for the status bar */
	const char *sqlstate;	/* "" unless refused by the server */
};

const char *action_name(enum action_kind k);

#endif
