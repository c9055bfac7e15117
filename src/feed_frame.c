/* feed_frame: the relay's frames parsed into model structs; see feed.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/feed.h"
#include "balie/relay_proto.h"
#include "balie/util.h"

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int64_t int_or_zero(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

/* A growing string, for the JSON line. */
struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* A JSON string the way PostgreSQL's escape_json writes it, or null. */
static void put_json_str(struct buf *b, const char *s)
{
	char esc[8];

	if (!s) {
		puts_(b, "null");
		return;
	}
	put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"': puts_(b, "\\\""); break;
		case '\\': puts_(b, "\\\\"); break;
		case '\b': puts_(b, "\\b"); break;
		case '\f': puts_(b, "\\f"); break;
		case '\n': puts_(b, "\\n"); break;
		case '\r': puts_(b, "\\r"); break;
		case '\t': puts_(b, "\\t"); break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof esc, "\\u%04x", c);
				puts_(b, esc);
			} else {
				put(b, (const char *)s, 1);
			}
		}
	}
	put(b, "\"", 1);
}

static void put_int(struct buf *b, long long v)
{
	char n[24];

	snprintf(n, sizeof n, "%lld", v);
	puts_(b, n);
}

/* Same keys, order and spacing as the store's json_build_object, so `balie
 * watch` prints the same line whichever feed it uses. */
static char *conv_json(const struct model_conv *c, const char *state, int64_t now)
{
	struct buf b = { 0 };
	int64_t waited = 0, end;

	if (c->escalated_at) {
		end = c->state == MODEL_WAITING ? now :
		      c->taken_at ? c->taken_at : c->closed_at ? c->closed_at : now;
		waited = end > c->escalated_at ? end - c->escalated_at : 0;
	}
	puts_(&b, "{\"conv\" : ");
	put_int(&b, c->id);
	puts_(&b, ", \"version\" : ");
	put_int(&b, c->version);
	puts_(&b, ", \"state\" : ");
	put_json_str(&b, state);
	puts_(&b, ", \"agent\" : ");
	put_json_str(&b, c->agent);
	puts_(&b, ", \"queue\" : ");
	put_json_str(&b, c->queue);
	puts_(&b, ", \"customer\" : ");
	put_json_str(&b, c->customer_name);
	puts_(&b, ", \"reason\" : ");
	put_json_str(&b, c->reason);
	puts_(&b, ", \"messages\" : ");
	put_int(&b, c->message_count);
	puts_(&b, ", \"waited\" : ");
	put_int(&b, waited);
	puts_(&b, "}");
	return b.p;
}

/* The conv frame's fields after the tag (relay_proto.h's RC_* minus one). */
enum {
	FC_ID, FC_VERSION, FC_QUEUE, FC_STATE, FC_AGENT, FC_CUSTOMER_REF,
	FC_CUSTOMER_NAME, FC_CHANNEL, FC_INTENT, FC_CONFIDENCE, FC_REASON,
	FC_SUMMARY, FC_CREATED, FC_ESCALATED, FC_TAKEN, FC_CLOSED,
	FC_MESSAGE_COUNT, FC_LAST_KIND, FC_LAST_BODY,
	FC_LANG, FC_MY_READ_SEQ, FC_CUSTOMER_WAITING, FC_VIEWERS, FC_HAND_RAISED, FC_COUNT
};
_Static_assert(FC_COUNT == RELAY_CONV_FIELDS - 1 && FC_LAST_BODY == RC_LAST_BODY - 1 &&
	       FC_HAND_RAISED == RC_HAND_RAISED - 1,
	       "conv frame fields as relay_proto.h says");

struct model_conv *feed_parse_conv(char **f, size_t n, int64_t server_now)
{
	struct model_conv *c;

	/* The columns appended by 007-009 may be missing (an older relay). */
	if (n < FC_LANG || !f[FC_ID] || !f[FC_VERSION] || !f[FC_STATE])
		return NULL;
	c = model_conv_new();
	c->id = int_or_zero(f[FC_ID]);
	c->version = int_or_zero(f[FC_VERSION]);
	c->queue = dup_or_null(f[FC_QUEUE]);
	c->state = model_state_parse(f[FC_STATE]);
	c->agent = dup_or_null(f[FC_AGENT]);
	c->customer_ref = dup_or_null(f[FC_CUSTOMER_REF]);
	c->customer_name = dup_or_null(f[FC_CUSTOMER_NAME]);
	c->channel = dup_or_null(f[FC_CHANNEL]);
	c->intent = dup_or_null(f[FC_INTENT]);
	c->has_confidence = f[FC_CONFIDENCE] != NULL;
	c->confidence = c->has_confidence ? strtod(f[FC_CONFIDENCE], NULL) : 0;
	c->reason = dup_or_null(f[FC_REASON]);
	c->summary = dup_or_null(f[FC_SUMMARY]);
	c->created_at = int_or_zero(f[FC_CREATED]);
	c->escalated_at = int_or_zero(f[FC_ESCALATED]);
	c->taken_at = int_or_zero(f[FC_TAKEN]);
	c->closed_at = int_or_zero(f[FC_CLOSED]);
	c->message_count = (int)int_or_zero(f[FC_MESSAGE_COUNT]);
	c->last_kind = model_author_parse(f[FC_LAST_KIND]);
	c->last_body = dup_or_null(f[FC_LAST_BODY]);
	c->json = conv_json(c, f[FC_STATE], server_now);
	c->lang = n > FC_LANG ? dup_or_null(f[FC_LANG]) : NULL;
	/* The relay never knows the reader's mark: -1 keeps the one held. */
	c->my_read_seq = n > FC_MY_READ_SEQ && f[FC_MY_READ_SEQ] ? (int)int_or_zero(f[FC_MY_READ_SEQ]) : -1;
	c->customer_waiting_since = n > FC_CUSTOMER_WAITING ? int_or_zero(f[FC_CUSTOMER_WAITING]) : 0;
	c->viewers = n > FC_VIEWERS ? dup_or_null(f[FC_VIEWERS]) : NULL;
	c->hand_raised_at = n > FC_HAND_RAISED ? int_or_zero(f[FC_HAND_RAISED]) : 0;
	if (c->id <= 0) {
		model_conv_free(c);
		return NULL;
	}
	return c;
}

enum { FM_CONV, FM_SEQ, FM_ID, FM_KIND, FM_AUTHOR, FM_BODY, FM_CREATED, FM_SOURCES, FM_COUNT };
_Static_assert(FM_COUNT == RELAY_MSG_FIELDS - 1 && FM_SOURCES == RM_SOURCES - 1,
	       "msg frame fields as relay_proto.h says");

int feed_parse_msg(char **f, size_t n, int64_t *conv, struct model_msg *m, bool *complete)
{
	const char *src;

	if (n < FM_SOURCES || !f[FM_CONV] || !f[FM_SEQ] || !f[FM_BODY])
		return -1;
	memset(m, 0, sizeof *m);
	*conv = int_or_zero(f[FM_CONV]);
	m->seq = (int)int_or_zero(f[FM_SEQ]);
	m->id = int_or_zero(f[FM_ID]);
	m->kind = model_author_parse(f[FM_KIND]);
	m->author = dup_or_null(f[FM_AUTHOR]);
	m->body = xstrdup(f[FM_BODY]);
	m->created_at = int_or_zero(f[FM_CREATED]);
	/* Sources are rare (bot answers): those messages are read through the
	 * read API rather than parsing JSON here. */
	src = n > FM_SOURCES ? f[FM_SOURCES] : NULL;
	*complete = !src || strcmp(src, "[]") == 0 || strcmp(src, "null") == 0 || !*src;
	if (*conv <= 0 || m->seq <= 0) {
		model_msg_clear(m);
		return -1;
	}
	return 0;
}

int feed_parse_queue(char **f, size_t n, struct model_queue *q)
{
	if (n < 5 || !f[0] || !f[1])
		return -1;
	q->id = xstrdup(f[0]);
	q->name = xstrdup(f[1]);
	q->sla_seconds = (int)int_or_zero(f[2]);
	q->priority = (int)int_or_zero(f[3]);
	q->bot_paused = f[4] && f[4][0] == 't';
	return 0;
}

int feed_parse_agent(char **f, size_t n, struct model_agent *a)
{
	if (n < 4 || !f[0])
		return -1;
	a->login = xstrdup(f[0]);
	a->display_name = dup_or_null(f[1]);
	a->is_supervisor = f[2] && f[2][0] == 't';
	a->last_seen = int_or_zero(f[3]);
	return 0;
}
