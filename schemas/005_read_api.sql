-- balie ticket store, part 5: reads through the API, authority per database,
-- and no call that makes another wait.
--
-- Agents, supervisors and bots lose SELECT on every balie table: they read
-- through the SECURITY DEFINER read_* functions below, which apply the one
-- visibility rule (balie._visible), so EXPLAIN, planner estimates and
-- statistics have nothing to probe. A login acts as agent, supervisor or bot
-- only where it is registered (balie.agents, balie.bots); group membership
-- alone gives nothing. Idempotent like the files before it; see balie-sql(7).

BEGIN;
SET LOCAL client_min_messages = warning;
SET LOCAL search_path = pg_catalog, pg_temp;
DO $$ BEGIN PERFORM pg_catalog.pg_advisory_xact_lock(7283061937); END $$;

-- ------------------------------------------------------------------ bots

DO $$
BEGIN
	IF pg_catalog.to_regclass('balie.bots') IS NULL THEN
		CREATE TABLE balie.bots (
			login      text PRIMARY KEY,
			created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
		);
		CREATE TABLE balie.bot_queues (
			login text NOT NULL REFERENCES balie.bots (login) ON DELETE CASCADE,
			queue text NOT NULL REFERENCES balie.queues (id),
			PRIMARY KEY (login, queue)
		);
		-- An upgrade keeps the bots that worked here: the members of
		-- balie_bot that opened a conversation in this database, for
		-- every queue (what they saw before).
		INSERT INTO balie.bots (login)
		SELECT DISTINCT sc.actor FROM balie.state_changes sc
		JOIN pg_catalog.pg_roles r ON r.rolname = sc.actor
		WHERE sc.from_state IS NULL
		  AND pg_catalog.pg_has_role(r.oid, 'balie_bot', 'MEMBER');
		INSERT INTO balie.bot_queues (login, queue)
		SELECT b.login, q.id FROM balie.bots b CROSS JOIN balie.queues q;
	END IF;
END $$;
CREATE INDEX IF NOT EXISTS bot_queues_queue_idx ON balie.bot_queues (queue);

-- --------------------------------------------------- the last message

-- Each conversation carries the start of its last message, and of its last
-- one that is not a note (what a bot may read), so the first read of the
-- queue list needs no per-conversation lookup in messages.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
			WHERE attrelid = 'balie.conversations'::regclass
			  AND attname = 'last_author_kind' AND NOT attisdropped) THEN
		ALTER TABLE balie.conversations
			ADD COLUMN last_author_kind text,
			ADD COLUMN last_body text,
			ADD COLUMN public_author_kind text,
			ADD COLUMN public_body text;
		-- Filled in for the conversations there are, without triggers: this
		-- is no change of theirs (no new version, no notification).
		SET LOCAL session_replication_role = replica;
		UPDATE balie.conversations c
		SET last_author_kind = l.author_kind, last_body = pg_catalog.left(l.body, 200),
		    public_author_kind = p.author_kind, public_body = pg_catalog.left(p.body, 200)
		FROM balie.conversations c2
		LEFT JOIN LATERAL (SELECT m.author_kind, m.body FROM balie.messages m
				   WHERE m.conversation = c2.id ORDER BY m.seq DESC LIMIT 1) l ON true
		LEFT JOIN LATERAL (SELECT m.author_kind, m.body FROM balie.messages m
				   WHERE m.conversation = c2.id AND m.author_kind <> 'note'
				   ORDER BY m.seq DESC LIMIT 1) p ON true
		WHERE c2.id = c.id AND c2.message_count > 0;
		SET LOCAL session_replication_role = origin;
	END IF;
END $$;

-- A message takes its seq from the conversation row it locks (as in 001)
-- and leaves the start of its text there for the queue list.
CREATE OR REPLACE FUNCTION balie._messages_seq() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	UPDATE balie.conversations
	SET message_count = message_count + 1,
	    last_author_kind = NEW.author_kind, last_body = pg_catalog.left(NEW.body, 200),
	    public_author_kind = CASE WHEN NEW.author_kind = 'note' THEN public_author_kind
				      ELSE NEW.author_kind END,
	    public_body = CASE WHEN NEW.author_kind = 'note' THEN public_body
			       ELSE pg_catalog.left(NEW.body, 200) END
	WHERE id = NEW.conversation
	RETURNING message_count INTO NEW.seq;
	IF NOT FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'BL001',
			MESSAGE = pg_catalog.format('conversation %s not found', NEW.conversation);
	END IF;
	RETURN NEW;
END
$$;

-- ------------------------------------------------- waiting count history

-- One row each time a conversation starts or stops waiting in a queue
-- (+1/-1). Only ever inserted, so no change has to lock a row that another
-- change needs (the per-minute samples of 004 locked the queue's row, and an
-- open transaction stalled the queue). The count at a moment is today's
-- count minus the changes since; balie.waiting_samples keeps its old rows.
DO $$
BEGIN
	IF pg_catalog.to_regclass('balie.waiting_changes') IS NULL THEN
		CREATE TABLE balie.waiting_changes (
			id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			queue text NOT NULL REFERENCES balie.queues (id) ON DELETE CASCADE,
			at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
			delta int NOT NULL,
			CONSTRAINT waiting_changes_delta_check CHECK (delta IN (-1, 1))
		);
	END IF;
END $$;
CREATE INDEX IF NOT EXISTS waiting_changes_queue_idx ON balie.waiting_changes (queue, at, id);
CREATE INDEX IF NOT EXISTS waiting_changes_at_idx ON balie.waiting_changes (at);

ALTER TABLE balie.bots OWNER TO balie_owner;
ALTER TABLE balie.bot_queues OWNER TO balie_owner;
ALTER TABLE balie.waiting_changes OWNER TO balie_owner;
ALTER TABLE balie.bots ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.bot_queues ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.waiting_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.bots FORCE ROW LEVEL SECURITY;
ALTER TABLE balie.bot_queues FORCE ROW LEVEL SECURITY;
ALTER TABLE balie.waiting_changes FORCE ROW LEVEL SECURITY;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['bots', 'bot_queues', 'waiting_changes'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy
				WHERE polrelid = ('balie.' || t)::regclass AND polname = 'owner_all') THEN
			EXECUTE pg_catalog.format('CREATE POLICY owner_all ON balie.%I FOR ALL TO balie_owner '
						  'USING (true) WITH CHECK (true)', t);
		END IF;
	END LOOP;
END $$;

-- ------------------------------------------------------------- authority

-- Who the caller is in THIS database: agent and supervisor only when listed
-- in balie.agents, bot only when listed in balie.bots (and a member of the
-- group role that carries the privileges); the queues whose conversations
-- it sees. Computed in full on every call, so every caller pays the same.
CREATE OR REPLACE FUNCTION balie._me(OUT login text, OUT agent boolean, OUT supervisor boolean,
				     OUT bot boolean, OUT queues text[])
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
	SELECT session_user::text,
	       a.login IS NOT NULL AND pg_catalog.pg_has_role(session_user, 'balie_agent', 'MEMBER'),
	       COALESCE(a.is_supervisor, false)
		AND pg_catalog.pg_has_role(session_user, 'balie_supervisor', 'MEMBER'),
	       b.login IS NOT NULL AND pg_catalog.pg_has_role(session_user, 'balie_bot', 'MEMBER'),
	       ARRAY(SELECT aq.queue FROM balie.agent_queues aq
		     WHERE aq.login = session_user::text AND a.login IS NOT NULL
		     UNION
		     SELECT bq.queue FROM balie.bot_queues bq
		     WHERE bq.login = session_user::text AND b.login IS NOT NULL
		     ORDER BY 1)
	FROM (SELECT 1) AS one
	LEFT JOIN balie.agents a ON a.login = session_user::text
	LEFT JOIN balie.bots b ON b.login = session_user::text
$$;

-- The one visibility rule: a supervisor sees all; an agent its queues and
-- what it owns; a bot its queues.
CREATE OR REPLACE FUNCTION balie._visible(queue text, owner text, supervisor boolean, agent boolean,
					  login text, queues text[])
RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$
	SELECT COALESCE($3, false)
	    OR COALESCE($4 AND $2 = $5, false)
	    OR COALESCE($1 = ANY ($6), false)
$$;

CREATE OR REPLACE FUNCTION balie._is_agent() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$ SELECT m.agent FROM balie._me() m $$;

CREATE OR REPLACE FUNCTION balie._is_supervisor() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$ SELECT m.supervisor FROM balie._me() m $$;

CREATE OR REPLACE FUNCTION balie._is_bot() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$ SELECT m.bot FROM balie._me() m $$;

CREATE OR REPLACE FUNCTION balie._my_queues() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$ SELECT m.queues FROM balie._me() m $$;

CREATE OR REPLACE FUNCTION balie._can_see(queue text, agent text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
	SELECT balie._visible($1, $2, m.supervisor, m.agent, m.login, m.queues) FROM balie._me() m
$$;

-- How long a call waits for a conversation's lock, and how long a balie
-- session may sit idle inside a transaction.
CREATE OR REPLACE FUNCTION balie._idle_timeout() RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$ SELECT '30s'::text $$;

-- Every call starts here: membership must be read fresh, so a call inside a
-- REPEATABLE READ or SERIALIZABLE transaction (whose snapshot may predate a
-- change by balie.add_agent) is refused; and the session gets the idle in
-- transaction timeout, so a forgotten BEGIN cannot hold locks for long.
CREATE OR REPLACE FUNCTION balie._guard() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	idle text := pg_catalog.current_setting('idle_in_transaction_session_timeout');
BEGIN
	IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
		PERFORM balie._fail('BL041', pg_catalog.format(
			'balie calls run only in READ COMMITTED transactions, not %s: '
			'who may see what must be read fresh',
			pg_catalog.upper(pg_catalog.current_setting('transaction_isolation'))));
	END IF;
	IF idle IN ('0', '0ms') THEN
		PERFORM pg_catalog.set_config('idle_in_transaction_session_timeout',
					      balie._idle_timeout(), false);
	END IF;
END
$$;

-- Refuses a caller that is not a registered balie <kind> of this database (42501).
CREATE OR REPLACE FUNCTION balie._require(kind text, action text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	m record;
	allowed boolean;
	registered boolean;
BEGIN
	PERFORM balie._guard();
	SELECT * INTO m FROM balie._me();
	allowed := CASE kind WHEN 'agent' THEN m.agent WHEN 'supervisor' THEN m.supervisor
			     WHEN 'bot' THEN m.bot ELSE false END;
	IF allowed THEN
		RETURN;
	END IF;
	-- A member of the group role that is not registered here: say what is missing.
	registered := CASE WHEN kind = 'bot' THEN m.bot ELSE m.agent END;
	IF kind IN ('agent', 'supervisor', 'bot') AND NOT registered
	   AND pg_catalog.pg_has_role(session_user, 'balie_' || kind, 'MEMBER') THEN
		PERFORM balie._fail('BL003', pg_catalog.format(
			'%s is not registered as %s in this database (ask an admin to run %s)',
			session_user, CASE kind WHEN 'bot' THEN 'a bot' ELSE 'an agent' END,
			CASE kind WHEN 'bot' THEN 'balie.add_bot' ELSE 'balie.add_agent' END));
	END IF;
	PERFORM balie._fail('42501', pg_catalog.format('%s may not %s: only a balie %s can',
		session_user, action, kind));
END
$$;

-- Fetches a conversation the caller may see (locked when asked); anything
-- else is "not found". The caller's authority is computed before the row is
-- read, so hidden and missing take the same path and the same time. The
-- visibility is checked again once the lock is held, since the row may have
-- moved out of sight while this call waited; a wait longer than the lock
-- timeout gives up with BL040, which the caller may retry.
CREATE OR REPLACE FUNCTION balie._conv(conv bigint, for_update boolean) RETURNS balie.conversations
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
AS $$
DECLARE
	c balie.conversations;
	m record;
	visible boolean;
BEGIN
	PERFORM balie._guard();
	SELECT * INTO m FROM balie._me();
	IF conv IS NULL THEN
		PERFORM balie._fail('BL030', 'no conversation given');
	END IF;
	SELECT * INTO c FROM balie.conversations WHERE id = conv;
	-- Judged whether found or not (a missing row is all NULLs): the same work.
	visible := balie._visible(c.queue, c.agent, m.supervisor, m.agent, m.login, m.queues);
	IF NOT (c.id IS NOT NULL AND visible) THEN
		PERFORM balie._fail('BL001', pg_catalog.format('conversation %s not found', conv));
	END IF;
	IF for_update THEN
		BEGIN
			SELECT * INTO c FROM balie.conversations WHERE id = conv FOR UPDATE;
		EXCEPTION WHEN lock_not_available THEN
			PERFORM balie._fail('BL040', pg_catalog.format(
				'conversation %s is busy: another change to it has not finished; '
				'try again in a moment', conv));
		END;
		SELECT * INTO m FROM balie._me();	-- fresh, after the wait
		IF NOT (c.id IS NOT NULL AND balie._visible(c.queue, c.agent, m.supervisor, m.agent, m.login, m.queues)) THEN
			PERFORM balie._fail('BL001', pg_catalog.format('conversation %s not found', conv));
		END IF;
	END IF;
	RETURN c;
END
$$;

-- ------------------------------------------------------------------ admin

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

	-- Membership carries the privileges and is cluster-wide; authority is
	-- the row above. So it is granted here but never revoked: the login may
	-- be a supervisor of another balie database in the same cluster.
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
			WHERE m.roleid = 'balie_agent'::regrole
			  AND m.member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = p_login)) THEN
		EXECUTE pg_catalog.format('GRANT balie_agent TO %I', p_login);
	END IF;
	IF p_super AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
			WHERE m.roleid = 'balie_supervisor'::regrole
			  AND m.member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = p_login)) THEN
		EXECUTE pg_catalog.format('GRANT balie_supervisor TO %I', p_login);
	END IF;
END
$$;

-- Registers an existing login role as a bot of this database for QUEUES
-- (exactly those: a queue left out is taken away).
CREATE OR REPLACE FUNCTION balie.add_bot(login text, queues text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_login text := $1;
	p_queues text[] := COALESCE($2, '{}');
	missing text;
BEGIN
	IF p_login IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = p_login) THEN
		PERFORM balie._fail('BL003', pg_catalog.format(
			'role %s does not exist: create it first (CREATE ROLE ... LOGIN)', COALESCE(p_login, '(none)')));
	END IF;
	IF p_login IN ('balie_owner', 'balie_agent', 'balie_supervisor', 'balie_bot') THEN
		PERFORM balie._fail('BL003', pg_catalog.format(
			'role %s is a balie group role, not a bot', p_login));
	END IF;
	SELECT q INTO missing FROM pg_catalog.unnest(p_queues) AS u(q)
	WHERE NOT EXISTS (SELECT 1 FROM balie.queues WHERE id = u.q) LIMIT 1;
	IF FOUND THEN
		PERFORM balie._fail('BL002', pg_catalog.format('queue %s not found', COALESCE(missing, '(null)')));
	END IF;
	INSERT INTO balie.bots (login) VALUES (p_login) ON CONFLICT DO NOTHING;
	DELETE FROM balie.bot_queues WHERE login = p_login AND NOT (queue = ANY (p_queues));
	INSERT INTO balie.bot_queues (login, queue)
	SELECT DISTINCT p_login, u.q FROM pg_catalog.unnest(p_queues) AS u(q)
	ON CONFLICT DO NOTHING;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
			WHERE m.roleid = 'balie_bot'::regrole
			  AND m.member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = p_login)) THEN
		EXECUTE pg_catalog.format('GRANT balie_bot TO %I', p_login);
	END IF;
END
$$;

-- balie_owner grants balie_bot in add_bot.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members
			WHERE roleid = 'balie_bot'::regrole AND member = 'balie_owner'::regrole
			AND admin_option) THEN
		GRANT balie_bot TO balie_owner WITH ADMIN OPTION;
	END IF;
END $$;

-- ----------------------------------------------- owner-changing calls

-- takeover locks the row first (through _conv), so visibility is checked
-- on the row it then changes: a transfer that commits while it waits
-- cannot hand it a conversation of a queue it does not work.
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
	PERFORM balie._set_note(NULL);	-- not one the caller SET (see open_conversation)
	UPDATE balie.conversations
	SET state = 'human', agent = session_user::text, taken_at = pg_catalog.now()
	WHERE id = c.id;
	PERFORM balie._append(c.id, 'system', session_user::text,
		pg_catalog.format('%s has joined the conversation.', me));
	RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION balie.pause_bot(queue text, paused boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
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
	BEGIN
		UPDATE balie.queues SET bot_paused = p_paused WHERE id = p_queue;
	EXCEPTION WHEN lock_not_available THEN
		PERFORM balie._fail('BL040', pg_catalog.format(
			'queue %s is busy: another supervisor is changing it; try again in a moment', p_queue));
	END;
	IF NOT FOUND THEN
		PERFORM balie._fail('BL002', pg_catalog.format('queue %s not found', COALESCE(p_queue, '(none)')));
	END IF;
END
$$;

-- ------------------------------------------------------------- presence

-- The agent's own row is locked FOR NO KEY UPDATE, which lets a
-- conversation be assigned to the agent meanwhile (its foreign key takes
-- KEY SHARE). The notification says only that presence changed: the
-- supervisor screen re-reads supervisor_agents(); a listener learns no login.
CREATE OR REPLACE FUNCTION balie.heartbeat(away boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
AS $$
#variable_conflict use_column
DECLARE
	p_away boolean := COALESCE($1, false);
	was text;
	now_is text := CASE WHEN COALESCE($1, false) THEN 'away' ELSE 'online' END;
BEGIN
	PERFORM balie._require('agent', 'send heartbeats');
	SELECT balie._presence(a.last_seen, a.away, pg_catalog.now()) INTO was
	FROM balie.agents a WHERE a.login = session_user::text FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		PERFORM balie._my_name();	-- raises BL003 with the usual message
	END IF;
	UPDATE balie.agents a
	SET last_seen = pg_catalog.now(), away = p_away,
	    presence_since = CASE WHEN was = now_is THEN COALESCE(a.presence_since, pg_catalog.now())
				  ELSE pg_catalog.now() END
	WHERE a.login = session_user::text;
	IF was IS DISTINCT FROM now_is THEN
		PERFORM pg_catalog.pg_notify('balie_presence', '');
	END IF;
END
$$;

CREATE OR REPLACE FUNCTION balie.whoami()
RETURNS TABLE (login text, display_name text, is_agent boolean, is_supervisor boolean,
	       is_bot boolean, queues text[])
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
	SELECT m.login, a.display_name, m.agent, m.supervisor, m.bot, m.queues
	FROM balie._me() m
	LEFT JOIN balie.agents a ON a.login = m.login
$$;

-- ------------------------------------------------- waiting count history

CREATE OR REPLACE FUNCTION balie._supervisor_track() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		IF NEW.state = 'waiting' THEN
			INSERT INTO balie.escalations (conversation, queue, reason)
			VALUES (NEW.id, NEW.queue, COALESCE(NEW.escalation_reason, 'other'));
			INSERT INTO balie.waiting_changes (queue, delta) VALUES (NEW.queue, 1);
		END IF;
		RETURN NULL;
	END IF;
	IF NEW.state = 'waiting' AND OLD.state = 'bot' THEN
		INSERT INTO balie.escalations (conversation, queue, reason)
		VALUES (NEW.id, NEW.queue, COALESCE(NEW.escalation_reason, 'other'));
	ELSIF NEW.state = 'waiting' AND OLD.state = 'waiting' AND NEW.queue = OLD.queue
	      AND NEW.escalation_reason IS DISTINCT FROM OLD.escalation_reason THEN
		-- This conversation's own row: its lock is held already.
		UPDATE balie.escalations e SET reason = COALESCE(NEW.escalation_reason, 'other')
		WHERE e.id = (SELECT max(l.id) FROM balie.escalations l
			      WHERE l.conversation = NEW.id);
	END IF;
	IF OLD.state = 'waiting' AND (NEW.state <> 'waiting' OR NEW.queue <> OLD.queue) THEN
		INSERT INTO balie.waiting_changes (queue, delta) VALUES (OLD.queue, -1);
	END IF;
	IF NEW.state = 'waiting' AND (OLD.state <> 'waiting' OR NEW.queue <> OLD.queue) THEN
		INSERT INTO balie.waiting_changes (queue, delta) VALUES (NEW.queue, 1);
	END IF;
	-- Forget what the sparkline no longer needs, a few rows at a time; rows
	-- another transaction is deleting are skipped, never waited for.
	DELETE FROM balie.waiting_changes w
	WHERE w.id IN (SELECT o.id FROM balie.waiting_changes o
		       WHERE o.at < pg_catalog.now() - interval '1 day'
		       ORDER BY o.at LIMIT 16 FOR UPDATE SKIP LOCKED);
	RETURN NULL;
END
$$;

-- Nothing calls the sampler of 004 any more; it stays (emptied) so that
-- applying 004 again and then this file leaves the catalog as it was.
CREATE OR REPLACE FUNCTION balie._sample_waiting(q text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$ BEGIN NULL; END $$;

-- The sixty points of the sparkline, oldest first: each minute's highest
-- waiting count (its count at the start, or after any change in it),
-- walked forward from the count an hour ago.
CREATE OR REPLACE FUNCTION balie._waiting_last_hour(q text, waiting_now int, minute timestamptz)
RETURNS int[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	first_minute timestamptz := minute - interval '59 minutes';
	points int[] := '{}';
	cur int;
	k int := 1;
	ek int;
	e record;
BEGIN
	SELECT waiting_now - COALESCE(sum(w.delta), 0) INTO cur FROM balie.waiting_changes w
	WHERE w.queue = q AND w.at >= first_minute;
	points[1] := GREATEST(cur, 0);
	FOR e IN SELECT w.at, w.delta FROM balie.waiting_changes w
		 WHERE w.queue = q AND w.at >= first_minute ORDER BY w.at, w.id LOOP
		ek := LEAST(60, 1 + (EXTRACT(epoch FROM pg_catalog.date_trunc('minute', e.at) - first_minute)
				     / 60)::int);
		WHILE k < ek LOOP
			k := k + 1;
			points[k] := GREATEST(cur, 0);
		END LOOP;
		cur := cur + e.delta;
		points[k] := GREATEST(points[k], cur, 0);
	END LOOP;
	WHILE k < 60 LOOP
		k := k + 1;
		points[k] := GREATEST(cur, 0);
	END LOOP;
	RETURN points;
END
$$;

-- One row per queue with every figure of the supervisor screen (as in 004;
-- the sparkline now comes from balie.waiting_changes).
CREATE OR REPLACE FUNCTION balie.supervisor_queues()
RETURNS TABLE (queue text, name text, sla_seconds int, priority int, bot_paused boolean,
	       with_bot int, waiting int, with_person int,
	       oldest_waiting_since timestamptz, longest_wait int, sla_breaches int,
	       agents_online int, agents_away int,
	       closed_today int, contained_today int,
	       escalations_today int, escalations jsonb,
	       waiting_last_hour int[])
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
	PERFORM balie._require('supervisor', 'read the supervisor figures');
	RETURN QUERY
	WITH clock AS (
		SELECT pg_catalog.now() AS t,
		       pg_catalog.date_trunc('day', pg_catalog.now()) AS today,
		       pg_catalog.date_trunc('minute', pg_catalog.now()) AS minute
	),
	closed_counts AS (
		SELECT c.queue, count(*) AS closed,
		       count(*) FILTER (WHERE c.taken_at IS NULL) AS contained
		FROM balie.conversations c, clock
		WHERE c.state = 'closed' AND c.closed_at >= clock.today
		GROUP BY c.queue
	),
	presence AS (
		SELECT aq.queue,
		       count(*) FILTER (WHERE p.p = 'online') AS online,
		       count(*) FILTER (WHERE p.p = 'away') AS away
		FROM balie.agent_queues aq
		JOIN balie.agents a ON a.login = aq.login
		CROSS JOIN clock
		CROSS JOIN LATERAL (SELECT balie._presence(a.last_seen, a.away, clock.t)) AS p(p)
		GROUP BY aq.queue
	)
	SELECT q.id, q.name, q.sla_seconds, q.priority, q.bot_paused,
	       n_bot.n::int, n_waiting.n::int, n_human.n::int,
	       oldest.at,
	       CASE WHEN oldest.at IS NULL THEN 0
		    ELSE GREATEST(0, pg_catalog.floor(EXTRACT(epoch FROM clock.t - oldest.at)))::int END,
	       n_breached.n::int,
	       COALESCE(p.online, 0)::int, COALESCE(p.away, 0)::int,
	       COALESCE(cc.closed, 0)::int, COALESCE(cc.contained, 0)::int,
	       esc.total::int, esc.by_reason,
	       balie._waiting_last_hour(q.id, n_waiting.n::int, clock.minute)
	FROM balie.queues q
	CROSS JOIN clock
	LEFT JOIN closed_counts cc ON cc.queue = q.id
	LEFT JOIN presence p ON p.queue = q.id
	CROSS JOIN LATERAL (SELECT count(*) AS n FROM balie.conversations c
			    WHERE c.queue = q.id AND c.state = 'bot') AS n_bot
	CROSS JOIN LATERAL (SELECT count(*) AS n FROM balie.conversations c
			    WHERE c.queue = q.id AND c.state = 'waiting') AS n_waiting
	CROSS JOIN LATERAL (SELECT count(*) AS n FROM balie.conversations c
			    WHERE c.queue = q.id AND c.state = 'human') AS n_human
	CROSS JOIN LATERAL (SELECT min(c.escalated_at) AS at FROM balie.conversations c
			    WHERE c.queue = q.id AND c.state = 'waiting') AS oldest
	CROSS JOIN LATERAL (SELECT count(*) AS n FROM balie.conversations c
			    WHERE c.queue = q.id AND c.state = 'waiting'
			      AND c.escalated_at < clock.t - q.sla_seconds * interval '1 second') AS n_breached
	CROSS JOIN LATERAL (
		SELECT sum(r.n) AS total,
		       COALESCE(pg_catalog.jsonb_object_agg(k.reason, r.n) FILTER (WHERE r.n > 0),
				'{}'::jsonb) AS by_reason
		FROM (VALUES ('customer_request'), ('not_understood'), ('sensitive_topic'),
			     ('negative_sentiment'), ('bot_error'), ('other'), ('bot_paused')) AS k(reason)
		CROSS JOIN LATERAL (SELECT count(*) AS n FROM balie.escalations e
				    WHERE e.queue = q.id AND e.reason = k.reason
				      AND e.at >= clock.today) AS r
	) AS esc
	ORDER BY q.priority DESC, q.id;
END
$$;

-- -------------------------------------------------------------- reads

-- Every conversation fetch of the console and of `balie watch`, in the
-- shape store.c parses: ids NULL gives every visible open conversation,
-- else those of IDS (any state) the caller may see. The last message is
-- the last one the caller may read (a bot never sees notes).
CREATE OR REPLACE FUNCTION balie.read_conversations(ids bigint[] DEFAULT NULL)
RETURNS TABLE (id bigint, version bigint, queue text, state text, agent text,
	       customer_ref text, customer_name text, channel text, intent text,
	       confidence real, escalation_reason text, bot_summary text,
	       created_at bigint, escalated_at bigint, taken_at bigint, closed_at bigint,
	       message_count int, last_author_kind text, last_body text, json text, now bigint)
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
	       EXTRACT(epoch FROM t)::bigint
	FROM balie.conversations c
	WHERE CASE WHEN ids IS NULL THEN c.state <> 'closed' ELSE c.id = ANY (ids) END
	  -- balie._visible, written out: a function with SET is never inlined.
	  AND (m.supervisor OR (m.agent AND c.agent = m.login) OR c.queue = ANY (m.queues));
END
$$;

-- A page of a conversation's transcript and the sources its messages cite,
-- in the shape store.c parses: part 0 rows are messages, part 1 rows the
-- sources of the message with the same seq. after_seq > 0 (or before_seq
-- NULL): the messages after after_seq, oldest first; else those before
-- before_seq (0: the newest), newest first. At most LIM messages, and no more than 1 MiB of bodies
-- (but always one). Notes are hidden from bots; a conversation the caller
-- may not see, or one that does not exist, gives no rows.
CREATE OR REPLACE FUNCTION balie.read_messages(conv bigint, after_seq int, before_seq int, lim int)
RETURNS TABLE (part int, seq int, ord bigint, id bigint, author_kind text, author text,
	       body text, created_at bigint, title text, url text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	m record;
	c record;
	p_after int := COALESCE(after_seq, 0);
	asc_order boolean := COALESCE(after_seq, 0) > 0 OR before_seq IS NULL;
	p_before int := COALESCE(before_seq, 0);
	p_lim int := GREATEST(COALESCE(lim, 0), 0);
BEGIN
	PERFORM balie._guard();
	SELECT * INTO m FROM balie._me();
	SELECT x.queue, x.agent INTO c FROM balie.conversations x WHERE x.id = conv;
	IF NOT (FOUND AND balie._visible(c.queue, c.agent, m.supervisor, m.agent, m.login, m.queues)) THEN
		RETURN;
	END IF;
	RETURN QUERY
	WITH p AS (
		SELECT x.id, x.seq, x.author_kind, x.author, x.body, x.sources, x.created_at,
		       sum(pg_catalog.octet_length(x.body)) OVER (ORDER BY
			 CASE WHEN asc_order THEN x.seq ELSE -x.seq END)
			 - pg_catalog.octet_length(x.body) AS before
		FROM balie.messages x
		WHERE x.conversation = conv
		  AND (m.agent OR x.author_kind <> 'note')
		  AND CASE WHEN asc_order THEN x.seq > p_after
			   ELSE (p_before = 0 OR x.seq < p_before) END
		ORDER BY CASE WHEN asc_order THEN x.seq ELSE -x.seq END
		LIMIT p_lim
	), pg AS (SELECT * FROM p WHERE p.before < 1048576)
	SELECT 0, pg.seq, 0::bigint, pg.id, pg.author_kind, pg.author, pg.body,
	       EXTRACT(epoch FROM pg.created_at)::bigint, NULL::text, NULL::text
	FROM pg
	UNION ALL
	SELECT 1, pg.seq, s.ord, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::bigint,
	       s.e ->> 'title', s.e ->> 'url'
	FROM pg, pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof(pg.sources) = 'array'
		THEN pg.sources ELSE '[]'::jsonb END) WITH ORDINALITY AS s(e, ord)
	ORDER BY 2, 1, 3;
END
$$;

-- The customer's other conversations that the caller may see, newest first.
CREATE OR REPLACE FUNCTION balie.read_history(conv bigint)
RETURNS TABLE (id bigint, state text, queue text, intent text, escalation_reason text,
	       bot_summary text, created_at bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	m record;
	c record;
BEGIN
	PERFORM balie._guard();
	SELECT * INTO m FROM balie._me();
	SELECT x.queue, x.agent, x.customer_ref INTO c FROM balie.conversations x WHERE x.id = conv;
	IF NOT (FOUND AND balie._visible(c.queue, c.agent, m.supervisor, m.agent, m.login, m.queues)) THEN
		RETURN;
	END IF;
	RETURN QUERY
	SELECT x.id, x.state, x.queue, x.intent, x.escalation_reason, x.bot_summary,
	       EXTRACT(epoch FROM x.created_at)::bigint
	FROM balie.conversations x
	WHERE x.customer_ref = c.customer_ref AND x.id <> conv
	  AND balie._visible(x.queue, x.agent, m.supervisor, m.agent, m.login, m.queues)
	ORDER BY x.created_at DESC LIMIT 20;
END
$$;

-- The caller as an agent of this database; no row when it is not one.
CREATE OR REPLACE FUNCTION balie.read_me()
RETURNS TABLE (login text, display_name text, is_supervisor boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	m record;
BEGIN
	PERFORM balie._guard();
	SELECT * INTO m FROM balie._me();
	RETURN QUERY SELECT a.login, a.display_name, m.supervisor FROM balie.agents a
	WHERE a.login = m.login AND m.agent;
END
$$;

-- Every queue, for anyone registered in this database.
CREATE OR REPLACE FUNCTION balie.read_queues()
RETURNS TABLE (id text, name text, sla_seconds int, priority int, bot_paused boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	m record;
BEGIN
	PERFORM balie._guard();
	SELECT * INTO m FROM balie._me();
	IF NOT (m.agent OR m.supervisor OR m.bot) THEN
		RETURN;
	END IF;
	RETURN QUERY SELECT q.id, q.name, q.sla_seconds, q.priority, q.bot_paused
	FROM balie.queues q ORDER BY q.id;
END
$$;

-- The agents of this database (names for the screen), for its agents.
CREATE OR REPLACE FUNCTION balie.read_agents()
RETURNS TABLE (login text, display_name text, is_supervisor boolean, last_seen bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	m record;
BEGIN
	PERFORM balie._guard();
	SELECT * INTO m FROM balie._me();
	IF NOT m.agent THEN
		RETURN;
	END IF;
	RETURN QUERY SELECT a.login, a.display_name, a.is_supervisor,
	       EXTRACT(epoch FROM a.last_seen)::bigint
	FROM balie.agents a ORDER BY a.login;
END
$$;

-- The state of each of IDS the caller may see (what a bot needs to know
-- whether to talk).
CREATE OR REPLACE FUNCTION balie.read_states(ids bigint[])
RETURNS TABLE (id bigint, state text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	m record;
BEGIN
	PERFORM balie._guard();
	SELECT * INTO m FROM balie._me();
	RETURN QUERY SELECT c.id, c.state FROM balie.conversations c
	WHERE c.id = ANY (ids)
	  AND balie._visible(c.queue, c.agent, m.supervisor, m.agent, m.login, m.queues)
	ORDER BY c.id;
END
$$;

-- ----------------------------------------------------------- privileges

-- Reads go through the functions above: no table is readable by a balie
-- role, so EXPLAIN, estimates and statistics have nothing to work on.
-- Row-level security stays on underneath as the second wall.
DO $$
DECLARE
	t regclass;
BEGIN
	FOR t IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
		 WHERE c.relnamespace = 'balie'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'S') LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC, balie_agent, balie_supervisor, balie_bot', t);
	END LOOP;
END $$;

-- The bot's policy sees its queues only, like every other reader.
ALTER POLICY read_visible ON balie.conversations
	USING (balie._can_see(queue, agent));

-- Lock waits of the write calls give up instead of queueing forever.
DO $$
DECLARE
	f regprocedure;
BEGIN
	FOREACH f IN ARRAY ARRAY[
		'balie.open_conversation(text, text, text, text)', 'balie.post_message(bigint, text, text, jsonb, uuid)',
		'balie.escalate(bigint, text, text, real, text)', 'balie.reply(bigint, text, uuid)',
		'balie.note(bigint, text)', 'balie.confirm_agreement(bigint, text)',
		'balie.handback(bigint, text)', 'balie.transfer(bigint, text, text)',
		'balie.close(bigint, text)', 'balie.assign(bigint, text)']::regprocedure[] LOOP
		EXECUTE pg_catalog.format('ALTER FUNCTION %s SET lock_timeout = %L', f, '3s');
	END LOOP;
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

GRANT EXECUTE ON FUNCTION
	balie.read_conversations(bigint[]),
	balie.read_messages(bigint, int, int, int),
	balie.read_history(bigint),
	balie.read_me(),
	balie.read_queues(),
	balie.read_states(bigint[])
	TO balie_agent, balie_supervisor, balie_bot;
GRANT EXECUTE ON FUNCTION balie.read_agents() TO balie_agent, balie_supervisor;
-- balie.add_bot: superusers and balie_owner only, like add_agent.

INSERT INTO balie.schema_version (version) VALUES (5) ON CONFLICT (version) DO NOTHING;

COMMIT;
