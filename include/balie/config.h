/* config: the user's settings from $XDG_CONFIG_HOME/balie/config.
 *
 * One setting a line; blank lines and lines starting with "#" are ignored,
 * and a word starting with "#" begins a trailing comment (write the "#" key
 * as Hash):
 *
 *   bind KEY ACTION           e.g.  bind C-t takeover
 *   unbind KEY                       unbind q
 *   color ROLE FG [BG] [ATTR...]     color wait yellow default bold
 *   set bell on|off|flash
 *   set away_after SECONDS           idle time before an agent shows as away
 *   set reconnect_max_ms N           longest wait between reconnect attempts
 *   set alert_unclaimed SECONDS      ring when an escalation waits this long (0 off)
 *   set sla_warn PERCENT             mark and ring at this share of the SLA (0 off)
 *   set alert_gap SECONDS            at most one ring per this many seconds
 *
 * Colours are default, black, red, green, yellow, blue, magenta, cyan,
 * white, bright<colour> (8-15) or 0-255; attributes bold, underline,
 * reverse, dim. A bad line never stops the rest: each becomes one message
 * "FILE:LINE: what is wrong", all kept in the struct for the console to
 * show. Colours are data only; the ui module applies them. */
#ifndef BALIE_CONFIG_H
#define BALIE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "balie/keys.h"

/* X(ENUM, name): the colour roles the ui draws with. */
#define CONFIG_ROLES(X) \
	X(NORMAL,	"normal")	/* everything else */ \
	X(TITLE,	"title")	/* pane titles, headers */ \
	X(STATUS,	"status")	/* the status line */ \
	X(SELECTED,	"selected")	/* the selected row */ \
	X(WAIT,		"wait")		/* WAIT flag, wait clocks */ \
	X(BREACH,	"breach")	/* a wait beyond the queue's SLA */ \
	X(BOT,		"bot")		/* BOT flag, bot messages */ \
	X(HUMAN,	"human")	/* HUMAN flag */ \
	X(CUSTOMER,	"customer")	/* customer messages */ \
	X(AGENT,	"agent")	/* agent messages */ \
	X(NOTE,		"note")		/* internal notes */ \
	X(SYSTEM,	"system")	/* system messages */ \
	X(SOURCE,	"source")	/* sources cited under a bot message */ \
	X(ERROR,	"error")	/* error and refusal lines */

#define CONFIG_ROLE_ENUM_(e, name) CONFIG_ROLE_##e,
enum config_role {
	CONFIG_ROLES(CONFIG_ROLE_ENUM_)
	CONFIG_ROLE_COUNT
};
#undef CONFIG_ROLE_ENUM_

/* The terminal's own colour (use_default_colors). */
#define CONFIG_COLOR_DEFAULT (-1)

enum config_attr {
	CONFIG_ATTR_BOLD = 1u << 0,
	CONFIG_ATTR_UNDERLINE = 1u << 1,
	CONFIG_ATTR_REVERSE = 1u << 2,
	CONFIG_ATTR_DIM = 1u << 3,
};

struct config_color {
	int fg;			/* CONFIG_COLOR_DEFAULT or 0-255 */
	int bg;
	unsigned attrs;		/* enum config_attr bits */
};

enum config_bell {
	CONFIG_BELL_OFF,
	CONFIG_BELL_ON,
	CONFIG_BELL_FLASH,
};

#define CONFIG_AWAY_AFTER_DEFAULT 300		/* seconds */
#define CONFIG_RECONNECT_MAX_DEFAULT 1500	/* milliseconds, as db's default */
#define CONFIG_ALERT_UNCLAIMED_DEFAULT 60	/* seconds */
#define CONFIG_SLA_WARN_DEFAULT 80		/* percent of the SLA */
#define CONFIG_ALERT_GAP_DEFAULT 5		/* seconds between rings */

/* Stop collecting after this many messages (one more says so). */
#define CONFIG_MAX_ERRORS 50

struct config {
	struct keys_map keys;
	struct config_color colors[CONFIG_ROLE_COUNT];
	enum config_bell bell;
	unsigned away_after;		/* seconds */
	unsigned reconnect_max_ms;
	unsigned alert_unclaimed;	/* seconds; 0 = no such alert */
	unsigned sla_warn;		/* percent; 0 = no warning */
	unsigned alert_gap;		/* seconds */
	char **errors;			/* "FILE:LINE: message", sanitised */
	size_t nerrors;
};

/* Fills C with the defaults (keys_defaults(), the colour table, bell on,
 * away after 300 s, reconnect at most every 1500 ms) and no errors. */
void config_defaults(struct config *c);

/* Frees the collected errors. */
void config_free(struct config *c);

/* Applies LEN bytes of config text on top of C; NAME is the file name used
 * in messages. Returns the number of errors this text added. */
size_t config_parse_string(struct config *c, const char *name, const char *text, size_t len);

/* Applies the file at PATH; a missing file is no error, an unreadable one is.
 * Messages show PATH with $HOME written as "~". Returns errors added. */
size_t config_load(struct config *c, const char *path);

/* The config file's path: $XDG_CONFIG_HOME/balie/config when that variable
 * is an absolute path, else ~/.config/balie/config; newly allocated, NULL
 * when there is no home directory. */
char *config_default_path(void);

/* config_load() of config_default_path(), if there is one. */
size_t config_load_default(struct config *c);

/* The name of ROLE ("wait"). */
const char *config_role_name(enum config_role role);

#endif
