/* text: the one sanitiser for untrusted text, plus display width and wrapping.
 *
 * Everything that comes from the database passes through text_sanitize()
 * before it reaches the terminal. The layout functions below (width, wrap,
 * truncate, pad) measure sanitised UTF-8 in display columns with wcwidth,
 * never in bytes; given unsanitised bytes they stay memory-safe and
 * terminate, but the columns they report are then only an estimate.
 *
 * wcwidth answers from LC_CTYPE: call setlocale(LC_ALL, "") first, and use
 * TEXT_ASCII when text_locale_is_utf8() is false. No curses in here. */
#ifndef BALIE_TEXT_H
#define BALIE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum text_flags {
	/* Keep line breaks (CR LF, CR, U+2028, U+2029 become "\n") and expand
	 * tabs to the next multiple of 8 columns; without it every line break
	 * and every tab becomes one space, for one-line contexts. */
	TEXT_MULTILINE = 1u << 0,
	/* Output printable ASCII only (plus "\n"): other characters become
	 * "?", placeholders are ASCII ("^[", "<9B>"), the ellipsis is "...". */
	TEXT_ASCII = 1u << 1,
	/* text_pad(): put the padding on the left (numbers, clocks). */
	TEXT_ALIGN_RIGHT = 1u << 2,
};

/* Returned by text_decode() for bytes that are not valid UTF-8. */
#define TEXT_BAD_CP UINT32_C(0xFFFFFFFF)

/* Large enough for every text_duration() result. */
#define TEXT_DURATION_SIZE 32

/* Makes LEN bytes of untrusted text safe for the terminal; the result is
 * newly allocated (free() it) valid UTF-8 and never NULL. IN may be NULL
 * when LEN is 0; embedded NUL bytes are shown as U+2400.
 *
 * Replacements in the default (UTF-8) mode:
 *   ESC                      U+241B "␛"
 *   other C0 controls        U+2400 + c  ("␀" ... "␟"; BEL is "␇")
 *   DEL                      U+2421 "␡"
 *   C1 controls U+0080-009F  "<80>" ... "<9F>"  (e.g. 8-bit CSI is "<9B>")
 *   bidi controls            "<U+202E>"  (U+202A-202E, U+2066-2069, U+200E,
 *                                        U+200F, U+061C)
 *   invalid UTF-8            U+FFFD "�", one per maximal ill-formed subpart
 *                            (bad bytes, overlongs, surrogates, truncated
 *                            sequences, beyond U+10FFFF)
 *   other non-printables     "<U+XXXX>"  (wcwidth < 0: unassigned, U+FFFE…)
 *   a zero-width mark at the start of a line gets U+25CC "◌" as its base,
 *   so it cannot combine with whatever the caller drew before it; a byte
 *   order mark at the very start is dropped.
 * With TEXT_ASCII: C0 controls and DEL in caret notation ("^[", "^G", "^?"),
 * C1 and bidi placeholders as above, everything else non-ASCII
 * transliterated by iconv //TRANSLIT ("…" "...", "€" "EUR", "ç" "c", a
 * combining mark nothing), "?" where it knows no ASCII. */
char *text_sanitize(const char *in, size_t len, unsigned flags);

/* CP in printable ASCII as iconv //TRANSLIT has it ("…" "...", "€" "EUR",
 * "ç" "c"; "" for a combining mark), into OUT; false when it has none. The
 * tables are a UTF-8 locale's even under LANG=C. Not thread-safe on the
 * first call (it opens the converter once). */
#define TEXT_TRANSLIT_MAX 16
bool text_translit(uint32_t cp, char *out, size_t size);

/* text_sanitize() of a NUL-terminated string; NULL is treated as "". */
char *text_clean(const char *s, unsigned flags);

/* Whether LC_CTYPE is UTF-8 (otherwise draw with TEXT_ASCII). */
bool text_locale_is_utf8(void);

/* Decodes one strict UTF-8 character of S (at most LEN bytes, LEN > 0) into
 * *CP and returns its length; invalid input gives TEXT_BAD_CP and the length
 * of the maximal ill-formed subpart (at least 1). */
size_t text_decode(const char *s, size_t len, uint32_t *cp);

/* Encodes a Unicode scalar value as UTF-8 into OUT; returns 1-4, or 0 for
 * surrogates and values beyond U+10FFFF. */
size_t text_encode(uint32_t cp, char out[4]);

/* Display columns of CP (0, 1 or 2), or -1 when the sanitiser would replace
 * it: controls, DEL, C1, bidi controls, line separators, non-characters,
 * anything wcwidth() says is not printable, TEXT_BAD_CP. */
int text_cp_width(uint32_t cp);

/* Returns the end of the character cluster starting at POS in S (LEN bytes):
 * one base character plus the zero-width characters (combining marks, ZWJ,
 * variation selectors) after it. *COLS (may be NULL) gets its columns; a
 * base that is not printable counts as 1, "\n" as 0. POS < LEN. */
size_t text_next_cluster(const char *s, size_t len, size_t pos, int *cols);

/* Returns the start of the cluster that ends at POS (0 < POS), the inverse
 * of text_next_cluster() on valid UTF-8. */
size_t text_prev_cluster(const char *s, size_t pos);

/* Display columns of LEN bytes of S ("\n" counts 0). */
int text_width_n(const char *s, size_t len);

/* Display columns of the NUL-terminated string S (NULL is 0). */
int text_width(const char *s);

/* Returns how many bytes of S (whole clusters, stopping at "\n") fit in
 * WIDTH columns; *COLS (may be NULL) gets their columns. */
size_t text_prefix(const char *s, int width, int *cols);

/* One display line of a wrapped text: a slice of the original string. */
struct text_line {
	size_t off;	/* byte offset of the line in the text */
	size_t len;	/* its length in bytes, without the break */
	int cols;	/* its display columns */
};

/* Wraps S to WIDTH columns (at least 1) and stores a newly allocated array
 * in *LINES (free() it); returns the number of lines, always at least 1.
 * Breaks at spaces where it can (the spaces at a break belong to no line),
 * hard-breaks longer words between clusters, honours "\n" ("" is one empty
 * line, "a\n" is "a" and ""), never splits a UTF-8 sequence, a wide
 * character or a base from its combining marks. A line is never wider than
 * WIDTH, except a single cluster wider than the whole width (a 2-column
 * character at width 1), which gets a line of its own. */
size_t text_wrap(const char *s, int width, struct text_line **lines);

/* Returns a newly allocated copy of S cut to at most WIDTH columns; when it
 * had to cut, the result ends in "…" ("..." with TEXT_ASCII) and is exactly
 * WIDTH columns wide (a space fills the gap a wide character leaves). */
char *text_truncate(const char *s, int width, unsigned flags);

/* Returns S truncated as by text_truncate() and padded with spaces to
 * exactly WIDTH columns (left-aligned, or right-aligned with
 * TEXT_ALIGN_RIGHT), so table columns line up with CJK and emoji. */
char *text_pad(const char *s, int width, unsigned flags);

/* Formats a wait time as "m:ss" below an hour and "h:mm:ss" from an hour
 * ("0:00" for negative values) into BUF and returns BUF. */
char *text_duration(long seconds, char *buf, size_t size);

#endif
