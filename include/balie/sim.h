/* sim: customers and a chatbot played against the SQL API, for demos and
 * tests (`balie sim`).
 *
 * Three parts: the corpus (sim_corpus.c: sectors, topics and lines in Dutch
 * and English as C tables; sim_lines.c: customers and shared lines), the
 * scripts (sim_script.c: a plan for one conversation, built from the corpus
 * with sim_rng.c's generator; sim_queue.c: which sector a queue serves) and
 * the loop (sim.c, sim_conv.c, sim_events.c: libuv timers and two store
 * connections, the bot's LISTEN on balie_bot; every call through
 * store_sim.h, no SQL here).
 *
 * A plan is a pure function of the seed, the conversation's index, the queue
 * list and the language filter: the same seed plays the same conversations,
 * whatever the timing. Only pauses and arrivals are scaled by the clock. */
#ifndef BALIE_SIM_H
#define BALIE_SIM_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ randomness */

/* splitmix64: small, fast, and the same on every platform (rand() is not). */
struct sim_rng {
	uint64_t state;
};

/* Seeds R for one stream of SEED (e.g. one conversation's index). */
void sim_rng_seed(struct sim_rng *r, uint64_t seed, uint64_t stream);
uint64_t sim_rng_next(struct sim_rng *r);
/* A number in [0, n); 0 when n is 0. */
unsigned sim_rng_below(struct sim_rng *r, unsigned n);
/* A number in [lo, hi]. */
unsigned sim_rng_range(struct sim_rng *r, unsigned lo, unsigned hi);

/* ---------------------------------------------------------------- corpus */

enum sim_lang { SIM_NL, SIM_EN, SIM_LANGS };

/* How a bot line is phrased: Dutch with "je", Dutch with "u", English. */
enum sim_register { SIM_REG_JE, SIM_REG_U, SIM_REG_EN, SIM_REGS };

struct sim_source {
	const char *title;
	const char *url;
};

/* A question the bot can answer from the knowledge base. */
struct sim_topic {
	const char *intent;
	const char *ask[SIM_LANGS];		/* the customer's question */
	const char *answer[SIM_LANGS];		/* the bot's answer */
	struct sim_source src[SIM_LANGS][2];	/* the articles it cites */
	const char *detail[SIM_LANGS];		/* what the customer tells a person */
	const char *summary[SIM_LANGS];		/* the bot's summary for the agent */
};

/* A subject the bot must hand to a person at once. */
struct sim_sensitive {
	const char *intent;
	const char *ask[SIM_LANGS];
	const char *bot[SIM_LANGS];		/* NULL: the generic hand-off line */
	struct sim_source src[SIM_LANGS];	/* title NULL: none cited */
	const char *detail[SIM_LANGS];
	const char *summary[SIM_LANGS];
};

/* Two tries the bot cannot make sense of. */
struct sim_unclear {
	const char *first[SIM_LANGS];
	const char *second[SIM_LANGS];
	const char *guess;			/* the intent the bot guessed */
};

#define SIM_TOPICS 4
#define SIM_SENSITIVES 2
#define SIM_UNCLEARS 2

struct sim_sector {
	const char *name;		/* "banking", … */
	const char *keywords;		/* space-separated words that name its queue */
	const char *ref_prefix;		/* of customer references */
	int formal;			/* the Dutch bot says "u" */
	const char *org[SIM_LANGS];
	const char *lookup[SIM_LANGS];	/* what the bot looks up before a bot_error */
	const char *angry[SIM_LANGS];
	struct sim_topic topics[SIM_TOPICS];
	struct sim_sensitive sensitive[SIM_SENSITIVES];
	struct sim_unclear unclear[SIM_UNCLEARS];
};

struct sim_customer {
	const char *name;
	enum sim_lang lang;
};

/* Lines every sector shares; bot lines by register, customer lines by language. */
struct sim_lines {
	const char *intro[SIM_REGS];
	const char *glad[SIM_REGS];
	const char *handoff_request[SIM_REGS];
	const char *not_understood_1[SIM_REGS];
	const char *not_understood_2[SIM_REGS];
	const char *handoff_sensitive[SIM_REGS];
	const char *handoff_negative[SIM_REGS];
	const char *lookup[SIM_REGS];
	const char *bot_error[SIM_REGS];
	const char *back[SIM_REGS];
	const char *goodbye[SIM_REGS];
	const char *summary_request[SIM_LANGS];
	const char *summary_not_understood[SIM_LANGS];
	const char *summary_negative[SIM_LANGS];
	const char *summary_bot_error[SIM_LANGS];
	const char *resolution_bot[SIM_LANGS];
	const char *resolution_back[SIM_LANGS];
	const char *ask_person[SIM_LANGS][4];
	const char *thanks[SIM_LANGS][4];
	const char *angry[SIM_LANGS][3];
	const char *to_person[SIM_LANGS][4];
	const char *thanks_person[SIM_LANGS][3];
	const char *done[SIM_LANGS][2];
	const char *nudge[SIM_LANGS][2];
};

extern const struct sim_sector sim_sectors[];
extern const size_t sim_nsectors;
#define SIM_MAX_CUSTOMERS 64
extern const struct sim_customer sim_customers[];
extern const size_t sim_ncustomers;
extern const struct sim_lines sim_lines;

/* --------------------------------------------------------------- scripts */

enum sim_outcome {
	SIM_RESOLVED,			/* the bot answers and closes */
	SIM_ESC_CUSTOMER_REQUEST,
	SIM_ESC_NOT_UNDERSTOOD,
	SIM_ESC_SENSITIVE_TOPIC,
	SIM_ESC_NEGATIVE_SENTIMENT,
	SIM_ESC_BOT_ERROR,
	SIM_OUTCOMES,
};

/* The escalation reason of the SQL API, or NULL for SIM_RESOLVED. */
const char *sim_outcome_reason(enum sim_outcome o);

enum sim_step_kind {
	SIM_STEP_CUSTOMER,	/* the customer posts text */
	SIM_STEP_BOT,		/* the bot posts text, citing sources */
	SIM_STEP_ESCALATE,	/* the bot escalates: text is its summary */
	SIM_STEP_CLOSE,		/* the bot closes: text is the resolution */
};

struct sim_step {
	enum sim_step_kind kind;
	unsigned pause_ms;	/* before this step, at speed 1 */
	char *text;
	const struct sim_source *sources;
	size_t nsources;
};

#define SIM_MAX_STEPS 10
#define SIM_MAX_TO_PERSON 3
#define SIM_AFTER_STEPS 4

/* One queue as sim sees it. */
struct sim_queue {
	char *id;
	char *name;
	int sector;		/* sim_sector_of_queue(), or -1 */
	int paused;		/* bot_paused */
};

/* lang filter for sim_plan_make: a language, or -1 for both. */
#define SIM_LANG_MIXED (-1)

struct sim_plan {
	unsigned index;
	size_t queue;			/* index into the queue list */
	const struct sim_sector *sector;
	enum sim_lang lang;
	const char *customer_name;
	char customer_ref[24];
	const char *channel;
	enum sim_outcome outcome;
	const char *intent;
	double confidence;
	/* The bot phase: from the first question to the escalation or close. */
	struct sim_step steps[SIM_MAX_STEPS];
	size_t nsteps;
	/* What the customer says to the person who took over, one line per turn. */
	char *to_person[SIM_MAX_TO_PERSON];
	unsigned to_person_pause_ms[SIM_MAX_TO_PERSON];
	size_t nto_person;
	/* While waiting for a person, once, after a long pause. */
	char *nudge;
	unsigned nudge_pause_ms;
	/* After a handback: the bot is back, the customer is done, the bot closes. */
	struct sim_step after[SIM_AFTER_STEPS];
	size_t nafter;
};

/* Which corpus sector a queue serves, from the words of its id and name
 * (case-insensitive); -1 when none matches. */
int sim_sector_of_queue(const char *id, const char *name);
/* Frees an array of N queues and their strings (NULL is fine). */
void sim_queues_free(struct sim_queue *q, size_t n);

/* The customer of conversation INDEX among the N of TABLE that speak LANG
 * (SIM_LANG_MIXED: all), taking turns in an order shuffled once per SEED;
 * if none speaks LANG, all of them take turns. *WHICH is its index in
 * TABLE. NULL only for an empty table. */
const struct sim_customer *sim_customer_pick(const struct sim_customer *table, size_t n,
					     uint64_t seed, unsigned index, int lang,
					     size_t *which);
/* Builds the plan of conversation INDEX (queues must not be empty). */
void sim_plan_make(struct sim_plan *p, uint64_t seed, unsigned index,
		   const struct sim_queue *queues, size_t nqueues, int lang);
void sim_plan_free(struct sim_plan *p);

/* The JSON array of a step's sources (malloc'd), or NULL when it has none. */
char *sim_sources_json(const struct sim_step *s);

#endif
