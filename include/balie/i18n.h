/* i18n: the screen speaks the user's language, the GNU way (gettext).
 *
 * English is the source language. Wrap every user-facing string in _() where
 * it is used, N_() where it only sits in a table (translate it with _() when
 * shown), and use P_() for counts so Dutch gets its own plural. The text
 * domain is "balie"; catalogues live in LOCALEDIR/LL/LC_MESSAGES/balie.mo and
 * are chosen by LANGUAGE, LC_ALL, LC_MESSAGES and LANG. */
#ifndef BALIE_I18N_H
#define BALIE_I18N_H

#include <libintl.h>

#define BALIE_TEXTDOMAIN "balie"

#define _(msgid) gettext(msgid)
#define N_(msgid) (msgid)
#define P_(singular, plural, n) ngettext((singular), (plural), (n))
/* A word whose translation depends on where it stands (a key hint must be
 * short, a refusal a whole phrase): CTX names the place, as msgctxt. */
#define C_(ctx, msgid) i18n_pgettext(ctx "\004" msgid, msgid)

/* Sets the locale from the environment and binds the text domain to the
 * installed (or source-tree) catalogues; call once, first thing in main. */
void i18n_init(void);
/* The translation of CTX_MSGID ("context\004msgid"), else MSGID. */
const char *i18n_pgettext(const char *ctx_msgid, const char *msgid);

#endif
