/* config: the user's settings from $XDG_CONFIG_HOME/balie/config. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "balie/config.h"
#include "balie/i18n.h"
#include "balie/text.h"
#include "balie/util.h"

#define MAX_WORDS 16

#define CONFIG_ROLE_NAME_(e, name) name,
static const char *const role_names[CONFIG_ROLE_COUNT] = {
	CONFIG_ROLES(CONFIG_ROLE_NAME_)
};
#undef CONFIG_ROLE_NAME_

/* Every meaning has an attribute too, so it survives NO_COLOR and mono. */
static const struct config_color role_defaults[CONFIG_ROLE_COUNT] = {
	[CONFIG_ROLE_NORMAL]	= { -1, -1, 0 },
	[CONFIG_ROLE_TITLE]	= { -1, -1, CONFIG_ATTR_BOLD },
	[CONFIG_ROLE_STATUS]	= { -1, -1, CONFIG_ATTR_REVERSE },
	[CONFIG_ROLE_SELECTED]	= { -1, -1, CONFIG_ATTR_REVERSE | CONFIG_ATTR_BOLD },
	[CONFIG_ROLE_WAIT]	= { 3, -1, CONFIG_ATTR_BOLD },
	[CONFIG_ROLE_BREACH]	= { 1, -1, CONFIG_ATTR_BOLD | CONFIG_ATTR_UNDERLINE },
	[CONFIG_ROLE_BOT]	= { 6, -1, 0 },
	[CONFIG_ROLE_HUMAN]	= { 2, -1, CONFIG_ATTR_BOLD },
	[CONFIG_ROLE_CUSTOMER]	= { -1, -1, 0 },
	[CONFIG_ROLE_AGENT]	= { 2, -1, 0 },
	[CONFIG_ROLE_NOTE]	= { 5, -1, 0 },
	[CONFIG_ROLE_SYSTEM]	= { -1, -1, CONFIG_ATTR_DIM },
	[CONFIG_ROLE_SOURCE]	= { 4, -1, CONFIG_ATTR_UNDERLINE },
	[CONFIG_ROLE_ERROR]	= { 1, -1, CONFIG_ATTR_BOLD },
};

static const char *const color_names[8] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

static const struct {
	const char *name;
	unsigned bit;
} attr_names[] = {
	{ "bold", CONFIG_ATTR_BOLD },
	{ "underline", CONFIG_ATTR_UNDERLINE },
	{ "reverse", CONFIG_ATTR_REVERSE },
	{ "dim", CONFIG_ATTR_DIM },
};

/* Where a line being parsed came from, for its messages. */
struct source {
	struct config *c;
	const char *name;
	unsigned line;
	size_t added;
};

void config_defaults(struct config *c)
{
	keys_defaults(&c->keys);
	memcpy(c->colors, role_defaults, sizeof(c->colors));
	c->bell = CONFIG_BELL_ON;
	c->away_after = CONFIG_AWAY_AFTER_DEFAULT;
	c->reconnect_max_ms = CONFIG_RECONNECT_MAX_DEFAULT;
	c->alert_unclaimed = CONFIG_ALERT_UNCLAIMED_DEFAULT;
	c->sla_warn = CONFIG_SLA_WARN_DEFAULT;
	c->alert_gap = CONFIG_ALERT_GAP_DEFAULT;
	c->errors = NULL;
	c->nerrors = 0;
}

void config_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->nerrors; i++)
		free(c->errors[i]);
	free(c->errors);
	c->errors = NULL;
	c->nerrors = 0;
}

const char *config_role_name(enum config_role role)
{
	if ((int)role < 0 || role >= CONFIG_ROLE_COUNT)
		return "";
	return role_names[role];
}

static void push_error(struct config *c, char *msg)
{
	c->errors = xrealloc(c->errors, (c->nerrors + 1) * sizeof(*c->errors));
	c->errors[c->nerrors++] = msg;
}

/* Records "NAME:LINE: message"; the whole line is sanitised because it
 * quotes words from the file and the console will draw it. */
__attribute__((format(printf, 2, 3)))
static void error_at(struct source *src, const char *fmt, ...)
{
	char msg[512], *line;
	va_list ap;

	src->added++;
	if (src->c->nerrors > CONFIG_MAX_ERRORS)
		return;
	if (src->c->nerrors == CONFIG_MAX_ERRORS) {
		line = xasprintf(_("%s: too many errors; the rest are not listed"), src->name);
	} else {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		line = xasprintf("%s:%u: %s", src->name, src->line, msg);
	}
	push_error(src->c, text_clean(line, 0));
	free(line);
}

/* Parses a colour name or number into *OUT. */
static bool parse_color(const char *s, int *out)
{
	const char *base = s;
	int bright = 0, i;
	char *end;
	long v;

	if (strcasecmp(s, "default") == 0) {
		*out = CONFIG_COLOR_DEFAULT;
		return true;
	}
	if (strncasecmp(s, "bright", 6) == 0) {
		base = s + 6;
		bright = 8;
	}
	for (i = 0; i < 8; i++) {
		if (strcasecmp(base, color_names[i]) == 0) {
			*out = i + bright;
			return true;
		}
	}
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno || v > 255)
		return false;
	*out = (int)v;
	return true;
}

static bool parse_attr(const char *s, unsigned *attrs)
{
	size_t i;

	for (i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++) {
		if (strcasecmp(s, attr_names[i].name) == 0) {
			*attrs |= attr_names[i].bit;
			return true;
		}
	}
	return false;
}

/* Parses S as a whole number within LO..HI. */
static bool parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v < lo || v > hi)
		return false;
	*out = (unsigned)v;
	return true;
}

static void cmd_bind(struct source *src, char **w, int n)
{
	enum verb action;
	unsigned key;

	if (n != 3) {
		error_at(src, _("usage: bind KEY ACTION"));
		return;
	}
	if (keys_parse(w[1], &key) != 0) {
		error_at(src, _("unknown key \"%s\""), w[1]);
		return;
	}
	action = verb_parse(w[2]);
	if (action == VERB_NONE) {
		error_at(src, _("unknown action \"%s\""), w[2]);
		return;
	}
	if (keys_bind(&src->c->keys, key, action) != 0)
		error_at(src, _("too many key bindings (at most %d)"), KEYS_MAX_BINDINGS);
}

static void cmd_unbind(struct source *src, char **w, int n)
{
	unsigned key;

	if (n != 2) {
		error_at(src, _("usage: unbind KEY"));
		return;
	}
	if (keys_parse(w[1], &key) != 0) {
		error_at(src, _("unknown key \"%s\""), w[1]);
		return;
	}
	keys_unbind(&src->c->keys, key);	/* unbinding a free key is fine */
}

static void cmd_color(struct source *src, char **w, int n)
{
	struct config_color col = { CONFIG_COLOR_DEFAULT, CONFIG_COLOR_DEFAULT, 0 };
	int role, i = 3;

	if (n < 3) {
		error_at(src, _("usage: color ROLE FG [BG] [ATTR...]"));
		return;
	}
	for (role = 0; role < CONFIG_ROLE_COUNT; role++)
		if (strcasecmp(w[1], role_names[role]) == 0)
			break;
	if (role == CONFIG_ROLE_COUNT) {
		error_at(src, _("unknown color role \"%s\""), w[1]);
		return;
	}
	if (!parse_color(w[2], &col.fg)) {
		error_at(src, _("unknown color \"%s\""), w[2]);
		return;
	}
	if (n > 3 && parse_color(w[3], &col.bg)) {
		i = 4;
	} else if (n > 3 && !parse_attr(w[3], &col.attrs)) {
		error_at(src, _("unknown color or attribute \"%s\""), w[3]);
		return;
	}
	for (; i < n; i++) {
		if (!parse_attr(w[i], &col.attrs)) {
			error_at(src, _("unknown attribute \"%s\""), w[i]);
			return;
		}
	}
	src->c->colors[role] = col;
}

static void cmd_set(struct source *src, char **w, int n)
{
	struct config *c = src->c;

	if (n != 3) {
		error_at(src, _("usage: set OPTION VALUE"));
		return;
	}
	if (strcmp(w[1], "bell") == 0) {
		if (strcasecmp(w[2], "on") == 0)
			c->bell = CONFIG_BELL_ON;
		else if (strcasecmp(w[2], "off") == 0)
			c->bell = CONFIG_BELL_OFF;
		else if (strcasecmp(w[2], "flash") == 0)
			c->bell = CONFIG_BELL_FLASH;
		else
			error_at(src, _("bell must be on, off or flash, not \"%s\""), w[2]);
	} else if (strcmp(w[1], "away_after") == 0) {
		if (!parse_uint(w[2], 1, 86400, &c->away_after))
			error_at(src, _("away_after must be a number of seconds from 1 to 86400, not \"%s\""),
				 w[2]);
	} else if (strcmp(w[1], "reconnect_max_ms") == 0) {
		if (!parse_uint(w[2], 100, 3600000, &c->reconnect_max_ms))
			error_at(src, _("reconnect_max_ms must be a number of milliseconds from 100 to 3600000, not \"%s\""),
				 w[2]);
	} else if (strcmp(w[1], "alert_unclaimed") == 0) {
		if (!parse_uint(w[2], 0, 86400, &c->alert_unclaimed))
			error_at(src, "alert_unclaimed must be a number of seconds from 0 (off) to 86400, not \"%s\"",
				 w[2]);
	} else if (strcmp(w[1], "sla_warn") == 0) {
		if (!parse_uint(w[2], 0, 100, &c->sla_warn))
			error_at(src, "sla_warn must be a percentage from 0 (off) to 100, not \"%s\"", w[2]);
	} else if (strcmp(w[1], "alert_gap") == 0) {
		if (!parse_uint(w[2], 1, 3600, &c->alert_gap))
			error_at(src, "alert_gap must be a number of seconds from 1 to 3600, not \"%s\"",
				 w[2]);
	} else {
		error_at(src, _("unknown option \"%s\""), w[1]);
	}
}

/* Splits LINE in place into at most MAX_WORDS words; a word starting with
 * "#" ends the line. Returns the word count, MAX_WORDS + 1 if too many. */
static int split_words(char *line, char **w)
{
	int n = 0;

	for (;;) {
		while (*line == ' ' || *line == '\t' || *line == '\r')
			line++;
		if (!*line || *line == '#')
			return n;
		if (n == MAX_WORDS)
			return MAX_WORDS + 1;
		w[n++] = line;
		while (*line && *line != ' ' && *line != '\t' && *line != '\r')
			line++;
		if (*line)
			*line++ = '\0';
	}
}

static void parse_line(struct source *src, char *line)
{
	char *w[MAX_WORDS];
	int n = split_words(line, w);

	if (n == 0)
		return;
	if (n > MAX_WORDS)
		error_at(src, _("too many words on one line"));
	else if (strcmp(w[0], "bind") == 0)
		cmd_bind(src, w, n);
	else if (strcmp(w[0], "unbind") == 0)
		cmd_unbind(src, w, n);
	else if (strcmp(w[0], "color") == 0 || strcmp(w[0], "colour") == 0)
		cmd_color(src, w, n);
	else if (strcmp(w[0], "set") == 0)
		cmd_set(src, w, n);
	else
		error_at(src, _("unknown command \"%s\""), w[0]);
}

size_t config_parse_string(struct config *c, const char *name, const char *text, size_t len)
{
	struct source src = { c, name ? name : "config", 0, 0 };
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		char *line = xstrndup(text + pos, end - pos);

		src.line++;
		parse_line(&src, line);
		free(line);
		pos = end + 1;
	}
	return src.added;
}

/* PATH with the home directory written as "~", for messages. */
static char *display_path(const char *path)
{
	const char *home = getenv("HOME");
	size_t n = home ? strlen(home) : 0;

	while (n > 1 && home[n - 1] == '/')
		n--;
	if (n > 1 && strncmp(path, home, n) == 0 && path[n] == '/')
		return xasprintf("~%s", path + n);
	return xstrdup(path);
}

/* Reads all of F into a new buffer; false on a read error (errno set). */
static bool read_all(FILE *f, char **out, size_t *len)
{
	size_t cap = 4096, n = 0, got;
	char *buf = xmalloc(cap);

	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	if (ferror(f)) {
		free(buf);
		return false;
	}
	*out = buf;
	*len = n;
	return true;
}

/* Records a problem with the file as a whole, which has no line number. */
static void file_error(struct config *c, const char *shown, int err)
{
	char *msg = xasprintf("%s: %s", shown, strerror(err));

	push_error(c, text_clean(msg, 0));
	free(msg);
}

size_t config_load(struct config *c, const char *path)
{
	char *shown = display_path(path), *text;
	size_t len, added = 1;
	FILE *f = fopen(path, "r");
	int err = errno;

	if (!f) {
		if (err == ENOENT || err == ENOTDIR)
			added = 0;
		else
			file_error(c, shown, err);
	} else if (!read_all(f, &text, &len)) {
		file_error(c, shown, errno);
		fclose(f);
	} else {
		fclose(f);
		added = config_parse_string(c, shown, text, len);
		free(text);
	}
	free(shown);
	return added;
}

char *config_default_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (xdg && xdg[0] == '/')
		return xasprintf("%s/balie/config", xdg);
	if (!home || !*home) {
		pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || !*home)
		return NULL;
	return xasprintf("%s/.config/balie/config", home);
}

size_t config_load_default(struct config *c)
{
	char *path = config_default_path();
	size_t added;

	if (!path)
		return 0;
	added = config_load(c, path);
	free(path);
	return added;
}
