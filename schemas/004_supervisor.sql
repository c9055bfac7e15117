-- balie ticket store, part 4: what the supervisor screen needs.
--
-- Agent presence (heartbeat with an away flag, one rule for online, away and
-- offline), a per-minute history of each queue's waiting count and a log of
-- escalations, both kept by the state-change path, and the two aggregate
-- functions the screen refreshes from. Idempotent like the files before it.

BEGIN;
SET LOCAL client_min_messages = warning;
SET LOCAL search_path = pg_catalog, pg_temp;
DO $$ BEGIN PERFORM pg_catalog.pg_advisory_xact_lock(7283061937); END $$;

-- --------------------------------------------------------------- presence

-- What the console last said: the agent is at the keyboard, or away (idle
-- longer than its away_after setting); and since when that has been so.
ALTER TABLE balie.agents ADD COLUMN IF NOT EXISTS away boolean NOT NULL DEFAULT false;
ALTER TABLE balie.agents ADD COLUMN IF NOT EXISTS presence_since timestamptz;

-- How long after its last heartbeat an agent counts as offline.
CREATE OR REPLACE FUNCTION balie._offline_after() RETURNS interval
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$ SELECT interval '30 seconds' $$;

-- The one presence rule: offline without a heartbeat for _offline_after(),
-- else away or online as the last heartbeat said; AT is the moment judged.
CREATE OR REPLACE FUNCTION balie._presence(last_seen timestamptz, away boolean, at timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, balie, pg_temp
AS $$
	SELECT CASE WHEN $1 IS NULL OR $1 <= $3 - balie._offline_after() THEN 'offline'
		    WHEN $2 THEN 'away'
		    ELSE 'online' END
$$;

-- ------------------------------------------------------ history and log

-- The waiting count of a queue per minute: one row for each minute in which
-- it changed, holding the count at the end of that minute and the highest
-- count during it; a minute without a row carries the previous row forward.
DO $$
BEGIN
	IF pg_catalog.to_regclass('balie.waiting_samples') IS NULL THEN
		CREATE TABLE balie.waiting_samples (
			queue   text NOT NULL REFERENCES balie.queues (id) ON DELETE CASCADE,
			minute  timestamptz NOT NULL,
			waiting int NOT NULL,
			peak    int NOT NULL,
			PRIMARY KEY (queue, minute),
			CONSTRAINT waiting_samples_minute_check
				CHECK (minute = pg_catalog.date_trunc('minute', minute)),
			CONSTRAINT waiting_samples_count_check CHECK (waiting >= 0 AND peak >= waiting)
		);
		-- Queues already waiting when this file is first applied start from now.
		INSERT INTO balie.waiting_samples (queue, minute, waiting, peak)
		SELECT q.id, pg_catalog.date_trunc('minute', pg_catalog.now()), w.n, w.n
		FROM balie.queues q
		CROSS JOIN LATERAL (SELECT count(*)::int AS n FROM balie.conversations c
				    WHERE c.queue = q.id AND c.state = 'waiting') w
		WHERE w.n > 0;
	END IF;
END $$;

-- One row each time the bot handed a conversation to a person (bot to
-- waiting, or opened waiting because the bot was paused), with the queue and
-- reason it had then; the bot refining the reason while it waits updates it.
DO $$
BEGIN
	IF pg_catalog.to_regclass('balie.escalations') IS NULL THEN
		CREATE TABLE balie.escalations (
			id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			conversation bigint NOT NULL REFERENCES balie.conversations (id),
			queue        text NOT NULL,
			reason       text NOT NULL,
			at           timestamptz NOT NULL DEFAULT pg_catalog.now()
		);
		-- Escalations from before this file: from the audit log, as far as it goes.
		INSERT INTO balie.escalations (conversation, queue, reason, at)
		SELECT sc.conversation, c.queue, COALESCE(c.escalation_reason, 'other'), sc.at
		FROM balie.state_changes sc
		JOIN balie.conversations c ON c.id = sc.conversation
		WHERE sc.to_state = 'waiting' AND (sc.from_state IS NULL OR sc.from_state = 'bot')
		ORDER BY sc.id;
	END IF;
END $$;

-- Today's escalations of a queue by reason, counted from the index alone.
CREATE INDEX IF NOT EXISTS escalations_queue_reason_idx ON balie.escalations (queue, reason, at);
CREATE INDEX IF NOT EXISTS escalations_conversation_idx ON balie.escalations (conversation, id);
-- Bot containment today, read from the index alone.
CREATE INDEX IF NOT EXISTS conversations_closed_today_idx
	ON balie.conversations (closed_at) INCLUDE (queue, taken_at) WHERE state = 'closed';

-- Records the waiting count of queue Q for the current minute.
CREATE OR REPLACE FUNCTION balie._sample_waiting(q text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	m timestamptz := pg_catalog.date_trunc('minute', pg_catalog.now());
	n int;
	prev int;
	had boolean;
BEGIN
	-- Changes of one queue take turns here, so each count (a new snapshot
	-- after the lock) includes what the transaction before it committed.
	-- The lock is on the queue's row, which only balie_owner can lock: an
	-- advisory lock is open to every login role, and one holding it would
	-- stall every escalation and takeover of the queue. NO KEY UPDATE lets
	-- new conversations (a KEY SHARE for their foreign key) through.
	PERFORM 1 FROM balie.queues WHERE id = q FOR NO KEY UPDATE;
	SELECT count(*)::int INTO n FROM balie.conversations c
	WHERE c.queue = q AND c.state = 'waiting';
	SELECT s.waiting, s.minute = m INTO prev, had FROM balie.waiting_samples s
	WHERE s.queue = q AND s.minute <= m ORDER BY s.minute DESC LIMIT 1;
	IF had THEN
		UPDATE balie.waiting_samples s SET waiting = n, peak = GREATEST(s.peak, n)
		WHERE s.queue = q AND s.minute = m;
		RETURN;
	END IF;
	-- A new minute: its peak includes the count carried in from before.
	INSERT INTO balie.waiting_samples (queue, minute, waiting, peak)
	VALUES (q, m, n, GREATEST(n, COALESCE(prev, 0)));
	-- Keep a week, and always the row before the newest for carrying forward.
	DELETE FROM balie.waiting_samples s
	WHERE s.queue = q AND s.minute < m - interval '7 days'
	  AND s.minute < (SELECT max(p.minute) FROM balie.waiting_samples p
			  WHERE p.queue = q AND p.minute < m);
END
$$;

-- Keeps the waiting history and the escalation log in step with every state
-- change, whoever makes it, so no client has to be running to record them.
CREATE OR REPLACE FUNCTION balie._supervisor_track() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	q text;
	queues text[] := '{}';
BEGIN
	IF TG_OP = 'INSERT' THEN
		IF NEW.state = 'waiting' THEN
			INSERT INTO balie.escalations (conversation, queue, reason)
			VALUES (NEW.id, NEW.queue, COALESCE(NEW.escalation_reason, 'other'));
			queues := ARRAY[NEW.queue];
		END IF;
	ELSE
		IF NEW.state = 'waiting' AND OLD.state = 'bot' THEN
			INSERT INTO balie.escalations (conversation, queue, reason)
			VALUES (NEW.id, NEW.queue, COALESCE(NEW.escalation_reason, 'other'));
		ELSIF NEW.state = 'waiting' AND OLD.state = 'waiting' AND NEW.queue = OLD.queue
		      AND NEW.escalation_reason IS DISTINCT FROM OLD.escalation_reason THEN
			UPDATE balie.escalations e SET reason = COALESCE(NEW.escalation_reason, 'other')
			WHERE e.id = (SELECT max(l.id) FROM balie.escalations l
				      WHERE l.conversation = NEW.id);
		END IF;
		IF OLD.state = 'waiting' AND (NEW.state <> 'waiting' OR NEW.queue <> OLD.queue) THEN
			queues := queues || OLD.queue;
		END IF;
		IF NEW.state = 'waiting' AND (OLD.state <> 'waiting' OR NEW.queue <> OLD.queue) THEN
			queues := queues || NEW.queue;
		END IF;
	END IF;
	-- In name order, so two transfers between the same queues never deadlock.
	FOR q IN SELECT DISTINCT u.x FROM pg_catalog.unnest(queues) AS u(x) ORDER BY u.x LOOP
		PERFORM balie._sample_waiting(q);
	END LOOP;
	RETURN NULL;
END
$$;

DO $$
BEGIN
	-- WHEN keeps the trigger off the hot path: message posts change no state.
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
			WHERE tgrelid = 'balie.conversations'::regclass
			  AND tgname = 'conversations_supervisor_opened') THEN
		CREATE TRIGGER conversations_supervisor_opened AFTER INSERT ON balie.conversations
			FOR EACH ROW WHEN (NEW.state = 'waiting')
			EXECUTE FUNCTION balie._supervisor_track();
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
			WHERE tgrelid = 'balie.conversations'::regclass
			  AND tgname = 'conversations_supervisor_changed') THEN
		CREATE TRIGGER conversations_supervisor_changed AFTER UPDATE ON balie.conversations
			FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state
					   OR OLD.queue IS DISTINCT FROM NEW.queue
					   OR OLD.escalation_reason IS DISTINCT FROM NEW.escalation_reason)
			EXECUTE FUNCTION balie._supervisor_track();
	END IF;
END $$;

-- -------------------------------------------------------------- security

ALTER TABLE balie.waiting_samples OWNER TO balie_owner;
ALTER TABLE balie.escalations OWNER TO balie_owner;
ALTER TABLE balie.waiting_samples ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.escalations ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.waiting_samples FORCE ROW LEVEL SECURITY;
ALTER TABLE balie.escalations FORCE ROW LEVEL SECURITY;
-- Supervisors may read the history directly (reports); nobody writes it but the trigger.
GRANT SELECT ON balie.waiting_samples, balie.escalations TO balie_supervisor;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['waiting_samples', 'escalations'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy
				WHERE polrelid = ('balie.' || t)::regclass AND polname = 'owner_all') THEN
			EXECUTE pg_catalog.format('CREATE POLICY owner_all ON balie.%I FOR ALL TO balie_owner '
						  'USING (true) WITH CHECK (true)', t);
		END IF;
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy
				WHERE polrelid = ('balie.' || t)::regclass AND polname = 'read_all') THEN
			EXECUTE pg_catalog.format('CREATE POLICY read_all ON balie.%I FOR SELECT '
						  'TO balie_supervisor USING (true)', t);
		END IF;
	END LOOP;
END $$;

-- ------------------------------------------------------------- heartbeat

-- heartbeat() becomes heartbeat(away boolean DEFAULT false): the same call
-- keeps working. Dropped only while the old signature exists (a re-run of
-- 003 brings it back), so the new function keeps its identity.
DO $$
BEGIN
	IF pg_catalog.to_regprocedure('balie.heartbeat()') IS NOT NULL THEN
		DROP FUNCTION balie.heartbeat();
	END IF;
END $$;

CREATE OR REPLACE FUNCTION balie.heartbeat(away boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	p_away boolean := COALESCE($1, false);
	was text;
	now_is text := CASE WHEN COALESCE($1, false) THEN 'away' ELSE 'online' END;
BEGIN
	PERFORM balie._require('agent', 'send heartbeats');
	SELECT balie._presence(a.last_seen, a.away, pg_catalog.now()) INTO was
	FROM balie.agents a WHERE a.login = session_user::text FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM balie._my_name();	-- raises BL003 with the usual message
	END IF;
	UPDATE balie.agents a
	SET last_seen = pg_catalog.now(), away = p_away,
	    presence_since = CASE WHEN was = now_is THEN COALESCE(a.presence_since, pg_catalog.now())
				  ELSE pg_catalog.now() END
	WHERE a.login = session_user::text;
	-- Only a change is news; going offline is noticed by time passing.
	IF was IS DISTINCT FROM now_is THEN
		PERFORM pg_catalog.pg_notify('balie_presence', pg_catalog.jsonb_build_object(
			'agent', session_user::text, 'presence', now_is)::text);
	END IF;
END
$$;

-- ------------------------------------------------------ supervisor screen

-- One row per queue with every figure of the supervisor screen.
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
-- Compiling these small aggregates costs far more than running them.
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
	       spark.points
	FROM balie.queues q
	CROSS JOIN clock
	LEFT JOIN closed_counts cc ON cc.queue = q.id
	LEFT JOIN presence p ON p.queue = q.id
	-- Each count is one range of the partial index on (queue, state, escalated_at).
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
	-- One range of (queue, reason, at) per reason; the reasons are those of
	-- conversations_reason_check.
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
	-- Sixty minutes, oldest first: the minute's peak, else the count carried forward.
	CROSS JOIN LATERAL (
		SELECT pg_catalog.array_agg(COALESCE(
			(SELECT s.peak FROM balie.waiting_samples s
			 WHERE s.queue = q.id AND s.minute = g.m),
			(SELECT s.waiting FROM balie.waiting_samples s
			 WHERE s.queue = q.id AND s.minute < g.m
			 ORDER BY s.minute DESC LIMIT 1),
			0) ORDER BY g.m) AS points
		FROM pg_catalog.generate_series(0, 59) AS i(i)
		CROSS JOIN LATERAL (SELECT clock.minute - (59 - i.i) * interval '1 minute') AS g(m)
	) AS spark
	ORDER BY q.priority DESC, q.id;
END
$$;

-- One row per registered agent: presence, since when, and their open conversations.
CREATE OR REPLACE FUNCTION balie.supervisor_agents()
RETURNS TABLE (login text, display_name text, is_supervisor boolean, presence text,
	       presence_since timestamptz, last_seen timestamptz, queues text[],
	       open_conversations int, conversations bigint[])
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
-- Compiling these small aggregates costs far more than running them.
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
	PERFORM balie._require('supervisor', 'read the supervisor figures');
	RETURN QUERY
	WITH owned AS (
		-- One pass over the conversations people have; the screen lists a
		-- few of each agent's, the count says how many there are.
		SELECT c.agent, count(*) AS n,
		       (pg_catalog.array_agg(c.id ORDER BY c.taken_at, c.id))[1:50] AS ids
		FROM balie.conversations c
		WHERE c.state = 'human'
		GROUP BY c.agent
	),
	works AS (
		SELECT aq.login, pg_catalog.array_agg(aq.queue ORDER BY aq.queue) AS queues
		FROM balie.agent_queues aq
		GROUP BY aq.login
	)
	SELECT a.login, a.display_name, a.is_supervisor, p.p,
	       CASE p.p WHEN 'offline' THEN a.last_seen + balie._offline_after()
			ELSE COALESCE(a.presence_since, a.last_seen) END,
	       a.last_seen,
	       COALESCE(w.queues, '{}'),
	       COALESCE(o.n, 0)::int,
	       COALESCE(o.ids, '{}')
	FROM balie.agents a
	LEFT JOIN owned o ON o.agent = a.login
	LEFT JOIN works w ON w.login = a.login
	CROSS JOIN LATERAL (SELECT balie._presence(a.last_seen, a.away, pg_catalog.now())) AS p(p)
	ORDER BY a.display_name, a.login;
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

GRANT EXECUTE ON FUNCTION balie.heartbeat(boolean) TO balie_agent, balie_supervisor;
GRANT EXECUTE ON FUNCTION balie.supervisor_queues(), balie.supervisor_agents()
	TO balie_supervisor;

INSERT INTO balie.schema_version (version) VALUES (4) ON CONFLICT (version) DO NOTHING;

COMMIT;
