-- balie ticket store, part 3: the SQL API.
--
-- Every write goes through these functions. Writers are SECURITY DEFINER,
-- owned by balie_owner, with a fixed search_path; the caller is session_user.
-- Errors carry a documented SQLSTATE (BLnnn or 42501) and a message meant for
-- an agent's status line; the list is in balie-sql(7).

BEGIN;
SET LOCAL client_min_messages = warning;
SET LOCAL search_path = pg_catalog, pg_temp;
DO $$ BEGIN PERFORM pg_catalog.pg_advisory_xact_lock(7283061937); END $$;

-- ---------------------------------------------------------------- helpers

-- One place raises every balie error, so code and message always travel together.
CREATE OR REPLACE FUNCTION balie._fail(code text, msg text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION USING ERRCODE = code, MESSAGE = msg;
END
$$;

-- Refuses a caller that is not a member of balie_<kind> (42501).
CREATE OR REPLACE FUNCTION balie._require(kind text, action text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	IF NOT pg_catalog.pg_has_role(session_user, 'balie_' || kind, 'MEMBER') THEN
		PERFORM balie._fail('42501', pg_catalog.format('%s may not %s: only a balie %s can',
			session_user, action, kind));
	END IF;
END
$$;

-- Checks a text argument: present and not blank (when required) and within
-- the 1 MiB limit that keeps one message from swamping a console.
CREATE OR REPLACE FUNCTION balie._check_text(val text, what text, required boolean) RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	-- E'' strings know no \v: a vertical tab is \013 (E'\v' would be the letter v).
	IF required AND (val IS NULL OR pg_catalog.btrim(val, E' \t\r\n\f\013') = '') THEN
		PERFORM balie._fail('BL030', pg_catalog.format('%s is empty', what));
	END IF;
	IF pg_catalog.octet_length(val) > 1048576 THEN
		PERFORM balie._fail('BL031', pg_catalog.format(
			'%s is too long: %s bytes, the limit is 1048576', what,
			pg_catalog.octet_length(val)));
	END IF;
END
$$;

-- A person's display name for messages and errors (the login if unregistered).
CREATE OR REPLACE FUNCTION balie._name(who text) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$
	SELECT COALESCE((SELECT a.display_name FROM balie.agents a WHERE a.login = $1), $1)
$$;

-- The caller's display name; an unregistered caller cannot act as a person.
CREATE OR REPLACE FUNCTION balie._my_name() RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	n text;
BEGIN
	SELECT a.display_name INTO n FROM balie.agents a WHERE a.login = session_user;
	IF NOT FOUND THEN
		PERFORM balie._fail('BL003', pg_catalog.format(
			'%s is not registered as an agent (ask an admin to run balie.add_agent)',
			session_user));
	END IF;
	RETURN n;
END
$$;

-- Fetches a conversation the caller may see (locked when asked); anything
-- else is "not found", so existence never leaks. Visibility is checked
-- before the lock is taken: waiting on the lock of a conversation the caller
-- may not see would tell them it exists (and lock it on their behalf).
CREATE OR REPLACE FUNCTION balie._conv(conv bigint, for_update boolean) RETURNS balie.conversations
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	c balie.conversations;
BEGIN
	IF conv IS NULL THEN
		PERFORM balie._fail('BL030', 'no conversation given');
	END IF;
	SELECT * INTO c FROM balie.conversations WHERE id = conv;
	IF NOT FOUND OR NOT balie._can_see(c.queue, c.agent) THEN
		PERFORM balie._fail('BL001', pg_catalog.format('conversation %s not found', conv));
	END IF;
	IF for_update THEN
		-- Re-read under the lock: it may have moved out of sight meanwhile.
		SELECT * INTO c FROM balie.conversations WHERE id = conv FOR UPDATE;
		IF NOT FOUND OR NOT balie._can_see(c.queue, c.agent) THEN
			PERFORM balie._fail('BL001', pg_catalog.format('conversation %s not found', conv));
		END IF;
	END IF;
	RETURN c;
END
$$;

-- Why the caller may not act on a conversation it does not own (BL011).
CREATE OR REPLACE FUNCTION balie._not_owner(c balie.conversations) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	IF c.agent IS NULL THEN
		PERFORM balie._fail('BL011', pg_catalog.format(
			'conversation %s is not taken over: take it over first', c.id));
	END IF;
	PERFORM balie._fail('BL011', pg_catalog.format('conversation %s is owned by %s',
		c.id, balie._name(c.agent)));
END
$$;

-- Looks up a client_msg_id: the existing message id for a retry on the same
-- conversation, NULL when unused, an error when another conversation has it.
CREATE OR REPLACE FUNCTION balie._retry_of(conv bigint, cmid uuid) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	m record;
BEGIN
	IF cmid IS NULL THEN
		RETURN NULL;
	END IF;
	SELECT id, conversation INTO m FROM balie.messages WHERE client_msg_id = cmid;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	IF m.conversation <> conv THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'client_msg_id %s is already used by another conversation', cmid));
	END IF;
	RETURN m.id;
END
$$;

-- Appends a message; the messages_seq trigger numbers it and bumps the
-- conversation (so its version changes and a notification goes out).
CREATE OR REPLACE FUNCTION balie._append(conv bigint, kind text, who text, body text,
					 sources jsonb DEFAULT NULL, cmid uuid DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	new_id bigint;
BEGIN
	INSERT INTO balie.messages (conversation, seq, author_kind, author, body, sources, client_msg_id)
	VALUES (conv, 0, kind, who, body, sources, cmid)
	ON CONFLICT (client_msg_id) DO NOTHING
	RETURNING id INTO new_id;
	IF new_id IS NULL THEN
		-- Only a concurrent use on another conversation gets here: ours is locked.
		PERFORM balie._fail('BL030', pg_catalog.format(
			'client_msg_id %s is already used by another conversation', cmid));
	END IF;
	RETURN new_id;
END
$$;

-- Hands a note to the audit trigger for the state change that follows (state_changes.note).
CREATE OR REPLACE FUNCTION balie._set_note(note text) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, balie, pg_temp
AS $$ SELECT pg_catalog.set_config('balie.note', COALESCE($1, ''), true) $$;

-- ------------------------------------------------------------------ admin

CREATE OR REPLACE FUNCTION balie.add_queue(id text, name text, sla_seconds int, priority int DEFAULT 0)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_id text := $1;
	p_name text := $2;
	p_sla int := $3;
	p_prio int := COALESCE($4, 0);
BEGIN
	IF p_id IS NULL OR p_id !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'queue id %L is invalid: use up to 64 letters, digits, "_", "." or "-"', p_id));
	END IF;
	PERFORM balie._check_text(p_name, 'queue name', true);
	IF p_sla IS NULL OR p_sla <= 0 THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'sla_seconds must be a positive number of seconds, not %s', COALESCE(p_sla::text, 'null')));
	END IF;
	INSERT INTO balie.queues AS q (id, name, sla_seconds, priority)
	VALUES (p_id, p_name, p_sla, p_prio)
	ON CONFLICT (id) DO UPDATE
		SET name = EXCLUDED.name, sla_seconds = EXCLUDED.sla_seconds, priority = EXCLUDED.priority
		WHERE (q.name, q.sla_seconds, q.priority)
		      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.sla_seconds, EXCLUDED.priority);
END
$$;

CREATE OR REPLACE FUNCTION balie.add_agent(login text, display_name text, queues text[],
					   supervisor boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_login text := $1;
	p_name text := $2;
	p_queues text[] := COALESCE($3, '{}');
	p_super boolean := COALESCE($4, false);
	missing text;
BEGIN
	IF p_login IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = p_login) THEN
		PERFORM balie._fail('BL003', pg_catalog.format(
			'role %s does not exist: create it first (CREATE ROLE ... LOGIN)', COALESCE(p_login, '(none)')));
	END IF;
	IF p_login IN ('balie_owner', 'balie_agent', 'balie_supervisor', 'balie_bot') THEN
		PERFORM balie._fail('BL003', pg_catalog.format(
			'role %s is a balie group role, not a person', p_login));
	END IF;
	PERFORM balie._check_text(p_name, 'display name', true);
	SELECT q INTO missing FROM pg_catalog.unnest(p_queues) AS u(q)
	WHERE NOT EXISTS (SELECT 1 FROM balie.queues WHERE id = u.q) LIMIT 1;
	IF FOUND THEN
		PERFORM balie._fail('BL002', pg_catalog.format('queue %s not found', COALESCE(missing, '(null)')));
	END IF;

	INSERT INTO balie.agents AS a (login, display_name, is_supervisor)
	VALUES (p_login, p_name, p_super)
	ON CONFLICT (login) DO UPDATE
		SET display_name = EXCLUDED.display_name, is_supervisor = EXCLUDED.is_supervisor
		WHERE (a.display_name, a.is_supervisor)
		      IS DISTINCT FROM (EXCLUDED.display_name, EXCLUDED.is_supervisor);
	DELETE FROM balie.agent_queues WHERE login = p_login AND NOT (queue = ANY (p_queues));
	INSERT INTO balie.agent_queues (login, queue)
	SELECT DISTINCT p_login, u.q FROM pg_catalog.unnest(p_queues) AS u(q)
	ON CONFLICT DO NOTHING;

	-- Membership is what the database enforces; keep it in step with the row.
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
			WHERE m.roleid = 'balie_agent'::regrole
			  AND m.member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = p_login)) THEN
		EXECUTE pg_catalog.format('GRANT balie_agent TO %I', p_login);
	END IF;
	IF p_super AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
			WHERE m.roleid = 'balie_supervisor'::regrole
			  AND m.member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = p_login)) THEN
		EXECUTE pg_catalog.format('GRANT balie_supervisor TO %I', p_login);
	ELSIF NOT p_super AND EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
			WHERE m.roleid = 'balie_supervisor'::regrole
			  AND m.member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = p_login)) THEN
		EXECUTE pg_catalog.format('REVOKE balie_supervisor FROM %I', p_login);
	END IF;
END
$$;

-- -------------------------------------------------------------------- bot

CREATE OR REPLACE FUNCTION balie.open_conversation(queue text, customer_ref text, customer_name text,
						   channel text DEFAULT 'chat')
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_queue text := $1;
	p_ref text := $2;
	p_name text := $3;
	p_channel text := COALESCE(NULLIF(pg_catalog.btrim($4), ''), 'chat');
	q balie.queues;
	new_id bigint;
BEGIN
	PERFORM balie._require('bot', 'open conversations');
	PERFORM balie._check_text(p_ref, 'customer reference', false);
	-- The reference is indexed, and a btree entry holds at most ~2.7 kB.
	IF pg_catalog.octet_length(p_ref) > 1024 THEN
		PERFORM balie._fail('BL031', pg_catalog.format(
			'customer reference is too long: %s bytes, the limit is 1024',
			pg_catalog.octet_length(p_ref)));
	END IF;
	PERFORM balie._check_text(p_name, 'customer name', false);
	PERFORM balie._check_text(p_channel, 'channel', false);
	SELECT * INTO q FROM balie.queues WHERE id = p_queue;
	IF NOT FOUND THEN
		PERFORM balie._fail('BL002', pg_catalog.format('queue %s not found', COALESCE(p_queue, '(none)')));
	END IF;
	-- The audit note is ours to set: never one the caller SET before calling.
	PERFORM balie._set_note(NULL);
	IF q.bot_paused THEN
		-- The bot of this queue is paused: the customer goes straight to a person.
		INSERT INTO balie.conversations (queue, state, customer_ref, customer_name, channel,
						 escalated_at, escalation_reason)
		VALUES (q.id, 'waiting', p_ref, p_name, p_channel, pg_catalog.now(), 'bot_paused')
		RETURNING id INTO new_id;
	ELSE
		INSERT INTO balie.conversations (queue, state, customer_ref, customer_name, channel)
		VALUES (q.id, 'bot', p_ref, p_name, p_channel)
		RETURNING id INTO new_id;
	END IF;
	RETURN new_id;
END
$$;

CREATE OR REPLACE FUNCTION balie.post_message(conv bigint, author_kind text, body text,
					      sources jsonb DEFAULT NULL, client_msg_id uuid DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_conv bigint := $1;
	p_kind text := $2;
	p_body text := $3;
	p_sources jsonb := $4;
	p_cmid uuid := $5;
	c balie.conversations;
	existing bigint;
BEGIN
	PERFORM balie._require('bot', 'post messages');
	IF p_kind IS NULL OR p_kind NOT IN ('customer', 'bot', 'agent', 'system', 'note') THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'unknown author kind %s: use customer or bot', COALESCE(p_kind, '(none)')));
	END IF;
	IF p_kind NOT IN ('customer', 'bot') THEN
		PERFORM balie._fail('42501', pg_catalog.format(
			'the bot may post only customer and bot messages, not %s', p_kind));
	END IF;
	PERFORM balie._check_text(p_body, 'message', true);
	IF p_sources IS NOT NULL THEN
		IF p_kind <> 'bot' THEN
			PERFORM balie._fail('BL030', 'only bot messages cite sources');
		END IF;
		IF NOT balie._valid_sources(p_sources) THEN
			PERFORM balie._fail('BL030',
				'sources must be a JSON array of objects with string "title" and "url"');
		END IF;
		PERFORM balie._check_text(p_sources::text, 'sources', false);
	END IF;

	c := balie._conv(p_conv, true);
	-- A retry returns what the first attempt stored, whatever happened since.
	existing := balie._retry_of(c.id, p_cmid);
	IF existing IS NOT NULL THEN
		RETURN existing;
	END IF;
	IF c.state = 'closed' THEN
		IF p_kind = 'bot' THEN
			PERFORM balie._fail('BL012', pg_catalog.format(
				'conversation %s is closed: the bot may not speak', c.id));
		END IF;
		PERFORM balie._fail('BL010', pg_catalog.format('conversation %s is closed', c.id));
	END IF;
	IF p_kind = 'bot' AND c.state = 'human' THEN
		PERFORM balie._fail('BL012', pg_catalog.format(
			'conversation %s is with %s: the bot may not speak', c.id, balie._name(c.agent)));
	END IF;
	RETURN balie._append(c.id, p_kind,
		CASE p_kind WHEN 'customer' THEN c.customer_ref ELSE session_user::text END,
		p_body, p_sources, p_cmid);
END
$$;

CREATE OR REPLACE FUNCTION balie.escalate(conv bigint, reason text, intent text DEFAULT NULL,
					  confidence real DEFAULT NULL, summary text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_conv bigint := $1;
	p_reason text := $2;
	p_intent text := $3;
	p_conf real := $4;
	p_summary text := $5;
	c balie.conversations;
BEGIN
	PERFORM balie._require('bot', 'escalate conversations');
	IF p_reason IS NULL OR p_reason NOT IN ('customer_request', 'not_understood', 'sensitive_topic',
						'negative_sentiment', 'bot_error', 'other') THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'unknown escalation reason %s: use customer_request, not_understood, '
			'sensitive_topic, negative_sentiment, bot_error or other',
			COALESCE(p_reason, '(none)')));
	END IF;
	IF p_conf IS NOT NULL AND NOT (p_conf >= 0 AND p_conf <= 1) THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'confidence must be between 0 and 1, not %s', p_conf));
	END IF;
	PERFORM balie._check_text(p_intent, 'intent', false);
	PERFORM balie._check_text(p_summary, 'summary', false);

	c := balie._conv(p_conv, true);
	PERFORM balie._set_note(NULL);	-- not one the caller SET (see open_conversation)
	IF c.state = 'closed' THEN
		PERFORM balie._fail('BL010', pg_catalog.format('conversation %s is closed', c.id));
	ELSIF c.state = 'human' THEN
		PERFORM balie._fail('BL010', pg_catalog.format(
			'conversation %s is already with %s', c.id, balie._name(c.agent)));
	ELSIF c.state = 'waiting' THEN
		-- Already waiting: refine what the agent will read, keep the wait clock.
		UPDATE balie.conversations
		SET escalation_reason = p_reason,
		    intent = COALESCE(p_intent, intent),
		    confidence = COALESCE(p_conf, confidence),
		    bot_summary = COALESCE(p_summary, bot_summary)
		WHERE id = c.id;
	ELSE
		UPDATE balie.conversations
		SET state = 'waiting', escalated_at = pg_catalog.now(), escalation_reason = p_reason,
		    intent = COALESCE(p_intent, intent),
		    confidence = COALESCE(p_conf, confidence),
		    bot_summary = COALESCE(p_summary, bot_summary)
		WHERE id = c.id;
	END IF;
END
$$;

-- ----------------------------------------------------------------- people

CREATE OR REPLACE FUNCTION balie.takeover(conv bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_conv bigint := $1;
	me text;
	c balie.conversations;
	won bigint;
BEGIN
	PERFORM balie._require('agent', 'take over conversations');
	me := balie._my_name();
	c := balie._conv(p_conv, false);
	IF c.state = 'closed' THEN
		PERFORM balie._fail('BL010', pg_catalog.format('conversation %s is closed', c.id));
	END IF;
	PERFORM balie._set_note(NULL);	-- not one the caller SET (see open_conversation)
	-- One statement decides the race: concurrent callers wait on the row
	-- lock, re-check the WHERE on the winner's row, and update nothing.
	UPDATE balie.conversations
	SET state = 'human', agent = session_user::text, taken_at = pg_catalog.now()
	WHERE id = c.id AND agent IS NULL AND state IN ('bot', 'waiting')
	RETURNING id INTO won;
	IF won IS NULL THEN
		SELECT * INTO c FROM balie.conversations WHERE id = c.id;
		IF c.state = 'human' AND c.agent = session_user::text THEN
			RETURN true;	-- a retry by the owner
		ELSIF c.state = 'closed' THEN
			PERFORM balie._fail('BL010', pg_catalog.format('conversation %s is closed', c.id));
		END IF;
		RETURN false;
	END IF;
	PERFORM balie._append(c.id, 'system', session_user::text,
		pg_catalog.format('%s has joined the conversation.', me));
	RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION balie.reply(conv bigint, body text, client_msg_id uuid DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_conv bigint := $1;
	p_body text := $2;
	p_cmid uuid := $3;
	c balie.conversations;
	existing bigint;
BEGIN
	PERFORM balie._require('agent', 'reply');
	PERFORM balie._check_text(p_body, 'reply', true);
	c := balie._conv(p_conv, true);
	existing := balie._retry_of(c.id, p_cmid);
	IF existing IS NOT NULL THEN
		RETURN existing;
	END IF;
	IF c.state = 'closed' THEN
		PERFORM balie._fail('BL010', pg_catalog.format('conversation %s is closed', c.id));
	END IF;
	IF c.agent IS DISTINCT FROM session_user::text THEN
		PERFORM balie._not_owner(c);
	END IF;
	RETURN balie._append(c.id, 'agent', session_user::text, p_body, NULL, p_cmid);
END
$$;

CREATE OR REPLACE FUNCTION balie.note(conv bigint, body text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_conv bigint := $1;
	p_body text := $2;
	c balie.conversations;
BEGIN
	PERFORM balie._require('agent', 'write notes');
	PERFORM balie._check_text(p_body, 'note', true);
	c := balie._conv(p_conv, true);
	RETURN balie._append(c.id, 'note', session_user::text, p_body);
END
$$;

CREATE OR REPLACE FUNCTION balie.confirm_agreement(conv bigint, body text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_conv bigint := $1;
	p_body text := $2;
	c balie.conversations;
	msg bigint;
	new_id bigint;
BEGIN
	PERFORM balie._require('agent', 'confirm agreements');
	PERFORM balie._check_text(p_body, 'agreement', true);
	c := balie._conv(p_conv, true);
	IF c.state = 'closed' THEN
		PERFORM balie._fail('BL010', pg_catalog.format('conversation %s is closed', c.id));
	END IF;
	IF c.agent IS DISTINCT FROM session_user::text THEN
		PERFORM balie._not_owner(c);
	END IF;
	msg := balie._append(c.id, 'agent', session_user::text, 'Written confirmation: ' || p_body);
	INSERT INTO balie.agreements (conversation, agent, body, message)
	VALUES (c.id, session_user::text, p_body, msg)
	RETURNING id INTO new_id;
	RETURN new_id;
END
$$;

CREATE OR REPLACE FUNCTION balie.handback(conv bigint, note text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_conv bigint := $1;
	p_note text := NULLIF(pg_catalog.btrim($2), '');
	c balie.conversations;
BEGIN
	PERFORM balie._require('agent', 'hand conversations back');
	PERFORM balie._check_text(p_note, 'note', false);
	c := balie._conv(p_conv, true);
	IF c.state = 'closed' THEN
		PERFORM balie._fail('BL010', pg_catalog.format('conversation %s is closed', c.id));
	END IF;
	IF c.agent IS DISTINCT FROM session_user::text THEN
		PERFORM balie._not_owner(c);
	END IF;
	IF p_note IS NOT NULL THEN
		PERFORM balie._append(c.id, 'note', session_user::text, p_note);
	END IF;
	PERFORM balie._set_note(p_note);
	UPDATE balie.conversations SET state = 'bot', agent = NULL WHERE id = c.id;
	PERFORM balie._set_note(NULL);
	PERFORM balie._append(c.id, 'system', session_user::text,
		'The assistant is back: you are talking to an automated assistant again.');
END
$$;

CREATE OR REPLACE FUNCTION balie.transfer(conv bigint, queue text, note text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_conv bigint := $1;
	p_queue text := $2;
	p_note text := NULLIF(pg_catalog.btrim($3), '');
	c balie.conversations;
	q balie.queues;
BEGIN
	PERFORM balie._require('agent', 'transfer conversations');
	PERFORM balie._check_text(p_note, 'note', false);
	c := balie._conv(p_conv, true);
	SELECT * INTO q FROM balie.queues WHERE id = p_queue;
	IF NOT FOUND THEN
		PERFORM balie._fail('BL002', pg_catalog.format('queue %s not found', COALESCE(p_queue, '(none)')));
	END IF;
	IF c.state = 'closed' THEN
		PERFORM balie._fail('BL010', pg_catalog.format('conversation %s is closed', c.id));
	END IF;
	IF c.agent IS DISTINCT FROM session_user::text AND NOT balie._is_supervisor() THEN
		PERFORM balie._not_owner(c);
	END IF;
	IF p_note IS NOT NULL THEN
		PERFORM balie._append(c.id, 'note', session_user::text, p_note);
	END IF;
	PERFORM balie._set_note(p_note);
	UPDATE balie.conversations
	SET queue = q.id, state = 'waiting', agent = NULL, escalated_at = pg_catalog.now(),
	    escalation_reason = COALESCE(escalation_reason, 'other')
	WHERE id = c.id;
	PERFORM balie._set_note(NULL);
	PERFORM balie._append(c.id, 'system', session_user::text, pg_catalog.format(
		'You are being transferred to %s. A person will be with you shortly.', q.name));
END
$$;

CREATE OR REPLACE FUNCTION balie.close(conv bigint, resolution text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_conv bigint := $1;
	p_resolution text := NULLIF(pg_catalog.btrim($2), '');
	c balie.conversations;
BEGIN
	IF NOT (balie._is_agent() OR balie._is_bot()) THEN
		PERFORM balie._fail('42501', pg_catalog.format(
			'%s may not close conversations: only a balie agent, supervisor or bot can',
			session_user));
	END IF;
	PERFORM balie._check_text(p_resolution, 'resolution', false);
	c := balie._conv(p_conv, true);
	IF c.state = 'closed' THEN
		PERFORM balie._fail('BL010', pg_catalog.format('conversation %s is already closed', c.id));
	END IF;
	IF NOT (balie._is_supervisor()
		OR c.agent IS NOT DISTINCT FROM session_user::text
		OR (balie._is_bot() AND c.state = 'bot')) THEN
		IF c.state = 'human' THEN
			PERFORM balie._not_owner(c);
		ELSIF balie._is_bot() THEN
			PERFORM balie._fail('BL010', pg_catalog.format(
				'conversation %s is waiting for a person: the bot closes only '
				'conversations it handles alone', c.id));
		END IF;
		PERFORM balie._not_owner(c);
	END IF;
	PERFORM balie._set_note(p_resolution);
	UPDATE balie.conversations
	SET state = 'closed', closed_at = pg_catalog.now(), resolution = p_resolution
	WHERE id = c.id;
	PERFORM balie._set_note(NULL);
END
$$;

-- ------------------------------------------------------------- supervisor

CREATE OR REPLACE FUNCTION balie.assign(conv bigint, agent text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_conv bigint := $1;
	p_agent text := $2;
	target_name text;
	c balie.conversations;
BEGIN
	PERFORM balie._require('supervisor', 'assign conversations');
	SELECT a.display_name INTO target_name FROM balie.agents a WHERE a.login = p_agent;
	IF NOT FOUND THEN
		PERFORM balie._fail('BL003', pg_catalog.format(
			'%s is not a registered agent', COALESCE(p_agent, '(none)')));
	END IF;
	c := balie._conv(p_conv, true);
	IF c.state = 'closed' THEN
		PERFORM balie._fail('BL010', pg_catalog.format('conversation %s is closed', c.id));
	END IF;
	IF c.state = 'human' AND c.agent = p_agent THEN
		RETURN;		-- already theirs: nothing changes, nobody is told
	END IF;
	PERFORM balie._set_note(NULL);	-- not one the caller SET (see open_conversation)
	UPDATE balie.conversations
	SET state = 'human', agent = p_agent, taken_at = pg_catalog.now()
	WHERE id = c.id;
	PERFORM balie._append(c.id, 'system', session_user::text,
		pg_catalog.format('%s has joined the conversation.', target_name));
END
$$;

CREATE OR REPLACE FUNCTION balie.pause_bot(queue text, paused boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_queue text := $1;
	p_paused boolean := $2;
BEGIN
	PERFORM balie._require('supervisor', 'pause the bot');
	IF p_paused IS NULL THEN
		PERFORM balie._fail('BL030', 'paused must be true or false');
	END IF;
	UPDATE balie.queues SET bot_paused = p_paused WHERE id = p_queue;
	IF NOT FOUND THEN
		PERFORM balie._fail('BL002', pg_catalog.format('queue %s not found', COALESCE(p_queue, '(none)')));
	END IF;
END
$$;

-- --------------------------------------------------------------- console

CREATE OR REPLACE FUNCTION balie.heartbeat() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	PERFORM balie._require('agent', 'send heartbeats');
	UPDATE balie.agents SET last_seen = pg_catalog.now() WHERE login = session_user::text;
	IF NOT FOUND THEN
		PERFORM balie._my_name();	-- raises BL003 with the usual message
	END IF;
END
$$;

CREATE OR REPLACE FUNCTION balie.whoami()
RETURNS TABLE (login text, display_name text, is_agent boolean, is_supervisor boolean,
	       is_bot boolean, queues text[])
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
	SELECT session_user::text, a.display_name,
	       balie._is_agent(), balie._is_supervisor(), balie._is_bot(),
	       COALESCE((SELECT pg_catalog.array_agg(aq.queue ORDER BY aq.queue)
			 FROM balie.agent_queues aq WHERE aq.login = session_user::text), '{}')
	FROM (SELECT 1) AS one
	LEFT JOIN balie.agents a ON a.login = session_user::text
$$;

-- ---------------------------------------------------------------- grants

DO $$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
		 WHERE p.pronamespace = 'balie'::regnamespace LOOP
		EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO balie_owner', f);
		EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
	END LOOP;
END $$;

GRANT EXECUTE ON FUNCTION
	balie.open_conversation(text, text, text, text),
	balie.post_message(bigint, text, text, jsonb, uuid),
	balie.escalate(bigint, text, text, real, text)
	TO balie_bot;
GRANT EXECUTE ON FUNCTION balie.close(bigint, text)
	TO balie_bot, balie_agent, balie_supervisor;
GRANT EXECUTE ON FUNCTION
	balie.takeover(bigint),
	balie.reply(bigint, text, uuid),
	balie.note(bigint, text),
	balie.confirm_agreement(bigint, text),
	balie.handback(bigint, text),
	balie.transfer(bigint, text, text),
	balie.heartbeat()
	TO balie_agent, balie_supervisor;
GRANT EXECUTE ON FUNCTION
	balie.assign(bigint, text),
	balie.pause_bot(text, boolean)
	TO balie_supervisor;
GRANT EXECUTE ON FUNCTION balie.whoami() TO balie_agent, balie_supervisor, balie_bot;
-- balie.add_queue and balie.add_agent: superusers and balie_owner only.

INSERT INTO balie.schema_version (version) VALUES (3) ON CONFLICT (version) DO NOTHING;

COMMIT;
