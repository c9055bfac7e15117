-- balie ticket store, part 1: roles, schema, tables, indexes, triggers.
--
-- Load as a superuser with: psql -v ON_ERROR_STOP=1 -f schemas/001_core.sql
-- (then 002, 003, ... in order). Every statement is idempotent, so applying
-- the files again changes nothing; see balie-sql(7).

BEGIN;
SET LOCAL client_min_messages = warning;
-- Only qualified names below: nothing may land in whatever schema is first.
SET LOCAL search_path = pg_catalog, pg_temp;

-- Two loaders at once would race on CREATE ... IF NOT EXISTS; serialise them.
DO $$ BEGIN PERFORM pg_catalog.pg_advisory_xact_lock(7283061937); END $$;

-- Group roles are cluster-wide: create them only when missing.
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['balie_owner', 'balie_agent', 'balie_supervisor', 'balie_bot'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
	-- A supervisor can do everything an agent can.
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members
			WHERE roleid = 'balie_agent'::regrole AND member = 'balie_supervisor'::regrole) THEN
		GRANT balie_agent TO balie_supervisor;
	END IF;
	-- balie.add_agent runs as balie_owner and grants these two memberships.
	FOREACH r IN ARRAY ARRAY['balie_agent', 'balie_supervisor'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members
				WHERE roleid = r::regrole AND member = 'balie_owner'::regrole
				AND admin_option) THEN
			EXECUTE pg_catalog.format('GRANT %I TO balie_owner WITH ADMIN OPTION', r);
		END IF;
	END LOOP;
END $$;

CREATE SCHEMA IF NOT EXISTS balie AUTHORIZATION balie_owner;
ALTER SCHEMA balie OWNER TO balie_owner;
REVOKE ALL ON SCHEMA balie FROM PUBLIC;

CREATE TABLE IF NOT EXISTS balie.schema_version (
	version    int PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

-- Used by a CHECK constraint below, so it must exist before the tables.
CREATE OR REPLACE FUNCTION balie._valid_sources(s jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$
	SELECT CASE
		WHEN s IS NULL THEN true
		WHEN pg_catalog.jsonb_typeof(s) <> 'array' THEN false
		ELSE NOT EXISTS (
			SELECT 1 FROM pg_catalog.jsonb_array_elements(s) AS e(v)
			WHERE pg_catalog.jsonb_typeof(e.v) <> 'object'
			   OR pg_catalog.jsonb_typeof(e.v -> 'title') IS DISTINCT FROM 'string'
			   OR pg_catalog.jsonb_typeof(e.v -> 'url') IS DISTINCT FROM 'string')
	END
$$;

CREATE TABLE IF NOT EXISTS balie.queues (
	id          text PRIMARY KEY,
	name        text NOT NULL,
	sla_seconds int NOT NULL,
	priority    int NOT NULL DEFAULT 0,
	bot_paused  boolean NOT NULL DEFAULT false,
	created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT queues_id_check CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
	CONSTRAINT queues_name_check CHECK (pg_catalog.btrim(name) <> ''),
	CONSTRAINT queues_sla_check CHECK (sla_seconds > 0)
);

CREATE TABLE IF NOT EXISTS balie.agents (
	login         text PRIMARY KEY,
	display_name  text NOT NULL,
	is_supervisor boolean NOT NULL DEFAULT false,
	created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_seen     timestamptz,
	CONSTRAINT agents_display_name_check CHECK (pg_catalog.btrim(display_name) <> '')
);

CREATE TABLE IF NOT EXISTS balie.agent_queues (
	login text NOT NULL REFERENCES balie.agents (login) ON DELETE CASCADE,
	queue text NOT NULL REFERENCES balie.queues (id) ON DELETE CASCADE,
	PRIMARY KEY (login, queue)
);

CREATE TABLE IF NOT EXISTS balie.conversations (
	id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	queue             text NOT NULL REFERENCES balie.queues (id),
	state             text NOT NULL DEFAULT 'bot',
	agent             text REFERENCES balie.agents (login),
	customer_ref      text,
	customer_name     text,
	channel           text NOT NULL DEFAULT 'chat',
	intent            text,
	confidence        real,
	escalation_reason text,
	bot_summary       text,
	resolution        text,
	created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	escalated_at      timestamptz,
	taken_at          timestamptz,
	closed_at         timestamptz,
	updated_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	version           bigint NOT NULL DEFAULT 1,
	message_count     int NOT NULL DEFAULT 0,
	CONSTRAINT conversations_state_check
		CHECK (state IN ('bot', 'waiting', 'human', 'closed')),
	CONSTRAINT conversations_confidence_check
		CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
	CONSTRAINT conversations_reason_check
		CHECK (escalation_reason IS NULL OR escalation_reason IN
		       ('customer_request', 'not_understood', 'sensitive_topic',
			'negative_sentiment', 'bot_error', 'other', 'bot_paused')),
	-- A person owns exactly the human conversations; a closed one keeps its last owner.
	CONSTRAINT conversations_owner_check
		CHECK (CASE state WHEN 'human' THEN agent IS NOT NULL
				  WHEN 'closed' THEN true
				  ELSE agent IS NULL END),
	CONSTRAINT conversations_waiting_reason_check
		CHECK (state <> 'waiting' OR (escalation_reason IS NOT NULL AND escalated_at IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS balie.messages (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	conversation  bigint NOT NULL REFERENCES balie.conversations (id),
	seq           int NOT NULL,
	author_kind   text NOT NULL,
	author        text,
	body          text NOT NULL,
	sources       jsonb,
	client_msg_id uuid,
	created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT messages_conversation_seq_key UNIQUE (conversation, seq),
	CONSTRAINT messages_client_msg_id_key UNIQUE (client_msg_id),
	CONSTRAINT messages_author_kind_check
		CHECK (author_kind IN ('customer', 'bot', 'agent', 'system', 'note')),
	CONSTRAINT messages_sources_check CHECK (balie._valid_sources(sources))
);

CREATE TABLE IF NOT EXISTS balie.agreements (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	conversation bigint NOT NULL REFERENCES balie.conversations (id),
	agent        text NOT NULL REFERENCES balie.agents (login),
	body         text NOT NULL,
	message      bigint REFERENCES balie.messages (id),
	created_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);

CREATE TABLE IF NOT EXISTS balie.state_changes (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	conversation bigint NOT NULL REFERENCES balie.conversations (id),
	from_state   text,
	to_state     text NOT NULL,
	actor        text NOT NULL,
	at           timestamptz NOT NULL DEFAULT pg_catalog.now(),
	note         text
);

-- The queue view: open conversations of a queue, waiting ones by wait time.
CREATE INDEX IF NOT EXISTS conversations_open_idx
	ON balie.conversations (queue, state, escalated_at) WHERE state <> 'closed';
-- "Their open conversations" on the supervisor screen and the owner's view.
CREATE INDEX IF NOT EXISTS conversations_agent_open_idx
	ON balie.conversations (agent) WHERE state <> 'closed';
-- The customer's earlier conversations.
CREATE INDEX IF NOT EXISTS conversations_customer_idx
	ON balie.conversations (customer_ref, created_at);
-- Today's closed conversations, for bot containment.
CREATE INDEX IF NOT EXISTS conversations_closed_idx
	ON balie.conversations (closed_at) WHERE state = 'closed';
CREATE INDEX IF NOT EXISTS agent_queues_queue_idx ON balie.agent_queues (queue);
CREATE INDEX IF NOT EXISTS agreements_conversation_idx ON balie.agreements (conversation);
CREATE INDEX IF NOT EXISTS state_changes_conversation_idx
	ON balie.state_changes (conversation, id);

-- Every change of a conversation bumps its version, whoever makes it.
CREATE OR REPLACE FUNCTION balie._conversations_bump() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	NEW.version := OLD.version + 1;
	NEW.updated_at := pg_catalog.now();
	RETURN NEW;
END
$$;

-- Every committed change is announced, and every state change is audited.
CREATE OR REPLACE FUNCTION balie._conversations_changed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	PERFORM pg_catalog.pg_notify('balie',
		pg_catalog.jsonb_build_object('conv', NEW.id, 'version', NEW.version)::text);
	IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
		INSERT INTO balie.state_changes (conversation, from_state, to_state, actor, note)
		VALUES (NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.state END, NEW.state,
			session_user,
			NULLIF(pg_catalog.current_setting('balie.note', true), ''));
		PERFORM pg_catalog.pg_notify('balie_bot',
			pg_catalog.jsonb_build_object('conv', NEW.id, 'state', NEW.state)::text);
	END IF;
	RETURN NULL;
END
$$;

-- A message takes its seq from the conversation row it locks, so seq is
-- gap-free in commit order and the conversation's version moves with it.
CREATE OR REPLACE FUNCTION balie._messages_seq() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	UPDATE balie.conversations SET message_count = message_count + 1
	WHERE id = NEW.conversation
	RETURNING message_count INTO NEW.seq;
	IF NOT FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'BL001',
			MESSAGE = pg_catalog.format('conversation %s not found', NEW.conversation);
	END IF;
	RETURN NEW;
END
$$;

-- Queue settings (a paused bot) are announced for the supervisor screen and bots.
CREATE OR REPLACE FUNCTION balie._queues_changed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	PERFORM pg_catalog.pg_notify('balie_queue',
		pg_catalog.jsonb_build_object('queue', NEW.id, 'bot_paused', NEW.bot_paused)::text);
	RETURN NULL;
END
$$;

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
			WHERE tgrelid = 'balie.conversations'::regclass AND tgname = 'conversations_bump') THEN
		CREATE TRIGGER conversations_bump BEFORE UPDATE ON balie.conversations
			FOR EACH ROW EXECUTE FUNCTION balie._conversations_bump();
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
			WHERE tgrelid = 'balie.conversations'::regclass AND tgname = 'conversations_changed') THEN
		CREATE TRIGGER conversations_changed AFTER INSERT OR UPDATE ON balie.conversations
			FOR EACH ROW EXECUTE FUNCTION balie._conversations_changed();
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
			WHERE tgrelid = 'balie.messages'::regclass AND tgname = 'messages_seq') THEN
		CREATE TRIGGER messages_seq BEFORE INSERT ON balie.messages
			FOR EACH ROW EXECUTE FUNCTION balie._messages_seq();
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
			WHERE tgrelid = 'balie.queues'::regclass AND tgname = 'queues_changed') THEN
		CREATE TRIGGER queues_changed AFTER INSERT OR UPDATE ON balie.queues
			FOR EACH ROW EXECUTE FUNCTION balie._queues_changed();
	END IF;
END $$;

-- balie_owner owns every table and function; nobody else gets anything by default.
ALTER TABLE balie.schema_version OWNER TO balie_owner;
ALTER TABLE balie.queues OWNER TO balie_owner;
ALTER TABLE balie.agents OWNER TO balie_owner;
ALTER TABLE balie.agent_queues OWNER TO balie_owner;
ALTER TABLE balie.conversations OWNER TO balie_owner;
ALTER TABLE balie.messages OWNER TO balie_owner;
ALTER TABLE balie.agreements OWNER TO balie_owner;
ALTER TABLE balie.state_changes OWNER TO balie_owner;

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

INSERT INTO balie.schema_version (version) VALUES (1) ON CONFLICT (version) DO NOTHING;

COMMIT;
