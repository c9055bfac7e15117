/* The console's core (sync + db on a libuv loop, in this process) under
 * faults, against the harness's real server: replies sent while the
 * connection is cut again and again are stored exactly once and in order; a
 * reply whose commit happened but whose answer never came back is resent and
 * deduplicated by its client_msg_id; and `balie watch` meets refused
 * connections the way its --help promises (exit 1 for what no retry can fix,
 * retrying for a full server until a slot frees). Every wait is a loop run
 * with a deadline, never a fixed sleep. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include "balie/model.h"
#include "balie/sync.h"
#include "pgtest.h"
#include "uvtest.h"

#define OK(c, ...) PQclear(pgt_ok(c, __VA_ARGS__))
#define REPLIES 100
#define CUTS 10

struct reply {
	int done;		/* ACTION_DONE callbacks */
	int queued;		/* ACTION_QUEUED callbacks */
	int other;		/* anything else (refused, unknown) */
	char value[32];		/* the message id the server returned */
	char uuid[37];		/* the client_msg_id sync gave it */
};

struct fx {
	uv_loop_t loop;
	uv_timer_t deadline, tick, wake;
	bool expired;
	char *db;
	PGconn *root;
	char conv[24];

	struct model model;
	struct sync *sync;
	enum sync_conn conn;
	unsigned online_count;

	struct reply replies[REPLIES + 1];
	int sent;
	int cuts, terminated, restarts;
	int cuts_mid_reply;	/* cuts while a reply ran on the server */
	bool cut_due;		/* the next cut should happen */
	int armed;		/* the reply the next cut waits for, or 0 */
	int armed_ticks;

	/* The committed-but-unanswered variant. */
	bool sync_rep_on;
	char data_dir[512];

	/* balie watch as a child process. */
	uv_process_t proc;
	uv_pipe_t err_pipe;
	bool proc_running, pipe_open;
	int64_t exit_status;
	char err[8192];
	size_t err_len;
	char *hba_saved;	/* pg_hba.conf as it was, while we changed it */
};

#define RUN_UNTIL(f, cond, ms) do { \
		deadline_start((f), (ms)); \
		while (!(cond) && !(f)->expired) \
			uv_run(&(f)->loop, UV_RUN_ONCE); \
		deadline_stop(f); \
	} while (0)

static void on_wake(uv_timer_t *t)
{
	(void)t;
}

/* Conditions on the server's side (a row, a backend) change without an event
 * in this loop: a short repeating timer makes the loop look again. */
static void deadline_start(struct fx *f, unsigned ms)
{
	uvt_deadline_start(&f->deadline, &f->expired, ms);
	uv_timer_start(&f->wake, on_wake, 20, 20);
}

static void deadline_stop(struct fx *f)
{
	uv_timer_stop(&f->deadline);
	uv_timer_stop(&f->wake);
}

/* Fails the test with what went wrong if COND did not come true in time. */
#define WAIT_FOR(f, cond, ms, what) do { \
		RUN_UNTIL(f, cond, ms); \
		if (!(cond)) \
			fail_msg("timed out after %u ms waiting for %s", (unsigned)(ms), what); \
	} while (0)

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	PGconn *bot, *ann;
	char *v;

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->deadline);
	uv_timer_init(&f->loop, &f->tick);
	uv_timer_init(&f->loop, &f->wake);
	f->tick.data = f;
	f->db = pgt_fresh_db();
	f->root = pgt_connect(f->db, "postgres");
	snprintf(f->data_dir, sizeof f->data_dir, "%s/data", getenv("BALIE_TEST_PGDIR"));
	/* A conversation ann has taken over, so she may reply to it. */
	bot = pgt_connect(f->db, "botty");
	ann = pgt_connect(f->db, "ann");
	v = pgt_scalar(bot, "SELECT balie.open_conversation('billing', 'cust-f', 'Fenna Fout')");
	snprintf(f->conv, sizeof f->conv, "%s", v);
	free(v);
	OK(bot, "SELECT balie.escalate($1, 'customer_request')", f->conv);
	v = pgt_scalar(ann, "SELECT balie.takeover($1)", f->conv);
	assert_string_equal(v, "t");
	free(v);
	PQfinish(bot);
	PQfinish(ann);
	model_init(&f->model);
	*state = f;
	return 0;
}

static void close_cb(uv_handle_t *h)
{
	(void)h;
}

static void set_sync_rep(struct fx *f, bool on);
static void restore_hba(struct fx *f);

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	/* Whatever failed, leave the shared server as we found it. */
	if (f->sync_rep_on)
		set_sync_rep(f, false);
	restore_hba(f);
	if (f->proc_running)
		uv_process_kill(&f->proc, SIGKILL);
	RUN_UNTIL(f, !f->proc_running && !f->pipe_open, 5000);
	if (f->sync)
		sync_stop(f->sync);
	uv_close((uv_handle_t *)&f->deadline, close_cb);
	uv_close((uv_handle_t *)&f->tick, close_cb);
	uv_close((uv_handle_t *)&f->wake, close_cb);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	model_free(&f->model);
	PQfinish(f->root);
	free(f->db);
	free(f);
	return 0;
}

/* ------------------------------------------------------------- the core */

static void on_conn(struct sync *s, enum sync_conn st, const char *reason, unsigned retry_ms,
		    void *user)
{
	struct fx *f = user;

	(void)s;
	(void)reason;
	(void)retry_ms;
	f->conn = st;
	if (st == SYNC_ONLINE)
		f->online_count++;
}

static void start_sync(struct fx *f, const char *extra_conninfo)
{
	char *ci = pgt_conninfo(f->db, "ann"), *full = NULL;
	struct sync_options opt = { .retry_min_ms = 20, .retry_max_ms = 200 };
	struct sync_events ev = { .conn = on_conn, .user = f };

	assert_true(asprintf(&full, "%s %s", ci, extra_conninfo) > 0);
	f->sync = sync_new(&f->loop, full, &f->model, &opt, &ev);
	assert_int_equal(sync_start(f->sync), 0);
	WAIT_FOR(f, f->conn == SYNC_ONLINE, 10000, "the core to come online");
	free(ci);
	free(full);
}

static void on_reply(const struct action_result *r, const struct action *a, void *arg)
{
	struct reply *rp = arg;

	snprintf(rp->uuid, sizeof rp->uuid, "%s", a->uuid);
	if (r->outcome == ACTION_DONE) {
		rp->done++;
		snprintf(rp->value, sizeof rp->value, "%s", r->value ? r->value : "");
	} else if (r->outcome == ACTION_QUEUED) {
		rp->queued++;
	} else {
		rp->other++;
		fprintf(stderr, "reply answered %d: %s\n", (int)r->outcome, r->message);
	}
}

static void send_reply(struct fx *f, int n, const char *fmt_prefix)
{
	char body[64];
	struct action a = { .kind = VERB_REPLY };

	snprintf(body, sizeof body, "%s %d", fmt_prefix, n);
	a.conv = strtoll(f->conv, NULL, 10);
	a.text = body;
	sync_act(f->sync, &a, on_reply, &f->replies[n]);
}

/* The backend of the core's connection, seen from the side connection. */
static long core_backends(struct fx *f, const char *extra_where)
{
	char sql[512];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_catalog.pg_stat_activity"
		 " WHERE datname = current_database() AND application_name = 'balie' %s", extra_where);
	return pgt_long(f->root, sql);
}

static long terminate_core(struct fx *f)
{
	return pgt_long(f->root, "SELECT count(pg_catalog.pg_terminate_backend(pid))"
			" FROM pg_catalog.pg_stat_activity"
			" WHERE datname = current_database() AND application_name = 'balie'");
}

/* Cuts the core's connection: a killed backend, or once a server restart. */
static void cut(struct fx *f)
{
	if (f->cuts == CUTS / 2) {
		pgt_harness("restart");
		PQreset(f->root);
		assert_int_equal(PQstatus(f->root), CONNECTION_OK);
		f->restarts++;
	} else {
		assert_int_equal(terminate_core(f), 1);
		f->terminated++;
	}
	f->cuts++;
}

/* A reply whose body is listed in public.slow_bodies sleeps on the server
 * (in the test database only), so a cut can land while it runs. */
static void make_replies_slowable(struct fx *f)
{
	OK(f->root, "CREATE TABLE public.slow_bodies (body text PRIMARY KEY)");
	OK(f->root, "GRANT SELECT ON public.slow_bodies TO PUBLIC");
	OK(f->root, "CREATE FUNCTION public.slow_reply() RETURNS trigger LANGUAGE plpgsql"
	   " SET search_path = pg_catalog AS $$BEGIN"
	   " IF EXISTS (SELECT 1 FROM public.slow_bodies s WHERE s.body = NEW.body) THEN"
	   "  PERFORM pg_catalog.pg_sleep(0.3); END IF; RETURN NEW; END$$");
	OK(f->root, "CREATE TRIGGER zz_slow_reply BEFORE INSERT ON balie.messages"
	   " FOR EACH ROW EXECUTE FUNCTION public.slow_reply()");
}

/* One reply every tick. Every tenth arms a cut: the next reply sent while
 * online is made slow, and the cut comes once the server is running it, so
 * each cut breaks a live connection with a reply in flight. Replies keep
 * going out meanwhile, into the outbox while offline. */
static void on_tick(uv_timer_t *t)
{
	struct fx *f = t->data;
	char body[32];

	if (f->armed && core_backends(f, "AND wait_event = 'PgSleep'") == 1) {
		f->armed = 0;
		cut(f);
		f->cuts_mid_reply++;
		OK(f->root, "DELETE FROM public.slow_bodies");
	} else if (f->armed && ++f->armed_ticks > 100) {
		fail_msg("reply %d never ran on the server", f->armed);
	}
	if (f->sent < REPLIES) {
		int n = f->sent + 1;

		if (n % 10 == 5)
			f->cut_due = true;
		if (f->cut_due && !f->armed && f->conn == SYNC_ONLINE && core_backends(f, "") == 1) {
			snprintf(body, sizeof body, "reply %d", n);
			OK(f->root, "INSERT INTO public.slow_bodies VALUES ($1)", body);
			f->cut_due = false;
			f->armed = n;
			f->armed_ticks = 0;
		}
		send_reply(f, n, "reply");
		f->sent = n;
	} else if (f->cut_due && !f->armed && f->conn == SYNC_ONLINE) {
		f->cut_due = false;	/* a late cut, after the last reply */
		cut(f);
	}
	if (f->sent == REPLIES && !f->cut_due && !f->armed)
		uv_timer_stop(t);
}

static bool all_replies_done(struct fx *f)
{
	int i;

	for (i = 1; i <= REPLIES; i++)
		if (f->replies[i].done == 0)
			return false;
	return sync_outbox_count(f->sync) == 0;
}

static void hundred_replies_ten_cuts(void **state)
{
	struct fx *f = *state;
	char *got, *want = NULL, *p;
	size_t len = 0;
	FILE *m = open_memstream(&want, &len);
	int i, queued = 0;
	PGresult *r;

	make_replies_slowable(f);
	start_sync(f, "");
	uv_timer_start(&f->tick, on_tick, 40, 40);
	WAIT_FOR(f, f->sent == REPLIES && f->cuts == CUTS, 90000, "100 replies and 10 cuts");
	WAIT_FOR(f, all_replies_done(f) && f->conn == SYNC_ONLINE, 90000, "every reply to be stored");
	assert_int_equal(sync_outbox_count(f->sync), 0);
	assert_int_equal(f->terminated, CUTS - 1);
	assert_int_equal(f->restarts, 1);
	assert_true(sync_stats(f->sync)->reconnects >= CUTS);

	/* Every reply once, in the order typed, each under its own client_msg_id. */
	for (i = 1; i <= REPLIES; i++)
		fprintf(m, "%sreply %d", i > 1 ? "|" : "", i);
	fclose(m);
	got = pgt_scalar(f->root, "SELECT string_agg(body, '|' ORDER BY seq) FROM balie.messages"
			 " WHERE conversation = $1 AND author_kind = 'agent'", f->conv);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(want);
	assert_int_equal(pgt_long(f->root, "SELECT count(DISTINCT client_msg_id) FROM balie.messages"
				  " WHERE conversation = $1 AND author_kind = 'agent'", f->conv), REPLIES);
	/* Each callback said done exactly once, with the id of the stored row. */
	r = pgt_ok(f->root, "SELECT id, client_msg_id, substr(body, 7)::int FROM balie.messages"
		   " WHERE conversation = $1 AND author_kind = 'agent' ORDER BY seq", f->conv);
	assert_int_equal(PQntuples(r), REPLIES);
	for (i = 0; i < REPLIES; i++) {
		struct reply *rp = &f->replies[i + 1];

		assert_int_equal(strtol(PQgetvalue(r, i, 2), &p, 10), i + 1);
		assert_int_equal(rp->done, 1);
		assert_int_equal(rp->other, 0);
		assert_string_equal(rp->value, PQgetvalue(r, i, 0));
		assert_string_equal(rp->uuid, PQgetvalue(r, i, 1));
		queued += rp->queued;
	}
	PQclear(r);
	print_message("%d cuts (%d killed backends, %d restart; %d with a reply running),"
		      " %lu reconnects, %d replies kept in the outbox at least once\n", f->cuts,
		      f->terminated, f->restarts, f->cuts_mid_reply, sync_stats(f->sync)->reconnects,
		      queued);
	/* The outbox really was used: every cut lost a reply in flight. */
	assert_true(f->cuts_mid_reply >= CUTS - 1);
	assert_true(queued >= f->cuts_mid_reply);
}

/* ------------------------------------- committed, but the answer is lost */

/* Synchronous replication to a standby that never comes makes a commit wait
 * after its commit record is written, before the client is answered; a
 * backend killed in that wait has committed, and its client hears nothing. */
static void set_sync_rep(struct fx *f, bool on)
{
	if (on)
		OK(f->root, "ALTER SYSTEM SET synchronous_standby_names = 'balie_no_such_standby'");
	else
		OK(f->root, "ALTER SYSTEM RESET synchronous_standby_names");
	OK(f->root, "SELECT pg_catalog.pg_reload_conf()");
	f->sync_rep_on = on;
}

struct probe {
	struct fx *f;
	bool waiting;		/* the core's backend waits for the standby */
};

static void on_probe(uv_timer_t *t)
{
	struct probe *pr = t->data;

	pr->waiting = core_backends(pr->f, "AND wait_event = 'SyncRep'") == 1;
}

static void committed_but_answer_lost(void **state)
{
	struct fx *f = *state;
	struct probe pr = { f, false };
	struct reply *rp = NULL;
	char body[32];
	int n;
	long before;

	/* Only this session waits for the standby: the harness runs with
	 * synchronous_commit off. */
	start_sync(f, "options='-c synchronous_commit=on'");
	set_sync_rep(f, true);
	f->tick.data = &pr;
	uv_timer_start(&f->tick, on_probe, 10, 10);
	/* The server applies the setting a moment after the reload: a reply
	 * that still commits normally just counts as a warm-up. */
	for (n = 1; n <= 50 && !pr.waiting; n++) {
		rp = &f->replies[n];
		send_reply(f, n, "late");
		RUN_UNTIL(f, pr.waiting || rp->done, 5000);
		assert_int_equal(rp->other, 0);
	}
	uv_timer_stop(&f->tick);
	assert_true(pr.waiting);
	n--;
	snprintf(body, sizeof body, "late %d", n);
	/* Committed locally but not yet visible or answered. */
	before = pgt_long(f->root, "SELECT count(*) FROM balie.messages WHERE body = $1", body);
	assert_int_equal(before, 0);
	assert_int_equal(rp->done + rp->queued, 0);
	assert_int_equal(terminate_core(f), 1);
	set_sync_rep(f, false);
	/* The commit stands once the backend is gone. */
	WAIT_FOR(f, pgt_long(f->root, "SELECT count(*) FROM balie.messages WHERE body = $1", body) == 1,
		 5000, "the cut reply's commit to become visible");
	/* The core heard nothing, kept the reply, resent it with the same
	 * client_msg_id after reconnecting, and the store answered with the
	 * row it already had. */
	WAIT_FOR(f, rp->done == 1 && sync_outbox_count(f->sync) == 0, 10000, "the resend to be answered");
	assert_int_equal(rp->queued, 1);
	assert_int_equal(rp->other, 0);
	assert_int_equal(sync_stats(f->sync)->reconnects, 1);
	assert_int_equal(pgt_long(f->root, "SELECT count(*) FROM balie.messages WHERE body = $1", body), 1);
	{
		char *id = pgt_scalar(f->root, "SELECT id FROM balie.messages WHERE body = $1", body);
		char *cmid = pgt_scalar(f->root, "SELECT client_msg_id FROM balie.messages WHERE body = $1", body);

		assert_string_equal(rp->value, id);
		assert_string_equal(rp->uuid, cmid);
		free(id);
		free(cmid);
	}
	/* Every reply of the run is there once, in order. */
	assert_int_equal(pgt_long(f->root, "SELECT count(*) FROM balie.messages WHERE conversation = $1"
				  " AND author_kind = 'agent'", f->conv), n);
	assert_int_equal(pgt_long(f->root, "SELECT count(*) FROM (SELECT body, row_number() OVER"
				  " (ORDER BY seq) AS k FROM balie.messages WHERE conversation = $1"
				  " AND author_kind = 'agent') s WHERE body <> 'late ' || k", f->conv), 0);
	print_message("committed-but-unanswered reply: late %d (after %d warm-up replies), resent and"
		      " deduplicated\n", n, n - 1);
	f->tick.data = f;
}

/* ------------------------------------------------- refused connections */

static void on_err_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct fx *f = h->data;
	size_t room = sizeof f->err - 1 - f->err_len;

	(void)suggested;
	*buf = uv_buf_init(f->err + f->err_len, (unsigned)room);
}

static void on_pipe_closed(uv_handle_t *h)
{
	struct fx *f = h->data;

	f->pipe_open = false;
}

static void on_err_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct fx *f = s->data;

	(void)buf;
	if (n > 0) {
		f->err_len += (size_t)n;
		f->err[f->err_len] = '\0';
		if (f->err_len + 1 >= sizeof f->err)
			uv_read_stop(s);
	} else if (n < 0) {
		uv_close((uv_handle_t *)s, on_pipe_closed);
	}
}

static void on_exit_cb(uv_process_t *p, int64_t status, int signal)
{
	struct fx *f = p->data;

	f->exit_status = signal ? 128 + signal : status;
	f->proc_running = false;
	uv_close((uv_handle_t *)p, close_cb);
}

extern char **environ;

/* Starts `balie watch -d CONNINFO --stats` with stderr piped to f->err and
 * no password file (so nothing but the conninfo supplies one). */
static void watch_spawn(struct fx *f, const char *conninfo)
{
	char *args[] = { (char *)pgt_balie_bin(), "watch", "-d", (char *)conninfo, NULL };
	char *env[256];
	size_t n = 0, i;
	uv_process_options_t o = { 0 };
	uv_stdio_container_t io[3];

	for (i = 0; environ[i] && n < 250; i++)
		if (strncmp(environ[i], "PGPASSFILE=", 11) != 0 &&
		    strncmp(environ[i], "PGPASSWORD=", 11) != 0)
			env[n++] = environ[i];
	/* A missing file is skipped quietly (/dev/null would draw a warning). */
	env[n++] = "PGPASSFILE=/nonexistent/balie-test/pgpass";
	env[n] = NULL;
	f->err_len = 0;
	f->err[0] = '\0';
	uv_pipe_init(&f->loop, &f->err_pipe, 0);
	f->err_pipe.data = f;
	io[0].flags = UV_IGNORE;
	io[1].flags = UV_IGNORE;
	io[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	io[2].data.stream = (uv_stream_t *)&f->err_pipe;
	o.file = args[0];
	o.args = args;
	o.env = env;
	o.stdio = io;
	o.stdio_count = 3;
	o.exit_cb = on_exit_cb;
	f->proc.data = f;
	f->pipe_open = true;
	if (uv_spawn(&f->loop, &f->proc, &o) != 0) {
		/* A failed spawn still leaves both handles to close. */
		uv_close((uv_handle_t *)&f->proc, close_cb);
		uv_close((uv_handle_t *)&f->err_pipe, on_pipe_closed);
		fail_msg("cannot run %s (set BALIE_BIN or run make first)", args[0]);
	}
	f->proc_running = true;
	uv_read_start((uv_stream_t *)&f->err_pipe, on_err_alloc, on_err_read);
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

/* Runs watch against CONNINFO and expects it to give up at once with exit
 * status 1 and a message containing WANT. */
static void expect_watch_gives_up(struct fx *f, const char *conninfo, const char *want)
{
	uint64_t t0 = uv_hrtime();

	watch_spawn(f, conninfo);
	WAIT_FOR(f, !f->proc_running && !f->pipe_open, 15000, "balie watch to give up");
	if (f->exit_status != 1 || !strstr(f->err, want))
		fail_msg("balie watch exited %lld saying: %s(wanted exit 1 and \"%s\")",
			 (long long)f->exit_status, f->err, want);
	/* One clear line, no retries: nothing here can be fixed by waiting. */
	assert_null(strstr(f->err, "retrying"));
	assert_int_equal(count_of(f->err, "\n"), 1);
	assert_true(strncmp(f->err, "balie watch: could not connect: ", 32) == 0);
	assert_null(strstr(f->err, "fe_sendauth"));
	print_message("exit 1 after %.2f s: %s", (double)(uv_hrtime() - t0) / 1e9, f->err);
}

static bool watch_help_documents_exit_1(void)
{
	char cmd[600], line[512];
	FILE *p;
	bool found = false;

	snprintf(cmd, sizeof cmd, "'%s' watch --help", pgt_balie_bin());
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof line, p))
		if (strstr(line, "1 if the connection cannot be"))
			found = true;
	assert_int_equal(pclose(p), 0);
	return found;
}

static char *hba_path(struct fx *f)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/pg_hba.conf", f->data_dir) > 0);
	return p;
}

static char *read_file(const char *path)
{
	FILE *in = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(in);
	fseek(in, 0, SEEK_END);
	n = ftell(in);
	fseek(in, 0, SEEK_SET);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, in), (size_t)n);
	s[n] = '\0';
	fclose(in);
	return s;
}

static void write_file(const char *path, const char *a, const char *b)
{
	FILE *out = fopen(path, "w");

	assert_non_null(out);
	fputs(a, out);
	fputs(b, out);
	assert_int_equal(fclose(out), 0);
}

static void restore_hba(struct fx *f)
{
	char *path;

	if (!f->hba_saved)
		return;
	path = hba_path(f);
	write_file(path, f->hba_saved, "");
	free(path);
	free(f->hba_saved);
	f->hba_saved = NULL;
	PQclear(PQexec(f->root, "SELECT pg_catalog.pg_reload_conf()"));
}

/* Whether ROLE with PASSWORD gets in (a blocking probe from the test side). */
static bool password_works(struct fx *f, const char *role, const char *password)
{
	char *ci = pgt_conninfo(f->db, role), *full = NULL;
	PGconn *c;
	bool ok;

	assert_true(asprintf(&full, "%s password=%s", ci, password) > 0);
	c = PQconnectdb(full);
	ok = PQstatus(c) == CONNECTION_OK;
	PQfinish(c);
	free(ci);
	free(full);
	return ok;
}

static void refused_for_good_exits_1(void **state)
{
	struct fx *f = *state;
	char *path = hba_path(f), *ci, *bad = NULL;

	assert_true(watch_help_documents_exit_1());

	/* A role that must give a password (scram-sha-256), for the socket
	 * and for TCP, ahead of the harness's "trust" lines. */
	OK(f->root, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles"
	   " WHERE rolname = 'faults_pw') THEN CREATE ROLE faults_pw LOGIN; END IF; END $$");
	OK(f->root, "SET password_encryption = 'scram-sha-256'");
	OK(f->root, "ALTER ROLE faults_pw PASSWORD 'right-horse-battery'");
	f->hba_saved = read_file(path);
	write_file(path, "local all faults_pw scram-sha-256\n"
		   "host all faults_pw 127.0.0.1/32 scram-sha-256\n", f->hba_saved);
	OK(f->root, "SELECT pg_catalog.pg_reload_conf()");
	assert_int_equal(pgt_long(f->root, "SELECT count(*) FROM pg_catalog.pg_hba_file_rules"
				  " WHERE error IS NOT NULL"), 0);
	/* The postmaster reloads in the background: wait until it asks. */
	WAIT_FOR(f, !password_works(f, "faults_pw", "wrong"), 5000, "pg_hba.conf to be reloaded");
	assert_true(password_works(f, "faults_pw", "right-horse-battery"));

	ci = pgt_conninfo(f->db, "faults_pw");
	assert_true(asprintf(&bad, "%s password=wrong-horse", ci) > 0);
	expect_watch_gives_up(f, bad, "password authentication failed for user \"faults_pw\"");
	expect_watch_gives_up(f, ci, "no password supplied");
	free(bad);
	free(ci);
	restore_hba(f);
	OK(f->root, "DROP ROLE faults_pw");	/* roles are cluster-wide: leave none behind */

	ci = pgt_conninfo("balie_no_such_db", "ann");
	expect_watch_gives_up(f, ci, "database \"balie_no_such_db\" does not exist");
	free(ci);
	ci = pgt_conninfo(f->db, "balie_no_such_role");
	expect_watch_gives_up(f, ci, "role \"balie_no_such_role\" does not exist");
	free(ci);
	free(path);
}


/* A full database is a passing condition: watch keeps trying and gets in as
 * soon as a slot frees. */
static void connection_limit_is_retried(void **state)
{
	struct fx *f = *state;
	char sql[200], *ci = pgt_conninfo(f->db, "ann");
	PGconn *blocker;

	/* Every backend counts towards the limit, root's too; only the check
	 * is skipped for superusers. Root and the blocker fill it, once the
	 * setup's own connections have really gone. */
	WAIT_FOR(f, pgt_long(f->root, "SELECT count(*) FROM pg_catalog.pg_stat_activity"
			     " WHERE datname = current_database() AND pid <> pg_backend_pid()") == 0,
		 5000, "the setup's backends to exit");
	snprintf(sql, sizeof sql, "ALTER DATABASE %s CONNECTION LIMIT 2", f->db);
	OK(f->root, sql);
	blocker = pgt_connect(f->db, "bob");
	watch_spawn(f, ci);
	WAIT_FOR(f, count_of(f->err, "too many connections") >= 3 || !f->proc_running, 15000,
		 "watch to be refused three times");
	if (!f->proc_running)
		fail_msg("balie watch gave up on a full database: %s", f->err);
	assert_null(strstr(f->err, "balie watch: connected"));
	PQfinish(blocker);
	WAIT_FOR(f, strstr(f->err, "balie watch: connected") != NULL || !f->proc_running, 10000,
		 "watch to connect once the slot was free");
	assert_true(f->proc_running);
	assert_int_equal(core_backends(f, "AND usename = 'ann'"), 1);
	uv_process_kill(&f->proc, SIGTERM);
	WAIT_FOR(f, !f->proc_running && !f->pipe_open, 10000, "watch to stop");
	assert_int_equal(f->exit_status, 0);
	print_message("refused %zu times for the connection limit, then connected\n",
		      count_of(f->err, "too many connections"));
	snprintf(sql, sizeof sql, "ALTER DATABASE %s CONNECTION LIMIT -1", f->db);
	OK(f->root, sql);
	free(ci);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(hundred_replies_ten_cuts, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(committed_but_answer_lost, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(refused_for_good_exits_1, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(connection_limit_is_retried, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
