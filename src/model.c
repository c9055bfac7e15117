/* model: conversations, transcripts, queues and agents as plain C data. */
#include <stdlib.h>
#include <string.h>

#include "balie/i18n.h"
#include "balie/model.h"
#include "balie/util.h"

static const char *const state_names[] = { "bot", "waiting", "human", "closed", "?" };
static const char *const state_flags[] = { N_("BOT"), N_("WAIT"), N_("HUMAN"), N_("CLOSED"), "?" };
/* N_(): the words are parsed from the database as they are; views show _() of them. */
static const char *const author_names[] = { N_("customer"), N_("bot"), N_("agent"), N_("system"),
					    N_("note"), "?" };

void model_init(struct model *m)
{
	memset(m, 0, sizeof *m);
	m->window_msgs = MODEL_WINDOW_MSGS;
	m->window_bytes = MODEL_WINDOW_BYTES;
}

void model_msg_clear(struct model_msg *msg)
{
	size_t i;

	free(msg->author);
	free(msg->body);
	free(msg->whisper_to);
	for (i = 0; i < msg->nsources; i++) {
		free(msg->sources[i].title);
		free(msg->sources[i].url);
	}
	free(msg->sources);
	memset(msg, 0, sizeof *msg);
}

void model_history_free(struct model_history *h, size_t n)
{
	size_t i;

	for (i = 0; h && i < n; i++) {
		free(h[i].queue);
		free(h[i].intent);
		free(h[i].reason);
		free(h[i].summary);
	}
	free(h);
}

static void transcript_clear(struct model_conv *c)
{
	size_t i;

	for (i = 0; i < c->nmsgs; i++)
		model_msg_clear(&c->msgs[i]);
	free(c->msgs);
	c->msgs = NULL;
	c->nmsgs = c->msgs_cap = c->msgs_bytes = 0;
	c->newer_unloaded = false;
}

/* Frees the fields a fetch replaces; the transcript is separate. */
static void conv_fields_free(struct model_conv *c)
{
	free(c->queue);
	free(c->agent);
	free(c->customer_ref);
	free(c->customer_name);
	free(c->channel);
	free(c->intent);
	free(c->reason);
	free(c->summary);
	free(c->last_body);
	free(c->json);
	free(c->lang);
	free(c->viewers);
}

struct model_conv *model_conv_new(void)
{
	struct model_conv *c = xcalloc(1, sizeof *c);

	c->state = MODEL_STATE_UNKNOWN;
	c->last_kind = AUTHOR_UNKNOWN;
	return c;
}

void model_conv_free(struct model_conv *c)
{
	if (!c)
		return;
	conv_fields_free(c);
	transcript_clear(c);
	free(c);
}

void model_queues_free(struct model_queue *q, size_t n)
{
	size_t i;

	for (i = 0; q && i < n; i++) {
		free(q[i].id);
		free(q[i].name);
	}
	free(q);
}

void model_agents_free(struct model_agent *a, size_t n)
{
	size_t i;

	for (i = 0; a && i < n; i++) {
		free(a[i].login);
		free(a[i].display_name);
	}
	free(a);
}

static void queues_free(struct model *m)
{
	model_queues_free(m->queues, m->nqueues);
	m->queues = NULL;
	m->nqueues = 0;
}

static void agents_free(struct model *m)
{
	model_agents_free(m->agents, m->nagents);
	m->agents = NULL;
	m->nagents = 0;
}

void model_free(struct model *m)
{
	size_t i;

	for (i = 0; i < m->nconvs; i++)
		model_conv_free(m->convs[i]);
	free(m->convs);
	queues_free(m);
	agents_free(m);
	free(m->me);
	free(m->me_name);
	memset(m, 0, sizeof *m);
}

/* Index of ID in the sorted array, or where it would go (with *found = 0). */
static size_t conv_index(const struct model *m, int64_t id, int *found)
{
	size_t lo = 0, hi = m->nconvs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->convs[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->nconvs && m->convs[lo]->id == id;
	return lo;
}

struct model_conv *model_find(const struct model *m, int64_t id)
{
	int found;
	size_t i = conv_index(m, id, &found);

	return found ? m->convs[i] : NULL;
}

enum model_apply model_apply_conv(struct model *m, struct model_conv *c,
				  struct model_conv **out)
{
	int found;
	size_t i = conv_index(m, c->id, &found);
	struct model_conv *held;

	if (found) {
		held = m->convs[i];
		if (out)
			*out = held;
		if (held->version >= c->version) {
			model_conv_free(c);
			return MODEL_STALE;
		}
		/* A relay frame carries no read mark (-1): keep the held one. */
		if (c->my_read_seq < 0)
			c->my_read_seq = held->my_read_seq;
		/* Keep the held transcript: a fetch of the row carries none. */
		conv_fields_free(held);
		{
			struct model_msg *msgs = held->msgs;
			size_t nmsgs = held->nmsgs, cap = held->msgs_cap, bytes = held->msgs_bytes;
			bool open = held->transcript_open, unloaded = held->newer_unloaded;
			int focus = held->focus_seq;

			*held = *c;
			transcript_clear(c);
			held->msgs = msgs;
			held->nmsgs = nmsgs;
			held->msgs_cap = cap;
			held->msgs_bytes = bytes;
			held->focus_seq = focus;
			held->newer_unloaded = unloaded;
			held->transcript_open = open;
		}
		free(c);
		m->generation++;
		return MODEL_CHANGED;
	}
	if (m->nconvs == m->convs_cap) {
		m->convs_cap = m->convs_cap ? m->convs_cap * 2 : 64;
		m->convs = xrealloc(m->convs, m->convs_cap * sizeof *m->convs);
	}
	if (c->my_read_seq < 0)
		c->my_read_seq = 0;
	memmove(&m->convs[i + 1], &m->convs[i], (m->nconvs - i) * sizeof *m->convs);
	m->convs[i] = c;
	m->nconvs++;
	m->generation++;
	if (out)
		*out = c;
	return MODEL_ADDED;
}

bool model_remove(struct model *m, int64_t id)
{
	int found;
	size_t i = conv_index(m, id, &found);

	if (!found)
		return false;
	model_conv_free(m->convs[i]);
	memmove(&m->convs[i], &m->convs[i + 1], (m->nconvs - i - 1) * sizeof *m->convs);
	m->nconvs--;
	m->generation++;
	return true;
}

int model_last_seq(const struct model_conv *c)
{
	return c->nmsgs ? c->msgs[c->nmsgs - 1].seq : 0;
}

int model_first_seq(const struct model_conv *c)
{
	return c->nmsgs ? c->msgs[0].seq : 0;
}

static int msg_seq_cmp(const void *a, const void *b)
{
	const struct model_msg *x = a, *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

size_t model_msg_bytes(const struct model_msg *msg)
{
	size_t n = 0, i;

	n += msg->body ? strlen(msg->body) : 0;
	n += msg->author ? strlen(msg->author) : 0;
	for (i = 0; i < msg->nsources; i++) {
		n += msg->sources[i].title ? strlen(msg->sources[i].title) : 0;
		n += msg->sources[i].url ? strlen(msg->sources[i].url) : 0;
	}
	return n;
}

/* Frees messages [FROM, TO) of C's window and closes the gap. */
static void drop_range(struct model_conv *c, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		c->msgs_bytes -= model_msg_bytes(&c->msgs[i]);
		model_msg_clear(&c->msgs[i]);
	}
	memmove(&c->msgs[from], &c->msgs[to], (c->nmsgs - to) * sizeof *c->msgs);
	c->nmsgs -= to - from;
}

static bool window_over(const struct model *m, size_t n, size_t bytes)
{
	return (m->window_msgs && n > m->window_msgs) || (m->window_bytes && bytes > m->window_bytes);
}

/* Drops messages from the end farther from PIVOT until the window fits, and
 * returns whether newer ones went. */
static bool trim_window(struct model *m, struct model_conv *c, int pivot)
{
	size_t lo = 0, hi = c->nmsgs, bytes = c->msgs_bytes;
	bool dropped_newer = false;

	while (hi - lo > 1 && window_over(m, hi - lo, bytes)) {
		long above = (long)pivot - c->msgs[lo].seq, below = (long)c->msgs[hi - 1].seq - pivot;

		if (below > above) {
			hi--;
			bytes -= model_msg_bytes(&c->msgs[hi]);
			dropped_newer = true;
		} else {
			bytes -= model_msg_bytes(&c->msgs[lo]);
			lo++;
		}
	}
	if (hi < c->nmsgs)
		drop_range(c, hi, c->nmsgs);
	if (lo > 0)
		drop_range(c, 0, lo);
	if (dropped_newer)
		c->newer_unloaded = true;
	return dropped_newer;
}

size_t model_add_messages(struct model *m, struct model_conv *c,
			  struct model_msg *msgs, size_t n)
{
	struct model_msg *merged;
	size_t i = 0, j = 0, w = 0, added = 0, k;
	bool dropped_newer = false;

	if (n == 0)
		return 0;
	/* Pages arrive in seq order; sort only what does not. */
	for (k = 1; k < n && msgs[k - 1].seq <= msgs[k].seq; k++)
		;
	if (k < n)
		qsort(msgs, n, sizeof *msgs, msg_seq_cmp);
	/* One linear merge of two sorted runs; a held message wins over a repeat. */
	merged = xmalloc((c->nmsgs + n) * sizeof *merged);
	while (i < c->nmsgs || j < n) {
		if (j == n || (i < c->nmsgs && c->msgs[i].seq <= msgs[j].seq)) {
			merged[w++] = c->msgs[i++];
		} else if (w > 0 && merged[w - 1].seq == msgs[j].seq) {
			model_msg_clear(&msgs[j++]);
		} else {
			added++;
			c->msgs_bytes += model_msg_bytes(&msgs[j]);
			merged[w++] = msgs[j++];
		}
	}
	free(c->msgs);
	c->msgs = merged;
	c->msgs_cap = c->nmsgs + n;
	c->nmsgs = w;
	memset(msgs, 0, n * sizeof *msgs);
	if (added) {
		/* Nobody looks yet: a pane opens on the newest. */
		dropped_newer = trim_window(m, c, c->focus_seq ? c->focus_seq : model_last_seq(c));
		m->generation++;
	}
	/* Loaded up to the newest again: from here new messages come by themselves. */
	if (c->newer_unloaded && !dropped_newer && model_last_seq(c) >= c->message_count)
		c->newer_unloaded = false;
	return added;
}

void model_clear_messages(struct model *m, struct model_conv *c)
{
	transcript_clear(c);
	c->focus_seq = 0;
	m->generation++;
}

void model_keep_newest(struct model *m, struct model_conv *c, size_t max_msgs,
		       size_t max_bytes)
{
	size_t keep = 0, bytes = 0;

	if (c->newer_unloaded) {
		model_clear_messages(m, c);
		return;
	}
	while (keep < c->nmsgs && keep < max_msgs) {
		size_t b = model_msg_bytes(&c->msgs[c->nmsgs - 1 - keep]);

		if (bytes + b > max_bytes)
			break;
		bytes += b;
		keep++;
	}
	if (keep < c->nmsgs) {
		drop_range(c, 0, c->nmsgs - keep);
		m->generation++;
	}
	c->focus_seq = 0;
}

void model_set_queues(struct model *m, struct model_queue *q, size_t n)
{
	queues_free(m);
	m->queues = q;
	m->nqueues = n;
	m->generation++;
}

void model_set_agents(struct model *m, struct model_agent *a, size_t n)
{
	agents_free(m);
	m->agents = a;
	m->nagents = n;
	m->generation++;
}

void model_set_me(struct model *m, const char *login, const char *name, bool supervisor)
{
	free(m->me);
	free(m->me_name);
	m->me = xstrdup(login);
	m->me_name = xstrdup(name);
	m->me_supervisor = supervisor;
	m->generation++;
}

const struct model_queue *model_queue(const struct model *m, const char *id)
{
	size_t i;

	for (i = 0; id && i < m->nqueues; i++)
		if (strcmp(m->queues[i].id, id) == 0)
			return &m->queues[i];
	return NULL;
}

const struct model_agent *model_agent(const struct model *m, const char *login)
{
	size_t i;

	for (i = 0; login && i < m->nagents; i++)
		if (strcmp(m->agents[i].login, login) == 0)
			return &m->agents[i];
	return NULL;
}

const char *model_agent_name(const struct model *m, const char *login)
{
	const struct model_agent *a = model_agent(m, login);

	if (a && a->display_name && *a->display_name)
		return a->display_name;
	return login ? login : "";
}

int64_t model_now(const struct model *m, int64_t local_now)
{
	return local_now + m->clock_offset;
}

/* When the conversation's clock started. */
static int64_t clock_start(const struct model_conv *c)
{
	switch (c->state) {
	case MODEL_WAITING:
		return c->escalated_at ? c->escalated_at : c->created_at;
	case MODEL_HUMAN:
		return c->taken_at ? c->taken_at : c->created_at;
	default:
		return c->created_at;
	}
}

int64_t model_clock_seconds(const struct model_conv *c, int64_t now)
{
	int64_t start = clock_start(c);

	if (c->state == MODEL_CLOSED && c->closed_at)
		now = c->closed_at;
	return start && now > start ? now - start : 0;
}

const char *model_state_name(enum model_state s)
{
	return state_names[s <= MODEL_STATE_UNKNOWN ? s : MODEL_STATE_UNKNOWN];
}

const char *model_state_flag(enum model_state s)
{
	return state_flags[s <= MODEL_STATE_UNKNOWN ? s : MODEL_STATE_UNKNOWN];
}

enum model_state model_state_parse(const char *s)
{
	int i;

	for (i = 0; s && i < MODEL_STATE_UNKNOWN; i++)
		if (strcmp(s, state_names[i]) == 0)
			return (enum model_state)i;
	return MODEL_STATE_UNKNOWN;
}

const char *model_author_name(enum model_author a)
{
	return author_names[a <= AUTHOR_UNKNOWN ? a : AUTHOR_UNKNOWN];
}

enum model_author model_author_parse(const char *s)
{
	int i;

	for (i = 0; s && i < AUTHOR_UNKNOWN; i++)
		if (strcmp(s, author_names[i]) == 0)
			return (enum model_author)i;
	return AUTHOR_UNKNOWN;
}

bool model_can_reply(const struct model *m, const struct model_conv *c)
{
	return c && c->state == MODEL_HUMAN && m->me && util_streq(c->agent, m->me);
}
