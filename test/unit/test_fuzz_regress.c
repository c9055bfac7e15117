/* Replays the fuzz seed corpus and every input a fuzzer once failed on
 * (test/fuzz/corpus/TARGET, test/fuzz/regress/TARGET) through the same
 * checks the libFuzzer harnesses make, so a build without clang runs them
 * too. A failed check names the input file. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#define FUZZ_REPLAY 1
#include "../fuzz/fuzz_sanitize.c"
#include "../fuzz/fuzz_wrap.c"
#include "../fuzz/fuzz_config.c"
#include "../fuzz/fuzz_notify.c"
#include "../fuzz/fuzz_compose.c"	/* last: curses.h defines many macros */

/* The input being replayed, for the failure message. */
static char current_input[4096];

void fuzz_replay_failed(const char *msg)
{
	fail_msg("%s: %s", current_input, msg);
}

/* Where the fuzz inputs are: $BALIE_FUZZ_DIR, else test/fuzz from the top
 * of the tree (test/run-tests.sh runs from there). */
static const char *fuzz_dir(void)
{
	const char *dir = getenv("BALIE_FUZZ_DIR");

	return dir && *dir ? dir : "test/fuzz";
}

/* Reads the whole file at PATH; *LEN gets its size. */
static uint8_t *read_input(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0, got;
	uint8_t *buf;

	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	buf = malloc(cap);
	assert_non_null(buf);
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Runs ONE on every regular file in DIR (a missing DIR holds none);
 * returns how many there were. */
static size_t replay_dir(const char *dir, int (*one)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	size_t count = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		uint8_t *data;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(current_input, sizeof(current_input), "%s/%s", dir, e->d_name);
		if (stat(current_input, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		data = read_input(current_input, &len);
		one(data, len);
		free(data);
		count++;
	}
	closedir(d);
	return count;
}

static void replay(const char *target, int (*one)(const uint8_t *, size_t))
{
	char dir[1024];
	size_t seeds;

	snprintf(dir, sizeof(dir), "%s/corpus/%s", fuzz_dir(), target);
	seeds = replay_dir(dir, one);
	if (seeds == 0)
		fail_msg("no seed inputs in %s (run from the top of the tree or set BALIE_FUZZ_DIR)",
			 dir);
	snprintf(dir, sizeof(dir), "%s/regress/%s", fuzz_dir(), target);
	replay_dir(dir, one);
}

static void test_replay_sanitize(void **state)
{
	replay("sanitize", fuzz_sanitize_one);
}

static void test_replay_wrap(void **state)
{
	replay("wrap", fuzz_wrap_one);
}

static void test_replay_compose(void **state)
{
	replay("compose", fuzz_compose_one);
}

static void test_replay_config(void **state)
{
	replay("config", fuzz_config_one);
}

static void test_replay_notify(void **state)
{
	replay("notify", fuzz_notify_one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_sanitize),
		cmocka_unit_test(test_replay_wrap),
		cmocka_unit_test(test_replay_compose),
		cmocka_unit_test(test_replay_config),
		cmocka_unit_test(test_replay_notify),
	};

	fuzz_init_locale();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
