/* console_words: what an agent says and closes with beyond typing — macros
 * ("/name" + Tab on the compose line, M for the list) whose sources go with
 * the reply, close with a wrap-up code and an optional resolution, and the
 * optional note of a hand-back. The store fills in a macro's variables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balie/i18n.h"
#include "balie/text.h"
#include "balie/util.h"
#include "console_priv.h"

static struct db *store_of(struct console *con)
{
	return con->sync ? sync_db(con->sync) : NULL;
}

void console_macros_load(struct console *con, int64_t conv)
{
	struct db *db = store_of(con);

	if (db)
		store_fetch_macros(db, conv, console_macros_arrived, con);
}

void console_words_free(struct console *con)
{
	store_macros_free(con->macros, con->nmacros);
	con->macros = NULL;
	con->nmacros = 0;
	con->macros_conv = 0;
	store_wrapups_free(con->wrapups, con->nwrapups);
	con->wrapups = NULL;
	con->nwrapups = 0;
	free(con->reply_sources);
	con->reply_sources = NULL;
}

/* Sources ------------------------------------------------------------------ */

/* The inside of a JSON array ("[…]" without its brackets), or NULL when S
 * is no array or an empty one. */
static const char *array_inside(const char *s, size_t *len)
{
	const char *end;

	if (!s)
		return NULL;
	s += strspn(s, " \t\r\n");
	if (*s != '[')
		return NULL;
	end = strrchr(s, ']');
	if (!end)
		return NULL;
	s++;
	s += strspn(s, " \t\r\n");
	*len = (size_t)(end - s);
	return *len ? s : NULL;
}

/* Adds the sources (a JSON array) of a macro to those of the reply to CONV. */
static void add_sources(struct console *con, int64_t conv, const char *json)
{
	size_t alen = 0, blen = 0;
	const char *a, *b = array_inside(json, &blen);
	char *joined;

	if (con->reply_sources_conv != conv) {
		free(con->reply_sources);
		con->reply_sources = NULL;
		con->reply_sources_conv = conv;
	}
	if (!b)
		return;
	a = array_inside(con->reply_sources, &alen);
	joined = xmalloc(alen + blen + 5);
	if (a)
		snprintf(joined, alen + blen + 5, "[%.*s, %.*s]", (int)alen, a, (int)blen, b);
	else
		snprintf(joined, alen + blen + 5, "[%.*s]", (int)blen, b);
	free(con->reply_sources);
	con->reply_sources = joined;
}

const char *console_reply_sources(struct console *con, int64_t conv)
{
	return con->reply_sources_conv == conv ? con->reply_sources : NULL;
}

void console_reply_sources_sent(struct console *con, int64_t conv)
{
	if (con->reply_sources_conv != conv)
		return;
	free(con->reply_sources);
	con->reply_sources = NULL;
}

/* Macros ------------------------------------------------------------------- */

static void open_macro_picker(struct console *con, int64_t conv)
{
	struct verb_words w = { .id = conv };
	const char **items;
	char title[sizeof con->vs.pick_title];
	size_t i;

	if (con->nmacros == 0) {
		say(con, VIEW_ROLE_NORMAL, _("#%lld: its queue has no macros in this language"),
		    (long long)conv);
		return;
	}
	items = xcalloc(con->nmacros, sizeof *items);
	for (i = 0; i < con->nmacros; i++) {
		const char *name = con->macros[i].name ? con->macros[i].name : "";
		const char *body = con->macros[i].body ? con->macros[i].body : "";
		size_t len = strlen(name) + strlen(body) + 20;	/* the padding */
		char *line = xmalloc(len);

		snprintf(line, len, "/%-14s %s", name, body);
		items[i] = line;
	}
	verb_format(verb_info(VERB_MACROS)->question, &w, title, sizeof title);
	view_pick_items(&con->vs, title, items, con->nmacros);
	for (i = 0; i < con->nmacros; i++)
		free((char *)items[i]);
	free(items);
	con->ask = (struct console_ask){ .verb = VERB_MACROS, .conv = conv };
	con->vs.pick_conv = conv;
	con->vs.pick = 0;
	console_set_mode(con, VIEW_MODE_PICK);
}

void console_macros_arrived(const struct store_status *st, int64_t conv,
			    struct store_macro *m, size_t n, void *arg)
{
	struct console *con = arg;

	if (st->outcome != STORE_OK || con->stopping) {
		store_macros_free(m, n);
		if (con->stopping)
			return;
		if (con->macro_pick_conv == conv) {
			con->macro_pick_conv = 0;
			say(con, VIEW_ROLE_ERROR, _("#%lld: macros not read: %s"), (long long)conv,
			    st->message);
		}
		console_schedule(con);
		return;
	}
	store_macros_free(con->macros, con->nmacros);
	con->macros = m;
	con->nmacros = n;
	con->macros_conv = conv;
	if (con->macro_pick_conv == conv && con->vs.mode == VIEW_MODE_LIST) {
		con->macro_pick_conv = 0;
		open_macro_picker(con, conv);
	}
	console_schedule(con);
}

void console_pick_macro(struct console *con, struct model_conv *c)
{
	if (c && con->macros_conv == c->id) {
		open_macro_picker(con, c->id);
		console_macros_load(con, c->id);	/* fresh for the next time */
		return;
	}
	if (!c || !store_of(con)) {
		say(con, VIEW_ROLE_ERROR, _("not connected — try again when back online"));
		return;
	}
	con->macro_pick_conv = c->id;
	say(con, VIEW_ROLE_NORMAL, _("reading the macros of #%lld…"), (long long)c->id);
	console_macros_load(con, c->id);
}

/* The macros as compose_expand takes them (caller frees the array). */
static struct compose_macro *macro_table(const struct console *con)
{
	struct compose_macro *t = xcalloc(con->nmacros ? con->nmacros : 1, sizeof *t);
	size_t i;

	for (i = 0; i < con->nmacros; i++) {
		t[i].name = con->macros[i].name;
		t[i].body = con->macros[i].body;
	}
	return t;
}

/* "/a /b /c" for the status line. */
static void say_matches(struct console *con, const size_t *match, size_t n)
{
	char buf[400];
	size_t len = 0, i;

	len += (size_t)snprintf(buf, sizeof buf, _("macros:"));
	for (i = 0; i < n && len < sizeof buf; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, " /%s",
					con->macros[match[i]].name);
	say(con, VIEW_ROLE_NORMAL, "%s", buf);
}

void console_compose_tab(struct console *con)
{
	struct compose_macro *t;
	size_t *match, n = 0;
	enum compose_expansion r;

	if (con->macros_conv != con->compose_conv) {
		say(con, VIEW_ROLE_NORMAL, _("the macros are not read yet: try again in a moment"));
		console_macros_load(con, con->compose_conv);
		return;
	}
	t = macro_table(con);
	match = xcalloc(con->nmacros ? con->nmacros : 1, sizeof *match);
	r = compose_expand(&con->line, t, con->nmacros, match, &n);
	switch (r) {
	case COMPOSE_EXPAND_NOT_A_NAME:
		say(con, VIEW_ROLE_NORMAL, _("Tab expands a macro: type / and its name (M lists them)"));
		break;
	case COMPOSE_EXPAND_NO_MATCH:
		say(con, VIEW_ROLE_ERROR, _("no such macro for this queue and language "
		    "(/ and Tab lists them)"));
		break;
	case COMPOSE_EXPAND_DONE:
		if (con->compose_verb == VERB_REPLY)
			add_sources(con, con->compose_conv, con->macros[match[0]].sources);
		break;
	case COMPOSE_EXPAND_AMBIGUOUS:
		say_matches(con, match, n);
		break;
	case COMPOSE_EXPAND_TOO_LONG:
		say(con, VIEW_ROLE_ERROR, _("the macro does not fit on the compose line"));
		break;
	}
	free(match);
	free(t);
}

/* M chose macro I: it goes into the reply line of the conversation. */
static void macro_picked(struct console *con, int64_t conv, size_t i)
{
	struct model_conv *c = model_find(&con->model, conv);
	const char *body;

	if (!c || con->macros_conv != conv || i >= con->nmacros) {
		say(con, VIEW_ROLE_ERROR, _("#%lld is gone from your queues"), (long long)conv);
		return;
	}
	if (console_refused(con, c, VERB_REPLY))
		return;
	body = con->macros[i].body ? con->macros[i].body : "";
	console_start_compose(con, c, VERB_REPLY);
	if (compose_insert_str(&con->line, body, strlen(body)) != COMPOSE_OK) {
		say(con, VIEW_ROLE_ERROR, _("the macro does not fit on the compose line"));
		return;
	}
	add_sources(con, conv, con->macros[i].sources);
}

/* Close with a wrap-up code ------------------------------------------------ */

/* The resolution line of a close of C with CODE (NULL: the queue has none). */
static void ask_resolution(struct console *con, struct model_conv *c, const char *code)
{
	char buf[sizeof con->vs.prompt];

	snprintf(con->close_wrapup, sizeof con->close_wrapup, "%s", code ? code : "");
	console_start_compose(con, c, VERB_CLOSE);
	snprintf(buf, sizeof buf, _("resolution of #%lld%s%s (optional)"), (long long)c->id,
		 code ? " — " : "", code ? code : "");
	{
		char *clean = text_clean(buf, con->vs.text_flags);

		snprintf(con->vs.prompt, sizeof con->vs.prompt, "%s", clean);
		free(clean);
	}
}

void console_wrapups_arrived(const struct store_status *st, int64_t conv,
			     struct store_wrapup *w, size_t n, void *arg)
{
	struct console *con = arg;
	struct model_conv *c = model_find(&con->model, conv);
	struct verb_words vw = { .id = conv, .customer = console_customer(c) };
	char title[sizeof con->vs.pick_title];
	const char **items;
	size_t i;

	if (con->stopping) {
		store_wrapups_free(w, n);
		return;
	}
	store_wrapups_free(con->wrapups, con->nwrapups);
	con->wrapups = w;
	con->nwrapups = n;
	console_schedule(con);
	if (con->wrapup_conv != conv || con->vs.mode != VIEW_MODE_LIST)
		return;		/* the person moved on meanwhile */
	if (st->outcome != STORE_OK) {
		con->wrapup_conv = 0;
		say(con, VIEW_ROLE_ERROR, _("#%lld: wrap-up codes not read: %s"), (long long)conv,
		    st->message);
		return;
	}
	if (!c || console_refused(con, c, VERB_CLOSE))
		return;
	if (n == 0) {
		ask_resolution(con, c, NULL);
		return;
	}
	items = xcalloc(n, sizeof *items);
	for (i = 0; i < n; i++) {
		size_t len = strlen(w[i].code ? w[i].code : "") +
			     strlen(w[i].label ? w[i].label : "") + 20;	/* the padding */
		char *line = xmalloc(len);

		snprintf(line, len, "%-16s %s", w[i].code ? w[i].code : "",
			 w[i].label ? w[i].label : "");
		items[i] = line;
	}
	verb_format(verb_info(VERB_CLOSE)->question, &vw, title, sizeof title);
	{
		char *clean = text_clean(title, con->vs.text_flags);

		view_pick_items(&con->vs, clean, items, n);
		free(clean);
	}
	for (i = 0; i < n; i++)
		free((char *)items[i]);
	free(items);
	con->ask = (struct console_ask){ .verb = VERB_CLOSE, .conv = conv };
	con->vs.pick_conv = conv;
	con->vs.pick = 0;
	console_set_mode(con, VIEW_MODE_PICK);
}

void console_close_ask(struct console *con, struct model_conv *c)
{
	struct db *db = store_of(con);

	con->wrapup_conv = c->id;
	if (con->vs.conn != VIEW_ONLINE) {
		say(con, VIEW_ROLE_ERROR, _("not connected — try again when back online"));
		return;
	}
	if (db)
		store_fetch_wrapups(db, c->id, console_wrapups_arrived, con);
}

void console_picked_item(struct console *con, bool picked)
{
	struct console_ask ask = con->ask;
	size_t i = con->vs.pick;
	struct model_conv *c = model_find(&con->model, ask.conv);
	struct verb_words w = { .id = ask.conv };
	char buf[200];

	view_pick_items(&con->vs, NULL, NULL, 0);
	console_set_mode(con, VIEW_MODE_LIST);
	con->wrapup_conv = 0;
	if (!picked) {
		if (verb_format(verb_info(ask.verb)->cancel, &w, buf, sizeof buf))
			say(con, VIEW_ROLE_NORMAL, "%s", buf);
		return;
	}
	if (ask.verb == VERB_MACROS) {
		macro_picked(con, ask.conv, i);
		return;
	}
	if (!c || i >= con->nwrapups) {
		say(con, VIEW_ROLE_ERROR, _("#%lld is gone from your queues"), (long long)ask.conv);
		return;
	}
	if (!console_refused(con, c, VERB_CLOSE))
		ask_resolution(con, c, con->wrapups[i].code);
}

/* The optional line: close and hand-back --------------------------------- */

static bool optional_line(enum verb v)
{
	enum verb_ask a = verb_info(v)->ask;

	return a == VERB_ASK_NOTE || a == VERB_ASK_WRAPUP;
}

bool console_words_submit(struct console *con)
{
	const char *text = compose_text(&con->line);
	struct model_conv *c = model_find(&con->model, con->compose_conv);
	struct action call = { .kind = con->compose_verb, .conv = con->compose_conv };

	if (!optional_line(con->compose_verb))
		return false;
	if (text[strspn(text, " ")] != '\0')
		call.text = text;
	if (verb_info(con->compose_verb)->ask == VERB_ASK_WRAPUP && con->close_wrapup[0])
		call.arg = con->close_wrapup;
	if (!c) {
		say(con, VIEW_ROLE_ERROR, _("#%lld is gone from your queues"),
		    (long long)con->compose_conv);
		console_leave_compose(con, false);
		return true;
	}
	if (console_refused(con, c, con->compose_verb))
		return true;
	console_send(con, &call);
	console_leave_compose(con, false);
	return true;
}

bool console_words_cancel(struct console *con)
{
	struct verb_words w = { .id = con->compose_conv };
	char buf[200];

	if (!optional_line(con->compose_verb))
		return false;
	if (verb_format(verb_info(con->compose_verb)->cancel, &w, buf, sizeof buf))
		say(con, VIEW_ROLE_NORMAL, "%s", buf);
	console_leave_compose(con, false);
	return true;
}
