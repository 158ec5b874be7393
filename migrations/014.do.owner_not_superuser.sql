-- SECURITY DEFINER functions ran as whoever applied the migrations: in the demo and in most
-- installs, a superuser. A bug or an injection in one of them would then have had the whole
-- server. Everything in the application schemas now belongs to clinic_owner instead: NOLOGIN,
-- not a superuser, with BYPASSRLS because the procedures must see every row of the tenant they
-- act for (they scope by the verified session themselves). Objects that later migrations create
-- are handed over the same way by ops.hand_over_to_owner(), which the migration runner calls
-- after each run (seed 001 §5.3: least-privileged SECURITY DEFINER).

-- Roles are shared by every database of the server, and two databases may be migrated at once:
-- change the role only when it needs it, and accept a concurrent runner having just done so.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clinic_owner'
              AND (rolcanlogin OR rolsuper OR rolcreatedb OR rolcreaterole OR NOT rolbypassrls)) THEN
    BEGIN
      ALTER ROLE clinic_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS;
    EXCEPTION WHEN OTHERS THEN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clinic_owner'
                  AND (rolcanlogin OR rolsuper OR rolcreatedb OR rolcreaterole OR NOT rolbypassrls)) THEN
        RAISE;
      END IF;
    END;
  END IF;
END
$$;

CREATE FUNCTION ops.hand_over_to_owner() RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v record;
  v_count integer := 0;
  v_schemas text[] := ARRAY['clinic', 'booking', 'webhook', 'audit', 'archive', 'sync', 'ops', 'ref', 'rls'];
BEGIN
  FOR v IN SELECT n.nspname FROM pg_namespace n
            WHERE n.nspname = ANY (v_schemas) AND n.nspowner <> 'clinic_owner'::regrole LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO clinic_owner', v.nspname);
    v_count := v_count + 1;
  END LOOP;
  -- Tables, partitions, views, materialized views and sequences (an owned sequence follows its table).
  FOR v IN SELECT c.oid::regclass AS obj, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY (v_schemas) AND c.relowner <> 'clinic_owner'::regrole
              AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
              AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))) LOOP
    EXECUTE format('ALTER %s %s OWNER TO clinic_owner',
                   CASE v.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                                  WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, v.obj);
    v_count := v_count + 1;
  END LOOP;
  FOR v IN SELECT p.oid::regprocedure AS fn, p.prokind FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = ANY (v_schemas) AND p.proowner <> 'clinic_owner'::regrole
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE format('ALTER %s %s OWNER TO clinic_owner', CASE v.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, v.fn);
    v_count := v_count + 1;
  END LOOP;
  FOR v IN SELECT t.oid::regtype AS typ FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = ANY (v_schemas) AND t.typowner <> 'clinic_owner'::regrole
              AND t.typtype IN ('e', 'd', 'c') AND (t.typtype <> 'c' OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c')) LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO clinic_owner', v.typ);
    v_count := v_count + 1;
  END LOOP;
  RETURN v_count;
END
$$;

REVOKE EXECUTE ON FUNCTION ops.hand_over_to_owner() FROM PUBLIC;

SELECT ops.hand_over_to_owner();
