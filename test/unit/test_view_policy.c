/* Unit tests of view_policy: what the console refuses at once, in words,
 * as each verb's row says. */
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


static void test_refusals(void **state)
{
	struct view_fixture *f = *state;
	char buf[256];

	/* Bob's conversation: no reply, no takeover, said by name. */
	assert_string_equal(view_refusal(&f->m, &f->st, model_find(&f->m, 3), VERB_REPLY,
					 buf, sizeof buf),
			    "#3 is with Bob de Vries, not you: you cannot reply");
	assert_string_equal(view_refusal(&f->m, &f->st, model_find(&f->m, 3), VERB_TAKEOVER,
					 buf, sizeof buf), "#3 is with Bob de Vries");
	/* Waiting: take it over first, with the configured key. */
	assert_string_equal(view_refusal(&f->m, &f->st, model_find(&f->m, 1), VERB_REPLY,
					 buf, sizeof buf),
			    "#1 is waiting for a person: take it over first (t)");
	keys_unbind(&f->keys, 't');
	keys_bind(&f->keys, KEYS_CTRL('t'), VERB_TAKEOVER);
	assert_string_equal(view_refusal(&f->m, &f->st, model_find(&f->m, 5), VERB_CLOSE,
					 buf, sizeof buf),
			    "#5 is with the bot: take it over first (C-t)");
	/* Mine: allowed; the takeover of mine is refused. */
	assert_null(view_refusal(&f->m, &f->st, model_find(&f->m, 4), VERB_REPLY, buf, sizeof buf));
	assert_null(view_refusal(&f->m, &f->st, model_find(&f->m, 1), VERB_TAKEOVER, buf, sizeof buf));
	assert_null(view_refusal(&f->m, &f->st, model_find(&f->m, 3), VERB_NOTE, buf, sizeof buf));
	assert_string_equal(view_refusal(&f->m, &f->st, model_find(&f->m, 4), VERB_TAKEOVER,
					 buf, sizeof buf), "#4 is already yours");
	/* Offline: a reply is kept for later, everything else is refused. */
	f->st.conn = VIEW_OFFLINE;
	assert_null(view_refusal(&f->m, &f->st, model_find(&f->m, 4), VERB_REPLY, buf, sizeof buf));
	assert_string_equal(view_refusal(&f->m, &f->st, model_find(&f->m, 1), VERB_TAKEOVER,
					 buf, sizeof buf), "not connected — try again when back online");
	/* A supervisor may close someone else's conversation. */
	f->st.conn = VIEW_ONLINE;
	f->m.me_supervisor = true;
	assert_null(view_refusal(&f->m, &f->st, model_find(&f->m, 3), VERB_CLOSE, buf, sizeof buf));
	assert_non_null(view_refusal(&f->m, &f->st, model_find(&f->m, 3), VERB_REPLY, buf, sizeof buf));
	assert_string_equal(view_refusal(&f->m, &f->st, NULL, VERB_REPLY, buf, sizeof buf),
			    "no conversation selected");
}


/* Every owner-only verb is refused on someone else's conversation with its
 * own words, and allowed on mine; only the verbs that queue offline pass
 * offline. */
static void test_policy_follows_the_table(void **state)
{
	struct view_fixture *f = *state;
	char buf[256], want[256];
	int v;

	for (v = VERB_NONE + 1; v < VERB_COUNT; v++) {
		const struct verb_info *i = verb_info((enum verb)v);

		f->st.conn = VIEW_ONLINE;
		if ((i->policy & VERB_IF_OWNER) && !(i->policy & VERB_IF_SUPER)) {
			snprintf(want, sizeof want, "#3 is with Bob de Vries, not you: you cannot %s",
				 i->refuse);
			assert_string_equal(view_refusal(&f->m, &f->st, model_find(&f->m, 3),
							 (enum verb)v, buf, sizeof buf), want);
			assert_null(view_refusal(&f->m, &f->st, model_find(&f->m, 4), (enum verb)v,
						 buf, sizeof buf));
		}
		if (!(i->policy & VERB_IF_CONV))
			continue;
		f->st.conn = VIEW_OFFLINE;
		if (i->policy & VERB_IF_OFFLINE)
			assert_null(view_refusal(&f->m, &f->st, model_find(&f->m, 4), (enum verb)v,
						 buf, sizeof buf));
		else
			assert_non_null(view_refusal(&f->m, &f->st, model_find(&f->m, 4),
						     (enum verb)v, buf, sizeof buf));
	}
}

/* A verb on no conversation asks only who and whether online. */
static void test_verbs_without_a_conversation(void **state)
{
	struct view_fixture *f = *state;
	char buf[256];

	assert_string_equal(view_refusal(&f->m, &f->st, NULL, VERB_PAUSE_BOT, buf, sizeof buf),
			    "only a supervisor can do that");
	f->m.me_supervisor = true;
	assert_null(view_refusal(&f->m, &f->st, NULL, VERB_PAUSE_BOT, buf, sizeof buf));
	f->st.conn = VIEW_OFFLINE;
	assert_string_equal(view_refusal(&f->m, &f->st, NULL, VERB_PAUSE_BOT, buf, sizeof buf),
			    "not connected — try again when back online");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refusals, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_policy_follows_the_table, view_fixture_setup, view_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_verbs_without_a_conversation, view_fixture_setup, view_fixture_teardown),
	};

	setlocale(LC_ALL, "C.UTF-8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
