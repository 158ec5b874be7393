-- Identity: clinics (the tenant root), users, stations, staff sessions; the procedure toolkit every later
-- migration uses (errors, argument parsing, idempotency by request key, the verified session); staff sign-in.
--
-- Tenant key (DESIGN §3): every tenant table has clinic_id, PK (clinic_id, id), and every UNIQUE and foreign key
-- between tenant tables includes clinic_id.

CREATE FUNCTION clinic.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE TABLE clinic.clinics (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,19}$'),
  name        text NOT NULL CHECK (btrim(name) <> ''),
  address     text NOT NULL DEFAULT '',
  gst_reg_no  text,
  phone       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE clinic.users (
  clinic_id     uuid NOT NULL REFERENCES clinic.clinics (id),
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  username      citext NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,39}$'),
  full_name     text NOT NULL CHECK (btrim(full_name) <> ''),
  role          clinic.user_role NOT NULL,
  -- bcrypt via pgcrypto crypt(); never returned to stations (no column grant, stripped from the change feed).
  password_hash text NOT NULL CHECK (password_hash LIKE '$2_$%'),
  is_active     boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, username)
);

-- One row per installed station PC, created at its first sign-in. A reception desk owns a letter for its ticket
-- numbers (A012) for ever, so two desks offline at once can never hand out the same number.
CREATE TABLE clinic.stations (
  clinic_id   uuid NOT NULL REFERENCES clinic.clinics (id),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  code        text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$'),
  role        text NOT NULL CHECK (role IN ('reception', 'consult', 'display')),
  desk_letter char(1) CHECK (desk_letter ~ '^[A-Z]$'),
  room_id     uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, code),
  UNIQUE (clinic_id, desk_letter)
);

CREATE TABLE clinic.staff_sessions (
  clinic_id   uuid NOT NULL,
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL,
  -- sha256 of the 32 random bytes handed to the station: a leaked table does not leak usable tokens.
  token_hash  bytea NOT NULL CHECK (length(token_hash) = 32),
  station_id  uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, user_id) REFERENCES clinic.users (clinic_id, id),
  FOREIGN KEY (clinic_id, station_id) REFERENCES clinic.stations (clinic_id, id)
);
-- Sessions are found by token alone (the token is what the station holds). Not UNIQUE: that would be a
-- cross-tenant unique check, and 256 random bits do not collide.
CREATE INDEX staff_sessions_token_hash_idx ON clinic.staff_sessions USING hash (token_hash);

-- Idempotency: one row per request key, written first in the procedure's transaction. A concurrent duplicate
-- blocks on the row, then replays the stored result once the first commits.
CREATE TABLE clinic.request_log (
  clinic_id   uuid NOT NULL REFERENCES clinic.clinics (id),
  request_key uuid NOT NULL,
  procedure   text NOT NULL,
  args_hash   bytea NOT NULL,
  result      jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, request_key)
);

CREATE TRIGGER touch_updated_at BEFORE UPDATE ON clinic.clinics
  FOR EACH ROW EXECUTE FUNCTION clinic.touch_updated_at();
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON clinic.users
  FOR EACH ROW EXECUTE FUNCTION clinic.touch_updated_at();
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON clinic.stations
  FOR EACH ROW EXECUTE FUNCTION clinic.touch_updated_at();

-- ---------------------------------------------------------------------------------------------------------------
-- Procedure toolkit
-- ---------------------------------------------------------------------------------------------------------------

-- Custom SQLSTATEs let stations classify failures (GC400 validation, GC401 session, GC403 role, GC404 not found,
-- GC409 conflict, GC422 reused request key). The message is a sentence for the receptionist; for validation errors
-- the error's COLUMN field names the offending argument so a form can highlight it.
CREATE FUNCTION clinic.fail(p_code text, p_message text, p_field text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF p_field IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = p_code, MESSAGE = p_message;
  END IF;
  RAISE EXCEPTION USING ERRCODE = p_code, MESSAGE = p_message, COLUMN = p_field;
END
$$;

CREATE FUNCTION clinic.clinic_day(p_at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (p_at AT TIME ZONE 'Asia/Singapore')::date
$$;

-- Whole years completed on p_day; same rule as ageOn in src/shared/clinic-day.ts (29 February birthdays complete a
-- year on 1 March in common years).
CREATE FUNCTION clinic.age_on(p_dob date, p_day date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (extract(year FROM p_day) - extract(year FROM p_dob))::integer
       - CASE WHEN (extract(month FROM p_day), extract(day FROM p_day))
                 < (extract(month FROM p_dob), extract(day FROM p_dob)) THEN 1 ELSE 0 END
$$;

CREATE FUNCTION clinic.arg_text(p_args jsonb, p_key text, p_label text, p_required boolean DEFAULT true,
                                p_max_length integer DEFAULT 200) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v jsonb := p_args -> p_key;
  t text;
BEGIN
  IF v IS NOT NULL AND jsonb_typeof(v) <> 'null' THEN
    IF jsonb_typeof(v) <> 'string' THEN
      PERFORM clinic.fail('GC400', format('%s must be text.', p_label), p_key);
    END IF;
    t := nullif(btrim(v #>> '{}'), '');
  END IF;
  IF t IS NULL AND p_required THEN
    PERFORM clinic.fail('GC400', format('%s is required.', p_label), p_key);
  END IF;
  IF length(t) > p_max_length THEN
    PERFORM clinic.fail('GC400', format('%s is too long (at most %s characters).', p_label, p_max_length), p_key);
  END IF;
  RETURN t;
END
$$;

CREATE FUNCTION clinic.arg_uuid(p_args jsonb, p_key text, p_label text, p_required boolean DEFAULT true)
RETURNS uuid
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t text := clinic.arg_text(p_args, p_key, p_label, p_required, 36);
BEGIN
  IF t IS NOT NULL AND t !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    PERFORM clinic.fail('GC400', format('%s is not a valid id.', p_label), p_key);
  END IF;
  RETURN t::uuid;
END
$$;

CREATE FUNCTION clinic.arg_date(p_args jsonb, p_key text, p_label text, p_required boolean DEFAULT true)
RETURNS date
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t text := clinic.arg_text(p_args, p_key, p_label, p_required, 10);
BEGIN
  IF t IS NOT NULL AND (t !~ '^\d{4}-\d{2}-\d{2}$' OR NOT pg_input_is_valid(t, 'date')) THEN
    PERFORM clinic.fail('GC400', format('%s must be a date (YYYY-MM-DD).', p_label), p_key);
  END IF;
  RETURN t::date;
END
$$;

CREATE FUNCTION clinic.arg_timestamptz(p_args jsonb, p_key text, p_label text, p_required boolean DEFAULT true)
RETURNS timestamptz
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t text := clinic.arg_text(p_args, p_key, p_label, p_required, 40);
BEGIN
  -- An explicit offset is required: a bare local time would be read in the server's time zone.
  IF t IS NOT NULL AND (t !~ '(Z|[+-]\d{2}(:?\d{2})?)$' OR NOT pg_input_is_valid(t, 'timestamptz')) THEN
    PERFORM clinic.fail('GC400', format('%s must be an ISO date-time with a time zone.', p_label), p_key);
  END IF;
  RETURN t::timestamptz;
END
$$;

CREATE FUNCTION clinic.arg_int(p_args jsonb, p_key text, p_label text, p_required boolean DEFAULT true)
RETURNS integer
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v jsonb := p_args -> p_key;
BEGIN
  IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
    IF p_required THEN
      PERFORM clinic.fail('GC400', format('%s is required.', p_label), p_key);
    END IF;
    RETURN NULL;
  END IF;
  IF jsonb_typeof(v) <> 'number' OR (v #>> '{}') !~ '^-?\d{1,9}$' THEN
    PERFORM clinic.fail('GC400', format('%s must be a whole number.', p_label), p_key);
  END IF;
  RETURN (v #>> '{}')::integer;
END
$$;

CREATE FUNCTION clinic.arg_bool(p_args jsonb, p_key text, p_label text, p_default boolean) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v jsonb := p_args -> p_key;
BEGIN
  IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
    RETURN p_default;
  END IF;
  IF jsonb_typeof(v) <> 'boolean' THEN
    PERFORM clinic.fail('GC400', format('%s must be true or false.', p_label), p_key);
  END IF;
  RETURN (v #>> '{}')::boolean;
END
$$;

-- Starts an idempotent request. NULL: first time, go ahead (the caller must finish with request_finish in the same
-- transaction). Otherwise the stored result of the earlier identical request, to be returned as is.
-- jsonb's text form is canonical (sorted keys, no duplicates), so equal arguments hash equally.
CREATE FUNCTION clinic.request_begin(p_clinic_id uuid, p_request_key uuid, p_procedure text, p_args jsonb)
RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_hash bytea;
  v_prior clinic.request_log;
BEGIN
  IF p_request_key IS NULL THEN
    PERFORM clinic.fail('GC400', 'The request has no request key.', 'request_key');
  END IF;
  IF p_args IS NULL OR jsonb_typeof(p_args) <> 'object' THEN
    PERFORM clinic.fail('GC400', 'The request arguments must be a JSON object.', 'args');
  END IF;
  v_hash := sha256(convert_to(p_args::text, 'UTF8'));
  -- Waits for a concurrent transaction holding the same key; a new snapshot then sees its committed row.
  INSERT INTO clinic.request_log (clinic_id, request_key, procedure, args_hash)
  VALUES (p_clinic_id, p_request_key, p_procedure, v_hash)
  ON CONFLICT (clinic_id, request_key) DO NOTHING;
  IF FOUND THEN
    RETURN NULL;
  END IF;
  SELECT * INTO STRICT v_prior FROM clinic.request_log WHERE clinic_id = p_clinic_id AND request_key = p_request_key;
  IF v_prior.procedure <> p_procedure OR v_prior.args_hash <> v_hash THEN
    PERFORM clinic.fail('GC422', 'This request key was already used for a different request.', 'request_key');
  END IF;
  IF v_prior.result IS NULL THEN
    RAISE EXCEPTION 'request % of % has no stored result', p_request_key, p_procedure;
  END IF;
  RETURN v_prior.result;
END
$$;

CREATE FUNCTION clinic.request_finish(p_clinic_id uuid, p_request_key uuid, p_result jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, clinic, public, pg_temp AS $$
BEGIN
  UPDATE clinic.request_log SET result = p_result WHERE clinic_id = p_clinic_id AND request_key = p_request_key;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'request % was not started with request_begin', p_request_key;
  END IF;
  RETURN p_result;
END
$$;

CREATE FUNCTION clinic.hash_password(p_password text) RETURNS text
LANGUAGE sql VOLATILE SET search_path = pg_catalog, public, pg_temp AS $$
  SELECT crypt(p_password, gen_salt('bf', 10))
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Sessions
-- ---------------------------------------------------------------------------------------------------------------

CREATE TYPE clinic.session_context AS (
  clinic_id  uuid,
  user_id    uuid,
  role       clinic.user_role,
  station_id uuid,
  doctor_id  uuid,
  session_id uuid
);

-- The verified session of this transaction, from set_config('app.session_token', <hex token>, true). Missing,
-- malformed, unknown, revoked or expired tokens and deactivated users all fail closed with GC401.
-- (PL/pgSQL resolves clinic.doctors, created in 004, when called.)
CREATE FUNCTION clinic.current_session() RETURNS clinic.session_context
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_token text := lower(coalesce(current_setting('app.session_token', true), ''));
  v clinic.session_context;
BEGIN
  IF v_token = '' THEN
    PERFORM clinic.fail('GC401', 'Please sign in first.');
  END IF;
  IF v_token !~ '^[0-9a-f]{64}$' THEN
    PERFORM clinic.fail('GC401', 'Your session is not valid. Please sign in again.');
  END IF;
  SELECT s.clinic_id, s.user_id, u.role, s.station_id, d.id, s.id
    INTO v
    FROM clinic.staff_sessions s
    JOIN clinic.users u ON u.clinic_id = s.clinic_id AND u.id = s.user_id
    LEFT JOIN clinic.doctors d ON d.clinic_id = s.clinic_id AND d.user_id = s.user_id AND d.is_active
   WHERE s.token_hash = sha256(decode(v_token, 'hex'))
     AND s.revoked_at IS NULL
     AND s.expires_at > now()
     AND u.is_active;
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC401', 'Your session has expired or was ended. Please sign in again.');
  END IF;
  RETURN v;
END
$$;

-- Signs a member of staff in at a station and returns a session token (only its sha256 is stored). Registers the
-- station at its first sign-in; a reception station then gets the clinic's next free desk letter and keeps it.
CREATE FUNCTION clinic.sign_in(p_clinic_code text, p_username text, p_password text, p_station_code text,
                               p_station_role text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_clinic clinic.clinics;
  v_user clinic.users;
  -- Scalars, not a clinic.doctors row variable: that table only exists from migration 004 on.
  v_doctor_id uuid;
  v_doctor_name text;
  v_doctor_mcr text;
  v_station clinic.stations;
  v_station_code text := btrim(coalesce(p_station_code, ''));
  v_token bytea := gen_random_bytes(32);
  v_expires_at timestamptz := now() + interval '12 hours';
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
    -- Spend the same bcrypt time as for a real account, so timing does not reveal which usernames exist.
    PERFORM crypt(coalesce(p_password, ''), gen_salt('bf', 10));
    PERFORM clinic.fail('GC401', 'Invalid username or password.');
  END IF;
  IF v_user.password_hash <> crypt(coalesce(p_password, ''), v_user.password_hash) OR NOT v_user.is_active THEN
    PERFORM clinic.fail('GC401', 'Invalid username or password.');
  END IF;

  SELECT id, full_name, mcr_number INTO v_doctor_id, v_doctor_name, v_doctor_mcr
    FROM clinic.doctors WHERE clinic_id = v_clinic.id AND user_id = v_user.id AND is_active;
  IF p_station_role = 'consult' AND v_doctor_id IS NULL THEN
    PERFORM clinic.fail('GC403', 'Only a doctor can sign in at a consult station.');
  END IF;

  -- Station registration and desk letters are serialized per clinic by a lock on the clinic row (NO KEY UPDATE
  -- does not block foreign-key checks). Plain INSERT, not ON CONFLICT: the change-feed trigger fires BEFORE INSERT,
  -- so an insert that turned into an update would publish a station that never existed.
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

-- Stations read (never write) identity data; secrets are left out by column grants.
GRANT SELECT ON clinic.clinics, clinic.stations TO clinic_station;
GRANT SELECT (clinic_id, id, username, full_name, role, is_active, created_at, updated_at)
  ON clinic.users TO clinic_station;
GRANT SELECT (clinic_id, id, user_id, station_id, created_at, expires_at, revoked_at)
  ON clinic.staff_sessions TO clinic_station;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA clinic FROM PUBLIC;
GRANT EXECUTE ON FUNCTION clinic.current_session(), clinic.sign_in(text, text, text, text, text)
  TO clinic_station;
