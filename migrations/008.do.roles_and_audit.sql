-- Database roles beside clinic_station, and the audit trail (seed 000 §4, seed 001 §5.6, DESIGN §3).
--
-- Staff roles (receptionist, nurse, doctor, clinic_admin, chain_admin, display) are not database roles: a station
-- connects as clinic_station and the verified session says who is at the keyboard; row-level security (009) reads
-- the role from that session. Services that are not stations get database roles of their own:
--   clinic_integration  the worker: claims webhook events and jobs, through functions only;
--   clinic_analytics    read_only_analytics: aggregate views only, never a base table;
--   clinic_owner        owns the schema objects (the migration owner); SECURITY DEFINER functions run as it.

DO $$
DECLARE
  v_role text;
BEGIN
  FOREACH v_role IN ARRAY ARRAY['clinic_integration', 'clinic_analytics', 'clinic_owner'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
      END;
    END IF;
  END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Audit log: monthly range partitions on logged_at (Singapore months).
-- ---------------------------------------------------------------------------------------------------------------
CREATE SEQUENCE audit.log_id_seq AS bigint;

CREATE TABLE audit.log (
  id              bigint NOT NULL DEFAULT nextval('audit.log_id_seq'),
  logged_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  clinic_id       uuid,
  table_schema    text NOT NULL,
  table_name      text NOT NULL,
  row_id          uuid NOT NULL,
  op              char(1) NOT NULL CHECK (op IN ('I', 'U', 'D')),
  -- From the verified session (NULL for the database owner's own writes: migrations, seeds, the worker).
  actor_user_id   uuid,
  actor_role      text,
  session_id      uuid,
  station_id      uuid,
  -- Only when request_log proves this transaction started that request.
  request_id      uuid,
  db_role         text NOT NULL DEFAULT session_user,
  changed_columns text[],
  old_row         jsonb,
  new_row         jsonb,
  PRIMARY KEY (logged_at, id)
) PARTITION BY RANGE (logged_at);
CREATE INDEX log_row_idx ON audit.log (clinic_id, table_name, row_id, logged_at);
CREATE INDEX log_actor_idx ON audit.log (clinic_id, actor_user_id, logged_at);

-- Append-only: fires for every role, owner included (only a superuser disabling the trigger gets past it).
CREATE FUNCTION audit.reject_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'GC403', MESSAGE = format('The audit log is append-only: %s is not allowed.', TG_OP);
END
$$;
CREATE TRIGGER reject_change BEFORE UPDATE OR DELETE ON audit.log
  FOR EACH ROW EXECUTE FUNCTION audit.reject_change();
CREATE TRIGGER reject_truncate BEFORE TRUNCATE ON audit.log
  FOR EACH STATEMENT EXECUTE FUNCTION audit.reject_change();

-- First instant of a Singapore calendar month.
CREATE FUNCTION audit.month_start(p_month date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT (date_trunc('month', p_month)::date)::timestamp AT TIME ZONE 'Asia/Singapore'
$$;

CREATE FUNCTION audit.create_partition(p_month date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_month date := date_trunc('month', p_month)::date;
  v_name text := 'log_' || to_char(v_month, 'YYYYMM');
BEGIN
  IF to_regclass('audit.' || v_name) IS NOT NULL OR to_regclass('archive.audit_' || v_name) IS NOT NULL THEN
    RETURN NULL;
  END IF;
  EXECUTE format('CREATE TABLE audit.%I PARTITION OF audit.log FOR VALUES FROM (%L) TO (%L)', v_name,
                 audit.month_start(v_month), audit.month_start((v_month + interval '1 month')::date));
  -- TRUNCATE triggers are not inherited: each partition gets its own.
  EXECUTE format('CREATE TRIGGER reject_truncate BEFORE TRUNCATE ON audit.%I '
                 'FOR EACH STATEMENT EXECUTE FUNCTION audit.reject_change()', v_name);
  EXECUTE format('REVOKE ALL ON audit.%I FROM PUBLIC', v_name);
  RETURN v_name;
END
$$;

-- Partition upkeep (run by the worker daily): this month and p_months_ahead more exist, so an audited write never
-- finds no partition. Returns the partitions it created.
CREATE FUNCTION audit.ensure_partitions(p_months_ahead integer DEFAULT 3) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_this date := date_trunc('month', (now() AT TIME ZONE 'Asia/Singapore'))::date;
  v_created text[] := '{}';
  v_name text;
BEGIN
  FOR i IN 0 .. greatest(p_months_ahead, 0) LOOP
    v_name := audit.create_partition((v_this + make_interval(months => i))::date);
    IF v_name IS NOT NULL THEN
      v_created := v_created || v_name;
    END IF;
  END LOOP;
  RETURN v_created;
END
$$;

-- Retention: partitions wholly older than the retention period (setting retention.audit_months, chain default)
-- are detached and moved to schema archive, still append-only, for export to write-once storage.
CREATE FUNCTION audit.detach_expired(p_retention_months integer DEFAULT NULL) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_months integer := coalesce(p_retention_months,
                               (SELECT (value #>> '{}')::integer FROM ref.setting_defaults WHERE key = 'retention.audit_months'));
  v_cutoff date := (date_trunc('month', (now() AT TIME ZONE 'Asia/Singapore')) - make_interval(months => v_months))::date;
  v_part record;
  v_moved text[] := '{}';
BEGIN
  FOR v_part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'audit.log'::regclass AND c.relname ~ '^log_[0-9]{6}$'
       AND to_date(substr(c.relname, 5), 'YYYYMM') < v_cutoff
     ORDER BY c.relname
  LOOP
    EXECUTE format('ALTER TABLE audit.log DETACH PARTITION audit.%I', v_part.relname);
    EXECUTE format('ALTER TABLE audit.%I RENAME TO %I', v_part.relname, 'audit_' || v_part.relname);
    EXECUTE format('ALTER TABLE audit.%I SET SCHEMA archive', 'audit_' || v_part.relname);
    -- Detached, the table lost the parent's row triggers; it stays append-only on its own.
    EXECUTE format('CREATE TRIGGER reject_change BEFORE UPDATE OR DELETE ON archive.%I '
                   'FOR EACH ROW EXECUTE FUNCTION audit.reject_change()', 'audit_' || v_part.relname);
    v_moved := v_moved || ('archive.audit_' || v_part.relname);
  END LOOP;
  RETURN v_moved;
END
$$;

SELECT audit.ensure_partitions(3);
-- The month before too: a clock a little behind at the turn of a month still finds its partition.
SELECT audit.create_partition((date_trunc('month', now() AT TIME ZONE 'Asia/Singapore') - interval '1 month')::date);

-- ---------------------------------------------------------------------------------------------------------------
-- The audit trigger
-- ---------------------------------------------------------------------------------------------------------------

-- The verified session of this transaction, or NULL (never an error: an owner's write without a session is still
-- audited, as db_role). Same checks as clinic.current_session().
CREATE FUNCTION audit.session_or_null() RETURNS clinic.session_context
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_token text := lower(coalesce(current_setting('app.session_token', true), ''));
  v clinic.session_context;
BEGIN
  IF v_token !~ '^[0-9a-f]{64}$' THEN
    RETURN NULL;
  END IF;
  SELECT s.clinic_id, s.user_id, u.role, s.station_id, NULL, s.id
    INTO v
    FROM clinic.staff_sessions s
    JOIN clinic.users u ON u.clinic_id = s.clinic_id AND u.id = s.user_id
   WHERE s.token_hash = sha256(decode(v_token, 'hex'))
     AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active;
  RETURN v;
END
$$;

-- Encrypted values, their lookup hashes and credentials never reach the audit log.
CREATE FUNCTION audit.redact(p_row jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT p_row - ARRAY(SELECT k FROM jsonb_object_keys(p_row) k
                        WHERE k LIKE '%\_enc' OR k LIKE '%\_hash' OR k IN ('password_hash', 'token_hash'))
$$;

CREATE FUNCTION audit.capture() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := audit.session_or_null();
  v_old jsonb;
  v_new jsonb;
  v_changed text[];
  v_row jsonb;
  v_request uuid;
  v_request_text text := current_setting('app.request_id', true);
BEGIN
  IF TG_OP <> 'INSERT' THEN v_old := audit.redact(to_jsonb(OLD)); END IF;
  IF TG_OP <> 'DELETE' THEN v_new := audit.redact(to_jsonb(NEW)); END IF;
  v_row := coalesce(v_new, v_old);
  IF TG_OP = 'UPDATE' THEN
    SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO v_changed
      FROM jsonb_each(v_new) n
     WHERE n.value IS DISTINCT FROM v_old -> n.key AND n.key NOT IN ('updated_at', 'sync_seq');
    -- Only what changed, on both sides: the full row is in the previous entries.
    SELECT jsonb_object_agg(k, v_old -> k), jsonb_object_agg(k, v_new -> k) INTO v_old, v_new
      FROM unnest(v_changed) k;
  END IF;
  -- The station's request id counts only if this very transaction wrote it to request_log.
  IF s.clinic_id IS NOT NULL AND v_request_text ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    SELECT r.request_key INTO v_request FROM clinic.request_log r
     WHERE r.clinic_id = s.clinic_id AND r.request_key = v_request_text::uuid
       AND r.xmin = pg_current_xact_id()::xid;
  END IF;
  INSERT INTO audit.log (clinic_id, table_schema, table_name, row_id, op, actor_user_id, actor_role, session_id,
                         station_id, request_id, changed_columns, old_row, new_row)
  VALUES ((v_row ->> 'clinic_id')::uuid, TG_TABLE_SCHEMA, TG_TABLE_NAME, (v_row ->> 'id')::uuid, left(TG_OP, 1),
          s.user_id, s.role::text, s.session_id, s.station_id, v_request, v_changed, v_old, v_new);
  RETURN NULL;
END
$$;

-- The tracked tables (issue 3 §2). Later migrations add theirs with the same statement.
DO $$
DECLARE
  v_table text;
BEGIN
  FOREACH v_table IN ARRAY ARRAY['users', 'patients', 'doctors', 'staff', 'appointments', 'queue_tickets',
                                 'medical_records', 'prescriptions', 'payments', 'insurance_claims',
                                 'telemedicine_sessions', 'consent_records'] LOOP
    EXECUTE format('CREATE TRIGGER audit_capture AFTER INSERT OR UPDATE OR DELETE ON clinic.%I '
                   'FOR EACH ROW EXECUTE FUNCTION audit.capture()', v_table);
  END LOOP;
END
$$;

REVOKE ALL ON ALL TABLES IN SCHEMA audit FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA audit FROM PUBLIC;
