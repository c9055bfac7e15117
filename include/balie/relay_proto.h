/* relay_proto: the wire protocol between `balie relay` and its clients.
 *
 * A Unix stream socket carrying newline-terminated text lines. Fields are
 * separated by TAB and each field is escaped as in PostgreSQL's COPY text
 * format: backslash, TAB, LF and CR become \\ \t \n \r, and a field that is
 * exactly \N is SQL NULL. The first field of a line is the frame name.
 *
 * Client -> relay
 *   attach  <ticket>        first line; the ticket comes from
 *                           balie.relay_ticket() over the client's own
 *                           connection (one-time, 60 s)
 *   ping                    the relay answers "ping" after every frame it
 *                           queued for this client before it
 *   status                  (instead of attach) one "status" line, then close
 *
 * Relay -> client (fields in this order)
 *   ok      login kind      attached; kind is agent|supervisor|bot. Read
 *                           your first state through the read API AFTER this
 *                           line: every change committed later is streamed.
 *   no      reason          refused (bad ticket, database away, ...); closed
 *   gap                     changes may have been missed (relay restarted its
 *                           stream, or this client fell behind): re-read all
 *                           you hold through the read API
 *   conv    id version queue state agent customer_ref customer_name channel
 *           intent confidence escalation_reason bot_summary created
 *           escalated taken closed message_count last_author_kind last_body
 *           lang my_read_seq customer_waiting_since viewers hand_raised_at
 *                           a conversation row: read_conversations' columns
 *                           without json/now (times as epoch seconds;
 *                           my_read_seq is always \N: the relay does not
 *                           know the reader's mark, keep the one you hold;
 *                           last_body at most 200 characters); apply only if
 *                           version is newer than what you hold
 *   msg     conv seq id author_kind author body created sources
 *                           a message (created: epoch seconds; sources: JSON
 *                           text or \N)
 *   hint    conv version    re-read that conversation (and its newest
 *                           messages) through the read API: a large body, an
 *                           unchanged TOASTed value the relay does not hold,
 *                           or a last message it does not know
 *   gone    conv            that conversation left your sight (transferred
 *                           to a queue you do not serve, rights changed):
 *                           drop it and its messages
 *   queue   id name sla_seconds priority bot_paused
 *                           a queue's settings changed (bot_paused t|f)
 *   agent   login display_name is_supervisor last_seen away
 *                           an agent row changed (t|f, epoch or \N): its
 *                           display name, supervisor flag or away; not sent
 *                           when only last_seen/presence_since changed
 *   presence login attached  (supervisors only) attached is the number of
 *                           the login's attachments to this relay; sent at
 *                           attach for every attached login and on changes
 *   ping                    answer to the client's ping
 *   status  clients N changes N changes_per_s N lag_bytes N lsn X/X streaming t|f
 *                           (answer to "status"; name value pairs)
 */
#ifndef BALIE_RELAY_PROTO_H
#define BALIE_RELAY_PROTO_H

#include <stdbool.h>
#include <stddef.h>

/* Where the relay listens when neither --socket nor BALIE_RELAY says. */
#define RELAY_DEFAULT_SOCKET "/run/balie/relay.sock"
/* The environment variable naming the socket (relay and clients). */
#define RELAY_SOCKET_ENV "BALIE_RELAY"
/* A client line longer than this is refused. */
#define RELAY_MAX_CLIENT_LINE 512
/* Message bodies above this many bytes travel as hints. */
#define RELAY_MAX_BODY 8192

/* Field counts of the frames, frame name included. */
enum {
	RELAY_CONV_FIELDS = 25,
	RELAY_MSG_FIELDS = 9,
	RELAY_HINT_FIELDS = 3,
	RELAY_GONE_FIELDS = 2,
	RELAY_QUEUE_FIELDS = 6,
	RELAY_AGENT_FIELDS = 6,
	RELAY_PRESENCE_FIELDS = 3,
};

/* Field positions in a conv frame (0 is "conv"). */
enum {
	RC_ID = 1, RC_VERSION, RC_QUEUE, RC_STATE, RC_AGENT, RC_CUSTOMER_REF,
	RC_CUSTOMER_NAME, RC_CHANNEL, RC_INTENT, RC_CONFIDENCE, RC_REASON,
	RC_SUMMARY, RC_CREATED, RC_ESCALATED, RC_TAKEN, RC_CLOSED,
	RC_MESSAGE_COUNT, RC_LAST_KIND, RC_LAST_BODY,
	/* appended by schemas 007-009 (read_conversations' order) */
	RC_LANG, RC_MY_READ_SEQ, RC_CUSTOMER_WAITING, RC_VIEWERS, RC_HAND_RAISED
};

/* Field positions in a msg frame (0 is "msg"). */
enum {
	RM_CONV = 1, RM_SEQ, RM_ID, RM_AUTHOR_KIND, RM_AUTHOR, RM_BODY,
	RM_CREATED, RM_SOURCES
};

/* A growing byte buffer for building frames. */
struct relay_buf {
	char *data;
	size_t len, cap;
};

void relay_buf_init(struct relay_buf *b);
void relay_buf_free(struct relay_buf *b);
void relay_buf_reserve(struct relay_buf *b, size_t extra);
void relay_buf_add(struct relay_buf *b, const char *s, size_t n);
void relay_buf_adds(struct relay_buf *b, const char *s);
/* Hands the bytes to the caller (who frees them) and empties B. */
char *relay_buf_take(struct relay_buf *b, size_t *len);

/* Appends field S (NULL: \N) escaped, preceded by a TAB unless FIRST. */
void relay_field(struct relay_buf *b, const char *s, bool first);
/* Appends N bytes of S escaped (S may hold no NUL; it is not NULL). */
void relay_field_n(struct relay_buf *b, const char *s, size_t n, bool first);
/* Appends a whole line: NFIELDS fields (NULL entries are \N) and '\n'. */
void relay_line(struct relay_buf *b, const char *const *fields, int nfields);

/* Splits LINE (without its '\n'; modified in place) into at most MAX fields,
 * unescaping each; a \N field becomes NULL. Returns the number of fields,
 * or -1 if there are more than MAX or an escape is invalid. */
int relay_split(char *line, char **fields, int max);

#endif
