/* text_translit: non-ASCII text for a terminal that is not UTF-8, through
 * glibc's iconv //TRANSLIT, the one well-kept table there is. */
#include <iconv.h>
#include <locale.h>
#include <string.h>

#include "balie/text.h"

bool text_translit(uint32_t cp, char *out, size_t size)
{
	/* Under LANG=C glibc transliterates with the C locale's tables, which
	 * turn every accented letter into "?": convert in C.UTF-8 instead. */
	static iconv_t cd = (iconv_t)-1;
	static locale_t utf8 = (locale_t)0;
	static bool tried;
	char in[4], buf[TEXT_TRANSLIT_MAX], *ip = in, *op = buf;
	size_t il = text_encode(cp, in), ol = sizeof buf, k, n = 0;
	locale_t old = (locale_t)0;
	bool ok;

	if (!tried) {
		tried = true;
		utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		if (!utf8)
			utf8 = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
		cd = iconv_open("ASCII//TRANSLIT", "UTF-8");
	}
	if (cd == (iconv_t)-1 || il == 0 || size == 0)
		return false;
	/* Combining marks belong to the letter before them: nothing. */
	if ((cp >= 0x300 && cp <= 0x36F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
	    (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
	    (cp >= 0xFE20 && cp <= 0xFE2F)) {
		out[0] = '\0';
		return true;
	}
	if (utf8)
		old = uselocale(utf8);
	iconv(cd, NULL, NULL, NULL, NULL);
	ok = iconv(cd, &ip, &il, &op, &ol) != (size_t)-1;
	if (utf8)
		uselocale(old);
	if (!ok)
		return false;
	/* Only printable ASCII comes out, whatever the tables say. */
	for (k = 0; buf + k < op && n + 1 < size; k++)
		if (buf[k] >= 0x20 && buf[k] < 0x7F)
			out[n++] = buf[k];
	out[n] = '\0';
	return true;
}
