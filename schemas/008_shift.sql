-- balie ticket store, part 8: a shift of several conversations at once.
-- Capacity and status per agent, take_next, automatic routing per queue
-- (inside the transaction that triggers it), read marks, the customer's
-- unanswered wait, who else has a conversation open, search that ignores
-- accents and case, and the load of each queue for the transfer picker.
-- Idempotent like the files before it; see balie-sql(7).

BEGIN;
SET LOCAL client_min_messages = warning;
SET LOCAL search_path = pg_catalog, pg_temp;
DO $$ BEGIN PERFORM pg_catalog.pg_advisory_xact_lock(7283061937); END $$;

-- ---------------------------------------------------------------- tables

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
			WHERE attrelid = 'balie.agents'::regclass AND attname = 'capacity' AND NOT attisdropped) THEN
		ALTER TABLE balie.agents
			ADD COLUMN capacity int NOT NULL DEFAULT 4,
			ADD COLUMN status text NOT NULL DEFAULT 'available',
			ADD COLUMN status_since timestamptz,
			ADD COLUMN last_taken_at timestamptz,
			ADD CONSTRAINT agents_capacity_check CHECK (capacity >= 0 AND capacity <= 1000),
			ADD CONSTRAINT agents_status_check CHECK (status IN ('available', 'away'));
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
			WHERE attrelid = 'balie.queues'::regclass AND attname = 'routing' AND NOT attisdropped) THEN
		ALTER TABLE balie.queues ADD COLUMN routing text NOT NULL DEFAULT 'manual',
			ADD CONSTRAINT queues_routing_check CHECK (routing IN ('manual', 'auto'));
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
			WHERE attrelid = 'balie.conversations'::regclass AND attname = 'customer_waiting_since'
			  AND NOT attisdropped) THEN
		ALTER TABLE balie.conversations ADD COLUMN customer_waiting_since timestamptz,
			ADD COLUMN viewers text;
		-- The customer's oldest message after the last agent or bot message,
		-- for the conversations there are; no change of theirs.
		SET LOCAL session_replication_role = replica;
		UPDATE balie.conversations c SET customer_waiting_since = w.at
		FROM (SELECT m.conversation, min(m.created_at) AS at FROM balie.messages m
		      WHERE m.author_kind = 'customer'
			AND m.seq > COALESCE((SELECT max(a.seq) FROM balie.messages a
					      WHERE a.conversation = m.conversation
						AND a.author_kind IN ('agent', 'bot')), 0)
		      GROUP BY m.conversation) w
		WHERE w.conversation = c.id AND c.state <> 'closed';
		SET LOCAL session_replication_role = origin;
	END IF;
	IF pg_catalog.to_regclass('balie.read_marks') IS NULL THEN
		CREATE TABLE balie.read_marks (
			login        text NOT NULL REFERENCES balie.agents (login) ON DELETE CASCADE,
			conversation bigint NOT NULL REFERENCES balie.conversations (id),
			seq          int NOT NULL,
			PRIMARY KEY (login, conversation)
		);
	END IF;
END $$;
CREATE INDEX IF NOT EXISTS conversations_waiting_idx ON balie.conversations (escalated_at, id)
	WHERE state = 'waiting';
CREATE INDEX IF NOT EXISTS conversations_human_idx ON balie.conversations (agent) WHERE state = 'human';

ALTER TABLE balie.read_marks OWNER TO balie_owner;
ALTER TABLE balie.read_marks ENABLE ROW LEVEL SECURITY;
ALTER TABLE balie.read_marks FORCE ROW LEVEL SECURITY;
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy
			WHERE polrelid = 'balie.read_marks'::regclass AND polname = 'owner_all') THEN
		CREATE POLICY owner_all ON balie.read_marks FOR ALL TO balie_owner USING (true) WITH CHECK (true);
	END IF;
END $$;

-- A message numbers itself from the conversation row it locks (as in 005)
-- and keeps the customer's unanswered wait there: set by the first customer
-- message after an agent's or bot's, cleared by their answer.
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
			       ELSE pg_catalog.left(NEW.body, 200) END,
	    customer_waiting_since = CASE NEW.author_kind
		WHEN 'customer' THEN COALESCE(customer_waiting_since, NEW.created_at)
		WHEN 'agent' THEN NULL WHEN 'bot' THEN NULL
		ELSE customer_waiting_since END
	WHERE id = NEW.conversation
	RETURNING message_count INTO NEW.seq;
	IF NOT FOUND THEN
		RAISE EXCEPTION USING ERRCODE = 'BL001',
			MESSAGE = pg_catalog.format('conversation %s not found', NEW.conversation);
	END IF;
	RETURN NEW;
END
$$;

-- ---------------------------------------------------------------- capacity

-- Locks the agent's row (so two grants to one agent take turns) and refuses
-- one conversation more than their capacity (BL050).
CREATE OR REPLACE FUNCTION balie._room_for(who text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	cap int;
	n int;
BEGIN
	BEGIN
		SELECT a.capacity INTO cap FROM balie.agents a WHERE a.login = who FOR NO KEY UPDATE;
	EXCEPTION WHEN lock_not_available THEN
		PERFORM balie._fail('BL040', pg_catalog.format(
			'%s is busy: another change to their conversations has not finished; '
			'try again in a moment', balie._name(who)));
	END;
	SELECT count(*) INTO n FROM balie.conversations c WHERE c.agent = who AND c.state = 'human';
	IF n >= cap THEN
		IF who = session_user::text THEN
			PERFORM balie._fail('BL050', pg_catalog.format(
				'you already have %s open conversations, your capacity', n));
		END IF;
		PERFORM balie._fail('BL050', pg_catalog.format(
			'%s already has %s open conversations, their capacity', balie._name(who), n));
	END IF;
END
$$;

-- Gives conversation C (locked by the caller, waiting) to WHO.
CREATE OR REPLACE FUNCTION balie._give(conv bigint, who text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	PERFORM balie._set_note(NULL);
	UPDATE balie.conversations SET state = 'human', agent = who, taken_at = pg_catalog.now()
	WHERE id = conv;
	UPDATE balie.agents SET last_taken_at = pg_catalog.now() WHERE login = who;
	PERFORM balie._say(conv, 'joined', 'system', who,
			   pg_catalog.jsonb_build_object('agent', balie._name(who)));
END
$$;

-- ----------------------------------------------------------------- routing

-- Auto routing of one waiting conversation: to the available, online agent
-- of its queue with the most free capacity, the longest idle first. Agents
-- whose row another transaction holds are passed over, never waited for.
CREATE OR REPLACE FUNCTION balie._route_conv(conv bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	c record;
	who text;
	n int;
	cap int;
BEGIN
	SELECT x.id, x.queue, x.state, q.routing INTO c FROM balie.conversations x
	JOIN balie.queues q ON q.id = x.queue WHERE x.id = conv FOR UPDATE OF x SKIP LOCKED;
	IF NOT FOUND OR c.state <> 'waiting' OR c.routing <> 'auto' THEN
		RETURN;
	END IF;
	FOR i IN 1..3 LOOP
		SELECT a.login, a.capacity INTO who, cap FROM balie.agents a
		JOIN balie.agent_queues aq ON aq.login = a.login AND aq.queue = c.queue
		CROSS JOIN LATERAL (SELECT count(*) AS n FROM balie.conversations o
				    WHERE o.agent = a.login AND o.state = 'human') l
		WHERE a.status = 'available'
		  AND balie._presence(a.last_seen, a.away, pg_catalog.now()) = 'online'
		  AND l.n < a.capacity
		ORDER BY a.capacity - l.n DESC, a.last_taken_at NULLS FIRST, a.login
		LIMIT 1
		FOR NO KEY UPDATE OF a SKIP LOCKED;
		IF who IS NULL THEN
			RETURN;
		END IF;
		-- Counted again under the agent's lock: the count above may be stale.
		SELECT count(*) INTO n FROM balie.conversations o WHERE o.agent = who AND o.state = 'human';
		IF n < cap THEN
			PERFORM balie._give(conv, who);
			RETURN;
		END IF;
		who := NULL;
	END LOOP;
END
$$;

-- Auto routing to one agent that became available or freed a slot: the
-- longest-waiting conversations of its auto queues, while it has room.
CREATE OR REPLACE FUNCTION balie._route_agent(who text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, balie, pg_temp
AS $$
DECLARE
	a record;
	n int;
	next_id bigint;
BEGIN
	SELECT x.capacity, x.status, balie._presence(x.last_seen, x.away, pg_catalog.now()) AS p INTO a
	FROM balie.agents x WHERE x.login = who FOR NO KEY UPDATE SKIP LOCKED;
	IF NOT FOUND OR a.status <> 'available' OR a.p <> 'online' THEN
		RETURN;
	END IF;
	LOOP
		SELECT count(*) INTO n FROM balie.conversations o WHERE o.agent = who AND o.state = 'human';
		EXIT WHEN n >= a.capacity;
		SELECT c.id INTO next_id FROM balie.conversations c
		WHERE c.state = 'waiting'
		  AND c.queue IN (SELECT aq.queue FROM balie.agent_queues aq JOIN balie.queues q ON q.id = aq.queue
				  WHERE aq.login = who AND q.routing = 'auto')
		ORDER BY c.escalated_at, c.id
		LIMIT 1
		FOR UPDATE OF c SKIP LOCKED;
		EXIT WHEN next_id IS NULL;
		PERFORM balie._give(next_id, who);
		next_id := NULL;
	END LOOP;
END
$$;

-- Runs at commit of the transaction that made a conversation wait or freed
-- an agent's slot, so the texts of that change come first. Runs as the
-- owner: at commit the current user is the caller again.
CREATE OR REPLACE FUNCTION balie._route_trigger() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
AS $$
BEGIN
	IF NEW.state = 'waiting' THEN
		PERFORM balie._route_conv(NEW.id);
	ELSIF TG_OP = 'UPDATE' AND OLD.state = 'human' AND NEW.state <> 'human' THEN
		PERFORM balie._route_agent(OLD.agent);
	END IF;
	RETURN NULL;
END
$$;

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger
			WHERE tgrelid = 'balie.conversations'::regclass AND tgname = 'conversations_route') THEN
		CREATE CONSTRAINT TRIGGER conversations_route AFTER INSERT OR UPDATE OF state
			ON balie.conversations DEFERRABLE INITIALLY DEFERRED
			FOR EACH ROW EXECUTE FUNCTION balie._route_trigger();
	END IF;
END $$;

-- ------------------------------------------------------------ agent calls

CREATE OR REPLACE FUNCTION balie.set_status(status text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
AS $$
#variable_conflict use_column
DECLARE
	p_status text := $1;
BEGIN
	PERFORM balie._require('agent', 'set a status');
	IF p_status IS NULL OR p_status NOT IN ('available', 'away') THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'unknown status %s: use available or away', COALESCE(p_status, '(none)')));
	END IF;
	UPDATE balie.agents a SET status = p_status, status_since = pg_catalog.now()
	WHERE a.login = session_user::text AND a.status IS DISTINCT FROM p_status;
	IF FOUND THEN
		PERFORM pg_catalog.pg_notify('balie_presence', '');
		IF p_status = 'available' THEN
			PERFORM balie._route_agent(session_user::text);
		END IF;
	END IF;
END
$$;

CREATE OR REPLACE FUNCTION balie.set_capacity(agent text, n int) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
AS $$
#variable_conflict use_column
DECLARE
	p_agent text := $1;
	p_n int := $2;
BEGIN
	PERFORM balie._require('supervisor', 'set capacities');
	IF p_n IS NULL OR p_n < 0 OR p_n > 1000 THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'capacity must be between 0 and 1000 open conversations, not %s', COALESCE(p_n::text, 'null')));
	END IF;
	UPDATE balie.agents a SET capacity = p_n WHERE a.login = p_agent;
	IF NOT FOUND THEN
		PERFORM balie._fail('BL003', pg_catalog.format('%s is not a registered agent', COALESCE(p_agent, '(none)')));
	END IF;
	PERFORM pg_catalog.pg_notify('balie_presence', '');
	PERFORM balie._route_agent(p_agent);
END
$$;

CREATE OR REPLACE FUNCTION balie.set_routing(queue text, routing text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
AS $$
#variable_conflict use_column
DECLARE
	p_queue text := $1;
	p_routing text := $2;
	w bigint;
BEGIN
	PERFORM balie._require('supervisor', 'set routing');
	IF p_routing IS NULL OR p_routing NOT IN ('manual', 'auto') THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'unknown routing %s: use manual or auto', COALESCE(p_routing, '(none)')));
	END IF;
	UPDATE balie.queues q SET routing = p_routing WHERE q.id = p_queue;
	IF NOT FOUND THEN
		PERFORM balie._fail('BL002', pg_catalog.format('queue %s not found', COALESCE(p_queue, '(none)')));
	END IF;
	IF p_routing = 'auto' THEN
		FOR w IN SELECT c.id FROM balie.conversations c WHERE c.queue = p_queue AND c.state = 'waiting'
			 ORDER BY c.escalated_at, c.id LOOP
			PERFORM balie._route_conv(w);
		END LOOP;
	END IF;
END
$$;

-- The most urgent waiting conversation the caller may take (priority, then
-- the longest wait), taken as takeover does. Rows another caller is taking
-- are skipped, never waited for, so no two callers get the same one and
-- nobody stands in line. NULL when there is none.
CREATE OR REPLACE FUNCTION balie.take_next() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
AS $$
DECLARE
	m record;
	got bigint;
BEGIN
	PERFORM balie._require('agent', 'take conversations');
	SELECT * INTO m FROM balie._me();
	PERFORM balie._room_for(session_user::text);
	SELECT c.id INTO got FROM balie.conversations c
	JOIN balie.queues q ON q.id = c.queue
	WHERE c.state = 'waiting' AND c.queue = ANY (m.queues)
	ORDER BY q.priority DESC, c.escalated_at, c.id
	LIMIT 1
	FOR UPDATE OF c SKIP LOCKED;
	IF got IS NULL THEN
		RETURN NULL;
	END IF;
	PERFORM balie._give(got, session_user::text);
	RETURN got;
END
$$;

-- takeover (as in 007) refuses beyond capacity.
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
	PERFORM balie._room_for(session_user::text);
	PERFORM balie._set_note(NULL);
	UPDATE balie.conversations
	SET state = 'human', agent = session_user::text, taken_at = pg_catalog.now()
	WHERE id = c.id;
	UPDATE balie.agents SET last_taken_at = pg_catalog.now() WHERE login = session_user::text;
	PERFORM balie._say(c.id, 'joined', 'system', session_user::text,
			   pg_catalog.jsonb_build_object('agent', me));
	RETURN true;
END
$$;

-- assign (as in 007) refuses beyond the target's capacity.
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
	PERFORM balie._room_for(p_agent);
	PERFORM balie._set_note(NULL);
	UPDATE balie.conversations
	SET state = 'human', agent = p_agent, taken_at = pg_catalog.now()
	WHERE id = c.id;
	PERFORM balie._say(c.id, CASE WHEN c.agent IS NULL THEN 'joined' ELSE 'person_changed' END,
			   'system', session_user::text, pg_catalog.jsonb_build_object('agent', target_name));
END
$$;

-- ------------------------------------------------------ marks and viewers

-- The caller has read CONV up to SEQ (kept, never moved back).
CREATE OR REPLACE FUNCTION balie.mark_read(conv bigint, seq bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
AS $$
#variable_conflict use_column
DECLARE
	c balie.conversations;
	p_seq int;
BEGIN
	PERFORM balie._require('agent', 'mark conversations read');
	c := balie._conv($1, false);
	p_seq := LEAST(GREATEST(COALESCE($2, 0), 0), c.message_count);
	INSERT INTO balie.read_marks AS r (login, conversation, seq)
	VALUES (session_user::text, c.id, p_seq)
	ON CONFLICT (login, conversation) DO UPDATE SET seq = GREATEST(r.seq, EXCLUDED.seq)
	WHERE r.seq < EXCLUDED.seq;
END
$$;

-- Who else has the conversation open: ACTIVITY 'viewing', 'typing',
-- 'typing a note', or NULL (left). A change bumps the conversation's
-- version, so both feeds carry it; the same activity again changes nothing.
CREATE OR REPLACE FUNCTION balie.set_viewing(conv bigint, activity text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, balie, pg_temp
SET lock_timeout = '3s'
AS $$
#variable_conflict use_column
DECLARE
	p_activity text := $2;
	c balie.conversations;
	now_v jsonb;
BEGIN
	PERFORM balie._require('agent', 'say what they are doing');
	IF p_activity IS NOT NULL AND p_activity NOT IN ('viewing', 'typing', 'typing a note') THEN
		PERFORM balie._fail('BL030', pg_catalog.format(
			'unknown activity %s: use viewing, typing, typing a note or null', p_activity));
	END IF;
	c := balie._conv($1, true);
	SELECT COALESCE(pg_catalog.jsonb_agg(e ORDER BY e ->> 'login'), '[]'::jsonb) INTO now_v
	FROM (SELECT e FROM pg_catalog.jsonb_array_elements(COALESCE(c.viewers, '[]')::jsonb) AS v(e)
	      WHERE e ->> 'login' <> session_user::text
	      UNION ALL
	      SELECT pg_catalog.jsonb_build_object('login', session_user::text, 'name', balie._my_name(),
						   'activity', p_activity)
	      WHERE p_activity IS NOT NULL) AS s(e);
	IF now_v IS DISTINCT FROM COALESCE(c.viewers, '[]')::jsonb THEN
		UPDATE balie.conversations SET viewers = NULLIF(now_v, '[]'::jsonb)::text WHERE id = c.id;
	END IF;
END
$$;

-- ------------------------------------------------------------------ search

-- Folds case and the accents of Latin letters (Zoë -> zoe, Yılmaz -> yilmaz),
-- without an extension.
CREATE OR REPLACE FUNCTION balie._fold(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, balie, pg_temp
AS $$
	SELECT pg_catalog.translate(pg_catalog.lower($1),
		'àáâãäåāăąçćĉċčďđèéêëēĕėęěĝğġģĥħìíîïĩīĭįıĵķĺļľŀłñńņňòóôõöøōŏőŕŗřśŝşšţťŧùúûüũūŭůűųŵýÿŷźżžß',
		'aaaaaaaaacccccddeeeeeeeeegggghhiiiiiiiiijklllllnnnnoooooooooorrrssssttttuuuuuuuuuuwyyyzzzs')
$$;

-- Conversations (any state) the caller may see whose customer name or
-- reference, intent, summary or owner's name contains Q, newest first, in
-- the row shape of read_conversations.
CREATE OR REPLACE FUNCTION balie.search(q text, lim int DEFAULT 50)
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
AS $$
#variable_conflict use_column
DECLARE
	m record;
	needle text := '%' || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
		balie._fold(pg_catalog.btrim(COALESCE($1, ''))), '\', '\\'), '%', '\%'), '_', '\_') || '%';
	ids bigint[];
BEGIN
	PERFORM balie._guard();
	SELECT * INTO m FROM balie._me();
	IF NOT (m.agent OR m.supervisor) OR pg_catalog.btrim(COALESCE($1, '')) = '' THEN
		RETURN;
	END IF;
	SELECT pg_catalog.array_agg(x.id) INTO ids FROM (
		SELECT c.id FROM balie.conversations c
		LEFT JOIN balie.agents a ON a.login = c.agent
		WHERE (m.supervisor OR (m.agent AND c.agent = m.login) OR c.queue = ANY (m.queues))
		  AND (balie._fold(c.customer_name) LIKE needle OR balie._fold(c.customer_ref) LIKE needle
		       OR balie._fold(c.intent) LIKE needle OR balie._fold(c.bot_summary) LIKE needle
		       OR balie._fold(a.display_name) LIKE needle)
		ORDER BY c.id DESC
		LIMIT LEAST(GREATEST(COALESCE($2, 50), 1), 500)) x;
	RETURN QUERY SELECT * FROM balie.read_conversations(COALESCE(ids, '{}'::bigint[])) r ORDER BY r.id DESC;
END
$$;

-- ------------------------------------------------------------------- reads

-- read_conversations (shape of 007) with the caller's read mark, the
-- customer's unanswered wait and who else is here.
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
	       c.lang, COALESCE(rm.seq, 0), EXTRACT(epoch FROM c.customer_waiting_since)::bigint,
	       c.viewers, NULL::bigint
	FROM balie.conversations c
	LEFT JOIN balie.read_marks rm ON rm.login = m.login AND rm.conversation = c.id
	WHERE CASE WHEN ids IS NULL THEN c.state <> 'closed' ELSE c.id = ANY (ids) END
	  AND (m.supervisor OR (m.agent AND c.agent = m.login) OR c.queue = ANY (m.queues))
	ORDER BY c.id
	LIMIT lim;
END
$$;

-- Every queue with its load, for the transfer picker: conversations waiting
-- and agents of the queue online. A new shape needs a new signature (ids),
-- so re-running 005 adds its own back beside it and this file drops it.
DROP FUNCTION IF EXISTS balie.read_queues();
CREATE OR REPLACE FUNCTION balie.read_queues(ids text[] DEFAULT NULL)
RETURNS TABLE (id text, name text, sla_seconds int, priority int, bot_paused boolean,
	       waiting int, agents_online int)
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
	RETURN QUERY SELECT q.id, q.name, q.sla_seconds, q.priority, q.bot_paused,
	       (SELECT count(*) FROM balie.conversations c WHERE c.queue = q.id AND c.state = 'waiting')::int,
	       (SELECT count(*) FROM balie.agent_queues aq JOIN balie.agents a ON a.login = aq.login
		WHERE aq.queue = q.id
		  AND balie._presence(a.last_seen, a.away, pg_catalog.now()) = 'online')::int
	FROM balie.queues q WHERE ids IS NULL OR q.id = ANY (ids) ORDER BY q.id;
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

GRANT EXECUTE ON FUNCTION balie.set_status(text), balie.take_next(), balie.mark_read(bigint, bigint),
	balie.set_viewing(bigint, text), balie.search(text, int)
	TO balie_agent, balie_supervisor;
GRANT EXECUTE ON FUNCTION balie.set_capacity(text, int), balie.set_routing(text, text) TO balie_supervisor;
GRANT EXECUTE ON FUNCTION balie.read_queues(text[]) TO balie_agent, balie_supervisor, balie_bot;

INSERT INTO balie.schema_version (version) VALUES (8) ON CONFLICT (version) DO NOTHING;

COMMIT;
