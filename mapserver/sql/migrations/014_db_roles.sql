-- Least-privilege database roles, so an injection in a public request cannot own the
-- database (docs/ARCHITECTURE.md, "Database roles").  Named after the database, so two
-- installs on one cluster never share a role:
--   <db>_owner   owns the schemas, the server's tables and functions (the audit log and
--                its append-only trigger among them); later migrations run as it.
--   <db>_app     the admin's and the CLI's work: loads and versions (it creates and owns
--                the tables of schema layers), users, sessions, requests, audit INSERTs.
--   <db>_public  the public endpoints: the registry, the public columns of each version
--                table (granted as each version is made, mapserver/ingest/swap.py) and the
--                stable views; it writes only counters, feedback and dataset requests.
-- Missing roles are created NOLOGIN, which needs a superuser or CREATEROLE; an operator
-- who creates them first (README.md, "Using your own PostGIS") needs neither.
-- Every step is idempotent: running this file again changes nothing.

-- The one rule naming the roles; Python asks it too (mapserver/db_roles.py).
CREATE OR REPLACE FUNCTION mapserver.db_role(kind text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF kind NOT IN ('owner', 'app', 'public') THEN
        RAISE EXCEPTION 'no database role of kind %', kind;
    END IF;
    RETURN current_database() || '_' || kind;
END $$;

DO $roles$
DECLARE
    kind text;
    role text;
BEGIN
    IF octet_length(current_database()) > 56 THEN
        RAISE EXCEPTION 'the database name "%" is too long to name its roles after',
            current_database() USING HINT = 'use a database name of at most 56 bytes';
    END IF;
    FOREACH kind IN ARRAY ARRAY['owner', 'app', 'public'] LOOP
        role := mapserver.db_role(kind);
        CONTINUE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = role);
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', role);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'the database role % is missing and % may not create roles',
                role, current_user
                USING HINT = format('run the migrations as a superuser, or grant it: ALTER '
                    'ROLE %I CREATEROLE; or create the roles %I, %I and %I first (README.md, '
                    '"Using your own PostGIS")', current_user, mapserver.db_role('owner'),
                    mapserver.db_role('app'), mapserver.db_role('public'));
        END;
    END LOOP;
END $roles$;

-- Refuse roles that could escape their limits, whoever made them.
DO $checks$
DECLARE
    role text;
    other text;
BEGIN
    FOREACH role IN ARRAY ARRAY[mapserver.db_role('app'), mapserver.db_role('public')] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = role AND (rolsuper OR rolcreaterole
                   OR rolcreatedb OR rolreplication OR rolbypassrls)) THEN
            RAISE EXCEPTION 'the database role % has powers it must not have', role
                USING HINT = format('ALTER ROLE %I NOSUPERUSER NOCREATEROLE NOCREATEDB '
                                    'NOREPLICATION NOBYPASSRLS', role);
        END IF;
        FOREACH other IN ARRAY ARRAY[mapserver.db_role('owner'), 'pg_read_server_files',
                'pg_write_server_files', 'pg_execute_server_program', 'pg_read_all_data',
                'pg_write_all_data'] LOOP
            IF pg_has_role(role, other, 'MEMBER') THEN
                RAISE EXCEPTION 'the database role % must not be a member of %', role, other
                    USING HINT = format('REVOKE %I FROM %I', other, role);
            END IF;
        END LOOP;
    END LOOP;
    IF pg_has_role(mapserver.db_role('public'), mapserver.db_role('app'), 'MEMBER') THEN
        RAISE EXCEPTION 'the public role must not be a member of the application role'
            USING HINT = format('REVOKE %I FROM %I', mapserver.db_role('app'),
                                mapserver.db_role('public'));
    END IF;
END $checks$;

-- Migration 003 made pg_trgm in the first schema of the search path: "mapserver" when the
-- migrating user has that name (the own cluster's superuser does).  Other roles look for
-- its operators (search, trigram indexes) in public, as they do for PostGIS.
DO $trgm$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_trgm'
               AND extnamespace = 'mapserver'::regnamespace) THEN
        ALTER EXTENSION pg_trgm SET SCHEMA public;
    END IF;
END $trgm$;

-- Hand the schemas and the server's objects to the owner, the layer tables to the app.
-- Changing an owner needs membership of the new owner (a superuser has it anyway).
DO $owners$
DECLARE
    owner text := mapserver.db_role('owner');
    app text := mapserver.db_role('app');
    item record;
BEGIN
    IF NOT pg_has_role(current_user, owner, 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT %I TO %I', owner, current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION '% cannot act as the owner role %', current_user, owner
                USING HINT = format('GRANT %I TO %I (or run the migrations as %I)',
                                    owner, current_user, owner);
        END;
    END IF;
    -- A schema's new owner needs CREATE on the database (future migrations use it too).
    IF NOT has_database_privilege(owner, current_database(), 'CREATE') THEN
        BEGIN
            EXECUTE format('GRANT CREATE ON DATABASE %I TO %I', current_database(), owner);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'the owner role % may not create schemas in this database', owner
                USING HINT = format('as the database''s owner: GRANT CREATE ON DATABASE %I '
                                    'TO %I', current_database(), owner);
        END;
    END IF;
    EXECUTE format('ALTER SCHEMA mapserver OWNER TO %I', owner);
    EXECUTE format('ALTER SCHEMA layers OWNER TO %I', owner);
    EXECUTE format('GRANT USAGE, CREATE ON SCHEMA layers TO %I', app);
    -- Sequences and indexes follow their tables; triggers belong to their tables.
    -- An extension's own objects stay its creator's.
    FOR item IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
                WHERE c.relnamespace = 'mapserver'::regnamespace AND c.relkind IN ('r', 'v')
                  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                  AND d.objid = c.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO %I',
                       CASE item.relkind WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, item.name, owner);
    END LOOP;
    FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p
                WHERE p.pronamespace = 'mapserver'::regnamespace
                  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                  AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO %I', item.name, owner);
    END LOOP;
    -- Tables loaded before this migration (an upgrade): the app drops and replaces them.
    FOR item IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
                WHERE c.relnamespace = 'layers'::regnamespace AND c.relkind IN ('r', 'v')
                  AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = app)
    LOOP
        IF NOT pg_has_role(current_user, app, 'MEMBER') THEN
            BEGIN
                EXECUTE format('GRANT %I TO %I', app, current_user);
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE EXCEPTION '% cannot hand the loaded layers to the role %',
                    current_user, app
                    USING HINT = format('GRANT %I TO %I', app, current_user);
            END;
        END IF;
        EXECUTE format('ALTER %s %s OWNER TO %I',
                       CASE item.relkind WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, item.name, app);
    END LOOP;
END $owners$;

DO $grants$
DECLARE
    statement text;
    item record;
BEGIN
    -- %1$I the owner, %2$I the app, %3$I the public role.
    FOREACH statement IN ARRAY ARRAY[
        'GRANT USAGE ON SCHEMA mapserver TO %2$I, %3$I',
        'GRANT USAGE ON SCHEMA layers TO %3$I',
        -- The app: every table of the server, except rewriting history or the migrations.
        'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA mapserver TO %2$I',
        'REVOKE UPDATE, DELETE, TRUNCATE ON mapserver.audit_log FROM %2$I',
        'REVOKE ALL ON mapserver.schema_migrations FROM %2$I',
        'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA mapserver TO %2$I',
        'ALTER DEFAULT PRIVILEGES FOR ROLE %1$I IN SCHEMA mapserver'
            ' GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %2$I',
        'ALTER DEFAULT PRIVILEGES FOR ROLE %1$I IN SCHEMA mapserver'
            ' GRANT USAGE, SELECT ON SEQUENCES TO %2$I',
        -- The public endpoints: what they read, and the few rows they write.
        'GRANT SELECT ON mapserver.layers, mapserver.feedback_salt TO %3$I',
        'GRANT SELECT, INSERT, UPDATE (count) ON mapserver.downloads TO %3$I',
        'GRANT SELECT, INSERT, UPDATE (count) ON mapserver.usage_counts TO %3$I',
        'GRANT SELECT, INSERT, UPDATE (value, detail) ON mapserver.kpi_snapshots TO %3$I',
        -- The rate limit also forgets windows older than two (site/feedback.py).
        'GRANT SELECT, INSERT, UPDATE (hits), DELETE ON mapserver.feedback_rate TO %3$I',
        'GRANT SELECT (id, score, created_at), INSERT (score, comment, lang)'
            ' ON mapserver.feedback_scores TO %3$I',
        -- A request's contact is personal data: written, never read back.
        'GRANT SELECT (id, what, why, status, answer, created_at),'
            ' INSERT (what, why, contact, lang) ON mapserver.dataset_requests TO %3$I',
        'GRANT USAGE ON SEQUENCE mapserver.feedback_scores_id_seq,'
            ' mapserver.dataset_requests_id_seq TO %3$I'
    ] LOOP
        EXECUTE format(statement, mapserver.db_role('owner'), mapserver.db_role('app'),
                       mapserver.db_role('public'));
    END LOOP;
    -- The stable views of layers loaded before this migration (an upgrade).  Their
    -- version tables get their public columns from migrations.py right after this file,
    -- by the one rule of which fields are public (mapserver/layers/manifest.py).
    FOR item IN SELECT l.id FROM mapserver.layers l
                WHERE to_regclass(format('layers.%I', l.id)) IS NOT NULL
    LOOP
        EXECUTE format('GRANT SELECT ON layers.%I TO %I', item.id, mapserver.db_role('public'));
    END LOOP;
END $grants$;

-- Nobody but the owner and the app may create anything, temporary tables included; a
-- role that may not change these defaults is told what to run instead (checked below).
DO $create$
BEGIN
    BEGIN
        EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
        EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I, %I', current_database(),
                       mapserver.db_role('owner'), mapserver.db_role('app'));
    EXCEPTION WHEN insufficient_privilege THEN
        NULL;
    END;
    BEGIN
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    EXCEPTION WHEN insufficient_privilege OR invalid_schema_name THEN
        NULL;
    END;
END $create$;

-- A bound on every query of the public role, also outside the app's pool (which sets
-- MAPSERVER_STATEMENT_TIMEOUT_MS on its own connections).
DO $timeout$
DECLARE
    public_role text := mapserver.db_role('public');
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles, unnest(rolconfig) setting WHERE rolname = public_role
                   AND setting LIKE 'statement\_timeout=%') THEN
        BEGIN
            EXECUTE format('ALTER ROLE %I SET statement_timeout = %L', public_role, '10s');
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION '% may not set the statement timeout of %', current_user,
                public_role
                USING HINT = format('ALTER ROLE %I SET statement_timeout = ''10s''',
                                    public_role);
        END;
    END IF;
END $timeout$;

DO $verify$
DECLARE
    public_role text := mapserver.db_role('public');
    place text;
BEGIN
    SELECT string_agg(nspname, ', ') INTO place FROM pg_namespace
    WHERE has_schema_privilege(public_role, oid, 'CREATE');
    IF place IS NOT NULL THEN
        RAISE EXCEPTION 'the public role % may create objects in schema %', public_role, place
            USING HINT = format('as the schema''s owner: REVOKE CREATE ON SCHEMA %s FROM '
                                'PUBLIC, %I', place, public_role);
    END IF;
    IF has_database_privilege(public_role, current_database(), 'CREATE, TEMPORARY') THEN
        RAISE EXCEPTION 'the public role % may create schemas or temporary tables',
            public_role
            USING HINT = format('as the database''s owner: REVOKE CREATE, TEMPORARY ON '
                                'DATABASE %I FROM PUBLIC, %I', current_database(), public_role);
    END IF;
END $verify$;
