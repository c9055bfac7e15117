/* Unit tests of util: the one fatal path (the terminal-restore hook runs
 * first, once, then "balie: MSG" and exit status 70), and the helpers. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "balie/util.h"

static int hook_fd = -1;
static int hook_calls;

/* Stands in for the UI's terminal restore; a second fatal error inside it
 * must not run it again. */
static void restore_hook(void)
{
	hook_calls++;
	if (write(hook_fd, "restored;", 9) != 9)
		_exit(3);
	if (hook_calls > 1)
		_exit(4);
	util_fatal("while restoring");
}

/* Runs util_fatal in a child; returns its exit status and what the hook
 * wrote (before) and stderr (after) in OUT. */
static int run_fatal(char *out, size_t len)
{
	int fds[2];
	pid_t pid;
	int status;
	ssize_t n, got = 0;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		hook_fd = fds[1];
		dup2(fds[1], 2);
		util_set_fatal_hook(restore_hook);
		util_fatal("out of %s", "luck");
	}
	close(fds[1]);
	while ((n = read(fds[0], out + got, len - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_fatal_restores_first(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(run_fatal(out, sizeof out), 70);
	/* The hook ran once, before the message; the nested fatal error is
	 * reported without running it again. */
	assert_non_null(strstr(out, "restored;"));
	assert_null(strstr(out, "restored;restored;"));
	assert_true(strstr(out, "restored;") < strstr(out, "balie: "));
	assert_non_null(strstr(out, "balie: while restoring"));
}

static void test_uv_check_passes_success(void **state)
{
	(void)state;
	util_uv_check(0, "nothing");	/* returns: not fatal */
}

static void test_helpers(void **state)
{
	char *s;

	(void)state;
	assert_true(util_streq(NULL, NULL));
	assert_false(util_streq("a", NULL));
	assert_true(util_streq("a", "a"));
	assert_false(util_streq("a", "b"));
	s = xasprintf("%s-%d", "x", 42);
	assert_string_equal(s, "x-42");
	free(s);
	s = xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
	assert_null(xstrdup(NULL));
}

struct holder {
	int before;
	int member;
};

static void test_container_of(void **state)
{
	struct holder h;

	(void)state;
	assert_ptr_equal(container_of(&h.member, struct holder, member), &h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fatal_restores_first),
		cmocka_unit_test(test_uv_check_passes_success),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_container_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
