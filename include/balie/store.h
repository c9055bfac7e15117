/* store: the console's queries and SQL API calls, parameters only, and their
 * results parsed into model structs. The only module that writes SQL or
 * includes libpq (through db.h, which nothing above the store includes): the
 * layers above see an opaque connection and the plain-C types below.
 * Errors follow the contract in util.h. */
#ifndef BALIE_STORE_H
#define BALIE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "balie/action.h"
#include "balie/model.h"
#include "balie/super.h"

/* The notification channels, in one place (schemas/ sends on them). */
#define STORE_CHANNEL_CHANGES	"balie"		 /* {"conv":id,"version":n} */
#define STORE_CHANNEL_BOT	"balie_bot"	 /* {"conv":id,"state":s} */
#define STORE_CHANNEL_QUEUE	"balie_queue"	 /* a queue's settings */
#define STORE_CHANNEL_PRESENCE	"balie_presence" /* an agent's presence */

/* One connection to the ticket store, driven by a libuv loop (db.c). */
struct db;

/* How a store call ended, as the layers above need to know it. */
enum store_outcome {
	STORE_OK,		/* the server did it */
	STORE_SQL_ERROR,	/* the server refused it; sqlstate, message say why */
	STORE_NOT_SENT,		/* offline: never reached the server, safe to retry */
	STORE_LOST,		/* sent, then the connection broke: outcome unknown */
};

struct store_status {
	enum store_outcome outcome;
	const char *sqlstate;	/* "" unless STORE_SQL_ERROR */
	const char *message;	/* readable; "" on success */
};

/* The connection's life (store_conn.c) ---------------------------------------- */

enum store_link {
	STORE_LINK_IDLE,	/* not started */
	STORE_LINK_CONNECTING,	/* an attempt is under way */
	STORE_LINK_CONNECTED,	/* connected, LISTENs issued: re-read now */
	STORE_LINK_RETRY_WAIT,	/* lost or refused; next attempt in retry_ms */
	STORE_LINK_STOPPED,	/* refused for good (bad password, no such
				   database…): reason says why */
};

struct store_link_events {
	void (*state)(struct db *db, enum store_link st, const char *reason,
		      unsigned retry_ms, void *user);
	/* One NOTIFY on a LISTENed channel. */
	void (*notify)(struct db *db, const char *channel, const char *payload,
		       void *user);
	void *user;
};

struct store_link_options {
	unsigned retry_min_ms, retry_max_ms;	/* 0 = defaults */
};

/* A connection for CONNINFO (conninfo, URI, or NULL/"" for the PG*
 * environment as psql does it); nothing happens until store_link_start.
 * A refusal no retry can fix ends in STORE_LINK_STOPPED. */
struct db *store_link_new(uv_loop_t *loop, const char *conninfo,
			  const struct store_link_options *opt,
			  const struct store_link_events *ev);
/* LISTENs on CHANNEL after every (re)connect, and now if connected. */
void store_link_listen(struct db *db, const char *channel);
/* 0, or -1 when the conninfo is unusable (store_link_error says why). */
int store_link_start(struct db *db);
/* Closes; pending calls are answered, then the object is freed by the loop.
 * No state or notify event follows. */
void store_link_stop(struct db *db);
const char *store_link_error(const struct db *db);
/* Milliseconds until the next attempt while offline, else 0. */
unsigned store_link_retry_in_ms(const struct db *db);
/* Connects that succeeded so far (1 after the first). */
unsigned store_link_connects(const struct db *db);
/* Whether the connection is up now. */
bool store_link_connected(const struct db *db);

/* The console's reads (store.c) ------------------------------------------------ */

/* Conversations: RES rows parsed into new model_conv objects (caller owns). */
typedef void store_convs_cb(const struct store_status *st, struct model_conv **convs,
			    size_t n, int64_t server_now, void *arg);
/* Every open conversation the caller may see. */
void store_fetch_open(struct db *db, store_convs_cb *cb, void *arg);
/* These conversations (whatever their state); ids not returned are not
 * visible to the caller any more. */
void store_fetch_convs(struct db *db, const int64_t *ids, size_t n,
		       store_convs_cb *cb, void *arg);

/* Messages: an array of n (caller owns the array and its contents). */
typedef void store_msgs_cb(const struct store_status *st, int64_t conv,
			   struct model_msg *msgs, size_t n, void *arg);
/* Messages with seq > AFTER, oldest first, at most LIMIT. */
void store_fetch_messages_after(struct db *db, int64_t conv, int after, int limit,
				store_msgs_cb *cb, void *arg);
/* The LIMIT newest messages with seq < BEFORE (0 = no bound), oldest first. */
void store_fetch_messages_before(struct db *db, int64_t conv, int before, int limit,
				 store_msgs_cb *cb, void *arg);

typedef void store_history_cb(const struct store_status *st, struct model_history *h,
			      size_t n, void *arg);
/* Earlier conversations of the customer of CONV (newest first). */
void store_fetch_history(struct db *db, const char *customer_ref, int64_t conv,
			 store_history_cb *cb, void *arg);

/* Who we are, the queues, the agents. */
struct store_me {
	char *login;		/* NULL if the role is not a registered agent */
	char *display_name;
	bool is_supervisor;
};
typedef void store_me_cb(const struct store_status *st, struct store_me *me, void *arg);
void store_fetch_me(struct db *db, store_me_cb *cb, void *arg);
typedef void store_queues_cb(const struct store_status *st, struct model_queue *q,
			     size_t n, void *arg);
void store_fetch_queues(struct db *db, store_queues_cb *cb, void *arg);
typedef void store_agents_cb(const struct store_status *st, struct model_agent *a,
			     size_t n, void *arg);
void store_fetch_agents(struct db *db, store_agents_cb *cb, void *arg);

/* Runs one SQL API call (action.h). VALUE is the function's result as text
 * ("t"/"f" for takeover, a message id for reply), NULL on failure or for a
 * void function. */
typedef void store_call_cb(const struct store_status *st, const char *value, void *arg);
void store_call(struct db *db, const struct action *call, store_call_cb *cb, void *arg);

/* A readable line for a refused call: the server's message for balie's own
 * errors (SQLSTATE class BL, and 42501), else a short generic one. */
const char *store_explain(const struct store_status *st, char *buf, size_t len);

/* A random RFC 4122 version 4 UUID in text form (37 bytes with the NUL):
 * the one maker of client_msg_ids. */
void store_new_uuid(char out[37]);

/* The one NOTIFY payload parser (store_notify.c). A payload is a flat JSON
 * object; conv (> 0) is required, version and state are optional. */
struct store_notice {
	int64_t conv;
	int64_t version;	/* 0 when absent */
	bool has_version;
	char state[16];		/* "" when absent or not a short plain string */
};
/* 0 when PAYLOAD is such an object, -1 if not (it is then ignored). */
int store_parse_notice(const char *payload, struct store_notice *out);
/* A STORE_CHANNEL_CHANGES payload {"conv": N, "version": N}: both required. */
int store_parse_notify(const char *payload, int64_t *conv, int64_t *version);

/* The supervisor screen (store_super.c) ------------------------------------ */

/* Every queue's figures from balie.supervisor_queues(), parsed into a new
 * array (caller owns; super_queues_free), with the server's clock. */
typedef void store_super_queues_cb(const struct store_status *st, struct super_queue *q,
				   size_t n, int64_t server_now, void *arg);
void store_fetch_super_queues(struct db *db, store_super_queues_cb *cb, void *arg);

/* Every agent's presence and open conversations from balie.supervisor_agents()
 * (caller owns; super_agents_free). */
typedef void store_super_agents_cb(const struct store_status *st, struct super_agent *a,
				   size_t n, void *arg);
void store_fetch_super_agents(struct db *db, store_super_agents_cb *cb, void *arg);

/* Parses "1,2,3" (as array_to_string gives it) into at most MAX ints;
 * returns how many, or -1 if it is not such a list. */
int store_parse_int_list(const char *text, int *out, size_t max);
/* Like store_parse_int_list for bigints into a new array (*OUT, caller
 * frees; NULL when empty). */
int store_parse_id_list(const char *text, int64_t **out, size_t *n);

#endif
