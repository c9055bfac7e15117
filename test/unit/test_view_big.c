/* Unit tests of the pane with big input: the layout cache gives the same
 * lines as laying out afresh, a megabyte message is laid out whole and only
 * once, and the edges of a bounded transcript window behave. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "balie/text.h"
#include "balie/view.h"
#include "test_view_fixture.h"

struct fixture {
	struct model m;
	struct keys_map keys;
	struct view_state st;
	struct view_doc fresh, cached;
	struct view_pane_cache cache;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	fix_model(&f->m);
	keys_defaults(&f->keys);
	view_state_init(&f->st, &f->keys, 0);
	f->st.conn = VIEW_ONLINE;
	view_doc_init(&f->fresh);
	view_doc_init(&f->cached);
	view_pane_cache_init(&f->cache);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	view_pane_cache_free(&f->cache);
	view_doc_free(&f->fresh);
	view_doc_free(&f->cached);
	view_state_free(&f->st);
	model_free(&f->m);
	free(f);
	return 0;
}

/* Lays out C's body at WIDTH both ways and checks that they agree, line by
 * line, span by span. */
static void assert_cache_agrees(struct fixture *f, const struct model_conv *c, int width)
{
	size_t i, k;

	view_doc_clear(&f->fresh);
	view_doc_clear(&f->cached);
	view_pane_body(&f->fresh, NULL, &f->m, c, &f->st, width);
	view_pane_body(&f->cached, &f->cache, &f->m, c, &f->st, width);
	assert_int_equal(f->cached.nlines, f->fresh.nlines);
	for (i = 0; i < f->fresh.nlines; i++) {
		const struct view_line *a = &f->fresh.lines[i], *b = &f->cached.lines[i];

		assert_int_equal(b->tag, a->tag);
		assert_int_equal(b->cols, a->cols);
		assert_int_equal(b->fill, a->fill);
		assert_int_equal(b->nspans, a->nspans);
		for (k = 0; k < a->nspans; k++) {
			const struct view_span *x = &f->fresh.spans[a->span0 + k];
			const struct view_span *y = &f->cached.spans[b->span0 + k];

			assert_int_equal(y->role, x->role);
			assert_int_equal(y->cols, x->cols);
			assert_int_equal(y->len, x->len);
			assert_memory_equal(f->cached.buf + y->off, f->fresh.buf + x->off, x->len);
		}
	}
}

static void test_cache_gives_the_same_lines(void **state)
{
	struct fixture *f = *state;
	struct model_conv *c = model_find(&f->m, 1);
	struct model_msg msg;
	int seq;

	c->message_count = 40;
	for (seq = 11; seq <= 30; seq++)
		fix_msg(&f->m, c, seq, seq % 3 ? AUTHOR_CUSTOMER : AUTHOR_BOT,
			"Ik ben dubbel afgeschreven, 日本語 ook, en dit is een lange zin die "
			"over meer dan één regel loopt.\tMet een tab.");
	memset(&msg, 0, sizeof msg);
	msg.id = 1031;
	msg.seq = 31;
	msg.kind = AUTHOR_BOT;
	msg.body = xstrdup("Double charges are refunded within 5 days.");
	msg.created_at = FIX_NOW + 86400;	/* the next day: a date line */
	msg.nsources = 1;
	msg.sources = xcalloc(1, sizeof *msg.sources);
	msg.sources[0].title = xstrdup("Double charges");
	msg.sources[0].url = xstrdup("https://help.example/double");
	model_add_messages(&f->m, c, &msg, 1);
	fix_msg(&f->m, c, 32, AUTHOR_NOTE, "verified by phone");
	assert_cache_agrees(f, c, 80);
	assert_cache_agrees(f, c, 80);		/* from the cache this time */
	assert_int_equal(f->cache.n, c->nmsgs);
	/* Older and newer messages join; the held layouts stay. */
	for (seq = 10; seq >= 5; seq--)
		fix_msg(&f->m, c, seq, AUTHOR_CUSTOMER, "older");
	fix_msg(&f->m, c, 33, AUTHOR_AGENT, "Refund is on its way.");
	assert_cache_agrees(f, c, 80);
	/* The window drops its far end: so does the cache. */
	f->m.window_msgs = 10;
	c->focus_seq = 33;
	fix_msg(&f->m, c, 34, AUTHOR_CUSTOMER, "thanks");
	assert_int_equal(c->nmsgs, 10);
	assert_cache_agrees(f, c, 80);
	assert_int_equal(f->cache.n, 10);
	assert_int_equal(f->cache.items[0].seq, 25);
	/* Another width, another text mode, a renamed note author: laid out again. */
	assert_cache_agrees(f, c, 50);
	f->st.text_flags = TEXT_ASCII;
	f->fresh.ascii = f->cached.ascii = true;
	assert_cache_agrees(f, c, 50);
	free(f->m.agents[0].display_name);
	f->m.agents[0].display_name = xstrdup("Ann de Wit");
	assert_cache_agrees(f, c, 50);
	/* Another conversation starts afresh. */
	c = model_find(&f->m, 2);
	fix_msg(&f->m, c, 1, AUTHOR_CUSTOMER, "hello");
	assert_cache_agrees(f, c, 50);
	assert_int_equal(f->cache.n, 1);
}

/* Appends S without its spaces and line breaks to OUT (at *N). */
static void put_visible(char *out, size_t *n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\n')
			out[(*n)++] = s[i];
}

static void test_megabyte_message_is_whole(void **state)
{
	static const char *const parts[] = {
		"Zorgverzekering € 12 — één naïeve café, größer ",
		"日本語のテキストと한국어 ",
		"OnverzekerbaarheidsverklaringOnverzekerbaarheidsverklaringOnverzekerbaarheids"
		"verklaringOnverzekerbaarheidsverklaring ",
		"emoji 😀 👍🏽 🇳🇱 end of paragraph\n",
		"tab\tand an escape \033[2J and a bidi \xe2\x80\xae override ",
		"plain words that wrap where they can ",
	};
	struct fixture *f = *state;
	struct model_conv *c = model_find(&f->m, 1);
	size_t cap = 1100000, len = 0, i, n_shown = 0, n_clean = 0;
	char *body = xmalloc(cap), *clean, *shown, *want;
	const char *first_buf;
	long last = -1;

	for (i = 0; len < 1000000; i++) {
		size_t k = strlen(parts[i % 6]);

		memcpy(body + len, parts[i % 6], k);
		len += k;
	}
	memcpy(body + len, "END-MARKER-42", 14);
	len += 13;
	c->message_count = 1;
	fix_msg(&f->m, c, 1, AUTHOR_CUSTOMER, body);
	view_pane_body(&f->cached, &f->cache, &f->m, c, &f->st, 80);
	assert_true(f->cached.nlines > 10000);
	/* Every line fits; the marker is on the last line; and the visible text
	 * of the lines is the whole sanitised message. */
	shown = xmalloc(f->cached.blen + 1);
	for (i = 0; i < f->cached.nlines; i++) {
		const struct view_line *l = &f->cached.lines[i];
		size_t k;

		assert_true(l->cols <= 80);
		if (l->tag != 1)
			continue;
		last = (long)i;
		for (k = 0; k < l->nspans; k++) {
			const struct view_span *s = &f->cached.spans[l->span0 + k];

			if (s->role == VIEW_ROLE_CUSTOMER)
				put_visible(shown, &n_shown, f->cached.buf + s->off, s->len);
		}
	}
	assert_true(last >= 0);
	{
		char buf[1024];

		assert_non_null(strstr(view_line_text(&f->cached, (size_t)last, buf, sizeof buf),
				       "END-MARKER-42"));
	}
	clean = text_clean(body, TEXT_MULTILINE);
	want = xmalloc(strlen(clean) + 16);
	put_visible(want, &n_clean, "customer", 8);	/* the label shares the role */
	put_visible(want, &n_clean, clean, strlen(clean));
	assert_int_equal(n_shown, n_clean);
	assert_memory_equal(shown, want, n_clean);
	/* The next frame takes the layout from the cache: nothing is laid out
	 * again, and it agrees with laying out afresh. */
	first_buf = f->cache.items[0].doc.buf;
	assert_cache_agrees(f, c, 80);
	assert_ptr_equal(f->cache.items[0].doc.buf, first_buf);
	free(want);
	free(clean);
	free(shown);
	free(body);
}

static void test_window_without_the_newest(void **state)
{
	struct fixture *f = *state;
	struct model_conv *c = model_find(&f->m, 1);
	char buf[256];
	int seq, top;

	c->message_count = 100;
	for (seq = 41; seq <= 60; seq++)
		fix_msg(&f->m, c, seq, AUTHOR_CUSTOMER, "a message");
	c->newer_unloaded = true;
	view_pane_body(&f->cached, &f->cache, &f->m, c, &f->st, 80);
	assert_int_equal(f->cached.lines[f->cached.nlines - 1].tag, VIEW_TAG_MORE_BELOW);
	assert_string_equal(view_line_text(&f->cached, f->cached.nlines - 1, buf, sizeof buf),
			    "↓ newer messages: scroll down to load them, End for the newest");
	/* At its bottom the pane does not follow: the newest are not there. */
	view_pane_place(&f->st, &f->cached, 10);
	assert_false(f->st.follow);
	view_pane_scroll(&f->st, &f->cached, -5);
	assert_false(view_pane_wants_newer(&f->st, c));
	assert_true(f->st.pane_seq >= 41 && f->st.pane_seq <= 60);
	view_pane_scroll(&f->st, &f->cached, 1000);
	assert_false(f->st.follow);
	assert_true(view_pane_wants_newer(&f->st, c));
	f->st.loading_newer = true;
	assert_false(view_pane_wants_newer(&f->st, c));
	view_doc_clear(&f->cached);
	view_pane_body(&f->cached, &f->cache, &f->m, c, &f->st, 80);
	assert_string_equal(view_line_text(&f->cached, f->cached.nlines - 1, buf, sizeof buf),
			    "loading newer messages…");
	/* The next page arrives below: the view stays where it was. */
	f->st.loading_newer = false;
	top = f->cached.lines[f->st.pane_top].tag;
	for (seq = 61; seq <= 80; seq++)
		fix_msg(&f->m, c, seq, AUTHOR_CUSTOMER, "a newer message");
	view_doc_clear(&f->cached);
	view_pane_body(&f->cached, &f->cache, &f->m, c, &f->st, 80);
	view_pane_place(&f->st, &f->cached, 10);
	assert_int_equal(f->cached.lines[f->st.pane_top].tag, top);
	/* Up to the newest: it follows again. */
	c->newer_unloaded = false;
	view_doc_clear(&f->cached);
	view_pane_body(&f->cached, &f->cache, &f->m, c, &f->st, 80);
	assert_int_equal(f->cached.lines[f->cached.nlines - 1].tag, 80);
	view_pane_scroll(&f->st, &f->cached, 1000);
	assert_true(f->st.follow);
	assert_false(view_pane_wants_newer(&f->st, c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cache_gives_the_same_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_megabyte_message_is_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_without_the_newest, setup, teardown),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "C.utf8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
