/* store_sim: the SQL API calls and reads `balie sim` makes as customers and
 * as the bot, so that sim (like everything above the store) writes no SQL.
 * Every callback runs once, later, from the loop (util.h's contract). */
#ifndef BALIE_STORE_SIM_H
#define BALIE_STORE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balie/sim.h"
#include "balie/store.h"

/* VALUE is the single value the call returned as text (an id, a state),
 * or NULL when there was none; valid during the callback. */
typedef void store_sim_value_cb(const struct store_status *st, const char *value, void *arg);

/* balie.open_conversation in the customer's language LANG ("nl", NULL: the
 * queue's); VALUE is the new conversation's id. */
void store_sim_open(struct db *db, const char *queue, const char *customer_ref,
		    const char *customer_name, const char *channel, const char *lang,
		    store_sim_value_cb *cb, void *arg);
/* balie.post_message as the customer (SOURCES ignored) or the bot. */
void store_sim_post(struct db *db, int64_t conv, bool bot, const char *body,
		    const char *sources_json, const char *cmid,
		    store_sim_value_cb *cb, void *arg);
void store_sim_escalate(struct db *db, int64_t conv, const char *reason,
			const char *intent, double confidence, const char *summary,
			store_sim_value_cb *cb, void *arg);
void store_sim_close(struct db *db, int64_t conv, const char *resolution,
		     store_sim_value_cb *cb, void *arg);
/* The conversation's state; VALUE is NULL if it is not visible. */
void store_sim_state(struct db *db, int64_t conv, store_sim_value_cb *cb, void *arg);

/* The newest message: SEQ -1 and KIND NULL when there is none. */
typedef void store_sim_last_cb(const struct store_status *st, long seq, const char *kind,
			       void *arg);
void store_sim_last_message(struct db *db, int64_t conv, store_sim_last_cb *cb, void *arg);

/* Who we are and whether that role is a member of balie_bot. */
typedef void store_sim_role_cb(const struct store_status *st, const char *login,
			       bool is_bot, void *arg);
void store_sim_role(struct db *db, store_sim_role_cb *cb, void *arg);

/* Every queue (id, name, paused; sector left -1): a new array the callback
 * takes over (each id and name, and the array, are freed with free()). */
typedef void store_sim_queues_cb(const struct store_status *st, struct sim_queue *q,
				 size_t n, void *arg);
void store_sim_queues(struct db *db, store_sim_queues_cb *cb, void *arg);

/* The states of these conversations (those still visible). */
struct store_sim_state {
	int64_t id;
	char state[16];
};
typedef void store_sim_states_cb(const struct store_status *st,
				 const struct store_sim_state *states, size_t n, void *arg);
void store_sim_states(struct db *db, const int64_t *ids, size_t n,
		      store_sim_states_cb *cb, void *arg);

#endif
