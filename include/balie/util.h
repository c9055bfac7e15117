/* util: allocation that never returns NULL, and small string helpers. */
#ifndef BALIE_UTIL_H
#define BALIE_UTIL_H

#include <stddef.h>

/* Out of memory is not recoverable for a console: these abort with a message
 * (after the terminal is restored, through util_set_fatal_hook). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);		/* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Called before a fatal exit, e.g. to end curses mode. */
void util_set_fatal_hook(void (*hook)(void));
_Noreturn void util_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether two possibly-NULL strings are equal. */
int util_streq(const char *a, const char *b);

#endif
