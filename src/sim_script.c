/* sim_script: turns the corpus into the plan of one conversation. Every
 * choice is drawn from a generator seeded by (seed, index), so a plan depends
 * on nothing but its inputs. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/sim.h"
#include "balie/util.h"

/* --------------------------------------------------------- placeholders */

/* The values a conversation's placeholders take. */
struct sim_vars {
	char first[64];
	const char *org;
	char amount[32];
	char code[32];
	char reading[16];
	char err[16];
	const char *lookup;
	const char *q1;
	const char *q2;
};

static const char *sim_var(const struct sim_vars *v, const char *key, size_t len)
{
	static const struct {
		const char *key;
		size_t offset;
		int is_pointer;
	} table[] = {
		{ "first", offsetof(struct sim_vars, first), 0 },
		{ "org", offsetof(struct sim_vars, org), 1 },
		{ "amount", offsetof(struct sim_vars, amount), 0 },
		{ "code", offsetof(struct sim_vars, code), 0 },
		{ "reading", offsetof(struct sim_vars, reading), 0 },
		{ "err", offsetof(struct sim_vars, err), 0 },
		{ "lookup", offsetof(struct sim_vars, lookup), 1 },
		{ "q1", offsetof(struct sim_vars, q1), 1 },
		{ "q2", offsetof(struct sim_vars, q2), 1 },
	};
	size_t i;

	for (i = 0; i < sizeof table / sizeof table[0]; i++) {
		const char *base = (const char *)v + table[i].offset;

		if (strlen(table[i].key) != len || strncmp(table[i].key, key, len) != 0)
			continue;
		if (table[i].is_pointer)
			return *(const char *const *)(const void *)base;
		return base;
	}
	return NULL;
}

/* Appends the concatenation of the templates A and B with placeholders filled. */
static char *sim_expand2(const char *a, const char *b, const struct sim_vars *v)
{
	size_t cap = 256, len = 0;
	char *out = xmalloc(cap);
	const char *parts[2] = { a ? a : "", b ? b : "" };
	int k;

	for (k = 0; k < 2; k++) {
		const char *s = parts[k];

		while (*s) {
			const char *piece = s, *close;
			size_t plen = 1;

			if (*s == '{' && (close = strchr(s, '}')) != NULL) {
				const char *val = sim_var(v, s + 1, (size_t)(close - s - 1));

				if (val) {
					piece = val;
					plen = strlen(val);
					s = close;
				}
			}
			if (len + plen + 1 > cap) {
				cap = (len + plen + 1) * 2;
				out = xrealloc(out, cap);
			}
			memcpy(out + len, piece, plen);
			len += plen;
			s++;
		}
	}
	out[len] = '\0';
	return out;
}

static char *sim_expand(const char *tmpl, const struct sim_vars *v)
{
	return sim_expand2(tmpl, NULL, v);
}

static void sim_fill_vars(struct sim_vars *v, struct sim_rng *r, const struct sim_plan *p)
{
	unsigned cents = sim_rng_range(r, 1250, 48000);
	size_t n = strcspn(p->customer_name, " ");

	if (n >= sizeof v->first)
		n = sizeof v->first - 1;
	memcpy(v->first, p->customer_name, n);
	v->first[n] = '\0';
	v->org = p->sector->org[p->lang];
	if (p->lang == SIM_NL)
		snprintf(v->amount, sizeof v->amount, "€ %u,%02u", cents / 100, cents % 100);
	else
		snprintf(v->amount, sizeof v->amount, "€%u.%02u", cents / 100, cents % 100);
	snprintf(v->code, sizeof v->code, "3SNP%09u", sim_rng_below(r, 1000000000u));
	snprintf(v->reading, sizeof v->reading, "%05u", sim_rng_range(r, 1200, 89999));
	snprintf(v->err, sizeof v->err, "E%04u", sim_rng_range(r, 1000, 9999));
	v->lookup = p->sector->lookup[p->lang];
}

/* -------------------------------------------------------------- outcomes */

const char *sim_outcome_reason(enum sim_outcome o)
{
	switch (o) {
	case SIM_ESC_CUSTOMER_REQUEST:
		return "customer_request";
	case SIM_ESC_NOT_UNDERSTOOD:
		return "not_understood";
	case SIM_ESC_SENSITIVE_TOPIC:
		return "sensitive_topic";
	case SIM_ESC_NEGATIVE_SENTIMENT:
		return "negative_sentiment";
	case SIM_ESC_BOT_ERROR:
		return "bot_error";
	case SIM_RESOLVED:
	case SIM_OUTCOMES:
		break;
	}
	return NULL;
}

/* Outcomes come from shuffled decks of ten, so that every ten conversations
 * hold every escalation reason and the bot's containment stays near 40%. */
static enum sim_outcome sim_deck_outcome(uint64_t seed, unsigned index)
{
	static const enum sim_outcome deck[10] = {
		SIM_RESOLVED, SIM_RESOLVED, SIM_RESOLVED, SIM_RESOLVED,
		SIM_ESC_CUSTOMER_REQUEST, SIM_ESC_CUSTOMER_REQUEST,
		SIM_ESC_NOT_UNDERSTOOD, SIM_ESC_SENSITIVE_TOPIC,
		SIM_ESC_NEGATIVE_SENTIMENT, SIM_ESC_BOT_ERROR,
	};
	enum sim_outcome shuffled[10];
	struct sim_rng r;
	unsigned i;

	memcpy(shuffled, deck, sizeof deck);
	sim_rng_seed(&r, seed, 0x8000000000000000ULL | (index / 10));
	for (i = 9; i > 0; i--) {
		unsigned j = sim_rng_below(&r, i + 1);
		enum sim_outcome t = shuffled[i];

		shuffled[i] = shuffled[j];
		shuffled[j] = t;
	}
	return shuffled[index % 10];
}

/* ----------------------------------------------------------------- plans */

/* How long a customer takes to type TEXT, at speed 1. */
static unsigned sim_typing_ms(struct sim_rng *r, const char *text)
{
	unsigned ms = 2000 + 45 * (unsigned)strlen(text);

	if (ms > 14000)
		ms = 14000;
	return ms + sim_rng_below(r, 3000);
}

static void sim_add(struct sim_plan *p, enum sim_step_kind kind, unsigned pause_ms,
		    char *text, const struct sim_source *src, size_t nsrc)
{
	struct sim_step *s;

	if (p->nsteps >= SIM_MAX_STEPS) {
		free(text);
		return;
	}
	s = &p->steps[p->nsteps++];
	s->kind = kind;
	s->pause_ms = pause_ms;
	s->text = text;
	s->sources = src;
	s->nsources = src && src[0].title ? nsrc : 0;
	if (s->nsources == 2 && !src[1].title)
		s->nsources = 1;
}

static void sim_customer_says(struct sim_plan *p, struct sim_rng *r, char *text)
{
	sim_add(p, SIM_STEP_CUSTOMER, sim_typing_ms(r, text), text, NULL, 0);
}

static void sim_bot_says(struct sim_plan *p, struct sim_rng *r, char *text,
			 const struct sim_source *src, size_t nsrc)
{
	sim_add(p, SIM_STEP_BOT, sim_rng_range(r, 1200, 2600), text, src, nsrc);
}

/* Customers take turns in an order shuffled once per seed: nobody is in two
 * chats at once, and everyone comes back after a round, so earlier
 * conversations show up in the console. */
const struct sim_customer *sim_customer_pick(const struct sim_customer *table, size_t ntable,
					     uint64_t seed, unsigned index, int lang,
					     size_t *which)
{
	size_t pool[SIM_MAX_CUSTOMERS];
	unsigned n = 0, i;
	struct sim_rng r;

	if (ntable > SIM_MAX_CUSTOMERS)
		ntable = SIM_MAX_CUSTOMERS;
	for (i = 0; i < ntable; i++)
		if (lang < 0 || (int)table[i].lang == lang)
			pool[n++] = i;
	/* A corpus without a customer of that language: everyone takes turns
	 * (the plan still speaks the language asked for). */
	if (n == 0)
		for (i = 0; i < ntable; i++)
			pool[n++] = i;
	if (n == 0)
		return NULL;
	sim_rng_seed(&r, seed, 0x2000000000000000ULL);
	for (i = n - 1; i > 0; i--) {
		unsigned j = sim_rng_below(&r, i + 1);
		size_t t = pool[i];

		pool[i] = pool[j];
		pool[j] = t;
	}
	*which = pool[index % n];
	return &table[*which];
}

static const char *sim_pick_channel(struct sim_rng *r)
{
	unsigned x = sim_rng_below(r, 100);

	if (x < 45)
		return "chat";
	if (x < 70)
		return "whatsapp";
	if (x < 90)
		return "app";
	return "voice";
}

static double sim_confidence(struct sim_rng *r, unsigned lo, unsigned hi)
{
	return sim_rng_range(r, lo, hi) / 100.0;
}

/* What one plan is made of, drawn before its lines. */
struct sim_cast {
	const struct sim_topic *topic, *topic2;
	const struct sim_sensitive *sens;
	const struct sim_unclear *unclear;
	struct sim_vars v;
	enum sim_register reg;
	enum sim_lang lg;
};

/* Draws the queue, sector, customer, channel and topics, in a fixed order
 * of random draws (the same seed plays the same conversations). */
static void sim_plan_cast(struct sim_plan *p, struct sim_rng *r, struct sim_cast *k,
			  uint64_t seed, const struct sim_queue *queues, size_t nqueues,
			  int lang)
{
	const struct sim_customer *cust;
	size_t who, sector;

	p->queue = sim_rng_below(r, (unsigned)nqueues);
	if (queues[p->queue].sector >= 0)
		sector = (size_t)queues[p->queue].sector;
	else
		sector = sim_rng_below(r, (unsigned)sim_nsectors);
	p->sector = &sim_sectors[sector];
	cust = sim_customer_pick(sim_customers, sim_ncustomers, seed, p->index, lang, &who);
	p->customer_name = cust->name;
	p->lang = k->lg = lang >= 0 ? (enum sim_lang)lang : cust->lang;
	snprintf(p->customer_ref, sizeof p->customer_ref, "%s-%06u", p->sector->ref_prefix,
		 (unsigned)(100000 + (who * 7919 + sector * 104729) % 900000));
	p->channel = sim_pick_channel(r);
	k->reg = k->lg == SIM_EN ? SIM_REG_EN : p->sector->formal ? SIM_REG_U : SIM_REG_JE;
	sim_fill_vars(&k->v, r, p);
	k->topic = &p->sector->topics[sim_rng_below(r, SIM_TOPICS)];
	k->topic2 = &p->sector->topics[sim_rng_below(r, SIM_TOPICS)];
	k->sens = &p->sector->sensitive[sim_rng_below(r, SIM_SENSITIVES)];
	k->unclear = &p->sector->unclear[sim_rng_below(r, SIM_UNCLEARS)];
	p->intent = k->topic->intent;
}

/* The bot phase when the bot answers the question first: it resolves it,
 * or the customer asks for a person, or gets angry. Returns the escalation
 * summary, NULL when the bot resolves it. */
static char *sim_plan_answered(struct sim_plan *p, struct sim_rng *r, struct sim_cast *k)
{
	const struct sim_lines *L = &sim_lines;
	const struct sim_topic *topic = k->topic, *topic2 = k->topic2;
	enum sim_lang lg = k->lg;
	enum sim_register reg = k->reg;
	struct sim_vars *v = &k->v;
	char *summary, *text;

	sim_customer_says(p, r, sim_expand(topic->ask[lg], v));
	sim_bot_says(p, r, sim_expand2(L->intro[reg], topic->answer[lg], v), topic->src[lg], 2);
	if (p->outcome == SIM_RESOLVED) {
		if (topic2 != topic && sim_rng_below(r, 100) < 35) {
			sim_customer_says(p, r, sim_expand(topic2->ask[lg], v));
			sim_bot_says(p, r, sim_expand(topic2->answer[lg], v), topic2->src[lg], 2);
		}
		sim_customer_says(p, r, sim_expand(L->thanks[lg][sim_rng_below(r, 4)], v));
		sim_bot_says(p, r, sim_expand(L->glad[reg], v), NULL, 0);
		text = xasprintf("%s (%s)", L->resolution_bot[lg], topic->intent);
		sim_add(p, SIM_STEP_CLOSE, sim_rng_range(r, 1500, 3000), text, NULL, 0);
		return NULL;
	}
	if (p->outcome == SIM_ESC_CUSTOMER_REQUEST) {
		sim_customer_says(p, r, sim_expand(L->ask_person[lg][sim_rng_below(r, 4)], v));
		sim_bot_says(p, r, sim_expand(L->handoff_request[reg], v), NULL, 0);
	} else {
		if (sim_rng_below(r, 2))
			sim_customer_says(p, r, sim_expand(p->sector->angry[lg], v));
		else
			sim_customer_says(p, r, sim_expand(L->angry[lg][sim_rng_below(r, 3)], v));
		sim_bot_says(p, r, sim_expand(L->handoff_negative[reg], v), NULL, 0);
	}
	summary = sim_expand2(topic->summary[lg], " ", v);
	text = sim_expand2(summary, p->outcome == SIM_ESC_CUSTOMER_REQUEST ?
			   L->summary_request[lg] : L->summary_negative[lg], v);
	free(summary);
	return text;
}

/* The bot phase when the bot cannot answer: it does not understand, the
 * subject is sensitive, or its lookup fails. Returns the summary. */
static char *sim_plan_unanswered(struct sim_plan *p, struct sim_rng *r, struct sim_cast *k)
{
	const struct sim_lines *L = &sim_lines;
	const struct sim_sensitive *sens = k->sens;
	const struct sim_unclear *unclear = k->unclear;
	enum sim_lang lg = k->lg;
	enum sim_register reg = k->reg;
	struct sim_vars *v = &k->v;
	char *summary, *text;

	if (p->outcome == SIM_ESC_NOT_UNDERSTOOD) {
		p->intent = unclear->guess;
		v->q1 = unclear->first[lg];
		v->q2 = unclear->second[lg];
		sim_customer_says(p, r, sim_expand(unclear->first[lg], v));
		sim_bot_says(p, r, sim_expand2(L->intro[reg], L->not_understood_1[reg], v), NULL, 0);
		sim_customer_says(p, r, sim_expand(unclear->second[lg], v));
		sim_bot_says(p, r, sim_expand(L->not_understood_2[reg], v), NULL, 0);
		return sim_expand(L->summary_not_understood[lg], v);
	}
	if (p->outcome == SIM_ESC_SENSITIVE_TOPIC) {
		p->intent = sens->intent;
		sim_customer_says(p, r, sim_expand(sens->ask[lg], v));
		sim_bot_says(p, r, sim_expand2(L->intro[reg], sens->bot[lg] ? sens->bot[lg] :
					       L->handoff_sensitive[reg], v), &sens->src[lg], 1);
		return sim_expand(sens->summary[lg], v);
	}
	v->q1 = k->topic->ask[lg];
	sim_customer_says(p, r, sim_expand(k->topic->ask[lg], v));
	sim_bot_says(p, r, sim_expand2(L->intro[reg], L->lookup[reg], v), NULL, 0);
	sim_add(p, SIM_STEP_BOT, sim_rng_range(r, 2500, 4000),
		sim_expand(L->bot_error[reg], v), NULL, 0);
	/* The summary quotes the question with its placeholders filled. */
	text = sim_expand(k->topic->ask[lg], v);
	v->q1 = text;
	summary = sim_expand(L->summary_bot_error[lg], v);
	free(text);
	return summary;
}

/* The bot phase by outcome; returns the escalation summary (NULL when the
 * bot resolves it). The confidence is drawn first, as it always was. */
static char *sim_plan_bot(struct sim_plan *p, struct sim_rng *r, struct sim_cast *k)
{
	static const unsigned confidence[SIM_OUTCOMES][2] = {
		[SIM_RESOLVED] = { 85, 98 },
		[SIM_ESC_CUSTOMER_REQUEST] = { 70, 95 },
		[SIM_ESC_NOT_UNDERSTOOD] = { 12, 38 },
		[SIM_ESC_SENSITIVE_TOPIC] = { 80, 97 },
		[SIM_ESC_NEGATIVE_SENTIMENT] = { 60, 90 },
		[SIM_ESC_BOT_ERROR] = { 75, 95 },
	};

	if (p->outcome >= SIM_OUTCOMES)
		return NULL;
	p->confidence = sim_confidence(r, confidence[p->outcome][0], confidence[p->outcome][1]);
	if (p->outcome == SIM_RESOLVED || p->outcome == SIM_ESC_CUSTOMER_REQUEST ||
	    p->outcome == SIM_ESC_NEGATIVE_SENTIMENT)
		return sim_plan_answered(p, r, k);
	return sim_plan_unanswered(p, r, k);
}

/* The customer's lines to a person, the nudge, and the close after a handback. */
static void sim_plan_person(struct sim_plan *p, struct sim_rng *r, struct sim_cast *k)
{
	const struct sim_lines *L = &sim_lines;
	enum sim_lang lg = k->lg;
	enum sim_register reg = k->reg;
	struct sim_vars *v = &k->v;

	/* To the person: first the detail the bot did not ask for, then an
	 * answer to the agent's reply, then thanks. */
	if (p->outcome == SIM_ESC_SENSITIVE_TOPIC)
		p->to_person[0] = sim_expand(k->sens->detail[lg], v);
	else if (p->outcome == SIM_ESC_NOT_UNDERSTOOD)
		p->to_person[0] = sim_expand(k->topic->ask[lg], v);
	else
		p->to_person[0] = sim_expand(k->topic->detail[lg], v);
	p->to_person[1] = sim_expand(L->to_person[lg][sim_rng_below(r, 4)], v);
	p->to_person[2] = sim_expand(L->thanks_person[lg][sim_rng_below(r, 3)], v);
	p->to_person_pause_ms[0] = sim_rng_range(r, 4000, 9000);
	p->to_person_pause_ms[1] = sim_rng_range(r, 3000, 8000);
	p->to_person_pause_ms[2] = sim_rng_range(r, 3000, 8000);
	p->nto_person = 3;

	p->nudge = sim_expand(L->nudge[lg][sim_rng_below(r, 2)], v);
	p->nudge_pause_ms = sim_rng_range(r, 60000, 120000);

	/* After a handback. */
	p->after[0] = (struct sim_step){ SIM_STEP_BOT, sim_rng_range(r, 1200, 2500),
					 sim_expand(L->back[reg], v), NULL, 0 };
	p->after[1] = (struct sim_step){ SIM_STEP_CUSTOMER, sim_rng_range(r, 3000, 7000),
					 sim_expand(L->done[lg][sim_rng_below(r, 2)], v), NULL, 0 };
	p->after[2] = (struct sim_step){ SIM_STEP_BOT, sim_rng_range(r, 1200, 2000),
					 sim_expand(L->goodbye[reg], v), NULL, 0 };
	p->after[3] = (struct sim_step){ SIM_STEP_CLOSE, sim_rng_range(r, 800, 1500),
					 xstrdup(L->resolution_back[lg]), NULL, 0 };
	p->nafter = 4;
}

void sim_plan_make(struct sim_plan *p, uint64_t seed, unsigned index,
		   const struct sim_queue *queues, size_t nqueues, int lang)
{
	struct sim_cast k;
	struct sim_rng r;
	char *summary;

	memset(p, 0, sizeof *p);
	memset(&k, 0, sizeof k);
	sim_rng_seed(&r, seed, (uint64_t)index + 1);
	p->index = index;
	p->outcome = sim_deck_outcome(seed, index);
	sim_plan_cast(p, &r, &k, seed, queues, nqueues, lang);
	summary = sim_plan_bot(p, &r, &k);
	if (summary)
		sim_add(p, SIM_STEP_ESCALATE, sim_rng_range(&r, 400, 900), summary, NULL, 0);
	sim_plan_person(p, &r, &k);
}

void sim_plan_free(struct sim_plan *p)
{
	size_t i;

	for (i = 0; i < p->nsteps; i++)
		free(p->steps[i].text);
	for (i = 0; i < p->nto_person; i++)
		free(p->to_person[i]);
	for (i = 0; i < p->nafter; i++)
		free(p->after[i].text);
	free(p->nudge);
	memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------------ JSON */

static void sim_json_string(char **out, size_t *len, size_t *cap, const char *s)
{
	for (;;) {
		char esc[8];
		const char *piece = esc;
		size_t n;
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			n = 2;
		} else if (c == '\0') {
			return;
		} else if (c < 0x20) {
			n = (size_t)snprintf(esc, sizeof esc, "\\u%04x", c);
		} else {
			piece = s;
			n = 1;
		}
		if (*len + n + 1 > *cap) {
			*cap = (*len + n + 1) * 2;
			*out = xrealloc(*out, *cap);
		}
		memcpy(*out + *len, piece, n);
		*len += n;
		(*out)[*len] = '\0';
		s++;
	}
}

static void sim_json_raw(char **out, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*out = xrealloc(*out, *cap);
	}
	memcpy(*out + *len, s, n + 1);
	*len += n;
}

char *sim_sources_json(const struct sim_step *s)
{
	size_t i, len = 0, cap = 128;
	char *out;

	if (!s->nsources)
		return NULL;
	out = xmalloc(cap);
	out[0] = '\0';
	sim_json_raw(&out, &len, &cap, "[");
	for (i = 0; i < s->nsources; i++) {
		sim_json_raw(&out, &len, &cap, i ? ", {\"title\": \"" : "{\"title\": \"");
		sim_json_string(&out, &len, &cap, s->sources[i].title);
		sim_json_raw(&out, &len, &cap, "\", \"url\": \"");
		sim_json_string(&out, &len, &cap, s->sources[i].url);
		sim_json_raw(&out, &len, &cap, "\"}");
	}
	sim_json_raw(&out, &len, &cap, "]");
	return out;
}
