-- balie ticket store, part 2: who may read what (grants and row-level security).
--
-- Agents, supervisors and bots only ever SELECT; every write goes through the
-- SECURITY DEFINER functions of 003_api.sql, which run as balie_owner.

BEGIN;
SET LOCAL client_min_messages = warning;
SET LOCAL search_path = pg_catalog, pg_temp;
DO $$ BEGIN PERFORM pg_catalog.pg_advisory_xact_lock(7283061937); END $$;

-- The caller is session_user: inside a SECURITY DEFINER function current_user
-- is balie_owner, and policies must judge the person, not the function.
CREATE OR REPLACE FUNCTION balie._is_agent() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$ SELECT pg_catalog.pg_has_role(session_user, 'balie_agent', 'MEMBER') $$;

CREATE OR REPLACE FUNCTION balie._is_supervisor() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$ SELECT pg_catalog.pg_has_role(session_user, 'balie_supervisor', 'MEMBER') $$;

CREATE OR REPLACE FUNCTION balie._is_bot() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$ SELECT pg_catalog.pg_has_role(session_user, 'balie_bot', 'MEMBER') $$;

-- Reads agent_queues as the owner, so conversation policies never depend on
-- (or recurse through) the caller's own view of agent_queues.
CREATE OR REPLACE FUNCTION balie._my_queues() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
	SELECT COALESCE(pg_catalog.array_agg(aq.queue ORDER BY aq.queue), '{}')
	FROM balie.agent_queues aq WHERE aq.login = session_user
$$;

-- The one visibility rule for a conversation, shared by the API functions.
CREATE OR REPLACE FUNCTION balie._can_see(queue text, agent text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
	SELECT balie._is_supervisor() OR balie._is_bot()
	    OR COALESCE($2 = session_user::text, false)
	    OR COALESCE($1 = ANY (balie._my_queues()), false)
$$;

GRANT USAGE ON SCHEMA balie TO balie_agent, balie_supervisor, balie_bot;

GRANT SELECT ON balie.schema_version, balie.queues, balie.conversations, balie.messages
	TO balie_agent, balie_supervisor, balie_bot;
GRANT SELECT ON balie.agents, balie.agent_queues, balie.agreements, balie.state_changes
	TO balie_agent, balie_supervisor;

ALTER TABLE balie.schema_version ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.queues ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.agent_queues ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.agreements ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.state_changes ENABLE ROW LEVEL SECURITY;
-- FORCE: the owner (and so every definer function) goes through policies too.
ALTER TABLE balie.schema_version FORCE ROW LEVEL SECURITY;
ALTER TABLE balie.queues FORCE ROW LEVEL SECURITY;
ALTER TABLE balie.agents FORCE ROW LEVEL SECURITY;
ALTER TABLE balie.agent_queues FORCE ROW LEVEL SECURITY;
ALTER TABLE balie.conversations FORCE ROW LEVEL SECURITY;
ALTER TABLE balie.messages FORCE ROW LEVEL SECURITY;
ALTER TABLE balie.agreements FORCE ROW LEVEL SECURITY;
ALTER TABLE balie.state_changes FORCE ROW LEVEL SECURITY;

-- Policies have no IF NOT EXISTS: create each one only when it is missing.
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['schema_version', 'queues', 'agents', 'agent_queues',
				 'conversations', 'messages', 'agreements', 'state_changes'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy
				WHERE polrelid = ('balie.' || t)::regclass AND polname = 'owner_all') THEN
			EXECUTE pg_catalog.format('CREATE POLICY owner_all ON balie.%I FOR ALL TO balie_owner '
						  'USING (true) WITH CHECK (true)', t);
		END IF;
	END LOOP;

	FOREACH t IN ARRAY ARRAY['schema_version', 'queues'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy
				WHERE polrelid = ('balie.' || t)::regclass AND polname = 'read_all') THEN
			EXECUTE pg_catalog.format('CREATE POLICY read_all ON balie.%I FOR SELECT '
						  'TO balie_agent, balie_supervisor, balie_bot USING (true)', t);
		END IF;
	END LOOP;
	FOREACH t IN ARRAY ARRAY['agents', 'agent_queues'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy
				WHERE polrelid = ('balie.' || t)::regclass AND polname = 'read_all') THEN
			EXECUTE pg_catalog.format('CREATE POLICY read_all ON balie.%I FOR SELECT '
						  'TO balie_agent, balie_supervisor USING (true)', t);
		END IF;
	END LOOP;

	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy
			WHERE polrelid = 'balie.conversations'::regclass AND polname = 'read_visible') THEN
		-- The sub-selects run once per query (init plans), not once per row.
		CREATE POLICY read_visible ON balie.conversations FOR SELECT
			TO balie_agent, balie_supervisor, balie_bot
			USING ((SELECT balie._is_supervisor())
			    OR (SELECT balie._is_bot())
			    OR agent = (SELECT session_user::text)
			    OR queue = ANY ((SELECT balie._my_queues())::text[]));
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy
			WHERE polrelid = 'balie.messages'::regclass AND polname = 'read_visible') THEN
		-- A message is visible with its conversation; notes only to people.
		CREATE POLICY read_visible ON balie.messages FOR SELECT
			TO balie_agent, balie_supervisor, balie_bot
			USING ((author_kind <> 'note' OR (SELECT balie._is_agent()))
			   AND ((SELECT balie._is_supervisor())
				OR EXISTS (SELECT 1 FROM balie.conversations c
					   WHERE c.id = messages.conversation)));
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy
			WHERE polrelid = 'balie.agreements'::regclass AND polname = 'read_visible') THEN
		CREATE POLICY read_visible ON balie.agreements FOR SELECT
			TO balie_agent, balie_supervisor
			USING (EXISTS (SELECT 1 FROM balie.conversations c
				       WHERE c.id = agreements.conversation));
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy
			WHERE polrelid = 'balie.state_changes'::regclass AND polname = 'read_visible') THEN
		CREATE POLICY read_visible ON balie.state_changes FOR SELECT
			TO balie_agent, balie_supervisor
			USING (EXISTS (SELECT 1 FROM balie.conversations c
				       WHERE c.id = state_changes.conversation));
	END IF;
END $$;

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

-- Policies call these as the reading role.
GRANT EXECUTE ON FUNCTION balie._is_agent(), balie._is_supervisor(), balie._is_bot(),
	balie._my_queues(), balie._can_see(text, text)
	TO balie_agent, balie_supervisor, balie_bot;

INSERT INTO balie.schema_version (version) VALUES (2) ON CONFLICT (version) DO NOTHING;

COMMIT;
