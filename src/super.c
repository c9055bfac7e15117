/* super: the supervisor figures as data, and the pacing rule; see super.h. */
#include <stdlib.h>
#include <string.h>

#include "balie/super.h"

void super_data_init(struct super_data *d)
{
	memset(d, 0, sizeof *d);
}

void super_queues_free(struct super_queue *q, size_t n)
{
	size_t i;

	for (i = 0; q && i < n; i++) {
		free(q[i].id);
		free(q[i].name);
	}
	free(q);
}

void super_agents_free(struct super_agent *a, size_t n)
{
	size_t i;

	for (i = 0; a && i < n; i++) {
		free(a[i].login);
		free(a[i].display_name);
		free(a[i].queues);
		free(a[i].convs);
	}
	free(a);
}

void super_data_free(struct super_data *d)
{
	super_queues_free(d->queues, d->nqueues);
	super_agents_free(d->agents, d->nagents);
	super_data_init(d);
}

#define SUPER_PRESENCE_NAME_(e, name) name,
static const char *const presence_names[] = { SUPER_PRESENCES(SUPER_PRESENCE_NAME_) };
#undef SUPER_PRESENCE_NAME_

const char *super_presence_name(enum super_presence p)
{
	return p <= SUPER_PRESENCE_UNKNOWN ? presence_names[p] : "unknown";
}

enum super_presence super_presence_parse(const char *s)
{
	int p;

	for (p = 0; s && p < SUPER_PRESENCE_UNKNOWN; p++)
		if (strcmp(s, presence_names[p]) == 0)
			return (enum super_presence)p;
	return SUPER_PRESENCE_UNKNOWN;
}

#define SUPER_REASON_NAME_(e, name, label) name,
#define SUPER_REASON_LABEL_(e, name, label) label,
static const char *const reason_names[] = { SUPER_REASONS(SUPER_REASON_NAME_) };
static const char *const reason_labels[] = { SUPER_REASONS(SUPER_REASON_LABEL_) };
#undef SUPER_REASON_NAME_
#undef SUPER_REASON_LABEL_

const char *super_reason_name(enum super_reason r)
{
	return r < SUPER_REASON_COUNT ? reason_names[r] : "";
}

const char *super_reason_label(enum super_reason r)
{
	return r < SUPER_REASON_COUNT ? _(reason_labels[r]) : "";
}

int64_t super_longest_wait(const struct super_queue *q, int64_t now)
{
	if (!q->waiting || !q->oldest_waiting_since || now < q->oldest_waiting_since)
		return 0;
	return now - q->oldest_waiting_since;
}

int super_containment_percent(const struct super_queue *q)
{
	if (q->closed_today <= 0)
		return -1;
	return (int)((int64_t)q->contained_today * 100 / q->closed_today);
}

bool super_agent_stranded(const struct super_agent *a)
{
	return a->presence == SUPER_OFFLINE && a->open_count > 0;
}

size_t super_sparkline(const int *points, size_t n, size_t width, bool unicode,
		       char *out, size_t len)
{
	static const char ascii[] = "_.-=#";
	size_t levels = unicode ? 8 : 5, cells = width < n ? width : n, c, i, w = 0;
	int top = 0;

	if (len == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (points[i] > top)
			top = points[i];
	for (c = 0; c < cells; c++) {
		/* Each cell shows the busiest minute of its share, so a peak is never averaged away. */
		size_t from = c * n / cells, to = (c + 1) * n / cells, level = 0;
		int v = 0;

		for (i = from; i < to; i++)
			if (points[i] > v)
				v = points[i];
		if (v > 0 && top > 0)
			level = (size_t)(((int64_t)v * (int64_t)(levels - 1) + top - 1) / top);
		if (unicode) {
			if (w + 3 >= len)
				break;
			out[w++] = (char)0xe2;
			out[w++] = (char)0x96;
			out[w++] = (char)(0x81 + level);
		} else {
			if (w + 1 >= len)
				break;
			out[w++] = ascii[level];
		}
	}
	out[w] = '\0';
	return c;
}

/* Pacing ------------------------------------------------------------------- */

void super_pace_init(struct super_pace *p, unsigned debounce_ms, unsigned min_interval_ms,
		     unsigned periodic_ms)
{
	memset(p, 0, sizeof *p);
	p->debounce_ms = debounce_ms;
	p->min_interval_ms = min_interval_ms;
	p->periodic_ms = periodic_ms;
}

/* When the next refresh may start: a wanted one as soon as the rate allows,
 * else the periodic one; none while hidden, offline or already asking. */
static uint64_t pace_next(const struct super_pace *p, uint64_t now)
{
	uint64_t at;

	if (!p->visible || !p->online || p->in_flight)
		return 0;
	if (p->want) {
		at = p->want;
		if (p->last_start && at < p->last_start + p->min_interval_ms)
			at = p->last_start + p->min_interval_ms;
	} else {
		at = (p->last_start ? p->last_start : now) + p->periodic_ms;
	}
	return at ? at : 1;
}

uint64_t super_pace_change(struct super_pace *p, uint64_t now)
{
	p->changes++;
	/* The first change of a burst sets the moment; later ones ride along. */
	if (!p->want)
		p->want = now + p->debounce_ms;
	return pace_next(p, now);
}

uint64_t super_pace_show(struct super_pace *p, uint64_t now, bool visible)
{
	p->visible = visible;
	if (visible)
		p->want = now ? now : 1;
	return pace_next(p, now);
}

uint64_t super_pace_online(struct super_pace *p, uint64_t now, bool online)
{
	p->online = online;
	/* Notifications sent while away are lost: read everything again. */
	if (online)
		p->want = now ? now : 1;
	return pace_next(p, now);
}

uint64_t super_pace_due(struct super_pace *p, uint64_t now, bool *start)
{
	uint64_t at = pace_next(p, now);

	*start = false;
	if (!at || now < at)
		return at;
	*start = true;
	p->in_flight = true;
	p->want = 0;
	p->last_start = now ? now : 1;
	p->refreshes++;
	return 0;
}

uint64_t super_pace_done(struct super_pace *p, uint64_t now)
{
	p->in_flight = false;
	return pace_next(p, now);
}
