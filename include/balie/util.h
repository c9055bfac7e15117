/* util: the error contract, allocation that never returns NULL, and small
 * helpers every module shares.
 *
 * THE ERROR CONTRACT (every module follows it):
 * - A function that does something and can fail returns int: 0 on success,
 *   -1 on failure, with the reason readable afterwards (a *_last_error()
 *   accessor, an out-parameter, or a status struct passed to a callback).
 * - A question returns bool (true = yes), never an int that means "yes".
 *   Counts are size_t (or int where -1 can mean "not a valid input").
 *   A lookup that finds nothing returns NULL.
 * - A failure nothing can recover from (out of memory, a libuv handle used
 *   wrongly) goes through util_fatal(), which runs the terminal-restore hook
 *   first: no module calls abort() or exit() on its own.
 * - Asynchronous calls report through their callback exactly once, later,
 *   from the loop; a function that returns an error never calls it. */
#ifndef BALIE_UTIL_H
#define BALIE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* The object that embeds MEMBER at PTR (libuv handles back to their owner). */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Out of memory is not recoverable for a console: these end the program with
 * a message (after the terminal is restored, through util_set_fatal_hook). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);		/* NULL stays NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The one fatal path. The UI registers its terminal restore here (NULL
 * removes it); util_fatal runs it once, prints "balie: MSG" and exits 70. */
void util_set_fatal_hook(void (*hook)(void));
_Noreturn void util_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Checks the result of a libuv call that fails only when the program is
 * wrong (a timer or signal start on a live handle): fatal, naming WHAT. */
void util_uv_check(int err, const char *what);

/* Whether two possibly-NULL strings are equal. */
bool util_streq(const char *a, const char *b);

#endif
