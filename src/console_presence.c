/* console_presence: the heartbeat every console sends, so supervisors see
 * who is online, away (no key for away_after seconds) or gone. */
#include "console_priv.h"
#include "balie/i18n.h"

static void send_heartbeat(struct console *con, bool away)
{
	struct action hb = { .kind = VERB_HEARTBEAT, .flag = away };

	sync_act(con->sync, &hb, NULL, NULL);
	con->told_away = away;
	con->last_heartbeat = console_now_s();
}

/* Every HEARTBEAT_SECONDS: still here, and whether keys were pressed lately
 * (writing in $EDITOR counts as being here). */
static void on_heartbeat(uv_timer_t *t)
{
	struct console *con = t->data;

	/* Relay mode: attached means online, so an idle console sends nothing. */
	if (!con->model.me || con->vs.conn != VIEW_ONLINE || con->opt.relay)
		return;
	send_heartbeat(con, !con->editing &&
		       console_now_s() - con->last_key >= (int64_t)con->cfg.away_after);
}

void console_activity(struct console *con)
{
	con->last_key = console_now_s();
	/* Back from away: say so now, not at the next beat. */
	if (con->told_away && con->model.me && con->vs.conn == VIEW_ONLINE)
		send_heartbeat(con, false);
}

void console_presence_online(struct console *con)
{
	if (con->model.me)
		send_heartbeat(con, false);
}

bool console_presence_start(struct console *con)
{
	con->last_key = console_now_s();
	if (!console_uv_ok(con, uv_timer_init(con->loop, &con->heartbeat), _("the heartbeat timer")))
		return false;
	con->heartbeat_open = true;
	con->heartbeat.data = con;
	return console_uv_ok(con, uv_timer_start(&con->heartbeat, on_heartbeat,
						 HEARTBEAT_SECONDS * 1000,
						 HEARTBEAT_SECONDS * 1000), _("the heartbeat timer"));
}

void console_presence_stop(struct console *con)
{
	if (con->heartbeat_open)
		uv_close((uv_handle_t *)&con->heartbeat, NULL);
	con->heartbeat_open = false;
}
