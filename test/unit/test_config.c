/* Unit tests of config: parsing, defaults, and the exact error messages. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "balie/config.h"
#include "balie/util.h"

#define NAME "~/.config/balie/config"

static size_t parse(struct config *c, const char *text)
{
	return config_parse_string(c, NAME, text, strlen(text));
}

static void test_defaults(void **state)
{
	struct config c;

	config_defaults(&c);
	assert_int_equal(c.bell, CONFIG_BELL_ON);
	assert_int_equal(c.away_after, 300);
	assert_int_equal(c.reconnect_max_ms, 1500);
	assert_int_equal(c.nerrors, 0);
	assert_int_equal(keys_lookup(&c.keys, 't'), VERB_TAKEOVER);
	assert_true(c.colors[CONFIG_ROLE_SELECTED].attrs & CONFIG_ATTR_REVERSE);
	assert_true(c.colors[CONFIG_ROLE_STATUS].attrs & CONFIG_ATTR_REVERSE);
	assert_int_equal(c.colors[CONFIG_ROLE_NORMAL].fg, CONFIG_COLOR_DEFAULT);
	assert_string_equal(config_role_name(CONFIG_ROLE_WAIT), "wait");
	assert_string_equal(config_role_name(CONFIG_ROLE_ERROR), "error");
	config_free(&c);
}

static void test_valid_file(void **state)
{
	static const char text[] =
		"# balie settings\n"
		"\n"
		"   \t\n"
		"bind C-t takeover\n"
		"bind T takeover   # a trailing comment\n"
		"bind Hash help\n"
		"bind F5 redraw\n"
		"unbind q\n"
		"unbind F9\n"
		"bind Q quit\r\n"
		"color wait red default bold underline\n"
		"color status white blue\n"
		"color title brightyellow bold\n"
		"colour bot 33 236 reverse dim\n"
		"set bell flash\n"
		"set away_after 120\n"
		"set reconnect_max_ms 5000\n";
	struct config c;

	config_defaults(&c);
	assert_int_equal(parse(&c, text), 0);
	assert_int_equal(c.nerrors, 0);
	assert_int_equal(keys_lookup(&c.keys, KEYS_CTRL('t')), VERB_TAKEOVER);
	assert_int_equal(keys_lookup(&c.keys, 'T'), VERB_TAKEOVER);
	assert_int_equal(keys_lookup(&c.keys, 't'), VERB_TAKEOVER);
	assert_int_equal(keys_lookup(&c.keys, '#'), VERB_HELP);
	assert_int_equal(keys_lookup(&c.keys, 'q'), VERB_NONE);
	assert_int_equal(keys_lookup(&c.keys, 'Q'), VERB_QUIT);
	assert_int_equal(c.colors[CONFIG_ROLE_WAIT].fg, 1);
	assert_int_equal(c.colors[CONFIG_ROLE_WAIT].bg, CONFIG_COLOR_DEFAULT);
	assert_int_equal(c.colors[CONFIG_ROLE_WAIT].attrs,
			 CONFIG_ATTR_BOLD | CONFIG_ATTR_UNDERLINE);
	assert_int_equal(c.colors[CONFIG_ROLE_STATUS].fg, 7);
	assert_int_equal(c.colors[CONFIG_ROLE_STATUS].bg, 4);
	assert_int_equal(c.colors[CONFIG_ROLE_STATUS].attrs, 0);
	assert_int_equal(c.colors[CONFIG_ROLE_TITLE].fg, 11);
	assert_int_equal(c.colors[CONFIG_ROLE_TITLE].bg, CONFIG_COLOR_DEFAULT);
	assert_int_equal(c.colors[CONFIG_ROLE_TITLE].attrs, CONFIG_ATTR_BOLD);
	assert_int_equal(c.colors[CONFIG_ROLE_BOT].fg, 33);
	assert_int_equal(c.colors[CONFIG_ROLE_BOT].bg, 236);
	assert_int_equal(c.colors[CONFIG_ROLE_BOT].attrs, CONFIG_ATTR_REVERSE | CONFIG_ATTR_DIM);
	assert_int_equal(c.bell, CONFIG_BELL_FLASH);
	assert_int_equal(c.away_after, 120);
	assert_int_equal(c.reconnect_max_ms, 5000);
	config_free(&c);
}

/* Parses one bad line at line 7 and expects exactly MESSAGE for it. */
static void expect_error(const char *line, const char *message)
{
	struct config c;
	char *text = xasprintf("#\n#\n#\n#\n#\n\n%s\nset bell off\n", line);
	char *want = xasprintf(NAME ":7: %s", message);

	config_defaults(&c);
	assert_int_equal(parse(&c, text), 1);
	assert_int_equal(c.nerrors, 1);
	assert_string_equal(c.errors[0], want);
	/* The lines after a bad one still apply. */
	assert_int_equal(c.bell, CONFIG_BELL_OFF);
	config_free(&c);
	free(text);
	free(want);
}

static void test_bad_lines(void **state)
{
	expect_error("bind t tkaeover", "unknown action \"tkaeover\"");
	expect_error("bind Foo quit", "unknown key \"Foo\"");
	expect_error("bind t", "usage: bind KEY ACTION");
	expect_error("bind t quit now", "usage: bind KEY ACTION");
	expect_error("bind # help", "usage: bind KEY ACTION");
	expect_error("unbind", "usage: unbind KEY");
	expect_error("unbind C-", "unknown key \"C-\"");
	expect_error("frobnicate 3", "unknown command \"frobnicate\"");
	expect_error("color", "usage: color ROLE FG [BG] [ATTR...]");
	expect_error("color wait", "usage: color ROLE FG [BG] [ATTR...]");
	expect_error("color sky red", "unknown color role \"sky\"");
	expect_error("color wait purple", "unknown color \"purple\"");
	expect_error("color wait 256", "unknown color \"256\"");
	expect_error("color wait -1", "unknown color \"-1\"");
	expect_error("color wait red blinky", "unknown color or attribute \"blinky\"");
	expect_error("color wait red black blink", "unknown attribute \"blink\"");
	expect_error("set bell loud", "bell must be on, off or flash, not \"loud\"");
	expect_error("set bell", "usage: set OPTION VALUE");
	expect_error("set away_after soon",
		     "away_after must be a number of seconds from 1 to 86400, not \"soon\"");
	expect_error("set away_after 0",
		     "away_after must be a number of seconds from 1 to 86400, not \"0\"");
	expect_error("set away_after 99999999999999999999",
		     "away_after must be a number of seconds from 1 to 86400, not \"99999999999999999999\"");
	expect_error("set reconnect_max_ms 99",
		     "reconnect_max_ms must be a number of milliseconds from 100 to 3600000, not \"99\"");
	expect_error("set colour on", "unknown option \"colour\"");
	expect_error("a b c d e f g h i j k l m n o p q", "too many words on one line");
}

static void test_bad_line_changes_nothing(void **state)
{
	struct config c;
	struct config_color before;

	config_defaults(&c);
	before = c.colors[CONFIG_ROLE_WAIT];
	assert_int_equal(parse(&c, "color wait red black blink\nset away_after x\n"), 2);
	assert_memory_equal(&c.colors[CONFIG_ROLE_WAIT], &before, sizeof(before));
	assert_int_equal(c.away_after, 300);
	assert_string_equal(c.errors[0], NAME ":1: unknown attribute \"blink\"");
	assert_string_equal(c.errors[1],
			    NAME ":2: away_after must be a number of seconds from 1 to 86400, not \"x\"");
	config_free(&c);
}

static void test_errors_are_sanitised(void **state)
{
	struct config c;

	config_defaults(&c);
	assert_int_equal(parse(&c, "bind \x1b]0;pwned\x07 quit\n"), 1);
	assert_string_equal(c.errors[0], NAME ":1: unknown key \"\u241b]0;pwned\u2407\"");
	config_free(&c);
}

static void test_too_many_errors(void **state)
{
	struct config c;
	char *text = xmalloc(80 * 8 + 1);
	int i;

	text[0] = '\0';
	for (i = 0; i < 80; i++)
		strcat(text, "bogus\n");
	config_defaults(&c);
	assert_int_equal(parse(&c, text), 80);
	assert_int_equal(c.nerrors, CONFIG_MAX_ERRORS + 1);
	assert_string_equal(c.errors[0], NAME ":1: unknown command \"bogus\"");
	assert_string_equal(c.errors[CONFIG_MAX_ERRORS],
			    NAME ": too many errors; the rest are not listed");
	config_free(&c);
	free(text);
}

/* A fresh temporary directory for HOME or XDG_CONFIG_HOME. */
static char *temp_dir(void)
{
	char *dir = xstrdup("/tmp/balie-config-test-XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void write_file(const char *dir, const char *sub, const char *text)
{
	char *d = xasprintf("%s/%s", dir, sub);
	char *path = xasprintf("%s/config", d);
	char *cmd = xasprintf("mkdir -p '%s'", d);
	FILE *f;

	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(cmd);
	free(path);
	free(d);
}

static void remove_dir(char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir);
}

static const char seven_lines[] =
	"# my settings\n"
	"set bell off\n"
	"\n"
	"bind C-t takeover\n"
	"\n"
	"# next line has a typo\n"
	"bind T tkaeover\n";

static void test_file_under_home(void **state)
{
	char *home = temp_dir(), *path;
	struct config c;

	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");
	path = config_default_path();
	assert_non_null(path);
	assert_true(strcmp(path + strlen(home), "/.config/balie/config") == 0);
	free(path);

	/* No file: no errors, all defaults. */
	config_defaults(&c);
	assert_int_equal(config_load_default(&c), 0);
	assert_int_equal(c.nerrors, 0);
	assert_int_equal(c.bell, CONFIG_BELL_ON);
	config_free(&c);

	write_file(home, ".config/balie", seven_lines);
	config_defaults(&c);
	assert_int_equal(config_load_default(&c), 1);
	assert_int_equal(c.nerrors, 1);
	assert_string_equal(c.errors[0], "~/.config/balie/config:7: unknown action \"tkaeover\"");
	assert_int_equal(c.bell, CONFIG_BELL_OFF);
	assert_int_equal(keys_lookup(&c.keys, KEYS_CTRL('t')), VERB_TAKEOVER);
	config_free(&c);
	remove_dir(home);
}

static void test_file_under_xdg(void **state)
{
	char *home = temp_dir(), *xdg = temp_dir(), *path, *want;
	struct config c;

	setenv("HOME", home, 1);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	path = config_default_path();
	want = xasprintf("%s/balie/config", xdg);
	assert_string_equal(path, want);
	free(want);
	write_file(xdg, "balie", seven_lines);
	config_defaults(&c);
	assert_int_equal(config_load(&c, path), 1);
	want = xasprintf("%s:7: unknown action \"tkaeover\"", path);
	assert_string_equal(c.errors[0], want);
	free(want);
	free(path);
	config_free(&c);

	/* A relative XDG_CONFIG_HOME is ignored, as the XDG spec says. */
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	path = config_default_path();
	want = xasprintf("%s/.config/balie/config", home);
	assert_string_equal(path, want);
	free(want);
	free(path);

	unsetenv("XDG_CONFIG_HOME");
	remove_dir(xdg);
	remove_dir(home);
}

static void test_unreadable_file(void **state)
{
	char *dir = temp_dir(), *want;
	struct config c;

	/* A directory where the file should be cannot be read. */
	config_defaults(&c);
	assert_int_equal(config_load(&c, dir), 1);
	want = xasprintf("%s: Is a directory", dir);
	assert_string_equal(c.errors[0], want);
	free(want);
	config_free(&c);
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_valid_file),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_bad_line_changes_nothing),
		cmocka_unit_test(test_errors_are_sanitised),
		cmocka_unit_test(test_too_many_errors),
		cmocka_unit_test(test_file_under_home),
		cmocka_unit_test(test_file_under_xdg),
		cmocka_unit_test(test_unreadable_file),
	};

	if (!setlocale(LC_ALL, "C.UTF-8"))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
