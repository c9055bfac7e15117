/* Tests of `balie sim` against the harness's real server: the same seed plays
 * the same conversations, the bot goes quiet on a takeover and resumes on a
 * handback, a bot message the store refuses (BL012) does not stop sim, every
 * escalation reason shows up, and cited sources are well-formed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "pgtest.h"

struct simrun {
	pid_t pid;
	char out[256];
	char err[256];
};

/* Every sim started, so that a failed test leaves no process or file. */
static struct simrun *started[16];
static int nstarted;

static void sim_reap_all(void)
{
	int i;

	for (i = 0; i < nstarted; i++) {
		struct simrun *r = started[i];

		if (r->pid > 0 && waitpid(r->pid, NULL, WNOHANG) == 0) {
			kill(r->pid, SIGKILL);
			waitpid(r->pid, NULL, 0);
		}
		unlink(r->out);
		unlink(r->err);
		free(r);
	}
	nstarted = 0;
}

/* Starts `balie sim` as botty on DB with ARGS (NULL-terminated) after the
 * connection; its output goes to files. */
static void sim_start(struct simrun *r, const char *db, ...)
{
	char *ci = pgt_conninfo(db, "botty");
	const char *argv[32];
	va_list ap;
	int n = 0;
	const char *a;

	argv[n++] = "balie";
	argv[n++] = "sim";
	argv[n++] = "-d";
	argv[n++] = ci;
	argv[n++] = "--stats";
	va_start(ap, db);
	while ((a = va_arg(ap, const char *)) != NULL && n < 31)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	snprintf(r->out, sizeof r->out, "/tmp/balie-sim-%d-%s.out", (int)getpid(), db);
	snprintf(r->err, sizeof r->err, "/tmp/balie-sim-%d-%s.err", (int)getpid(), db);
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid > 0 && nstarted < 16) {
		struct simrun *copy = malloc(sizeof *copy);

		assert_non_null(copy);
		*copy = *r;
		started[nstarted++] = copy;
	}
	if (r->pid == 0) {
		int o = open(r->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(r->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(o, 1);
		dup2(e, 2);
		execv(pgt_balie_bin(), (char *const *)argv);
		_exit(127);
	}
	free(ci);
}

/* Waits for sim to end by itself (its --duration) within SECS; returns its
 * exit status, or fails the test if it hangs (and kills it). */
static int sim_wait(struct simrun *r, double secs)
{
	double end = pgt_now_s() + secs;
	int status = 0;
	pid_t got;

	while ((got = waitpid(r->pid, &status, WNOHANG)) == 0 && pgt_now_s() < end)
		pgt_pause_ms(50);
	if (got == 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, &status, 0);
		fail_msg("balie sim did not end by itself within %.0f s", secs);
	}
	if (WIFSIGNALED(status))
		fail_msg("balie sim died of signal %d (see %s)", WTERMSIG(status), r->err);
	return WEXITSTATUS(status);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	n = (long)fread(buf, 1, (size_t)n, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A counter from the --stats line sim prints at exit, e.g. "refused". */
static long sim_stat(const struct simrun *r, const char *name)
{
	char *text = slurp(r->err);
	char key[64];
	char *p;
	long v;

	snprintf(key, sizeof key, "%s ", name);
	p = strstr(text, "balie sim: opened");
	if (!p) {
		fprintf(stderr, "no --stats line in %s:\n%s", r->err, text);
		free(text);
		fail();
	}
	p = strstr(p, key);
	assert_non_null(p);
	v = strtol(p + strlen(key), NULL, 10);
	free(text);
	return v;
}

static void sim_cleanup(struct simrun *r)
{
	unlink(r->out);
	unlink(r->err);
}

/* Polls SQL (one long) until it is at least MIN, within SECS; returns it. */
static long poll_at_least(PGconn *c, double secs, long min, const char *sql, ...)
{
	double end = pgt_now_s() + secs;
	const char *params[8];
	va_list ap;
	int n = 0;
	const char *p;
	long v = -1;

	va_start(ap, sql);
	while ((p = va_arg(ap, const char *)) != NULL && n < 8)
		params[n++] = p;
	va_end(ap);
	do {
		PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);

		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
			PQclear(res);
			fail();
		}
		v = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ?
		    strtol(PQgetvalue(res, 0, 0), NULL, 10) : -1;
		PQclear(res);
		if (v >= min)
			return v;
		pgt_pause_ms(50);
	} while (pgt_now_s() < end);
	fail_msg("still %ld (< %ld) after %.0f s: %s", v, min, secs, sql);
	return v;
}

#define JUST_ASKED \
	"EXISTS (SELECT 1 FROM balie.messages m WHERE m.conversation = c.id" \
	" AND m.author_kind = 'customer') AND NOT EXISTS (SELECT 1 FROM balie.messages m" \
	" WHERE m.conversation = c.id AND m.author_kind IN ('bot', 'agent'))"

#define POLL(c, secs, min, ...) poll_at_least(c, secs, min, __VA_ARGS__, (const char *)0)

/* The conversations a run produced, one line each, in the order opened. */
static PGresult *conversations_of(const char *db)
{
	PGconn *admin = pgt_connect(db, "postgres");
	PGresult *r = pgt_ok(admin,
		"SELECT c.customer_name, c.customer_ref, c.queue, c.channel,"
		"  (SELECT m.body FROM balie.messages m WHERE m.conversation = c.id"
		"     AND m.author_kind = 'customer' ORDER BY m.seq LIMIT 1)"
		" FROM balie.conversations c ORDER BY c.id");

	PQfinish(admin);
	return r;
}

static void test_same_seed_same_conversations(void **state)
{
	char *db1 = pgt_fresh_db(), *db2 = pgt_fresh_db(), *db3 = pgt_fresh_db();
	struct simrun a, b, c;
	PGresult *ra, *rb, *rc;
	int i, n, compared_bodies = 0, differ = 0;

	(void)state;
	sim_start(&a, db1, "--seed", "4242", "--rate", "1200", "--speed", "20", "--duration", "3", "-q", NULL);
	sim_start(&b, db2, "--seed", "4242", "--rate", "1200", "--speed", "20", "--duration", "3", "-q", NULL);
	sim_start(&c, db3, "--seed", "4243", "--rate", "1200", "--speed", "20", "--duration", "3", "-q", NULL);
	assert_int_equal(sim_wait(&a, 20), 0);
	assert_int_equal(sim_wait(&b, 20), 0);
	assert_int_equal(sim_wait(&c, 20), 0);
	ra = conversations_of(db1);
	rb = conversations_of(db2);
	rc = conversations_of(db3);
	n = PQntuples(ra) < PQntuples(rb) ? PQntuples(ra) : PQntuples(rb);
	if (n < 20)
		fail_msg("too few conversations to compare: %d and %d", PQntuples(ra), PQntuples(rb));
	/* Timing decides how many were opened, not which: compare the common part. */
	for (i = 0; i < n; i++) {
		int col;

		for (col = 0; col < 4; col++)
			if (strcmp(PQgetvalue(ra, i, col), PQgetvalue(rb, i, col)) != 0)
				fail_msg("conversation %d differs between two runs with seed 4242: "
					 "'%s' and '%s'", i + 1, PQgetvalue(ra, i, col),
					 PQgetvalue(rb, i, col));
		if (!PQgetisnull(ra, i, 4) && !PQgetisnull(rb, i, 4)) {
			assert_string_equal(PQgetvalue(ra, i, 4), PQgetvalue(rb, i, 4));
			compared_bodies++;
		}
	}
	assert_true(compared_bodies >= 10);
	/* And the seed matters. */
	for (i = 0; i < 10 && i < PQntuples(rc); i++)
		if (strcmp(PQgetvalue(ra, i, 0), PQgetvalue(rc, i, 0)) != 0 ||
		    strcmp(PQgetvalue(ra, i, 2), PQgetvalue(rc, i, 2)) != 0)
			differ++;
	assert_true(differ > 0);
	PQclear(ra);
	PQclear(rb);
	PQclear(rc);
	sim_cleanup(&a);
	sim_cleanup(&b);
	sim_cleanup(&c);
	free(db1);
	free(db2);
	free(db3);
}

static void test_takeover_silences_bot_handback_resumes(void **state)
{
	char *db = pgt_fresh_db();
	PGconn *ann = pgt_connect(db, "ann");
	PGconn *admin = pgt_connect(db, "postgres");
	struct simrun r;
	char *id, *taken_seq, *reply_seq, *back_seq, *log, line[128];
	long refusals = 0;
	const char *p;

	(void)state;
	sim_start(&r, db, "--seed", "5", "--rate", "120", "--speed", "8", "--duration", "45", NULL);
	/* A conversation the bot is still talking in: the customer just asked. */
	/* (Message 1 is the store's AI disclosure; the customer has asked, the
	 * bot has not answered yet.) */
	POLL(admin, 20, 1, "SELECT count(*) FROM balie.conversations c WHERE c.state = 'bot'"
	     " AND c.queue IN ('billing', 'health') AND " JUST_ASKED);
	id = pgt_scalar(admin, "SELECT max(c.id) FROM balie.conversations c WHERE c.state = 'bot'"
			" AND c.queue IN ('billing', 'health') AND " JUST_ASKED);
	assert_non_null(id);
	{
		char *won = pgt_scalar(ann, "SELECT balie.takeover($1)", id);

		assert_string_equal(won, "t");
		free(won);
	}
	taken_seq = pgt_scalar(admin, "SELECT max(seq) FROM balie.messages WHERE conversation = $1"
			       " AND author_kind = 'system'", id);

	/* The customer keeps talking to the person, unprompted at first... */
	POLL(admin, 20, 1, "SELECT count(*) FROM balie.messages WHERE conversation = $1"
	     " AND author_kind = 'customer' AND seq > $2", id, taken_seq);
	/* ...and answers the person's reply. */
	{
		char *mid = pgt_scalar(ann, "SELECT balie.reply($1, 'Goedemiddag, u spreekt met Ann."
				       " Ik help u verder.')", id);

		reply_seq = pgt_scalar(admin, "SELECT seq FROM balie.messages WHERE id = $1", mid);
		free(mid);
	}
	POLL(admin, 20, 1, "SELECT count(*) FROM balie.messages WHERE conversation = $1"
	     " AND author_kind = 'customer' AND seq > $2", id, reply_seq);
	/* The bot said nothing since the takeover. */
	assert_int_equal(pgt_long(admin, "SELECT count(*) FROM balie.messages WHERE conversation = $1"
				  " AND author_kind = 'bot' AND seq > $2", id, taken_seq), 0);

	PQclear(pgt_ok(ann, "SELECT balie.handback($1, 'Opgelost, terug naar de assistent')", id));
	back_seq = pgt_scalar(admin, "SELECT max(seq) FROM balie.messages WHERE conversation = $1"
			      " AND author_kind = 'system'", id);
	/* The bot resumes, wraps up and closes the conversation itself. */
	POLL(admin, 20, 1, "SELECT count(*) FROM balie.messages WHERE conversation = $1"
	     " AND author_kind = 'bot' AND seq > $2", id, back_seq);
	POLL(admin, 20, 1, "SELECT count(*) FROM balie.conversations WHERE id = $1"
	     " AND state = 'closed'", id);
	assert_int_equal(pgt_long(admin, "SELECT count(*) FROM balie.state_changes WHERE conversation = $1"
				  " AND to_state = 'closed' AND actor = 'botty'", id), 1);

	kill(r.pid, SIGTERM);
	assert_int_equal(sim_wait(&r, 10), 0);
	assert_true(sim_stat(&r, "takeovers") >= 1);
	assert_true(sim_stat(&r, "handbacks") >= 1);
	/* The bot did not keep trying after it heard of the takeover: at most one
	 * message can have been on its way when it happened. */
	log = slurp(r.out);
	snprintf(line, sizeof line, "conv %s ", id);
	for (p = log; (p = strstr(p, line)) != NULL; p++) {
		const char *eol = strchr(p, '\n');

		if (eol && memmem(p, (size_t)(eol - p), "refused", 7))
			refusals++;
	}
	assert_true(refusals <= 1);
	free(log);
	free(id);
	free(taken_seq);
	free(reply_seq);
	free(back_seq);
	sim_cleanup(&r);
	PQfinish(ann);
	PQfinish(admin);
	free(db);
}

/* Holds a conversation's row while the bot's next message waits for it, then
 * takes the conversation over in the same transaction: the bot's message
 * reaches the store only after the takeover, and must be refused (BL012). */
static void test_refused_late_bot_message_is_survived(void **state)
{
	char *db = pgt_fresh_db();
	PGconn *admin = pgt_connect(db, "postgres");
	PGconn *locker = pgt_connect(db, "postgres");
	struct simrun r;
	double end;
	char *id = NULL, *taken_seq, *log, line[128];
	bool done = false;

	(void)state;
	sim_start(&r, db, "--seed", "77", "--rate", "120", "--speed", "3", "--duration", "15", NULL);
	end = pgt_now_s() + 11;
	while (!done && pgt_now_s() < end) {
		char *last;
		long waiting;
		double wait_end;

		free(id);
		id = pgt_scalar(admin, "SELECT max(c.id) FROM balie.conversations c"
				" WHERE c.state = 'bot' AND c.queue IN ('billing', 'health')"
				" AND (SELECT m.author_kind FROM balie.messages m"
				"  WHERE m.conversation = c.id ORDER BY m.seq DESC LIMIT 1) = 'customer'");
		if (!id) {
			pgt_pause_ms(50);
			continue;
		}
		PQclear(pgt_ok(locker, "BEGIN"));
		PQclear(pgt_ok(locker, "SELECT 1 FROM balie.conversations WHERE id = $1 FOR UPDATE", id));
		/* Under the lock nothing can be added: is the bot still to answer? */
		last = pgt_scalar(locker, "SELECT (SELECT m.author_kind FROM balie.messages m"
				  " WHERE m.conversation = c.id ORDER BY m.seq DESC LIMIT 1)"
				  " || '/' || c.state FROM balie.conversations c WHERE c.id = $1", id);
		if (!last || strcmp(last, "customer/bot") != 0) {
			free(last);
			PQclear(pgt_ok(locker, "ROLLBACK"));
			continue;
		}
		free(last);
		/* Wait until the bot's message for it is blocked on our lock. */
		waiting = 0;
		wait_end = pgt_now_s() + 5;
		while (waiting == 0 && pgt_now_s() < wait_end) {
			waiting = pgt_long(admin, "SELECT count(*) FROM pg_catalog.pg_stat_activity"
					   " WHERE usename = 'botty' AND wait_event_type = 'Lock'"
					   " AND query LIKE '%post_message($1, ''bot''%'");
			if (!waiting)
				pgt_pause_ms(20);
		}
		if (!waiting) {
			PQclear(pgt_ok(locker, "ROLLBACK"));
			continue;
		}
		PQclear(pgt_ok(locker, "SET SESSION AUTHORIZATION ann"));
		{
			char *won = pgt_scalar(locker, "SELECT balie.takeover($1)", id);

			assert_string_equal(won, "t");
			free(won);
		}
		PQclear(pgt_ok(locker, "COMMIT"));
		PQclear(pgt_ok(locker, "RESET SESSION AUTHORIZATION"));
		done = true;
	}
	if (!done)
		fail_msg("never caught the bot about to answer");
	taken_seq = pgt_scalar(admin, "SELECT max(seq) FROM balie.messages WHERE conversation = $1"
			       " AND author_kind = 'system'", id);
	/* sim lives on: the customer talks to the person, other conversations go on. */
	POLL(admin, 15, 1, "SELECT count(*) FROM balie.messages WHERE conversation = $1"
	     " AND author_kind = 'customer' AND seq > $2", id, taken_seq);
	assert_int_equal(sim_wait(&r, 30), 0);
	assert_true(sim_stat(&r, "refused") >= 1);
	assert_int_equal(sim_stat(&r, "errors"), 0);
	assert_int_equal(pgt_long(admin, "SELECT count(*) FROM balie.messages WHERE conversation = $1"
				  " AND author_kind = 'bot' AND seq > $2", id, taken_seq), 0);
	log = slurp(r.out);
	snprintf(line, sizeof line, "conv %s ", id);
	assert_non_null(strstr(log, line));
	assert_non_null(strstr(log, "refused a late bot message"));
	free(log);
	free(id);
	free(taken_seq);
	sim_cleanup(&r);
	PQfinish(locker);
	PQfinish(admin);
	free(db);
}

static void test_every_reason_and_valid_sources(void **state)
{
	static const char *const reasons[] = {
		"customer_request", "not_understood", "sensitive_topic",
		"negative_sentiment", "bot_error",
	};
	char *db = pgt_fresh_db();
	PGconn *admin = pgt_connect(db, "postgres");
	struct simrun r;
	size_t i;

	(void)state;
	sim_start(&r, db, "--seed", "99", "--rate", "1200", "--speed", "20", "--duration", "5", "-q", NULL);
	assert_int_equal(sim_wait(&r, 20), 0);
	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (pgt_long(admin, "SELECT count(*) FROM balie.conversations WHERE escalation_reason = $1",
			     reasons[i]) == 0)
			fail_msg("no conversation was escalated with reason %s", reasons[i]);
	/* What the agent reads on escalation is filled in. */
	assert_int_equal(pgt_long(admin, "SELECT count(*) FROM balie.conversations"
				  " WHERE escalated_at IS NOT NULL AND (intent IS NULL OR confidence IS NULL"
				  "  OR confidence < 0 OR confidence > 1 OR coalesce(bot_summary, '') = '')"), 0);
	assert_true(pgt_long(admin, "SELECT count(*) FROM balie.conversations WHERE state = 'closed'") > 0);
	assert_int_equal(pgt_long(admin, "SELECT count(*) FROM balie.state_changes"
				  " WHERE to_state = 'closed' AND actor <> 'botty'"), 0);
	/* Sources: JSON arrays of {title, url} with real-looking links. */
	assert_true(pgt_long(admin, "SELECT count(*) FROM balie.messages WHERE sources IS NOT NULL") > 0);
	assert_int_equal(pgt_long(admin, "SELECT count(*) FROM balie.messages m WHERE m.sources IS NOT NULL"
				  " AND (m.author_kind <> 'bot' OR pg_catalog.jsonb_typeof(m.sources) <> 'array'"
				  "  OR pg_catalog.jsonb_array_length(m.sources) = 0"
				  "  OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(m.sources) e(v)"
				  "   WHERE pg_catalog.jsonb_typeof(e.v->'title') IS DISTINCT FROM 'string'"
				  "      OR pg_catalog.jsonb_typeof(e.v->'url') IS DISTINCT FROM 'string'"
				  "      OR e.v->>'title' = '' OR e.v->>'url' NOT LIKE 'https://%'))"), 0);
	/* Both languages without --lang; every queue of the fixtures is used. */
	assert_true(pgt_long(admin, "SELECT count(*) FROM balie.messages WHERE author_kind = 'bot'"
			     " AND (body LIKE 'Hoi %' OR body LIKE 'Goedendag %')") > 0);
	assert_true(pgt_long(admin, "SELECT count(*) FROM balie.messages WHERE author_kind = 'bot'"
			     " AND body LIKE 'Hi %'") > 0);
	/* The store tells the customer it is an AI; the bot no longer says it. */
	assert_int_equal(pgt_long(admin, "SELECT count(*) FROM balie.messages WHERE author_kind = 'bot'"
				  " AND (body LIKE '%digital assistant%' OR body LIKE '%digitale assistent%')"),
			 0);
	assert_int_equal(pgt_long(admin, "SELECT count(DISTINCT queue) FROM balie.conversations"), 3);
	/* Each conversation in its customer's language, whatever the queue's. */
	assert_int_equal(pgt_long(admin, "SELECT count(DISTINCT lang) FROM balie.conversations"
				  " WHERE lang IN ('nl', 'en')"), 2);
	sim_cleanup(&r);
	PQfinish(admin);
	free(db);
}

static void test_lang_filter_and_usage(void **state)
{
	char *db = pgt_fresh_db();
	PGconn *admin = pgt_connect(db, "postgres");
	char *ci = pgt_conninfo(db, "ann");
	char cmd[1024];
	struct simrun r;

	(void)state;
	sim_start(&r, db, "--lang", "en", "--seed", "1", "--rate", "1200", "--speed", "20",
		  "--duration", "2", "-q", NULL);
	assert_int_equal(sim_wait(&r, 20), 0);
	assert_true(pgt_long(admin, "SELECT count(*) FROM balie.messages WHERE author_kind = 'bot'"
			     " AND body LIKE 'Hi %'") > 0);
	assert_int_equal(pgt_long(admin, "SELECT count(*) FROM balie.messages WHERE author_kind = 'bot'"
				  " AND (body LIKE 'Hoi %' OR body LIKE 'Goedendag %')"), 0);
	sim_cleanup(&r);

	snprintf(cmd, sizeof cmd, "'%s' sim --lang de >/dev/null 2>&1", pgt_balie_bin());
	assert_int_equal(WEXITSTATUS(system(cmd)), 2);
	snprintf(cmd, sizeof cmd, "'%s' sim --rate 0 >/dev/null 2>&1", pgt_balie_bin());
	assert_int_equal(WEXITSTATUS(system(cmd)), 2);
	/* ann is an agent, not a bot of this database: sim says how to register one and stops. */
	snprintf(cmd, sizeof cmd, "'%s' sim -d '%s' --duration 10 2>&1 | grep -q 'balie.add_bot'",
		 pgt_balie_bin(), ci);
	assert_int_equal(WEXITSTATUS(system(cmd)), 0);
	snprintf(cmd, sizeof cmd, "'%s' sim -d '%s' --duration 10 >/dev/null 2>&1", pgt_balie_bin(), ci);
	assert_int_equal(WEXITSTATUS(system(cmd)), 1);
	free(ci);
	PQfinish(admin);
	free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_conversations),
		cmocka_unit_test(test_takeover_silences_bot_handback_resumes),
		cmocka_unit_test(test_refused_late_bot_message_is_survived),
		cmocka_unit_test(test_every_reason_and_valid_sources),
		cmocka_unit_test(test_lang_filter_and_usage),
	};

	atexit(sim_reap_all);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
