-- Row-level security on every tenant table (seed 000 §5, seed 001 §5.4, DESIGN §3); docs/security/rls-matrix.md is
-- the readable form of the grants below and tests/integration/central-rls-matrix.test.ts checks every cell.
--
-- * Who: the verified session of the transaction (app.session_token -> staff_sessions -> users), never a claimed
--   clinic id. No or bad session: no rows.
-- * Policies are FOR SELECT only: stations write through SECURITY DEFINER procedures (DESIGN §3), so for a station
--   role INSERT/UPDATE/DELETE are refused twice, by missing grants and by the absence of any write policy.
-- * Policies call the session helpers as (SELECT rls.x()): an InitPlan evaluated once per statement, not per row.
-- * chain_admin is the chain's head office: one database serves one chain, so it reads every clinic's rows of
--   the categories it is granted; everyone else reads their own clinic only.

CREATE SCHEMA rls;

CREATE FUNCTION rls.session() RETURNS clinic.session_context
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
  SELECT audit.session_or_null()
$$;

CREATE FUNCTION rls.clinic_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
  SELECT (audit.session_or_null()).clinic_id
$$;

CREATE FUNCTION rls.role() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
  SELECT (audit.session_or_null()).role::text
$$;

CREATE FUNCTION rls.user_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
  SELECT (audit.session_or_null()).user_id
$$;

-- Which session roles read which table. One row per table: a tenant table without a row here has RLS forced and
-- no policy, so nobody but the owner reads it (fail closed).
CREATE TABLE rls.read_grants (
  table_schema text NOT NULL,
  table_name   text NOT NULL,
  roles        text[] NOT NULL,
  PRIMARY KEY (table_schema, table_name)
);

INSERT INTO rls.read_grants (table_schema, table_name, roles) VALUES
  -- directory
  ('clinic', 'clinics',                  '{receptionist,nurse,doctor,clinic_admin,chain_admin,display}'),
  ('clinic', 'rooms',                    '{receptionist,nurse,doctor,clinic_admin,chain_admin,display}'),
  ('clinic', 'doctors',                  '{receptionist,nurse,doctor,clinic_admin,chain_admin}'),
  ('clinic', 'users',                    '{receptionist,nurse,doctor,clinic_admin,chain_admin}'),
  ('clinic', 'staff',                    '{receptionist,nurse,doctor,clinic_admin,chain_admin}'),
  ('clinic', 'stations',                 '{receptionist,nurse,doctor,clinic_admin,chain_admin}'),
  ('clinic', 'staff_sessions',           '{clinic_admin,chain_admin}'),
  ('clinic', 'system_settings',          '{receptionist,nurse,doctor,clinic_admin,chain_admin,display}'),
  ('clinic', 'feature_flags',            '{receptionist,nurse,doctor,clinic_admin,chain_admin,display}'),
  ('clinic', 'health_screening_packages','{receptionist,nurse,doctor,clinic_admin,chain_admin}'),
  -- patients and scheduling: the front desk's working set
  ('clinic', 'patients',                 '{receptionist,nurse,doctor,clinic_admin,chain_admin}'),
  ('clinic', 'appointments',             '{receptionist,nurse,doctor,clinic_admin,chain_admin}'),
  ('clinic', 'appointment_slots',        '{receptionist,nurse,doctor,clinic_admin,chain_admin}'),
  ('clinic', 'telemedicine_sessions',    '{receptionist,nurse,doctor,clinic_admin}'),
  ('clinic', 'consent_records',          '{receptionist,nurse,doctor,clinic_admin}'),
  -- the waiting room sees ticket numbers and calls, never a patient row (DESIGN §6)
  ('clinic', 'queue_tickets',            '{receptionist,nurse,doctor,clinic_admin,chain_admin,display}'),
  ('clinic', 'queue_calls',              '{receptionist,nurse,doctor,clinic_admin,chain_admin,display}'),
  -- clinical: the care team only; no receptionist, no administrator, no head office
  ('clinic', 'medical_records',          '{nurse,doctor}'),
  ('clinic', 'prescriptions',            '{nurse,doctor}'),
  ('clinic', 'prescription_items',       '{nurse,doctor}'),
  ('clinic', 'lab_results',              '{nurse,doctor}'),
  ('clinic', 'imaging_results',          '{nurse,doctor}'),
  ('clinic', 'vaccination_records',      '{nurse,doctor}'),
  ('clinic', 'patient_allergies',        '{nurse,doctor}'),
  ('clinic', 'patient_conditions',       '{nurse,doctor}'),
  ('clinic', 'health_screening_results', '{nurse,doctor}'),
  -- money
  ('clinic', 'payments',                 '{receptionist,nurse,clinic_admin,chain_admin}'),
  ('clinic', 'payment_items',            '{receptionist,nurse,clinic_admin,chain_admin}'),
  ('clinic', 'insurance_claims',         '{receptionist,nurse,clinic_admin,chain_admin}'),
  ('clinic', 'number_series',            '{clinic_admin,chain_admin}'),
  -- messages to patients
  ('clinic', 'notifications',            '{receptionist,clinic_admin}'),
  ('clinic', 'sms_messages',             '{receptionist,clinic_admin}'),
  ('clinic', 'whatsapp_messages',        '{receptionist,clinic_admin}'),
  ('clinic', 'email_messages',           '{receptionist,clinic_admin}'),
  ('clinic', 'user_feedback',            '{clinic_admin,chain_admin}'),
  -- integrations
  ('webhook', 'integration_webhooks',    '{clinic_admin,chain_admin}'),
  ('webhook', 'webhook_events',          '{clinic_admin,chain_admin}'),
  ('webhook', 'webhook_logs',            '{clinic_admin,chain_admin}'),
  -- the change feed: per row, the role must also read the table the change belongs to (policy below)
  ('sync', 'changes',                    '{receptionist,nurse,doctor,clinic_admin,chain_admin,display}');
  -- clinic.request_log: no row; procedures only.

-- The clinic tables the session's role reads: a change-feed row is visible only if its table is.
CREATE FUNCTION rls.readable_tables() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
  SELECT coalesce(array_agg(g.table_name), '{}') FROM rls.read_grants g
   WHERE g.table_schema = 'clinic' AND rls.role() = ANY (g.roles)
$$;

-- Tenant tables: every table of the tenant schemas with a clinic_id column, and clinic.clinics (the tenant root).
CREATE VIEW rls.tenant_tables AS
SELECT n.nspname::text AS table_schema, c.relname::text AS table_name, c.oid AS relid,
       CASE WHEN n.nspname = 'clinic' AND c.relname = 'clinics' THEN 'id' ELSE 'clinic_id' END AS tenant_column
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
   AND n.nspname IN ('clinic', 'webhook', 'booking', 'sync')
   AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'clinic_id' AND NOT a.attisdropped)
        OR (n.nspname = 'clinic' AND c.relname = 'clinics'));

-- (Re)applies RLS and the read policy to every tenant table; later migrations that add a tenant table add its
-- read_grants row and call this again.
CREATE FUNCTION rls.apply() RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t record;
  v_count integer := 0;
  v_roles text[];
BEGIN
  FOR t IN SELECT * FROM rls.tenant_tables LOOP
    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t.table_schema, t.table_name);
    EXECUTE format('DROP POLICY IF EXISTS tenant_read ON %I.%I', t.table_schema, t.table_name);
    SELECT roles INTO v_roles FROM rls.read_grants g WHERE g.table_schema = t.table_schema AND g.table_name = t.table_name;
    IF v_roles IS NOT NULL THEN
      EXECUTE format(
        'CREATE POLICY tenant_read ON %I.%I AS PERMISSIVE FOR SELECT TO clinic_station USING ('
        '(SELECT rls.role()) = ANY (%L::text[]) '
        'AND (%I = (SELECT rls.clinic_id()) OR (SELECT rls.role()) = ''chain_admin'')%s)',
        t.table_schema, t.table_name, v_roles, t.tenant_column,
        CASE WHEN (t.table_schema, t.table_name) = ('sync', 'changes') THEN
          ' AND table_name = ANY ((SELECT rls.readable_tables())::text[])'
        ELSE '' END);
      v_count := v_count + 1;
    END IF;
  END LOOP;
  RETURN v_count;
END
$$;

-- Feedback: its author reads their own too.
DROP POLICY IF EXISTS own_feedback ON clinic.user_feedback;
CREATE POLICY own_feedback ON clinic.user_feedback AS PERMISSIVE FOR SELECT TO clinic_station
  USING (clinic_id = (SELECT rls.clinic_id()) AND user_id = (SELECT rls.user_id()));

SELECT rls.apply();

-- Stations may SELECT (under the policies) every tenant table but the request log; secrets stay out by the column
-- grants of 003/004/006.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM rls.tenant_tables
            WHERE (table_schema, table_name) NOT IN (('clinic', 'request_log'), ('clinic', 'users'),
                                                     ('clinic', 'patients'), ('clinic', 'staff_sessions')) LOOP
    EXECUTE format('GRANT SELECT ON %I.%I TO clinic_station', t.table_schema, t.table_name);
  END LOOP;
END
$$;
GRANT USAGE ON SCHEMA webhook, rls TO clinic_station;
GRANT EXECUTE ON FUNCTION rls.session(), rls.clinic_id(), rls.role(), rls.user_id(), rls.readable_tables() TO clinic_station;
-- Reference data is public knowledge within the chain.
GRANT USAGE ON SCHEMA ref TO clinic_station, clinic_analytics, clinic_integration;
GRANT SELECT ON ALL TABLES IN SCHEMA ref TO clinic_station, clinic_analytics, clinic_integration;

-- Before anyone signs in a station knows only its clinic code: this tells it the id and name, nothing more.
CREATE FUNCTION clinic.clinic_by_code(p_code text) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
  SELECT jsonb_build_object('id', id, 'code', code, 'name', name)
    FROM clinic.clinics WHERE code = upper(btrim(p_code))
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- sign_in, again: the display device account (role display) may only sign in at a display station, and its session
-- lasts 30 days, because a wall screen has nobody to type a password every morning. Its rights are the narrowest
-- of all (rls.read_grants), and clinic_admin ends it by revoking the session. Otherwise as in 003.
-- ---------------------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION clinic.sign_in(p_clinic_code text, p_username text, p_password text, p_station_code text,
                                          p_station_role text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_clinic clinic.clinics;
  v_user clinic.users;
  v_doctor_id uuid;
  v_doctor_name text;
  v_doctor_mcr text;
  v_station clinic.stations;
  v_station_code text := btrim(coalesce(p_station_code, ''));
  v_token bytea := gen_random_bytes(32);
  v_expires_at timestamptz;
BEGIN
  IF p_station_role IS NULL OR p_station_role NOT IN ('reception', 'consult', 'display') THEN
    PERFORM clinic.fail('GC400', 'The station role must be reception, consult or display.', 'station_role');
  END IF;
  IF v_station_code !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$' THEN
    PERFORM clinic.fail('GC400', 'The station code must be 1 to 40 letters, digits, dots, dashes or underscores.',
                        'station_code');
  END IF;

  SELECT * INTO v_clinic FROM clinic.clinics WHERE code = upper(btrim(coalesce(p_clinic_code, '')));
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC404', format('There is no clinic with code %s.', p_clinic_code), 'clinic_code');
  END IF;

  SELECT * INTO v_user FROM clinic.users
   WHERE clinic_id = v_clinic.id AND username = btrim(coalesce(p_username, ''))::citext;
  IF NOT FOUND THEN
    PERFORM crypt(coalesce(p_password, ''), gen_salt('bf', 10));
    PERFORM clinic.fail('GC401', 'Invalid username or password.');
  END IF;
  IF v_user.password_hash <> crypt(coalesce(p_password, ''), v_user.password_hash) OR NOT v_user.is_active THEN
    PERFORM clinic.fail('GC401', 'Invalid username or password.');
  END IF;
  IF v_user.role = 'display' AND p_station_role <> 'display' THEN
    PERFORM clinic.fail('GC403', 'A display account can only sign in at a waiting-room display.');
  END IF;
  v_expires_at := now() + CASE WHEN v_user.role = 'display' THEN interval '30 days' ELSE interval '12 hours' END;

  SELECT id, full_name, mcr_number INTO v_doctor_id, v_doctor_name, v_doctor_mcr
    FROM clinic.doctors WHERE clinic_id = v_clinic.id AND user_id = v_user.id AND is_active;
  IF p_station_role = 'consult' AND v_doctor_id IS NULL THEN
    PERFORM clinic.fail('GC403', 'Only a doctor can sign in at a consult station.');
  END IF;

  SELECT * INTO v_station FROM clinic.stations WHERE clinic_id = v_clinic.id AND code = v_station_code FOR UPDATE;
  IF NOT FOUND OR (p_station_role = 'reception' AND v_station.desk_letter IS NULL) THEN
    PERFORM 1 FROM clinic.clinics WHERE id = v_clinic.id FOR NO KEY UPDATE;
    SELECT * INTO v_station FROM clinic.stations WHERE clinic_id = v_clinic.id AND code = v_station_code FOR UPDATE;
    IF NOT FOUND THEN
      INSERT INTO clinic.stations (clinic_id, code, role) VALUES (v_clinic.id, v_station_code, p_station_role)
      RETURNING * INTO v_station;
    END IF;
    IF p_station_role = 'reception' AND v_station.desk_letter IS NULL THEN
      UPDATE clinic.stations
         SET desk_letter = (SELECT l.letter
                              FROM unnest(string_to_array('ABCDEFGHIJKLMNOPQRSTUVWXYZ', NULL)) AS l(letter)
                             WHERE NOT EXISTS (SELECT 1 FROM clinic.stations o
                                                WHERE o.clinic_id = v_clinic.id AND o.desk_letter = l.letter)
                             ORDER BY l.letter
                             LIMIT 1)
       WHERE clinic_id = v_clinic.id AND id = v_station.id
      RETURNING * INTO v_station;
      IF v_station.desk_letter IS NULL THEN
        PERFORM clinic.fail('GC409', 'All 26 desk letters of this clinic are taken; no new reception desk can be added.');
      END IF;
    END IF;
  END IF;
  IF v_station.role <> p_station_role THEN
    UPDATE clinic.stations SET role = p_station_role WHERE clinic_id = v_clinic.id AND id = v_station.id
    RETURNING * INTO v_station;
  END IF;

  INSERT INTO clinic.staff_sessions (clinic_id, user_id, token_hash, station_id, expires_at)
  VALUES (v_clinic.id, v_user.id, sha256(v_token), v_station.id, v_expires_at);

  RETURN jsonb_build_object(
    'token', encode(v_token, 'hex'),
    'expires_at', v_expires_at,
    'user', jsonb_build_object('id', v_user.id, 'username', v_user.username, 'full_name', v_user.full_name,
                               'role', v_user.role),
    'doctor', CASE WHEN v_doctor_id IS NULL THEN NULL ELSE
              jsonb_build_object('id', v_doctor_id, 'full_name', v_doctor_name, 'mcr_number', v_doctor_mcr) END,
    'clinic', jsonb_build_object('id', v_clinic.id, 'code', v_clinic.code, 'name', v_clinic.name),
    'station', jsonb_build_object('id', v_station.id, 'code', v_station.code, 'role', v_station.role,
                                  'desk_letter', v_station.desk_letter, 'room_id', v_station.room_id)
  );
END
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA clinic FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA rls FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rls.session(), rls.clinic_id(), rls.role(), rls.user_id(), rls.readable_tables() TO clinic_station;
GRANT EXECUTE ON FUNCTION clinic.clinic_by_code(text), clinic.sign_in(text, text, text, text, text) TO clinic_station;
