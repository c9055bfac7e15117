/* The ticket store's security and shape: catalogs, grants, row-level
 * security as each fixture role sees it, and that applying the schema files
 * a second time changes nothing. */
#define _GNU_SOURCE
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pgtest.h"

#define OK(c, ...) PQclear(pgt_ok(c, __VA_ARGS__))
#define FAILS(c, state, ...) free(pgt_fails(c, state, __VA_ARGS__))
#define assert_value(c, want, ...) do { \
		char *v_ = pgt_scalar(c, __VA_ARGS__); \
		assert_non_null(v_); \
		assert_string_equal(v_, want); \
		free(v_); \
	} while (0)

struct fx {
	struct pgt_roles r;
};

typedef struct {
	char s[24];
} conv_id;

static const char *const tables[] = {
	"schema_version", "queues", "agents", "agent_queues",
	"conversations", "messages", "agreements", "state_changes",
	"waiting_samples", "escalations", "bots", "bot_queues", "waiting_changes",
	"feed", "relay_tickets", "texts", "macros", "wrapups", "read_marks",
};
/* The versions the schema files record. */
#define SCHEMA_VERSIONS "1,2,3,4,5,6,7,8"
#define NTABLES (sizeof tables / sizeof tables[0])

/* A column of each table that an UPDATE can name. */
static const char *const a_column[NTABLES] = {
	"version", "name", "display_name", "queue", "state", "body", "body", "note",
	"waiting", "reason", "login", "queue", "delta", "mode", "login",
	"body", "body", "label", "seq",
};

/* The contract: every API function with exactly these arguments. */
static const char *const api[][2] = {
	{ "add_queue", "id text, name text, sla_seconds integer, priority integer DEFAULT 0, "
	  "lang text DEFAULT NULL::text" },
	{ "add_agent", "login text, display_name text, queues text[], supervisor boolean DEFAULT false" },
	{ "open_conversation", "queue text, customer_ref text, customer_name text, "
	  "channel text DEFAULT 'chat'::text, lang text DEFAULT NULL::text" },
	{ "post_message", "conv bigint, author_kind text, body text, sources jsonb DEFAULT NULL::jsonb, "
	  "client_msg_id uuid DEFAULT NULL::uuid" },
	{ "escalate", "conv bigint, reason text, intent text DEFAULT NULL::text, "
	  "confidence real DEFAULT NULL::real, summary text DEFAULT NULL::text" },
	{ "takeover", "conv bigint" },
	{ "reply", "conv bigint, body text, client_msg_id uuid DEFAULT NULL::uuid, "
	  "sources jsonb DEFAULT NULL::jsonb" },
	{ "note", "conv bigint, body text" },
	{ "confirm_agreement", "conv bigint, body text" },
	{ "handback", "conv bigint, note text DEFAULT NULL::text" },
	{ "transfer", "conv bigint, queue text, note text DEFAULT NULL::text" },
	{ "close", "conv bigint, resolution text DEFAULT NULL::text, wrapup text DEFAULT NULL::text" },
	{ "assign", "conv bigint, agent text" },
	{ "pause_bot", "queue text, paused boolean" },
	{ "heartbeat", "away boolean DEFAULT false" },
	{ "whoami", "" },
	{ "supervisor_queues", "" },
	{ "supervisor_agents", "" },
	{ "add_bot", "login text, queues text[]" },
	{ "read_conversations", "ids bigint[] DEFAULT NULL::bigint[], lim integer DEFAULT NULL::integer" },
	{ "set_text", "key text, lang text, body text" },
	{ "add_macro", "queue text, name text, lang text, body text, sources jsonb DEFAULT NULL::jsonb" },
	{ "read_macros", "conv bigint" },
	{ "add_wrapup", "queue text, code text, label text" },
	{ "read_wrapups", "conv bigint" },
	{ "disclosure_report", "\"from\" timestamp with time zone, \"to\" timestamp with time zone" },
	{ "read_messages", "conv bigint, after_seq integer, before_seq integer, lim integer" },
	{ "read_history", "conv bigint" },
	{ "read_me", "" },
	{ "read_queues", "ids text[] DEFAULT NULL::text[]" },
	{ "take_next", "" },
	{ "set_status", "status text" },
	{ "set_capacity", "agent text, n integer" },
	{ "set_routing", "queue text, routing text" },
	{ "mark_read", "conv bigint, seq bigint" },
	{ "set_viewing", "conv bigint, activity text" },
	{ "search", "q text, lim integer DEFAULT 50" },
	{ "read_agents", "" },
	{ "read_states", "ids bigint[]" },
};
#define NAPI (sizeof api / sizeof api[0])

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	pgt_roles_open(&f->r);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	pgt_roles_close(&f->r);
	free(f);
	return 0;
}

static conv_id open_conv(struct fx *f, const char *queue)
{
	conv_id id;

	pgt_open_conv(f->r.bot, queue, id.s);
	return id;
}

/* ---------------------------------------------------------------- catalogs */

static void every_table_forces_row_level_security(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < NTABLES; i++)
		assert_value(f->r.root, "t|t|balie_owner",
			     "select concat_ws('|', relrowsecurity, relforcerowsecurity, relowner::regrole)"
			     " from pg_class where oid = to_regclass('balie.' || $1)", tables[i]);
	/* No table is left out of the list above. */
	assert_int_equal(pgt_long(f->r.root, "select count(*) from pg_class where relkind = 'r'"
				  " and relnamespace = 'balie'::regnamespace"), NTABLES);
	assert_int_equal(pgt_long(f->r.root, "select count(*) from pg_class where relkind = 'r'"
				  " and relnamespace = 'balie'::regnamespace"
				  " and not (relrowsecurity and relforcerowsecurity)"), 0);
}

static void api_signatures_are_the_contract(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < NAPI; i++) {
		char *args = pgt_scalar(f->r.root,
			"select string_agg(pg_get_function_arguments(oid), ' / ') from pg_proc"
			" where pronamespace = 'balie'::regnamespace and proname = $1", api[i][0]);

		if (!args || strcmp(args, api[i][1]) != 0)
			fail_msg("balie.%s(%s), want (%s)", api[i][0], args ? args : "missing", api[i][1]);
		free(args);
	}
	assert_value(f->r.root, "bigint", "select pg_get_function_result('balie.open_conversation"
		     "(text,text,text,text,text)'::regprocedure)");
	assert_value(f->r.root, "boolean", "select pg_get_function_result('balie.takeover(bigint)'"
		     "::regprocedure)");
}

static void writers_are_locked_down_definers(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < NAPI; i++)
		assert_value(f->r.root, "t|balie_owner|t|f|t",
			     "select concat_ws('|', prosecdef, proowner::regrole,"
			     " proconfig[1] = 'search_path=pg_catalog, balie, pg_temp',"
			     " has_function_privilege('public', oid, 'EXECUTE'), proacl is not null)"
			     " from pg_proc where pronamespace = 'balie'::regnamespace and proname = $1",
			     api[i][0]);
	/* Every call that may wait for a row lock gives up after 3 s (BL040). */
	assert_value(f->r.root, "assign,close,confirm_agreement,escalate,handback,heartbeat,mark_read,note,"
		     "open_conversation,pause_bot,post_message,reply,set_capacity,set_routing,set_status,"
		     "set_viewing,take_next,takeover,transfer",
		     "select string_agg(proname, ',' order by proname) from pg_proc"
		     " where pronamespace = 'balie'::regnamespace and proname !~ '^_'"
		     " and 'lock_timeout=3s' = any (proconfig)");
	/* Every function, helpers included: owned, pinned search path, no PUBLIC. */
	assert_int_equal(pgt_long(f->r.root,
		"select count(*) from pg_proc p where pronamespace = 'balie'::regnamespace and ("
		" proowner <> 'balie_owner'::regrole or proacl is null"
		" or not coalesce(proconfig @> array['search_path=pg_catalog, balie, pg_temp'], false)"
		" or exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0))"), 0);
	/* Only the API runs as the owner on a caller's behalf; internal helpers do not. */
	assert_value(f->r.root, "_can_see,_is_agent,_is_bot,_is_supervisor,_me,_my_queues,_route_trigger",
		     "select string_agg(proname, ',' order by proname) from pg_proc"
		     " where pronamespace = 'balie'::regnamespace and prosecdef and proname ~ '^_'");
}

static char *callable_by(PGconn *c, const char *role)
{
	return pgt_scalar(c, "select coalesce(string_agg(proname, ',' order by proname), '-') from pg_proc"
			  " where pronamespace = 'balie'::regnamespace and proname !~ '^_'"
			  " and has_function_privilege($1, oid, 'EXECUTE')", role);
}

static void execute_grants_follow_the_roles(void **state)
{
	struct fx *f = *state;
	const char *bot = "close,escalate,open_conversation,post_message,read_conversations,read_feed,"
			  "read_history,read_me,read_messages,read_queues,read_states,relay_ticket,whoami";
	const char *agent = "close,confirm_agreement,handback,heartbeat,mark_read,note,read_agents,read_conversations,"
			    "read_feed,read_history,read_macros,read_me,read_messages,read_queues,read_states,"
			    "read_wrapups,relay_ticket,reply,search,set_status,set_viewing,take_next,takeover,transfer,whoami";
	const char *supervisor = "add_macro,add_wrapup,assign,close,confirm_agreement,disclosure_report,"
				 "handback,heartbeat,mark_read,note,pause_bot,"
				 "read_agents,read_conversations,read_feed,read_history,read_macros,read_me,"
				 "read_messages,read_queues,read_states,read_wrapups,relay_ticket,reply,search,"
				 "set_capacity,set_routing,set_status,set_viewing,supervisor_agents,supervisor_queues,"
				 "take_next,takeover,transfer,whoami";
	const char *const want[][2] = {
		{ "balie_bot", bot }, { "botty", bot },
		{ "balie_agent", agent }, { "ann", agent }, { "race01", agent },
		{ "balie_supervisor", supervisor }, { "sue", supervisor },
		{ "mallory", "-" },
		{ "balie_relay", "read_feed,relay_redeem" },
		{ "balie_owner", "add_agent,add_bot,add_macro,add_queue,add_wrapup,assign,close,confirm_agreement,"
		  "disclosure_report,escalate,handback,"
		  "heartbeat,mark_read,note,open_conversation,pause_bot,post_message,read_agents,read_conversations,"
		  "read_feed,read_history,read_macros,read_me,read_messages,read_queues,read_states,"
		  "read_wrapups,relay_redeem,relay_ticket,reply,search,set_capacity,set_feed,set_routing,set_status,"
		  "set_text,set_viewing,supervisor_agents,supervisor_queues,take_next,takeover,transfer,whoami" },
	};

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		char *got = callable_by(f->r.root, want[i][0]);

		if (strcmp(got, want[i][1]) != 0)
			fail_msg("%s may call %s, want %s", want[i][0], got, want[i][1]);
		free(got);
	}
}

static void roles_are_groups_with_the_right_members(void **state)
{
	struct fx *f = *state;

	assert_value(f->r.root, "balie_agent false,balie_bot false,balie_owner false,balie_relay false,"
		     "balie_supervisor false",
		     "select string_agg(rolname || ' ' || rolcanlogin, ',' order by rolname) from pg_roles"
		     " where rolname like 'balie\\_%'");
	assert_value(f->r.root, "t|t|t|f|f",
		     "select concat_ws('|', pg_has_role('balie_supervisor', 'balie_agent', 'MEMBER'),"
		     " pg_has_role('sue', 'balie_supervisor', 'MEMBER'), pg_has_role('botty', 'balie_bot', 'MEMBER'),"
		     " pg_has_role('ann', 'balie_supervisor', 'MEMBER'), pg_has_role('botty', 'balie_agent', 'MEMBER'))");
	assert_int_equal(pgt_long(f->r.root, "select count(*) from pg_auth_members"
				  " where member = 'mallory'::regrole"), 0);
	assert_value(f->r.root, SCHEMA_VERSIONS, "select string_agg(version::text, ',' order by version)"
		     " from balie.schema_version");
}

static void the_console_queries_have_indexes(void **state)
{
	struct fx *f = *state;
	const char *const want[] = {
		/* The queue view: open conversations per queue, by wait. */
		"ON balie.conversations USING btree (queue, state, escalated_at) WHERE (state <> 'closed'::text)",
		/* "Their open conversations". */
		"ON balie.conversations USING btree (agent) WHERE (state <> 'closed'::text)",
		/* The customer's earlier conversations. */
		"ON balie.conversations USING btree (customer_ref, created_at)",
		/* A transcript, and everything after the seq a client has. */
		"ON balie.messages USING btree (conversation, seq)",
		"ON balie.messages USING btree (client_msg_id)",
	};

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		if (pgt_long(f->r.root, "select count(*) from pg_index where indrelid::regclass::text"
			     " like 'balie.%' and pg_get_indexdef(indexrelid) like '%' || $1", want[i]) != 1)
			fail_msg("no index %s", want[i]);
	}
}

/* -------------------------------------------------------- no direct writes */

static void direct_writes_are_refused(void **state)
{
	struct fx *f = *state;
	PGconn *who[] = { f->r.ann, f->r.sue, f->r.bot, f->r.mallory };
	char sql[160];

	open_conv(f, "billing");
	for (size_t r = 0; r < sizeof who / sizeof who[0]; r++) {
		for (size_t t = 0; t < NTABLES; t++) {
			snprintf(sql, sizeof sql, "insert into balie.%s default values", tables[t]);
			FAILS(who[r], "42501", sql);
			snprintf(sql, sizeof sql, "update balie.%s set %s = %s", tables[t],
				 a_column[t], a_column[t]);
			FAILS(who[r], "42501", sql);
			snprintf(sql, sizeof sql, "delete from balie.%s", tables[t]);
			FAILS(who[r], "42501", sql);
			snprintf(sql, sizeof sql, "truncate balie.%s", tables[t]);
			FAILS(who[r], "42501", sql);
		}
	}
	/* And from the catalogs: no balie role holds anything on a table, not
	 * even SELECT (reads go through the read_* functions). */
	assert_int_equal(pgt_long(f->r.root,
		"select count(*) from pg_class c, unnest(array['balie_agent', 'balie_supervisor', 'balie_bot'])"
		" r(role), unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES',"
		" 'TRIGGER'])"
		" p(priv) where c.relnamespace = 'balie'::regnamespace and c.relkind = 'r'"
		" and has_table_privilege(r.role, c.oid, p.priv)"), 0);
	assert_int_equal(pgt_long(f->r.root, "select count(*) from balie.conversations"), 1);
}

/* ------------------------------------------------------------- visibility */

/* The queues of the conversations ROLE reads through read_conversations. */
#define QUEUES_SEEN "select coalesce(string_agg(distinct queue, ',' order by queue), '-')" \
	" from balie.read_conversations()"
#define MSGS_SEEN "select count(*) from balie.read_messages($1, 0, 0, 1000) where part = 0"

static void agents_see_their_queues_and_their_own(void **state)
{
	struct fx *f = *state;
	conv_id billing = open_conv(f, "billing");
	conv_id health = open_conv(f, "health");
	conv_id parcels = open_conv(f, "parcels");
	char *queues;

	OK(f->r.bot, "select balie.post_message($1, 'customer', 'Where is my parcel?')", parcels.s);
	assert_value(f->r.ann, "billing,health", QUEUES_SEEN);
	assert_value(f->r.bob, "billing", QUEUES_SEEN);
	assert_value(f->r.cid, "parcels", QUEUES_SEEN);
	assert_value(f->r.sue, "billing,health,parcels", QUEUES_SEEN);
	assert_value(f->r.bot, "billing,health,parcels", QUEUES_SEEN);
	assert_int_equal(pgt_long(f->r.ann, MSGS_SEEN, parcels.s), 0);
	assert_int_equal(pgt_long(f->r.cid, MSGS_SEEN, parcels.s), 2);	/* disclosure, message */
	assert_int_equal(pgt_long(f->r.ann, "select count(*) from balie.read_states(array[$1::bigint])",
				  parcels.s), 0);
	assert_int_equal(pgt_long(f->r.cid, "select count(*) from balie.read_states(array[$1::bigint])",
				  parcels.s), 1);
	/* No table is readable directly, not even one's own rows. */
	FAILS(f->r.cid, "42501", "select count(*) from balie.conversations");
	FAILS(f->r.cid, "42501", "select count(*) from balie.state_changes");

	/* Owning a conversation of another queue makes it visible, also once closed. */
	OK(f->r.bot, "select balie.escalate($1, 'other')", parcels.s);
	OK(f->r.sue, "select balie.assign($1, 'ann')", parcels.s);
	assert_value(f->r.ann, "billing,health,parcels", QUEUES_SEEN);
	assert_int_equal(pgt_long(f->r.ann, MSGS_SEEN, parcels.s), 3);
	OK(f->r.ann, "select balie.confirm_agreement($1, 'We send a new parcel.')", parcels.s);
	OK(f->r.ann, "select balie.close($1)", parcels.s);
	assert_int_equal(pgt_long(f->r.ann, "select count(*) from balie.read_conversations(array[$1::bigint])",
				  parcels.s), 1);
	assert_int_equal(pgt_long(f->r.bob, "select count(*) from balie.read_conversations(array[$1::bigint])",
				  parcels.s), 0);

	/* Everyone with a console reads queues and display names. */
	queues = pgt_scalar(f->r.cid, "select string_agg(id, ',' order by id) from balie.read_queues()");
	assert_string_equal(queues, "billing,health,parcels");
	free(queues);
	assert_value(f->r.cid, "Ann Jansen", "select display_name from balie.read_agents() where login = 'ann'");
	assert_value(f->r.bot, "billing,health,parcels",
		     "select string_agg(id, ',' order by id) from balie.read_queues()");
	(void)billing;
	(void)health;
}

static void the_bot_never_sees_notes(void **state)
{
	struct fx *f = *state;
	conv_id id = open_conv(f, "billing");
	const char *notes = "select count(*) from balie.read_messages($1, 0, 0, 1000) where author_kind = 'note'";

	OK(f->r.bot, "select balie.post_message($1, 'customer', 'Hello')", id.s);
	OK(f->r.ann, "select balie.note($1, 'Customer is a known fraud risk')", id.s);
	OK(f->r.bot, "select balie.escalate($1, 'other')", id.s);
	OK(f->r.ann, "select balie.takeover($1)", id.s);
	OK(f->r.ann, "select balie.handback($1, 'Bot: do not promise a refund')", id.s);
	assert_value(f->r.bot, "system,customer,system,system",
		     "select string_agg(author_kind, ',' order by seq) from balie.read_messages($1, 0, 0, 1000)"
		     " where part = 0", id.s);
	assert_int_equal(pgt_long(f->r.bot, notes, id.s), 0);
	assert_int_equal(pgt_long(f->r.ann, notes, id.s), 2);
	assert_int_equal(pgt_long(f->r.sue, notes, id.s), 2);
	assert_int_equal(pgt_long(f->r.bob, notes, id.s), 2);
	/* Nor as the last message of the queue list. */
	OK(f->r.ann, "select balie.note($1, 'the last word')", id.s);
	assert_value(f->r.bot, "system", "select last_author_kind from balie.read_conversations(array[$1::bigint])",
		     id.s);
	assert_value(f->r.ann, "note", "select last_author_kind from balie.read_conversations(array[$1::bigint])",
		     id.s);
	/* The tables are closed to the bot altogether. */
	FAILS(f->r.bot, "42501", "select count(*) from balie.messages");
	FAILS(f->r.bot, "42501", "select count(*) from balie.state_changes");
	FAILS(f->r.bot, "42501", "select count(*) from balie.agreements");
	FAILS(f->r.bot, "42501", "select count(*) from balie.agents");
	FAILS(f->r.bot, "42501", "select * from balie.read_agents()");
}

static void mallory_sees_and_does_nothing(void **state)
{
	struct fx *f = *state;
	conv_id id = open_conv(f, "billing");
	char sql[128];
	const char *calls[] = {
		"select balie.add_queue('x', 'X', 60)",
		"select balie.add_agent('mallory', 'M', array['billing'])",
		"select balie.open_conversation('billing', 'c', 'C')",
		"select balie.post_message($1, 'customer', 'x')",
		"select balie.escalate($1, 'other')",
		"select balie.takeover($1)",
		"select balie.reply($1, 'x')",
		"select balie.note($1, 'x')",
		"select balie.confirm_agreement($1, 'x')",
		"select balie.handback($1)",
		"select balie.transfer($1, 'health')",
		"select balie.close($1)",
		"select balie.assign($1, 'mallory')",
		"select balie.pause_bot('billing', true)",
		"select balie.heartbeat()",
		"select * from balie.whoami()",
		"select * from balie.read_conversations()",
		"select * from balie.read_messages($1, 0, 0, 10)",
		"select * from balie.read_queues()",
	};

	for (size_t t = 0; t < NTABLES; t++) {
		snprintf(sql, sizeof sql, "select count(*) from balie.%s", tables[t]);
		FAILS(f->r.mallory, "42501", sql);
	}
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		if (strstr(calls[i], "$1"))
			FAILS(f->r.mallory, "42501", calls[i], id.s);
		else
			FAILS(f->r.mallory, "42501", calls[i]);
	}
	assert_int_equal(pgt_long(f->r.root, "select count(*) from pg_proc"
				  " where pronamespace = 'balie'::regnamespace"
				  " and has_function_privilege('mallory', oid, 'EXECUTE')"), 0);
	assert_value(f->r.root, "bot|1", "select state || '|' || message_count from balie.conversations"
		     " where id = $1", id.s);
}

/* ---------------------------------------------------------- applied twice */

/* Everything the schema defines, with object ids, so that a drop and
 * re-create shows up as a difference as much as a changed definition. */
static const char fingerprint_sql[] =
	"select md5(string_agg(x, E'\\n' order by x)) from ("
	" select concat_ws(' ', 'class', c.oid, c.relname, c.relkind, c.relowner::regrole, c.relacl,"
	"  c.relrowsecurity, c.relforcerowsecurity)"
	"  from pg_class c where c.relnamespace = 'balie'::regnamespace"
	" union all select concat_ws(' ', 'column', a.attrelid::regclass, a.attnum, a.attname,"
	"  format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, pg_get_expr(d.adbin, d.adrelid))"
	"  from pg_attribute a join pg_class c on c.oid = a.attrelid"
	"  left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum"
	"  where c.relnamespace = 'balie'::regnamespace and a.attnum > 0 and not a.attisdropped"
	" union all select concat_ws(' ', 'constraint', oid, conrelid::regclass, conname,"
	"  pg_get_constraintdef(oid)) from pg_constraint where connamespace = 'balie'::regnamespace"
	" union all select concat_ws(' ', 'index', indexrelid, pg_get_indexdef(indexrelid)) from pg_index"
	"  where indrelid in (select oid from pg_class where relnamespace = 'balie'::regnamespace)"
	" union all select concat_ws(' ', 'trigger', oid, pg_get_triggerdef(oid)) from pg_trigger"
	"  where not tgisinternal"
	"  and tgrelid in (select oid from pg_class where relnamespace = 'balie'::regnamespace)"
	" union all select concat_ws(' ', 'policy', oid, polrelid::regclass, polname, polcmd,"
	"  polpermissive, polroles::regrole[], pg_get_expr(polqual, polrelid),"
	"  pg_get_expr(polwithcheck, polrelid)) from pg_policy"
	"  where polrelid in (select oid from pg_class where relnamespace = 'balie'::regnamespace)"
	" union all select concat_ws(' ', 'function', oid, oid::regprocedure, proowner::regrole, proacl,"
	"  prosecdef, provolatile, proconfig, md5(prosrc)) from pg_proc"
	"  where pronamespace = 'balie'::regnamespace"
	" union all select concat_ws(' ', 'schema', oid, nspowner::regrole, nspacl) from pg_namespace"
	"  where nspname = 'balie'"
	" union all select concat_ws(' ', 'role', oid, rolname, rolcanlogin, rolinherit, rolsuper)"
	"  from pg_roles where rolname like 'balie\\_%'"
	" union all select concat_ws(' ', 'member', roleid::regrole, member::regrole, admin_option)"
	"  from pg_auth_members where roleid::regrole::text like 'balie\\_%'"
	"  or member::regrole::text like 'balie\\_%'"
	") s(x)";

/* Row counts and content of the data the schema must leave alone. */
static const char data_sql[] =
	"select concat_ws('|',"
	" (select string_agg(version || '@' || applied_at, ',' order by version) from balie.schema_version),"
	" (select md5(string_agg(q::text, ',' order by q.id)) from balie.queues q),"
	" (select md5(string_agg(a::text, ',' order by a.login)) from balie.agents a),"
	" (select count(*) from balie.agent_queues),"
	" (select md5(string_agg(c::text, ',' order by c.id)) from balie.conversations c),"
	" (select md5(string_agg(m::text, ',' order by m.id)) from balie.messages m),"
	" (select count(*) from balie.agreements),"
	" (select count(*) from balie.state_changes))";

static char *schema_dir(void)
{
	const char *harness = getenv("BALIE_TEST_HARNESS");
	char *dir = NULL;

	/* The harness lives in <top>/test/harness/pg.sh. */
	assert_non_null(harness);
	assert_true(asprintf(&dir, "%.*s/../../schemas", (int)(strrchr(harness, '/') - harness),
			     harness) > 0);
	return dir;
}

/* Runs psql on every schema file in order, up to version UPTO (0: all);
 * returns what it printed. */
static char *apply_schema_upto(const char *db, int upto)
{
	char *dir = schema_dir(), *pattern = NULL;
	glob_t g;
	char *out = calloc(1, 1);
	size_t len = 0;

	assert_true(asprintf(&pattern, "%s/*.sql", dir) > 0);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 3);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *cmd = NULL, buf[512];
		FILE *p;
		size_t n;
		int rc;

		if (upto && atoi(strrchr(g.gl_pathv[i], '/') + 1) > upto)
			continue;
		/* Only our own paths and the harness's environment go into the command. */
		assert_true(asprintf(&cmd, "'%s/psql' -X -q -v ON_ERROR_STOP=1 -h '%s' -p '%s' -U postgres"
				     " -d '%s' -f '%s' 2>&1", getenv("BALIE_TEST_PGBIN"),
				     getenv("BALIE_TEST_PGDIR"), getenv("BALIE_TEST_PGPORT"), db,
				     g.gl_pathv[i]) > 0);
		p = popen(cmd, "r");
		assert_non_null(p);
		while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
			out = realloc(out, len + n + 1);
			assert_non_null(out);
			memcpy(out + len, buf, n);
			len += n;
			out[len] = '\0';
		}
		rc = pclose(p);
		if (rc != 0)
			fail_msg("%s failed (%d):\n%s", g.gl_pathv[i], rc, out);
		free(cmd);
	}
	globfree(&g);
	free(pattern);
	free(dir);
	return out;
}

static char *apply_schema(const char *db)
{
	return apply_schema_upto(db, 0);
}

static void applying_the_schema_again_changes_nothing(void **state)
{
	struct fx *f = *state;
	conv_id id = open_conv(f, "billing");
	char *catalog_before, *catalog_after, *data_before, *data_after, *printed;

	/* Some live data, which a careless migration would disturb. */
	OK(f->r.bot, "select balie.post_message($1, 'customer', 'Hello')", id.s);
	OK(f->r.bot, "select balie.escalate($1, 'other')", id.s);
	OK(f->r.ann, "select balie.takeover($1)", id.s);
	OK(f->r.ann, "select balie.confirm_agreement($1, 'Agreed')", id.s);
	OK(f->r.sue, "select balie.pause_bot('health', true)");

	catalog_before = pgt_scalar(f->r.root, fingerprint_sql);
	data_before = pgt_scalar(f->r.root, data_sql);
	printed = apply_schema(f->r.db);
	/* Quietly, too: no notices about things that already exist. */
	assert_string_equal(printed, "");
	free(printed);
	catalog_after = pgt_scalar(f->r.root, fingerprint_sql);
	data_after = pgt_scalar(f->r.root, data_sql);
	assert_string_equal(catalog_before, catalog_after);
	assert_string_equal(data_before, data_after);
	assert_value(f->r.root, SCHEMA_VERSIONS, "select string_agg(version::text, ',' order by version)"
		     " from balie.schema_version");

	/* And the store still works afterwards. */
	OK(f->r.ann, "select balie.reply($1, 'Still here')", id.s);
	FAILS(f->r.bot, "BL012", "select balie.post_message($1, 'bot', 'Me too')", id.s);
	free(catalog_before);
	free(catalog_after);
	free(data_before);
	free(data_after);
}

/* Every row a balie database at version 4 holds, as the superuser sees it. */
static const char v4_rows_sql[] =
	"select concat_ws('|',"
	" (select md5(string_agg(row(q.id, q.name, q.sla_seconds, q.priority, q.bot_paused, q.created_at)::text,"
	"  ',' order by q.id)) from balie.queues q),"
	" (select md5(string_agg(row(a.login, a.display_name, a.is_supervisor, a.created_at, a.last_seen,"
	"  a.away, a.presence_since)::text, ',' order by a.login)) from balie.agents a),"
	" (select md5(string_agg(x::text, ',' order by x.login, x.queue)) from balie.agent_queues x),"
	" (select md5(string_agg(row(c.id, c.queue, c.state, c.agent, c.customer_ref, c.customer_name,"
	"  c.channel, c.intent, c.confidence, c.escalation_reason, c.bot_summary, c.resolution,"
	"  c.created_at, c.escalated_at, c.taken_at, c.closed_at, c.updated_at, c.version,"
	"  c.message_count)::text, ',' order by c.id)) from balie.conversations c),"
	" (select md5(string_agg(row(m.id, m.conversation, m.seq, m.author_kind, m.author, m.body, m.sources,"
	"  m.client_msg_id, m.created_at)::text, ',' order by m.id)) from balie.messages m),"
	" (select md5(string_agg(a::text, ',' order by a.id)) from balie.agreements a),"
	" (select md5(string_agg(s::text, ',' order by s.id)) from balie.state_changes s),"
	" (select md5(string_agg(e::text, ',' order by e.id)) from balie.escalations e),"
	" (select md5(string_agg(w::text, ',' order by w.queue, w.minute)) from balie.waiting_samples w))";

/* A database at schema version 4, with data written through its API, is
 * brought to the current version by applying the files again: every row
 * stays, and the people and the bot who worked there keep working. */
static void upgrade_from_version_4_keeps_every_row(void **state)
{
	struct fx *f = *state;
	PGconn *admin = pgt_connect("postgres", "postgres"), *root, *bot, *ann, *sue;
	char db[64], sql[128], conv[24], done[24], *before, *after, *printed, *v;
	PGresult *r;

	snprintf(db, sizeof db, "upg_%ld", (long)getpid());
	snprintf(sql, sizeof sql, "create database %s template template0", db);
	r = PQexec(admin, sql);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	printed = apply_schema_upto(db, 4);
	free(printed);
	root = pgt_connect(db, "postgres");
	assert_value(root, "1,2,3,4", "select string_agg(version::text, ',' order by version)"
		     " from balie.schema_version");
	OK(root, "select balie.add_queue('billing', 'Billing', 120)");
	OK(root, "select balie.add_queue('parcels', 'Parcels', 300)");
	OK(root, "select balie.add_agent('ann', 'Ann Jansen', array['billing'])");
	OK(root, "select balie.add_agent('sue', 'Sue Visser', array['billing', 'parcels'], true)");
	bot = pgt_connect(db, "botty");	/* a member of balie_bot, as version 4 wanted */
	ann = pgt_connect(db, "ann");
	snprintf(conv, sizeof conv, "%ld", pgt_long(bot, "select balie.open_conversation('billing', 'c1', 'Carla')"));
	OK(bot, "select balie.post_message($1, 'customer', 'Where is my refund?')", conv);
	OK(bot, "select balie.post_message($1, 'bot', 'See', '[{\"title\": \"Refunds\", \"url\": \"u\"}]')", conv);
	OK(bot, "select balie.escalate($1, 'customer_request', 'refund', 0.4, 'wants money')", conv);
	OK(ann, "select balie.takeover($1)", conv);
	OK(ann, "select balie.reply($1, 'Looking into it')", conv);
	OK(ann, "select balie.note($1, 'VIP')", conv);
	OK(ann, "select balie.confirm_agreement($1, 'Refund by Friday')", conv);
	snprintf(done, sizeof done, "%ld", pgt_long(bot, "select balie.open_conversation('parcels', 'c1', 'Carla')"));
	OK(bot, "select balie.close($1)", done);
	before = pgt_scalar(root, v4_rows_sql);

	printed = apply_schema(db);
	assert_string_equal(printed, "");
	free(printed);
	after = pgt_scalar(root, v4_rows_sql);
	assert_string_equal(before, after);
	assert_value(root, SCHEMA_VERSIONS, "select string_agg(version::text, ',' order by version)"
		     " from balie.schema_version");
	/* Existing conversations speak their queue's language (007). */
	assert_value(root, "en,en", "select string_agg(lang, ',' order by id) from balie.conversations");
	/* The bot that worked here is registered here, for the queues there are. */
	assert_value(root, "botty:billing,botty:parcels", "select string_agg(login || ':' || queue, ','"
		     " order by queue) from balie.bot_queues");
	/* And everybody reads and writes through the API as before. */
	assert_value(ann, "1|6", "select concat_ws('|', count(*), max(message_count))"
		     " from balie.read_conversations()");
	assert_value(ann, "agent", "select author_kind from balie.read_messages($1, 0, 0, 1) where part = 0", conv);
	/* The start of the last message was filled in for the queue list; the
	 * bot's is the last one that is not a note. */
	assert_value(ann, "agent|Written confirmation: Refund by Friday",
		     "select concat_ws('|', last_author_kind, last_body) from balie.read_conversations()");
	assert_value(bot, "agent", "select last_author_kind from balie.read_conversations(array[$1::bigint])",
		     conv);
	OK(ann, "select balie.note($1, 'second note')", conv);
	assert_value(bot, "agent", "select last_author_kind from balie.read_conversations(array[$1::bigint])",
		     conv);
	assert_value(ann, "-", "select coalesce(string_agg(queue, ','), '-') from balie.read_history($1)", conv);
	assert_value(bot, "human", "select state from balie.read_states(array[$1::bigint])", conv);
	OK(bot, "select balie.post_message($1, 'customer', 'Thanks')", conv);
	OK(ann, "select balie.reply($1, 'You are welcome')", conv);
	sue = pgt_connect(db, "sue");
	assert_value(sue, "parcels", "select string_agg(queue, ',') from balie.read_history($1)", conv);
	v = pgt_scalar(sue, "select concat_ws('|', with_person, waiting_last_hour[60])"
		       " from balie.supervisor_queues() where queue = 'billing'");
	assert_string_equal(v, "1|0");
	free(v);
	free(before);
	free(after);
	PQfinish(sue);
	PQfinish(bot);
	PQfinish(ann);
	PQfinish(root);
	snprintf(sql, sizeof sql, "drop database %s", db);
	PQclear(PQexec(admin, sql));
	PQfinish(admin);
	(void)f;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(every_table_forces_row_level_security),
		T(api_signatures_are_the_contract),
		T(writers_are_locked_down_definers),
		T(execute_grants_follow_the_roles),
		T(roles_are_groups_with_the_right_members),
		T(the_console_queries_have_indexes),
		T(direct_writes_are_refused),
		T(agents_see_their_queues_and_their_own),
		T(the_bot_never_sees_notes),
		T(mallory_sees_and_does_nothing),
		T(applying_the_schema_again_changes_nothing),
		T(upgrade_from_version_4_keeps_every_row),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
