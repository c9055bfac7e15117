-- balie ticket store, part 6: the change feed for `balie relay`.
--
-- A publication for logical decoding (pgoutput), one-time attach tickets,
-- the feed mode (notify | relay) and change triggers that stay silent on
-- channel "balie" in relay mode. The relay logs in as a role that is a
-- member of balie_relay and has REPLICATION, e.g. (see balie(1)):
--   CREATE ROLE balie_relayd LOGIN REPLICATION IN ROLE balie_relay;
-- and pg_hba.conf lets it open a replication connection:
--   local  replication  balie_relayd  peer
-- Applies on 001-004 with or without 005; idempotent like the files before it.

BEGIN;
SET LOCAL client_min_messages = warning;
SET LOCAL search_path = pg_catalog, pg_temp;
DO $$ BEGIN PERFORM pg_catalog.pg_advisory_xact_lock(7283061937); END $$;

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'balie_relay') THEN
		CREATE ROLE balie_relay NOLOGIN;
	END IF;
END $$;

-- ------------------------------------------------------------ publication

-- What the relay decodes. Bots and their queues join when 005 made them.
DO $$
DECLARE
	t text;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = 'balie_feed') THEN
		CREATE PUBLICATION balie_feed;
	END IF;
	FOREACH t IN ARRAY ARRAY['conversations', 'messages', 'queues', 'agents',
				 'agent_queues', 'bots', 'bot_queues'] LOOP
		IF pg_catalog.to_regclass('balie.' || t) IS NOT NULL
		   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables
				   WHERE pubname = 'balie_feed' AND schemaname = 'balie'
				     AND tablename = t) THEN
			EXECUTE pg_catalog.format('ALTER PUBLICATION balie_feed ADD TABLE balie.%I', t);
		END IF;
	END LOOP;
END $$;

-- ------------------------------------------------------------- feed mode

DO $$
BEGIN
	IF pg_catalog.to_regclass('balie.feed') IS NULL THEN
		CREATE TABLE balie.feed (
			one  boolean PRIMARY KEY DEFAULT true,
			mode text NOT NULL DEFAULT 'notify',
			CONSTRAINT feed_one_check CHECK (one),
			CONSTRAINT feed_mode_check CHECK (mode IN ('notify', 'relay'))
		);
	END IF;
END $$;
INSERT INTO balie.feed (one, mode) VALUES (true, 'notify') ON CONFLICT (one) DO NOTHING;

CREATE OR REPLACE FUNCTION balie._feed_is_relay() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$ SELECT COALESCE((SELECT f.mode = 'relay' FROM balie.feed f), false) $$;

-- Which feed consoles should use: 'notify' or 'relay'.
CREATE OR REPLACE FUNCTION balie.read_feed() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$ SELECT COALESCE((SELECT f.mode FROM balie.feed f), 'notify') $$;

-- Admin: switches the feed. Consoles read it at (re)connect.
CREATE OR REPLACE FUNCTION balie.set_feed(mode text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	IF $1 IS NULL OR $1 NOT IN ('notify', 'relay') THEN
		RAISE EXCEPTION USING ERRCODE = 'BL030',
			MESSAGE = pg_catalog.format('feed mode must be notify or relay, not %s',
						    COALESCE($1, 'null'));
	END IF;
	UPDATE balie.feed f SET mode = $1 WHERE f.one;
END
$$;

-- As in 001, but silent on "balie" in relay mode: the relay streams the row.
CREATE OR REPLACE FUNCTION balie._conversations_changed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	IF NOT balie._feed_is_relay() THEN
		PERFORM pg_catalog.pg_notify('balie',
			pg_catalog.jsonb_build_object('conv', NEW.id, 'version', NEW.version)::text);
	END IF;
	IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
		INSERT INTO balie.state_changes (conversation, from_state, to_state, actor, note)
		VALUES (NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.state END, NEW.state,
			session_user,
			NULLIF(pg_catalog.current_setting('balie.note', true), ''));
		-- Rare, and bots listen for it in both modes.
		PERFORM pg_catalog.pg_notify('balie_bot',
			pg_catalog.jsonb_build_object('conv', NEW.id, 'state', NEW.state)::text);
	END IF;
	RETURN NULL;
END
$$;

-- Queue settings: bots keep hearing a paused bot on balie_queue (rare).
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

-- ---------------------------------------------------------------- tickets

DO $$
BEGIN
	IF pg_catalog.to_regclass('balie.relay_tickets') IS NULL THEN
		CREATE TABLE balie.relay_tickets (
			ticket     text PRIMARY KEY,
			login      text NOT NULL,
			created_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
		);
	END IF;
END $$;

-- A one-time ticket for the caller to attach to a relay within 60 seconds.
CREATE OR REPLACE FUNCTION balie.relay_ticket() RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	t text := pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '')
		  || pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', '');
BEGIN
	IF NOT (pg_catalog.pg_has_role(session_user, 'balie_agent', 'MEMBER')
		OR pg_catalog.pg_has_role(session_user, 'balie_bot', 'MEMBER')) THEN
		RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = pg_catalog.format(
			'%s may not attach to a relay: only a balie agent or bot can', session_user);
	END IF;
	DELETE FROM balie.relay_tickets r
	WHERE r.created_at < pg_catalog.clock_timestamp() - interval '60 seconds';
	INSERT INTO balie.relay_tickets (ticket, login) VALUES (t, session_user);
	RETURN t;
END
$$;

-- The relay's side: who holds this ticket, what they are, which queues they
-- serve (NULL: all). The ticket is spent; unknown or expired raises BL040.
CREATE OR REPLACE FUNCTION balie.relay_redeem(ticket text)
RETURNS TABLE (login text, kind text, queues text[])
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	who text;
	sup boolean;
	q text[];
BEGIN
	IF NOT pg_catalog.pg_has_role(session_user, 'balie_relay', 'MEMBER') THEN
		RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = pg_catalog.format(
			'%s may not redeem relay tickets: only a balie relay can', session_user);
	END IF;
	DELETE FROM balie.relay_tickets r WHERE r.ticket = $1
	RETURNING r.login, r.created_at >= pg_catalog.clock_timestamp() - interval '60 seconds'
	INTO who, sup;
	IF who IS NULL OR NOT sup THEN
		RAISE EXCEPTION USING ERRCODE = 'BL040', MESSAGE = 'unknown or expired ticket';
	END IF;
	SELECT a.is_supervisor INTO sup FROM balie.agents a WHERE a.login = who;
	IF FOUND THEN
		SELECT COALESCE(pg_catalog.array_agg(aq.queue ORDER BY aq.queue), '{}') INTO q
		FROM balie.agent_queues aq WHERE aq.login = who;
		RETURN QUERY SELECT who, CASE WHEN sup THEN 'supervisor' ELSE 'agent' END, q;
		RETURN;
	END IF;
	IF pg_catalog.to_regclass('balie.bots') IS NOT NULL THEN
		EXECUTE 'SELECT (SELECT COALESCE(pg_catalog.array_agg(b.queue ORDER BY b.queue), ''{}'')'
			' FROM balie.bot_queues b WHERE b.login = $1)'
			' FROM balie.bots WHERE login = $1' INTO q USING who;
		IF q IS NOT NULL THEN
			RETURN QUERY SELECT who, 'bot'::text, q;
			RETURN;
		END IF;
	ELSIF pg_catalog.pg_has_role(who, 'balie_bot', 'MEMBER') THEN
		-- Before bot registration (005) a bot sees every queue.
		RETURN QUERY SELECT who, 'bot'::text, NULL::text[];
		RETURN;
	END IF;
	RAISE EXCEPTION USING ERRCODE = 'BL003',
		MESSAGE = pg_catalog.format('%s is not registered in this database', who);
END
$$;

-- -------------------------------------------------------------- security

ALTER TABLE balie.feed OWNER TO balie_owner;
ALTER TABLE balie.relay_tickets OWNER TO balie_owner;
ALTER TABLE balie.feed ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.feed FORCE ROW LEVEL SECURITY;
ALTER TABLE balie.relay_tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.relay_tickets FORCE ROW LEVEL SECURITY;
ALTER PUBLICATION balie_feed OWNER TO balie_owner;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['feed', 'relay_tickets'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy
				WHERE polrelid = ('balie.' || t)::regclass AND polname = 'owner_all') THEN
			EXECUTE pg_catalog.format('CREATE POLICY owner_all ON balie.%I FOR ALL TO balie_owner '
						  'USING (true) WITH CHECK (true)', t);
		END IF;
	END LOOP;
END $$;

DO $$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
		 WHERE p.pronamespace = 'balie'::regnamespace
		   AND p.proname IN ('_feed_is_relay', 'read_feed', 'set_feed', '_conversations_changed',
				     '_queues_changed', 'relay_ticket', 'relay_redeem') LOOP
		EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO balie_owner', f);
		EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
	END LOOP;
END $$;

-- As 005 does for every balie table: nothing here is readable by a balie
-- role (an explicit ACL from the start, so applying 005 again changes nothing).
REVOKE ALL ON balie.feed, balie.relay_tickets FROM PUBLIC, balie_agent, balie_supervisor, balie_bot;

GRANT USAGE ON SCHEMA balie TO balie_relay;
GRANT EXECUTE ON FUNCTION balie.read_feed() TO balie_agent, balie_supervisor, balie_bot, balie_relay;
GRANT EXECUTE ON FUNCTION balie.relay_ticket() TO balie_agent, balie_supervisor, balie_bot;
GRANT EXECUTE ON FUNCTION balie.relay_redeem(text) TO balie_relay;

INSERT INTO balie.schema_version (version) VALUES (6) ON CONFLICT (version) DO NOTHING;

COMMIT;
