/* i18n: locale and text domain set-up; see i18n.h. */
#include <locale.h>

#include "balie/i18n.h"
#include "balie/paths.h"

void i18n_init(void)
{
	char dir[4096];

	/* Characters and messages only: numbers stay C, so that watch's JSON
	 * and sim's figures read the same in every language. */
	setlocale(LC_CTYPE, "");
	setlocale(LC_MESSAGES, "");
	bindtextdomain(BALIE_TEXTDOMAIN, paths_locale_dir(dir, sizeof dir));
	textdomain(BALIE_TEXTDOMAIN);
}

const char *i18n_pgettext(const char *ctx_msgid, const char *msgid)
{
	const char *t = gettext(ctx_msgid);

	return t == ctx_msgid ? msgid : t;
}
