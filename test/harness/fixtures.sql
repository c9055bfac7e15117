-- Test fixtures: queues, people and bots that every test relies on by name.
-- Loaded as a superuser into balie_tmpl after schemas/*.sql; idempotent.

SET client_min_messages = warning;

-- Login roles are cluster-wide; create the missing ones.
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['ann', 'bob', 'cid', 'sue', 'botty', 'mallory'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I LOGIN', r);
		END IF;
	END LOOP;
	FOR i IN 1..32 LOOP
		r := pg_catalog.format('race%s', pg_catalog.lpad(i::text, 2, '0'));
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I LOGIN', r);
		END IF;
	END LOOP;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members
			WHERE roleid = 'balie_bot'::regrole AND member = 'botty'::regrole) THEN
		GRANT balie_bot TO botty;
	END IF;
END $$;

SELECT balie.add_queue('billing', 'Billing & banking', 120, 5);
SELECT balie.add_queue('health', 'Health insurance', 60, 10);
SELECT balie.add_queue('parcels', 'Parcel delivery', 300, 1);

-- A bot of this database (membership of balie_bot alone gives nothing).
SELECT balie.add_bot('botty', ARRAY['billing', 'health', 'parcels']);

SELECT balie.add_agent('ann', 'Ann Jansen', ARRAY['billing', 'health']);
SELECT balie.add_agent('bob', 'Bob de Vries', ARRAY['billing']);
SELECT balie.add_agent('cid', 'Cid Bakker', ARRAY['parcels']);
SELECT balie.add_agent('sue', 'Sue Visser', ARRAY['billing', 'health', 'parcels'], true);
SELECT balie.add_agent(pg_catalog.format('race%s', pg_catalog.lpad(i::text, 2, '0')),
		       pg_catalog.format('Racer %s', pg_catalog.lpad(i::text, 2, '0')),
		       ARRAY['billing'])
FROM pg_catalog.generate_series(1, 32) AS g(i);

-- Tests take many conversations per person; the capacity tests set their own.
UPDATE balie.agents SET capacity = 1000 WHERE capacity = 4;
