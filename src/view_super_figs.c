/* view_super_figs: the supervisor's figures as words — a queue's service
 * level, speeds and abandonment, its wrap-up codes — and the attention
 * rows (raised hands, conversations past or near their SLA) that come
 * first on the supervisor screen. No curses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/text.h"
#include "balie/util.h"
#include "balie/view_super.h"

void view_super_figures_text(const struct super_queue *q, char *buf, size_t size)
{
	char sl[16], asa[24], aht[24], frt[24];
	int pct = super_service_level_percent(q);

	if (pct < 0)
		snprintf(sl, sizeof sl, "-");
	else
		snprintf(sl, sizeof sl, "%d%%", pct);
	snprintf(buf, size, "SL %s · ASA %s · AHT %s · FRT %s · abandoned %d", sl,
		 super_figure_duration(q->asa_seconds, asa, sizeof asa),
		 super_figure_duration(q->aht_seconds, aht, sizeof aht),
		 super_figure_duration(q->frt_seconds, frt, sizeof frt),
		 q->abandoned > 0 ? q->abandoned : 0);
}

bool view_super_wrapups_text(const char *wrapups, char *buf, size_t size)
{
	size_t n = 0;
	const char *s = wrapups;

	if (size == 0)
		return false;
	buf[0] = '\0';
	if (!s || !*s)
		return false;
	/* "refund=3,info=1" reads "refund 3, info 1". */
	for (; *s && n + 3 < size; s++) {
		if (*s == '=') {
			buf[n++] = ' ';
		} else if (*s == ',') {
			buf[n++] = ',';
			buf[n++] = ' ';
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = '\0';
	return n > 0;
}

const char *view_super_attn_label(enum view_super_attn why)
{
	switch (why) {
	case VIEW_SUPER_ATTN_HAND: return "HAND";
	case VIEW_SUPER_ATTN_LATE: return "SLA!";
	case VIEW_SUPER_ATTN_NEAR: return "SLA~";
	default: return "";
	}
}

enum view_super_attn view_super_attention(const struct model *m, const struct model_conv *c,
					  int64_t now)
{
	const struct model_queue *q;
	int64_t waited;

	if (c->state == MODEL_CLOSED)
		return VIEW_SUPER_ATTN_NONE;
	if (c->hand_raised_at)
		return VIEW_SUPER_ATTN_HAND;
	if (c->state != MODEL_WAITING || !c->escalated_at)
		return VIEW_SUPER_ATTN_NONE;
	q = model_queue(m, c->queue);
	if (!q || q->sla_seconds <= 0)
		return VIEW_SUPER_ATTN_NONE;
	waited = now - c->escalated_at;
	if (waited > q->sla_seconds)
		return VIEW_SUPER_ATTN_LATE;
	/* Near: four fifths of the SLA gone. */
	if (waited * 5 >= (int64_t)q->sla_seconds * 4)
		return VIEW_SUPER_ATTN_NEAR;
	return VIEW_SUPER_ATTN_NONE;
}

void view_super_attn_row(struct view_doc *d, const struct model *m, int64_t id,
			 enum view_super_attn why, bool sel, size_t row, const struct view_state *st,
			 int64_t now)
{
	unsigned f = st->text_flags;
	enum view_role base = sel ? VIEW_ROLE_SELECTED : VIEW_ROLE_NORMAL;
	const struct model_conv *c = model_find(m, id);
	char buf[64];
	int64_t secs;

	view_line(d, base, (int)row + 1);
	view_put_pad(d, base, sel ? ">" : "", 2, f);
	view_put_pad(d, VIEW_ROLE_LATE, view_super_attn_label(why), 5, f);
	snprintf(buf, sizeof buf, "#%lld", (long long)id);
	view_put_pad(d, base, buf, 8, f);
	if (!c)
		return;
	secs = why == VIEW_SUPER_ATTN_HAND ? now - c->hand_raised_at : now - c->escalated_at;
	text_duration((long)(secs > 0 ? secs : 0), buf, TEXT_DURATION_SIZE);
	view_put_pad(d, VIEW_ROLE_TIME, buf, 8, f | TEXT_ALIGN_RIGHT);
	view_puts(d, base, " ");
	view_put_clean(d, base, c->queue, 10, f);
	view_puts(d, base, " ");
	if (why == VIEW_SUPER_ATTN_HAND && c->agent) {
		view_put_clean(d, VIEW_ROLE_HUMAN, model_agent_name(m, c->agent), 18, f);
		view_puts(d, base, " ");
	}
	view_put_clean(d, base, c->customer_name && *c->customer_name ? c->customer_name :
		       c->customer_ref ? c->customer_ref : "", -24, f);
}
