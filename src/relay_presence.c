/* relay_presence: presence without queries from the consoles.
 *
 * In relay mode an attached console is online because it is attached, and
 * sends no heartbeat. The relay vouches for all its attached agents and
 * supervisors at once: balie.relay_seen(logins) right after an attach and
 * every RELAY_SEEN_MS (one statement per interval, whatever the number of
 * consoles; none while only bots are attached). An agent whose relay dies or
 * whose console detaches is seen at most RELAY_SEEN_MS before, so it shows
 * offline 20 to 30 seconds later (balie._offline_after() is 30 s).
 *
 * Those refreshes change agents rows; forwarding each as an "agent" frame
 * would send every client one frame per attached agent per interval. A small
 * cache of what was last sent of each agent row (display name, supervisor
 * flag, away) drops the updates that change only last_seen/presence_since. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/db.h"
#include "balie/relay.h"
#include "balie/util.h"

#define ROW_BUCKETS 256u

struct relay_agent_row {
	struct relay_agent_row *next;
	char *login, *display_name, *is_supervisor, *away;
};

/* ------------------------------------------------------------- relay_seen */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The distinct logins of attached agents and supervisors as an array
 * literal ({"ann","sue"}), or NULL when there are none. */
static char *attached_logins(struct relay *r)
{
	const struct relay_client *c;
	const char **v = NULL;
	size_t n = 0, cap = 0, i;
	struct relay_buf b;

	for (c = r->clients; c; c = c->next) {
		if (!c->attached || c->kind == RELAY_BOT || !c->login)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[n++] = c->login;
	}
	if (n == 0) {
		free(v);
		return NULL;
	}
	qsort(v, n, sizeof *v, cmp_str);
	relay_buf_init(&b);
	relay_buf_add(&b, "{", 1);
	for (i = 0; i < n; i++) {
		const char *p;

		if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
			continue;
		if (b.len > 1)
			relay_buf_add(&b, ",", 1);
		relay_buf_add(&b, "\"", 1);
		for (p = v[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				relay_buf_add(&b, "\\", 1);
			relay_buf_add(&b, p, 1);
		}
		relay_buf_add(&b, "\"", 1);
	}
	relay_buf_add(&b, "}", 1);
	free(v);
	{
		size_t len;

		return relay_buf_take(&b, &len);
	}
}

static void send_seen(struct relay *r);

static void on_seen(const struct db_result *res, void *arg)
{
	struct relay *r = arg;

	r->seen_inflight = false;
	if (r->stopping)
		return;
	if (res->outcome == DB_OK)
		r->st.seen_calls++;
	else if (res->outcome != DB_NOT_SENT)	/* not sent: redone once connected */
		fprintf(stderr, "balie relay: presence not recorded: %s\n", res->message);
	if (r->seen_again) {
		r->seen_again = false;
		send_seen(r);
	}
}

static void send_seen(struct relay *r)
{
	char *logins;

	if (r->stopping || !r->db || db_get_state(r->db) != DB_CONNECTED)
		return;
	if (r->seen_inflight) {
		/* Logins attached meanwhile may be missing from the call in flight. */
		r->seen_again = true;
		return;
	}
	logins = attached_logins(r);
	if (!logins)
		return;
	r->seen_inflight = true;
	db_query(r->db, "SELECT balie.relay_seen($1::text[])", 1,
		 (const char *const *)&logins, on_seen, r);
	free(logins);
}

void relay_presence_now(struct relay *r)
{
	send_seen(r);
}

static void on_seen_timer(uv_timer_t *t)
{
	send_seen(t->data);
}

void relay_presence_start(struct relay *r)
{
	const char *env = getenv(RELAY_SEEN_ENV);
	unsigned long ms = RELAY_SEEN_MS;

	if (env && *env) {
		char *end;
		unsigned long v = strtoul(env, &end, 10);

		if (*end == '\0' && v >= 10 && v <= RELAY_SEEN_MS)
			ms = v;
		else
			fprintf(stderr, "balie relay: ignoring %s=%s (milliseconds, 10 to %d)\n",
				RELAY_SEEN_ENV, env, RELAY_SEEN_MS);
	}
	uv_timer_init(r->loop, &r->seen_timer);
	r->seen_timer.data = r;
	uv_timer_start(&r->seen_timer, on_seen_timer, ms, ms);
}

void relay_presence_stop(struct relay *r)
{
	uv_close((uv_handle_t *)&r->seen_timer, NULL);
}

/* ------------------------------------------------------ agent row cache */

static unsigned row_bucket(const char *login)
{
	unsigned h = 2166136261u;

	for (; *login; login++)
		h = (h ^ (unsigned char)*login) * 16777619u;
	return h & (ROW_BUCKETS - 1);
}

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void row_free(struct relay_agent_row *e)
{
	free(e->login);
	free(e->display_name);
	free(e->is_supervisor);
	free(e->away);
	free(e);
}

bool relay_agent_row_news(struct relay *r, const char *login, const char *display_name,
			  const char *is_supervisor, const char *away)
{
	struct relay_agent_row **pp, *e;

	if (!login)
		return true;
	if (!r->agent_rows)
		r->agent_rows = xcalloc(ROW_BUCKETS, sizeof *r->agent_rows);
	pp = &r->agent_rows[row_bucket(login)];
	for (e = *pp; e && strcmp(e->login, login) != 0; e = e->next)
		;
	if (e && same(e->display_name, display_name) && same(e->is_supervisor, is_supervisor) &&
	    same(e->away, away))
		return false;
	if (!e) {
		e = xcalloc(1, sizeof *e);
		e->login = xstrdup(login);
		e->next = *pp;
		*pp = e;
	}
	free(e->display_name);
	free(e->is_supervisor);
	free(e->away);
	/* A value the stream did not carry (NULL) never matches: sent next time. */
	e->display_name = xstrdup(display_name);
	e->is_supervisor = xstrdup(is_supervisor);
	e->away = xstrdup(away);
	return true;
}

void relay_agent_rows_forget(struct relay *r)
{
	unsigned i;

	if (!r->agent_rows)
		return;
	for (i = 0; i < ROW_BUCKETS; i++) {
		while (r->agent_rows[i]) {
			struct relay_agent_row *e = r->agent_rows[i];

			r->agent_rows[i] = e->next;
			row_free(e);
		}
	}
}

void relay_agent_rows_free(struct relay *r)
{
	relay_agent_rows_forget(r);
	free(r->agent_rows);
	r->agent_rows = NULL;
}
