/* console_shift: an agent with several conversations at once — alerts that
 * matter (a customer wrote in one of mine, an escalation stays unclaimed,
 * a conversation nears its SLA, one was assigned to me), at most one ring
 * per few seconds; take next, available/away, read marks, and telling the
 * store where we are so that others see "Anna is viewing". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/text.h"
#include "balie/util.h"
#include "console_priv.h"

/* How long where-we-are settles before the store hears it: moving through
 * conversations or typing bursts cost one call, not one per key. */
#define VIEWING_SETTLE_MS 250

static int64_t now_ms(const struct console *con)
{
	return (int64_t)uv_now(con->loop);
}

void console_alert(struct console *con)
{
	if (shift_ring_ask(&con->ring, now_ms(con)))
		con->bell_pending = true;
	console_schedule(con);
}

/* Changes ----------------------------------------------------------------- */

void console_shift_changed(struct console *con, const struct model_conv *c,
			   enum model_state prev, int prev_msgs)
{
	bool mine = shift_mine(&con->model, c);

	if (mine && c->id == con->pending_open) {
		/* Our take-next: open it now that it is here. */
		con->pending_open = 0;
		if (con->vs.mode == VIEW_MODE_LIST)
			console_open_pane(con, c->id);
		return;
	}
	if (con->startup || !mine)
		return;
	if (prev != MODEL_HUMAN && !con->taking_next && c->id != con->vs.open) {
		/* Given to us by the store (auto routing) or a supervisor. */
		say(con, VIEW_ROLE_OK, "#%lld (%s) is yours now: assigned to you", (long long)c->id,
		    console_customer(c));
		console_alert(con);
		return;
	}
	if (prev_msgs >= 0 && c->message_count > prev_msgs && c->last_kind == AUTHOR_CUSTOMER) {
		if (c->id != con->vs.open)
			say(con, VIEW_ROLE_WAITING, "#%lld: %s wrote", (long long)c->id,
			    console_customer(c));
		console_alert(con);
	}
}

/* Rings for C's unclaimed wait and its SLA, once each per state; says
 * why when SAY. Returns whether it would ring. */
static bool waiting_alerts(struct console *con, const struct model_conv *c, int64_t now,
			   bool say_it)
{
	struct seen *sn = console_seen(con, c->id);
	bool ring = false;

	if (c->state != MODEL_WAITING || !sn)
		return false;
	if (con->cfg.alert_unclaimed && !(sn->alerted & SEEN_ALERT_UNCLAIMED) &&
	    model_clock_seconds(c, now) >= (int64_t)con->cfg.alert_unclaimed) {
		sn->alerted |= SEEN_ALERT_UNCLAIMED;
		if (say_it)
			say(con, VIEW_ROLE_WAITING, "#%lld (%s) is still waiting for a person",
			    (long long)c->id, console_customer(c));
		ring = true;
	}
	if (!(sn->alerted & SEEN_ALERT_SLA) &&
	    shift_sla(&con->model, c, now, con->cfg.sla_warn) != SHIFT_SLA_OK) {
		sn->alerted |= SEEN_ALERT_SLA;
		if (say_it)
			say(con, VIEW_ROLE_LATE, "#%lld (%s) nears its SLA", (long long)c->id,
			    console_customer(c));
		ring = true;
	}
	return ring;
}

void console_shift_prime(struct console *con)
{
	int64_t now = console_server_now(con);
	size_t i;

	for (i = 0; i < con->model.nconvs; i++)
		waiting_alerts(con, con->model.convs[i], now, false);
}

/* Every second: escalations that stay unclaimed, conversations that near
 * their SLA (in the agent's queues: the only waiting ones it sees). */
void console_shift_tick(struct console *con)
{
	int64_t now = console_server_now(con);
	bool ring = false;
	size_t i;

	if (con->startup || con->vs.conn != VIEW_ONLINE || !con->model.me)
		return;
	for (i = 0; i < con->model.nconvs; i++)
		if (waiting_alerts(con, con->model.convs[i], now, true))
			ring = true;
	if (ring)
		console_alert(con);
	else if (shift_ring_due(&con->ring, now_ms(con)))
		con->bell_pending = true;
}

/* Read marks ------------------------------------------------------------------ */

void console_shift_rendered(struct console *con)
{
	struct model_conv *c = con->vs.open ? model_find(&con->model, con->vs.open) : NULL;
	struct action call = { .kind = VERB_MARK_READ };

	/* Shown at its end: everything up to the newest message is read. */
	if (!c || !con->vs.follow || c->newer_unloaded || con->vs.conn != VIEW_ONLINE ||
	    c->message_count <= 0 || model_last_seq(c) < c->message_count)
		return;
	if (c->my_read_seq >= c->message_count ||
	    (con->read_conv == c->id && con->read_seq >= c->message_count))
		return;
	c->my_read_seq = c->message_count;	/* the store says so too, soon */
	con->read_conv = c->id;
	con->read_seq = c->message_count;
	call.conv = c->id;
	call.number = c->message_count;
	sync_act(con->sync, &call, NULL, NULL);
	con->model.generation++;
	console_schedule(con);
}

/* Where we are ---------------------------------------------------------------- */

static void tell_viewing(struct console *con)
{
	struct action call = { .kind = VERB_SET_VIEWING };

	if (con->vs.conn != VIEW_ONLINE || !con->model.me)
		return;		/* said again once back online */
	if (con->view_sent && con->view_sent != con->view_want) {
		call.conv = con->view_sent;
		call.text = NULL;		/* left */
		sync_act(con->sync, &call, NULL, NULL);
	}
	if (con->view_want && (con->view_want != con->view_sent ||
			       !util_streq(con->act_want, con->act_sent))) {
		call.conv = con->view_want;
		call.text = con->act_want;
		sync_act(con->sync, &call, NULL, NULL);
	}
	con->view_sent = con->view_want;
	con->act_sent = con->act_want;
}

static void on_viewing(uv_timer_t *t)
{
	tell_viewing(t->data);
}

void console_set_viewing(struct console *con, int64_t conv, const char *activity)
{
	con->view_want = conv;
	con->act_want = conv ? activity : NULL;
	if (con->view_want == con->view_sent && util_streq(con->act_want, con->act_sent))
		return;
	if (con->viewing_open)
		uv_timer_start(&con->viewing, on_viewing, VIEWING_SETTLE_MS, 0);
}

void console_compose_typed(struct console *con)
{
	const char *text;

	if (con->vs.mode != VIEW_MODE_COMPOSE) {
		console_set_viewing(con, con->vs.open, "viewing");
		return;
	}
	text = compose_text(&con->line);
	console_set_viewing(con, con->compose_conv, !text || !*text ? "viewing" :
			    con->compose_verb == VERB_NOTE ? "typing a note" : "typing");
}

/* Take next, status --------------------------------------------------------- */

void console_take_next(struct console *con)
{
	if (con->taking_next) {
		say(con, VIEW_ROLE_NORMAL, "already taking the next one…");
		return;
	}
	if (con->vs.conn != VIEW_ONLINE) {
		say(con, VIEW_ROLE_ERROR, "not connected — try again when back online");
		return;
	}
	con->taking_next = true;
	console_verb(con, VERB_TAKE_NEXT, NULL);
}

void console_took_next(struct console *con, const struct action_result *r)
{
	int64_t id = r->value && *r->value ? strtoll(r->value, NULL, 10) : 0;

	if (id <= 0) {
		say(con, VIEW_ROLE_NORMAL, "nobody is waiting for you");
		return;
	}
	/* Fetched by the change feed; open it as soon as it is here. */
	if (model_find(&con->model, id) && shift_mine(&con->model, model_find(&con->model, id))) {
		console_open_pane(con, id);
	} else {
		con->pending_open = id;
		con->vs.selected = id;
	}
	say(con, VIEW_ROLE_OK, "#%lld is yours now", (long long)id);
}

void console_toggle_status(struct console *con)
{
	struct action call = { .kind = VERB_STATUS };

	if (con->vs.conn != VIEW_ONLINE) {
		say(con, VIEW_ROLE_ERROR, "not connected — try again when back online");
		return;
	}
	con->away = !con->away;
	con->vs.my_status = con->away ? "away" : "available";
	call.arg = con->vs.my_status;
	console_send(con, &call);
}

/* Life ------------------------------------------------------------------------ */

bool console_shift_start(struct console *con)
{
	shift_ring_init(&con->ring, con->cfg.alert_gap * 1000u);
	con->vs.sla_warn = con->cfg.sla_warn;
	if (!console_uv_ok(con, uv_timer_init(con->loop, &con->viewing), "the presence timer"))
		return false;
	con->viewing.data = con;
	con->viewing_open = true;
	return true;
}

void console_shift_stop(struct console *con)
{
	/* Leaving: others should not see us in a conversation any more. */
	con->view_want = 0;
	con->act_want = NULL;
	tell_viewing(con);
	if (con->viewing_open)
		uv_close((uv_handle_t *)&con->viewing, NULL);
	con->viewing_open = false;
}
