/* console_editor: replies written in $EDITOR, spawned through libuv. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balie/compose.h"
#include "balie/i18n.h"
#include "balie/util.h"
#include "console_priv.h"

/* Reads the edited file; returns its text without trailing white space. */
static char *read_edited(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0 && len < COMPOSE_DEFAULT_MAX);
	fclose(f);
	if (!buf)
		return xstrdup("");
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' ||
			   buf[len - 1] == '\t' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return buf;
}

static void on_editor_closed(uv_handle_t *h)
{
	(void)h;
}

static void on_editor_exit(uv_process_t *p, int64_t status, int signum)
{
	struct console *con = p->data;
	char *text;

	uv_close((uv_handle_t *)p, on_editor_closed);
	con->editing = false;
	ui_resume(con->ui);
	ui_resize(con->ui);
	con->resize_pending = false;
	console_resume_input(con);
	text = read_edited(con->editor_path);
	unlink(con->editor_path);
	if (status != 0 || signum != 0) {
		say(con, VIEW_ROLE_ERROR, _("the editor failed (exit %lld): nothing sent"),
		    (long long)status);
	} else if (!text || !*text) {
		say(con, VIEW_ROLE_NORMAL, _("empty reply: nothing sent"));
	} else if (console_send_reply(con, con->editor_conv, text)) {
		console_draft_drop(con, con->editor_conv, VERB_REPLY);
	} else {
		/* Refused: keep the text (on one line) as the compose draft. */
		struct compose tmp;

		compose_init(&tmp, 0);
		compose_insert_str(&tmp, text, strlen(text));
		console_draft_save(con, con->editor_conv, VERB_REPLY, compose_text(&tmp));
		compose_free(&tmp);
	}
	free(text);
	console_render(con);
}

void console_edit_reply(struct console *con, struct model_conv *c)
{
	uv_process_options_t po;
	uv_stdio_container_t stdio[3];
	struct draft *d = console_draft_find(con, c->id, VERB_REPLY);
	const char *tmpdir = getenv("TMPDIR");
	char *args[6];
	int fd, r, i;

	snprintf(con->editor_path, sizeof con->editor_path, "%s/balie-reply-XXXXXX.txt",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = mkstemps(con->editor_path, 4);
	if (fd < 0) {
		say(con, VIEW_ROLE_ERROR, _("cannot make a file for the editor: %s"), strerror(errno));
		return;
	}
	if (d && d->text && write(fd, d->text, strlen(d->text)) < 0)
		say(con, VIEW_ROLE_ERROR, _("cannot write the draft for the editor"));
	close(fd);
	if (!con->vs.open)
		console_open_pane(con, c->id);
	con->editor_conv = c->id;
	/* The editor owns the terminal until it exits: stop reading keys. */
	uv_poll_stop(&con->input);
	ui_suspend(con->ui);
	args[0] = "/bin/sh";
	args[1] = "-c";
	args[2] = "exec ${EDITOR:-vi} \"$1\"";
	args[3] = "balie-editor";
	args[4] = con->editor_path;
	args[5] = NULL;
	memset(&po, 0, sizeof po);
	for (i = 0; i < 3; i++) {
		stdio[i].flags = UV_INHERIT_FD;
		stdio[i].data.fd = i;
	}
	po.file = args[0];
	po.args = args;
	po.stdio = stdio;
	po.stdio_count = 3;
	po.exit_cb = on_editor_exit;
	con->editor.data = con;
	r = uv_spawn(con->loop, &con->editor, &po);
	if (r != 0) {
		uv_close((uv_handle_t *)&con->editor, on_editor_closed);
		ui_resume(con->ui);
		console_resume_input(con);
		unlink(con->editor_path);
		say(con, VIEW_ROLE_ERROR, _("cannot start the editor: %s"), uv_strerror(r));
		return;
	}
	con->editing = true;
}

