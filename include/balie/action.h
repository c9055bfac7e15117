/* action: one SQL API call a person makes from the console, as plain data,
 * so the UI can ask for it without knowing SQL or libpq. Which call it is,
 * and which of the fields it reads, is its verb's row (verb.h). */
#ifndef BALIE_ACTION_H
#define BALIE_ACTION_H

#include <stdbool.h>
#include <stdint.h>

#include "balie/verb.h"

struct action {
	enum verb kind;
	int64_t conv;		/* c */
	const char *text;	/* t */
	const char *arg;	/* a */
	const char *json;	/* j: JSON text (a reply's sources), may be NULL */
	char uuid[37];		/* u: client_msg_id of a reply; made by sync if empty */
	bool flag;		/* f */
	int64_t number;		/* n */
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

#endif
