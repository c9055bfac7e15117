/* Reading back what a curses screen shows, for the ui tests (header-only:
 * each test binary has its own copy). */
#ifndef BALIE_TEST_SCREEN_H
#define BALIE_TEST_SCREEN_H

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define NCURSES_WIDECHAR 1
#include <curses.h>

/* Row Y of what the terminal shows, as UTF-8 with trailing blanks cut. */
static inline char *screen_row(int y)
{
	static char buf[1024];
	size_t n;

	buf[0] = '\0';
	if (mvwinnstr(curscr, y, 0, buf, (int)sizeof buf - 1) == ERR)
		return buf;
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	return buf;
}

/* Bytes written to OUT (the ui's terminal) so far. */
static inline long screen_written(FILE *out)
{
	struct stat sb;

	fflush(out);
	if (fstat(fileno(out), &sb) != 0)
		return -1;
	return (long)sb.st_size;
}

#endif
