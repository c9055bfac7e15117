-- balie ticket store, part 7: what the customer reads. Languages per queue
-- and conversation, the texts the store writes (versioned templates), the AI
-- disclosure posted by open_conversation itself, macros, wrap-up codes, and
-- replies that cite sources. Idempotent like the files before it; see
-- balie-sql(7).

BEGIN;
SET LOCAL client_min_messages = warning;
SET LOCAL search_path = pg_catalog, pg_temp;
DO $$ BEGIN PERFORM pg_catalog.pg_advisory_xact_lock(7283061937); END $$;

-- ---------------------------------------------------------------- tables

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
			WHERE attrelid = 'balie.queues'::regclass AND attname = 'lang' AND NOT attisdropped) THEN
		ALTER TABLE balie.queues ADD COLUMN lang text NOT NULL DEFAULT 'en';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
			WHERE attrelid = 'balie.conversations'::regclass AND attname = 'lang' AND NOT attisdropped) THEN
		ALTER TABLE balie.conversations ADD COLUMN lang text, ADD COLUMN wrapup text;
		-- Existing conversations speak their queue's language; no change of
		-- theirs (no new version, no notification).
		SET LOCAL session_replication_role = replica;
		UPDATE balie.conversations c SET lang = q.lang FROM balie.queues q WHERE q.id = c.queue;
		SET LOCAL session_replication_role = origin;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
			WHERE attrelid = 'balie.messages'::regclass AND attname = 'template_key' AND NOT attisdropped) THEN
		ALTER TABLE balie.messages ADD COLUMN template_key text, ADD COLUMN template_lang text,
			ADD COLUMN template_version int;
	END IF;
	IF pg_catalog.to_regclass('balie.texts') IS NULL THEN
		CREATE TABLE balie.texts (
			key        text NOT NULL,
			lang       text NOT NULL,
			version    int NOT NULL,
			body       text NOT NULL,
			created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
			created_by text NOT NULL DEFAULT session_user,
			PRIMARY KEY (key, lang, version),
			CONSTRAINT texts_key_check CHECK (key IN ('disclosure', 'joined', 'person_changed',
				'transferred', 'bot_back', 'confirmation', 'closing')),
			CONSTRAINT texts_body_check CHECK (pg_catalog.btrim(body) <> '')
		);
	END IF;
	IF pg_catalog.to_regclass('balie.macros') IS NULL THEN
		CREATE TABLE balie.macros (
			queue      text NOT NULL REFERENCES balie.queues (id) ON DELETE CASCADE,
			name       text NOT NULL,
			lang       text NOT NULL,
			body       text NOT NULL,
			sources    jsonb,
			created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
			PRIMARY KEY (queue, lang, name),
			CONSTRAINT macros_name_check CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
			CONSTRAINT macros_sources_check CHECK (balie._valid_sources(sources))
		);
	END IF;
	IF pg_catalog.to_regclass('balie.wrapups') IS NULL THEN
		CREATE TABLE balie.wrapups (
			queue text NOT NULL REFERENCES balie.queues (id) ON DELETE CASCADE,
			code  text NOT NULL,
			label text NOT NULL,
			PRIMARY KEY (queue, code),
			CONSTRAINT wrapups_code_check CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
		);
	END IF;
END $$;
-- The disclosure report reads messages by template.
CREATE INDEX IF NOT EXISTS messages_template_idx ON balie.messages (conversation)
	WHERE template_key = 'disclosure';
CREATE INDEX IF NOT EXISTS conversations_created_idx ON balie.conversations (created_at);

ALTER TABLE balie.texts OWNER TO balie_owner;
ALTER TABLE balie.macros OWNER TO balie_owner;
ALTER TABLE balie.wrapups OWNER TO balie_owner;
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['texts', 'macros', 'wrapups'] LOOP
		EXECUTE pg_catalog.format('ALTER TABLE balie.%I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE pg_catalog.format('ALTER TABLE balie.%I FORCE ROW LEVEL SECURITY', t);
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy
				WHERE polrelid = ('balie.' || t)::regclass AND polname = 'owner_all') THEN
			EXECUTE pg_catalog.format('CREATE POLICY owner_all ON balie.%I FOR ALL TO balie_owner '
						  'USING (true) WITH CHECK (true)', t);
		END IF;
	END LOOP;
END $$;

-- The shipped texts, version 1 of each; an admin's set_text adds versions.
INSERT INTO balie.texts AS t (key, lang, version, body, created_by) VALUES
	('disclosure', 'en', 1, 'You are talking to the digital assistant of {queue}: a computer program, '
		'not a person. You can ask for a person at any time.', 'balie'),
	('disclosure', 'nl', 1, 'Je praat met de digitale assistent van {queue}: een computerprogramma, '
		'geen mens. Je kunt altijd vragen om een medewerker.', 'balie'),
	('joined', 'en', 1, '{agent} has joined the conversation.', 'balie'),
	('joined', 'nl', 1, '{agent} neemt het gesprek over.', 'balie'),
	('person_changed', 'en', 1, 'You are now talking to {agent}.', 'balie'),
	('person_changed', 'nl', 1, 'Je praat nu met {agent}.', 'balie'),
	('transferred', 'en', 1, 'You are being transferred to {queue}. A person will be with you shortly.',
		'balie'),
	('transferred', 'nl', 1, 'We verbinden je door met {queue}. Er komt zo snel mogelijk een '
		'medewerker bij je.', 'balie'),
	('bot_back', 'en', 1, 'The assistant is back: you are talking to an automated assistant again.',
		'balie'),
	('bot_back', 'nl', 1, 'De digitale assistent neemt het weer over: je praat nu weer met een '
		'computerprogramma, niet met een mens.', 'balie'),
	('confirmation', 'en', 1, 'Written confirmation: {body}', 'balie'),
	('confirmation', 'nl', 1, 'Schriftelijke bevestiging: {body}', 'balie'),
	('closing', 'en', 1, 'This conversation has been closed. Thank you for contacting us.', 'balie'),
	('closing', 'nl', 1, 'Dit gesprek is afgesloten. Bedankt dat je contact met ons opnam.', 'balie')
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------- helpers

-- A superuser or a member of balie_owner: who may change texts.
CREATE OR REPLACE FUNCTION balie._is_admin() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$
	SELECT COALESCE((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user), false)
	    OR pg_catalog.pg_has_role(session_user, 'balie_owner', 'MEMBER')
$$;

-- Admins, and supervisors registered here.
CREATE OR REPLACE FUNCTION balie._require_admin_or_supervisor(action text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	IF NOT balie._is_admin() THEN
		PERFORM balie._require('supervisor', action);
	END IF;
END
$$;

-- A language tag (BCP 47, as far as balie needs): "nl", "en-GB".
CREATE OR REPLACE FUNCTION balie._check_lang(lang text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	IF lang IS NULL OR lang !~ '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$' THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'language %L is invalid: use a language tag such as nl or en-GB', lang));
	END IF;
	RETURN pg_catalog.lower(lang);
END
$$;

-- The newest text of KEY in the first of the conversation's language (and
-- its primary subtag), the queue's language and English that has one.
CREATE OR REPLACE FUNCTION balie._text(key text, conv_lang text, queue_lang text,
				       OUT body text, OUT lang text, OUT version int)
LANGUAGE sql STABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$
	SELECT t.body, t.lang, t.version
	FROM pg_catalog.unnest(ARRAY[pg_catalog.lower($2), pg_catalog.split_part(pg_catalog.lower($2), '-', 1),
				     pg_catalog.lower($3), 'en']) WITH ORDINALITY AS l(lang, ord)
	JOIN balie.texts t ON t.key = $1 AND t.lang = l.lang
	ORDER BY l.ord, t.version DESC
	LIMIT 1
$$;

-- Fills {name} in BODY from VARS; {body} last, so a customer's text is never expanded.
CREATE OR REPLACE FUNCTION balie._fill(body text, vars jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	k text;
	out text := body;
BEGIN
	FOR k IN SELECT e.key FROM pg_catalog.jsonb_each_text(COALESCE(vars, '{}')) e
		 WHERE e.key <> 'body' ORDER BY e.key LOOP
		out := pg_catalog.replace(out, '{' || k || '}', COALESCE(vars ->> k, ''));
	END LOOP;
	IF vars ? 'body' THEN
		out := pg_catalog.replace(out, '{body}', COALESCE(vars ->> 'body', ''));
	END IF;
	RETURN out;
END
$$;

-- Writes the text KEY to the conversation's customer, recording the template.
CREATE OR REPLACE FUNCTION balie._say(conv bigint, key text, kind text, who text, vars jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	c record;
	t record;
	new_id bigint;
BEGIN
	SELECT x.lang, q.lang AS qlang INTO c FROM balie.conversations x
	JOIN balie.queues q ON q.id = x.queue WHERE x.id = conv;
	SELECT * INTO t FROM balie._text(key, c.lang, c.qlang);
	IF t.body IS NULL THEN
		PERFORM balie._fail('BL030', pg_catalog.format('no text %s in any language', key));
	END IF;
	INSERT INTO balie.messages (conversation, seq, author_kind, author, body,
				    template_key, template_lang, template_version)
	VALUES (conv, 0, kind, who, balie._fill(t.body, vars), key, t.lang, t.version)
	RETURNING id INTO new_id;
	RETURN new_id;
END
$$;

-- ------------------------------------------------------------------ admin

DROP FUNCTION IF EXISTS balie.add_queue(text, text, int, int);
CREATE OR REPLACE FUNCTION balie.add_queue(id text, name text, sla_seconds int, priority int DEFAULT 0,
					   lang text DEFAULT NULL)
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
	p_lang text := CASE WHEN $5 IS NULL THEN NULL ELSE balie._check_lang($5) END;
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
	INSERT INTO balie.queues AS q (id, name, sla_seconds, priority, lang)
	VALUES (p_id, p_name, p_sla, p_prio, COALESCE(p_lang, 'en'))
	ON CONFLICT (id) DO UPDATE
		SET name = EXCLUDED.name, sla_seconds = EXCLUDED.sla_seconds, priority = EXCLUDED.priority,
		    lang = COALESCE(p_lang, q.lang)
		WHERE (q.name, q.sla_seconds, q.priority, q.lang)
		      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.sla_seconds, EXCLUDED.priority,
					COALESCE(p_lang, q.lang));
END
$$;

-- A new version of a text the store writes to customers (admins only).
CREATE OR REPLACE FUNCTION balie.set_text(key text, lang text, body text) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_key text := $1;
	p_lang text := balie._check_lang($2);
	p_body text := $3;
	v int;
BEGIN
	IF NOT balie._is_admin() THEN
		PERFORM balie._fail('42501', pg_catalog.format(
			'%s may not change the texts customers read: only an admin can', session_user));
	END IF;
	IF p_key IS NULL OR p_key NOT IN ('disclosure', 'joined', 'person_changed', 'transferred',
					  'bot_back', 'confirmation', 'closing') THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'unknown text %s: use disclosure, joined, person_changed, transferred, bot_back, '
			'confirmation or closing', COALESCE(p_key, '(none)')));
	END IF;
	PERFORM balie._check_text(p_body, 'text', true);
	LOCK TABLE balie.texts IN SHARE ROW EXCLUSIVE MODE;	-- admins only: versions in order
	SELECT COALESCE(max(t.version), 0) + 1 INTO v FROM balie.texts t
	WHERE t.key = p_key AND t.lang = p_lang;
	INSERT INTO balie.texts (key, lang, version, body) VALUES (p_key, p_lang, v, p_body);
	RETURN v;
END
$$;

CREATE OR REPLACE FUNCTION balie.add_macro(queue text, name text, lang text, body text,
					   sources jsonb DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_queue text := $1;
	p_name text := $2;
	p_lang text := balie._check_lang($3);
	p_body text := $4;
	p_sources jsonb := $5;
BEGIN
	PERFORM balie._require_admin_or_supervisor('add macros');
	IF NOT EXISTS (SELECT 1 FROM balie.queues q WHERE q.id = p_queue) THEN
		PERFORM balie._fail('BL002', pg_catalog.format('queue %s not found', COALESCE(p_queue, '(none)')));
	END IF;
	IF p_name IS NULL OR p_name !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'macro name %L is invalid: use up to 64 letters, digits, "_", "." or "-"', p_name));
	END IF;
	PERFORM balie._check_text(p_body, 'macro', true);
	IF NOT balie._valid_sources(p_sources) THEN
		PERFORM balie._fail('BL030', 'sources must be a JSON array of objects with string "title" and "url"');
	END IF;
	INSERT INTO balie.macros AS m (queue, name, lang, body, sources)
	VALUES (p_queue, p_name, p_lang, p_body, p_sources)
	ON CONFLICT (queue, lang, name) DO UPDATE SET body = EXCLUDED.body, sources = EXCLUDED.sources;
END
$$;

CREATE OR REPLACE FUNCTION balie.add_wrapup(queue text, code text, label text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_queue text := $1;
	p_code text := $2;
	p_label text := $3;
BEGIN
	PERFORM balie._require_admin_or_supervisor('add wrap-up codes');
	IF NOT EXISTS (SELECT 1 FROM balie.queues q WHERE q.id = p_queue) THEN
		PERFORM balie._fail('BL002', pg_catalog.format('queue %s not found', COALESCE(p_queue, '(none)')));
	END IF;
	IF p_code IS NULL OR p_code !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'wrap-up code %L is invalid: use up to 64 letters, digits, "_", "." or "-"', p_code));
	END IF;
	PERFORM balie._check_text(p_label, 'label', true);
	INSERT INTO balie.wrapups AS w (queue, code, label) VALUES (p_queue, p_code, p_label)
	ON CONFLICT (queue, code) DO UPDATE SET label = EXCLUDED.label;
END
$$;

-- -------------------------------------------------------------------- bot

-- The disclosure is the conversation's first message, written in the same
-- transaction that creates it: no other session can see the conversation,
-- let alone post to it, before the disclosure is there.
DROP FUNCTION IF EXISTS balie.open_conversation(text, text, text, text);
CREATE OR REPLACE FUNCTION balie.open_conversation(queue text, customer_ref text, customer_name text,
						   channel text DEFAULT 'chat', lang text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
AS $$
#variable_conflict use_column
DECLARE
	p_queue text := $1;
	p_ref text := $2;
	p_name text := $3;
	p_channel text := COALESCE(NULLIF(pg_catalog.btrim($4), ''), 'chat');
	p_lang text := CASE WHEN $5 IS NULL THEN NULL ELSE balie._check_lang($5) END;
	q balie.queues;
	new_id bigint;
BEGIN
	PERFORM balie._require('bot', 'open conversations');
	PERFORM balie._check_text(p_ref, 'customer reference', false);
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
	PERFORM balie._set_note(NULL);
	INSERT INTO balie.conversations (queue, state, customer_ref, customer_name, channel, lang,
					 escalated_at, escalation_reason)
	VALUES (q.id, CASE WHEN q.bot_paused THEN 'waiting' ELSE 'bot' END, p_ref, p_name, p_channel,
		COALESCE(p_lang, q.lang),
		CASE WHEN q.bot_paused THEN pg_catalog.now() END,
		CASE WHEN q.bot_paused THEN 'bot_paused' END)
	RETURNING id INTO new_id;
	PERFORM balie._say(new_id, 'disclosure', 'system', session_user::text,
			   pg_catalog.jsonb_build_object('queue', q.name));
	RETURN new_id;
END
$$;

-- ----------------------------------------------------------------- people

CREATE OR REPLACE FUNCTION balie.takeover(conv bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
AS $$
#variable_conflict use_column
DECLARE
	p_conv bigint := $1;
	me text;
	c balie.conversations;
BEGIN
	PERFORM balie._require('agent', 'take over conversations');
	me := balie._my_name();
	c := balie._conv(p_conv, true);
	IF c.state = 'closed' THEN
		PERFORM balie._fail('BL010', pg_catalog.format('conversation %s is closed', c.id));
	END IF;
	IF c.state = 'human' AND c.agent = session_user::text THEN
		RETURN true;	-- a retry by the owner
	END IF;
	IF c.agent IS NOT NULL OR c.state NOT IN ('bot', 'waiting') THEN
		RETURN false;	-- another person has it: a lost race, not an error
	END IF;
	PERFORM balie._set_note(NULL);
	UPDATE balie.conversations
	SET state = 'human', agent = session_user::text, taken_at = pg_catalog.now()
	WHERE id = c.id;
	PERFORM balie._say(c.id, 'joined', 'system', session_user::text,
			   pg_catalog.jsonb_build_object('agent', me));
	RETURN true;
END
$$;

-- A reply may cite sources, shown under it like a bot's.
DROP FUNCTION IF EXISTS balie.reply(bigint, text, uuid);
CREATE OR REPLACE FUNCTION balie.reply(conv bigint, body text, client_msg_id uuid DEFAULT NULL,
				       sources jsonb DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
AS $$
#variable_conflict use_column
DECLARE
	p_conv bigint := $1;
	p_body text := $2;
	p_cmid uuid := $3;
	p_sources jsonb := $4;
	c balie.conversations;
	existing bigint;
BEGIN
	PERFORM balie._require('agent', 'reply');
	PERFORM balie._check_text(p_body, 'reply', true);
	IF p_sources IS NOT NULL THEN
		IF NOT balie._valid_sources(p_sources) THEN
			PERFORM balie._fail('BL030',
				'sources must be a JSON array of objects with string "title" and "url"');
		END IF;
		PERFORM balie._check_text(p_sources::text, 'sources', false);
	END IF;
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
	RETURN balie._append(c.id, 'agent', session_user::text, p_body, p_sources, p_cmid);
END
$$;

CREATE OR REPLACE FUNCTION balie.confirm_agreement(conv bigint, body text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
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
	msg := balie._say(c.id, 'confirmation', 'agent', session_user::text,
			  pg_catalog.jsonb_build_object('body', p_body));
	INSERT INTO balie.agreements (conversation, agent, body, message)
	VALUES (c.id, session_user::text, p_body, msg)
	RETURNING id INTO new_id;
	RETURN new_id;
END
$$;

-- The note for the bot stays in the transcript (a note: never the customer's).
CREATE OR REPLACE FUNCTION balie.handback(conv bigint, note text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
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
	PERFORM balie._say(c.id, 'bot_back', 'system', session_user::text, '{}');
END
$$;

-- A transfer keeps the customer's place: the wait counts from the first
-- escalation (escalated_at is kept), in the new queue as in the old.
CREATE OR REPLACE FUNCTION balie.transfer(conv bigint, queue text, note text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
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
	SET queue = q.id, state = 'waiting', agent = NULL,
	    escalated_at = COALESCE(escalated_at, pg_catalog.now()),
	    escalation_reason = COALESCE(escalation_reason, 'other')
	WHERE id = c.id;
	PERFORM balie._set_note(NULL);
	PERFORM balie._say(c.id, 'transferred', 'system', session_user::text,
			   pg_catalog.jsonb_build_object('queue', q.name));
END
$$;

-- Close with an optional wrap-up code of the queue and resolution; the
-- customer reads the closing text.
DROP FUNCTION IF EXISTS balie.close(bigint, text);
CREATE OR REPLACE FUNCTION balie.close(conv bigint, resolution text DEFAULT NULL, wrapup text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
AS $$
#variable_conflict use_column
DECLARE
	p_conv bigint := $1;
	p_resolution text := NULLIF(pg_catalog.btrim($2), '');
	p_wrapup text := NULLIF(pg_catalog.btrim($3), '');
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
	IF p_wrapup IS NOT NULL AND NOT EXISTS (SELECT 1 FROM balie.wrapups w
						WHERE w.queue = c.queue AND w.code = p_wrapup) THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'wrap-up code %s is not one of queue %s', p_wrapup, c.queue));
	END IF;
	PERFORM balie._say(c.id, 'closing', 'system', session_user::text, '{}');
	PERFORM balie._set_note(p_resolution);
	UPDATE balie.conversations
	SET state = 'closed', closed_at = pg_catalog.now(), resolution = p_resolution, wrapup = p_wrapup
	WHERE id = c.id;
	PERFORM balie._set_note(NULL);
END
$$;

CREATE OR REPLACE FUNCTION balie.assign(conv bigint, agent text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
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
	PERFORM balie._set_note(NULL);
	UPDATE balie.conversations
	SET state = 'human', agent = p_agent, taken_at = pg_catalog.now()
	WHERE id = c.id;
	PERFORM balie._say(c.id, CASE WHEN c.agent IS NULL THEN 'joined' ELSE 'person_changed' END,
			   'system', session_user::text, pg_catalog.jsonb_build_object('agent', target_name));
END
$$;

-- ------------------------------------------------------------------ reads

-- The macros of the conversation's queue in its language, variables filled in.
CREATE OR REPLACE FUNCTION balie.read_macros(conv bigint)
RETURNS TABLE (name text, body text, sources jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	c balie.conversations;
	vars jsonb;
BEGIN
	PERFORM balie._require('agent', 'read macros');
	c := balie._conv(conv, false);
	vars := pg_catalog.jsonb_build_object(
		'customer', COALESCE(c.customer_name, c.customer_ref, ''),
		'agent', balie._my_name(),
		'queue', (SELECT q.name FROM balie.queues q WHERE q.id = c.queue));
	RETURN QUERY
	SELECT DISTINCT ON (m.name) m.name, balie._fill(m.body, vars), m.sources
	FROM balie.macros m
	WHERE m.queue = c.queue
	  AND m.lang IN (pg_catalog.lower(c.lang), pg_catalog.split_part(pg_catalog.lower(c.lang), '-', 1))
	ORDER BY m.name, m.lang = pg_catalog.lower(c.lang) DESC;
END
$$;

CREATE OR REPLACE FUNCTION balie.read_wrapups(conv bigint)
RETURNS TABLE (code text, label text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	c balie.conversations;
BEGIN
	PERFORM balie._require('agent', 'read wrap-up codes');
	c := balie._conv(conv, false);
	RETURN QUERY SELECT w.code, w.label FROM balie.wrapups w WHERE w.queue = c.queue ORDER BY w.code;
END
$$;

-- For an auditor: every conversation opened in [from, to), when the customer
-- was told it talked to an AI, in which language, with which text version.
CREATE OR REPLACE FUNCTION balie.disclosure_report("from" timestamptz, "to" timestamptz)
RETURNS TABLE (conversation bigint, opened_at timestamptz, told_at timestamptz, lang text,
	       template_version int, message_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	PERFORM balie._require_admin_or_supervisor('read the disclosure report');
	RETURN QUERY
	SELECT c.id, c.created_at, d.created_at, d.template_lang, d.template_version, d.id
	FROM balie.conversations c
	LEFT JOIN LATERAL (SELECT m.id, m.created_at, m.template_lang, m.template_version
			   FROM balie.messages m
			   WHERE m.conversation = c.id AND m.template_key = 'disclosure'
			   ORDER BY m.seq LIMIT 1) d ON true
	WHERE c.created_at >= $1 AND c.created_at < $2
	ORDER BY c.created_at, c.id;
END
$$;

-- read_conversations takes its final shape here: the columns of 005, then
-- lang, my_read_seq, customer_waiting_since, viewers, hand_raised_at (the
-- last four filled in by 008 and 009). The new shape needs a new signature
-- (lim), so re-running 005 adds its own back beside it and this file drops it.
DROP FUNCTION IF EXISTS balie.read_conversations(bigint[]);
CREATE OR REPLACE FUNCTION balie.read_conversations(ids bigint[] DEFAULT NULL, lim int DEFAULT NULL)
RETURNS TABLE (id bigint, version bigint, queue text, state text, agent text,
	       customer_ref text, customer_name text, channel text, intent text,
	       confidence real, escalation_reason text, bot_summary text,
	       created_at bigint, escalated_at bigint, taken_at bigint, closed_at bigint,
	       message_count int, last_author_kind text, last_body text, json text, now bigint,
	       lang text, my_read_seq int, customer_waiting_since bigint, viewers text,
	       hand_raised_at bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET jit = off
SET work_mem = '64MB'
AS $$
#variable_conflict use_column
DECLARE
	m record;
	t timestamptz := pg_catalog.now();
BEGIN
	PERFORM balie._guard();
	SELECT * INTO m FROM balie._me();
	IF NOT (m.agent OR m.supervisor OR m.bot) THEN
		RETURN;
	END IF;
	RETURN QUERY
	SELECT c.id, c.version, c.queue, c.state, c.agent, c.customer_ref,
	       c.customer_name, c.channel, c.intent, c.confidence,
	       c.escalation_reason, c.bot_summary,
	       EXTRACT(epoch FROM c.created_at)::bigint,
	       EXTRACT(epoch FROM c.escalated_at)::bigint,
	       EXTRACT(epoch FROM c.taken_at)::bigint,
	       EXTRACT(epoch FROM c.closed_at)::bigint,
	       c.message_count,
	       CASE WHEN m.agent THEN c.last_author_kind ELSE c.public_author_kind END,
	       CASE WHEN m.agent THEN c.last_body ELSE c.public_body END,
	       pg_catalog.json_build_object('conv', c.id, 'version', c.version,
		'state', c.state, 'agent', c.agent, 'queue', c.queue,
		'customer', c.customer_name, 'reason', c.escalation_reason,
		'messages', c.message_count,
		'waited', CASE WHEN c.escalated_at IS NULL THEN 0
			  WHEN c.state = 'waiting' THEN
			   GREATEST(0, pg_catalog.floor(EXTRACT(epoch FROM t - c.escalated_at)))::bigint
			  ELSE GREATEST(0, pg_catalog.floor(EXTRACT(epoch FROM
			   COALESCE(c.taken_at, c.closed_at, t) - c.escalated_at)))::bigint END
	       )::text,
	       EXTRACT(epoch FROM t)::bigint,
	       c.lang, 0, NULL::bigint, NULL::text, NULL::bigint
	FROM balie.conversations c
	WHERE CASE WHEN ids IS NULL THEN c.state <> 'closed' ELSE c.id = ANY (ids) END
	  AND (m.supervisor OR (m.agent AND c.agent = m.login) OR c.queue = ANY (m.queues))
	ORDER BY c.id
	LIMIT lim;
END
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

DO $$
DECLARE
	t regclass;
BEGIN
	FOR t IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
		 WHERE c.relnamespace = 'balie'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'S') LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC, balie_agent, balie_supervisor, balie_bot', t);
	END LOOP;
END $$;

GRANT EXECUTE ON FUNCTION balie.open_conversation(text, text, text, text, text) TO balie_bot;
GRANT EXECUTE ON FUNCTION balie.close(bigint, text, text) TO balie_bot, balie_agent, balie_supervisor;
GRANT EXECUTE ON FUNCTION balie.reply(bigint, text, uuid, jsonb),
	balie.read_macros(bigint), balie.read_wrapups(bigint)
	TO balie_agent, balie_supervisor;
GRANT EXECUTE ON FUNCTION balie.add_macro(text, text, text, text, jsonb),
	balie.add_wrapup(text, text, text),
	balie.disclosure_report(timestamptz, timestamptz)
	TO balie_supervisor;
GRANT EXECUTE ON FUNCTION balie.read_conversations(bigint[], int)
	TO balie_agent, balie_supervisor, balie_bot;
-- balie.add_queue and balie.set_text: superusers and balie_owner only.

INSERT INTO balie.schema_version (version) VALUES (7) ON CONFLICT (version) DO NOTHING;

COMMIT;
