-- Station enrolment (issue 9 part 2, DESIGN §1 and §8). A station PC is enrolled once: the operator (or a clinic
-- manager through the gateway) makes a one-time code for a station code and role; the PC makes an Ed25519 key pair
-- and sends the public key with the code to the gateway; from then on every request it makes is signed with that
-- key, and the gateway knows the station, its clinic and its role from the signature alone. Staff sign in at an
-- enrolled station (sign_in_at_station), which never creates or changes a station; a revoked station is refused
-- at once, its open sessions included.
--
-- * clinic_gateway: what the gateway's login role is a member of. It alone executes the functions that read
--   station keys, consume enrolment codes and sign staff in at a verified station: a station's own connection
--   (clinic_station) must never be able to claim another station or read key material.
-- * Stations read neither public keys nor code hashes: stations get column grants, the feed strips the key, and
--   enrolment codes have no read policy at all.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'clinic_gateway') THEN
    BEGIN
      CREATE ROLE clinic_gateway NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
  -- Roles are cluster-wide and another database may be migrated at this very moment (as in 001).
  IF NOT pg_catalog.pg_has_role('clinic_gateway', 'clinic_station', 'MEMBER') THEN
    BEGIN
      GRANT clinic_station TO clinic_gateway;
    EXCEPTION WHEN OTHERS THEN
      IF NOT pg_catalog.pg_has_role('clinic_gateway', 'clinic_station', 'MEMBER') THEN
        RAISE;
      END IF;
    END;
  END IF;
END
$$;

-- An Ed25519 public key as Node exports it (SPKI, PEM): 44 DER bytes, the last 32 the key itself. Anything else is
-- refused before it can be stored and later fail to verify at every request.
CREATE FUNCTION clinic.ed25519_spki_ok(p_pem text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_body text;
  v_der bytea;
BEGIN
  IF p_pem IS NULL OR length(p_pem) > 200 THEN
    RETURN false;
  END IF;
  v_body := substring(p_pem FROM '^\s*-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----\s*$');
  IF v_body IS NULL THEN
    RETURN false;
  END IF;
  v_der := decode(regexp_replace(v_body, '\s', '', 'g'), 'base64');
  RETURN length(v_der) = 44 AND substring(v_der FROM 1 FOR 12) = '\x302a300506032b6570032100'::bytea;
EXCEPTION WHEN OTHERS THEN
  RETURN false;
END
$$;

ALTER TABLE clinic.stations
  ADD COLUMN public_key     text CHECK (public_key IS NULL OR clinic.ed25519_spki_ok(public_key)),
  ADD COLUMN enrolled_at    timestamptz,
  ADD COLUMN revoked_at     timestamptz,
  ADD COLUMN revoked_reason text CHECK (revoked_reason IS NULL OR (btrim(revoked_reason) <> '' AND length(revoked_reason) <= 200)),
  ADD CHECK ((public_key IS NULL) = (enrolled_at IS NULL)),
  ADD CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL));

-- One-time codes, typed at the new PC. Only the sha256 of the normalised code is kept (a leaked table enrols
-- nobody). The station code and role are decided here, by whoever made the code, never by the PC.
CREATE TABLE clinic.enrolment_codes (
  clinic_id          uuid NOT NULL REFERENCES clinic.clinics (id),
  id                 uuid NOT NULL DEFAULT gen_random_uuid(),
  code_hash          bytea NOT NULL CHECK (length(code_hash) = 32),
  station_role       text NOT NULL CHECK (station_role IN ('reception', 'consult', 'display')),
  station_code       text NOT NULL CHECK (station_code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$'),
  room_id            uuid,
  -- NULL when the operator made it on the server (create_enrolment_code), else the clinic manager.
  created_by_user_id uuid,
  created_at         timestamptz NOT NULL DEFAULT now(),
  expires_at         timestamptz NOT NULL DEFAULT now() + interval '24 hours',
  used_at            timestamptz,
  used_by_station_id uuid,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, room_id) REFERENCES clinic.rooms (clinic_id, id),
  FOREIGN KEY (clinic_id, created_by_user_id) REFERENCES clinic.users (clinic_id, id),
  FOREIGN KEY (clinic_id, used_by_station_id) REFERENCES clinic.stations (clinic_id, id),
  CHECK (room_id IS NULL OR station_role = 'consult'),
  CHECK (expires_at > created_at),
  CHECK ((used_at IS NULL) = (used_by_station_id IS NULL))
);
-- The PC knows only the code, not its clinic: looked up by hash alone, as staff session tokens are (003). Not
-- UNIQUE (that would be a cross-tenant check); create_enrolment_code refuses a code that is still waiting anywhere.
CREATE INDEX enrolment_codes_code_hash_idx ON clinic.enrolment_codes USING hash (code_hash);

-- No read_grants row: RLS forced with no policy, and no grant either, so only the owner's procedures read it.
SELECT rls.apply();

-- Who made a code, who enrolled or revoked a station: on the audit trail (hashes are redacted there).
CREATE TRIGGER audit_capture AFTER INSERT OR UPDATE OR DELETE ON clinic.stations
  FOR EACH ROW EXECUTE FUNCTION audit.capture();
CREATE TRIGGER audit_capture AFTER INSERT OR UPDATE OR DELETE ON clinic.enrolment_codes
  FOR EACH ROW EXECUTE FUNCTION audit.capture();

-- Stations read their directory, not the key material (003 granted the whole table).
REVOKE SELECT ON clinic.stations FROM clinic_station;
GRANT SELECT (clinic_id, id, code, role, desk_letter, room_id, created_at, updated_at, sync_seq, enrolled_at, revoked_at)
  ON clinic.stations TO clinic_station;

-- The change feed leaves out what stations may not read (016's record(), with public_key added).
CREATE OR REPLACE FUNCTION sync.record() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_clinic_id uuid;
  v_image jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    v_clinic_id := (to_jsonb(OLD) ->> TG_ARGV[0])::uuid;
    INSERT INTO sync.changes (clinic_id, seq, table_name, row_id, op, row)
    VALUES (v_clinic_id, nextval('sync.change_seq'), TG_TABLE_NAME, OLD.id, 'D', NULL);
  ELSE
    -- Secrets never leave the centre, not even in the feed; nor do station keys, which no station needs.
    v_image := to_jsonb(NEW) - 'password_hash' - 'token_hash' - 'nric_enc' - 'public_key' - 'revoked_reason';
    v_clinic_id := (v_image ->> TG_ARGV[0])::uuid;
    INSERT INTO sync.changes (clinic_id, seq, table_name, row_id, op, row)
    VALUES (v_clinic_id, NEW.sync_seq, TG_TABLE_NAME, NEW.id, 'U', v_image);
  END IF;
  -- Delivered at commit, once per clinic and transaction; only a hint to pull now.
  PERFORM pg_notify('clinic_changes', v_clinic_id::text);
  RETURN NULL;
END
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Sessions bound to their station
-- ---------------------------------------------------------------------------------------------------------------

-- As in 003, and fails closed when the session's station is revoked, or when the gateway has verified that the
-- request comes from another station (app.station_id): a token copied from station A is useless at station B.
CREATE OR REPLACE FUNCTION clinic.current_session() RETURNS clinic.session_context
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_token text := lower(coalesce(current_setting('app.session_token', true), ''));
  v_at_station text := coalesce(current_setting('app.station_id', true), '');
  v clinic.session_context;
  v_revoked timestamptz;
BEGIN
  IF v_token = '' THEN
    PERFORM clinic.fail('GC401', 'Please sign in first.');
  END IF;
  IF v_token !~ '^[0-9a-f]{64}$' THEN
    PERFORM clinic.fail('GC401', 'Your session is not valid. Please sign in again.');
  END IF;
  SELECT s.clinic_id, s.user_id, u.role, s.station_id, d.id, s.id, st.revoked_at
    INTO v.clinic_id, v.user_id, v.role, v.station_id, v.doctor_id, v.session_id, v_revoked
    FROM clinic.staff_sessions s
    JOIN clinic.users u ON u.clinic_id = s.clinic_id AND u.id = s.user_id
    JOIN clinic.stations st ON st.clinic_id = s.clinic_id AND st.id = s.station_id
    LEFT JOIN clinic.doctors d ON d.clinic_id = s.clinic_id AND d.user_id = s.user_id AND d.is_active
   WHERE s.token_hash = sha256(decode(v_token, 'hex'))
     AND s.revoked_at IS NULL
     AND s.expires_at > now()
     AND u.is_active;
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC401', 'Your session has expired or was ended. Please sign in again.');
  END IF;
  IF v_revoked IS NOT NULL THEN
    PERFORM clinic.fail('GC401', 'This station was revoked at the centre and must be enrolled again.');
  END IF;
  IF v_at_station <> '' AND v_at_station IS DISTINCT FROM v.station_id::text THEN
    PERFORM clinic.fail('GC401', 'This session was opened at another station. Please sign in again here.');
  END IF;
  RETURN v;
END
$$;

-- Row-level security and the audit trail use this one: the same checks, NULL instead of an error.
CREATE OR REPLACE FUNCTION audit.session_or_null() RETURNS clinic.session_context
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_token text := lower(coalesce(current_setting('app.session_token', true), ''));
  v_at_station text := coalesce(current_setting('app.station_id', true), '');
  v clinic.session_context;
BEGIN
  IF v_token !~ '^[0-9a-f]{64}$' THEN
    RETURN NULL;
  END IF;
  SELECT s.clinic_id, s.user_id, u.role, s.station_id, NULL, s.id
    INTO v
    FROM clinic.staff_sessions s
    JOIN clinic.users u ON u.clinic_id = s.clinic_id AND u.id = s.user_id
    JOIN clinic.stations st ON st.clinic_id = s.clinic_id AND st.id = s.station_id
   WHERE s.token_hash = sha256(decode(v_token, 'hex'))
     AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active
     AND st.revoked_at IS NULL
     AND (v_at_station = '' OR v_at_station = s.station_id::text);
  RETURN v;
END
$$;

-- Ends the session of this transaction at the centre: the token is refused from now on, everywhere.
CREATE FUNCTION clinic.sign_out() RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_at timestamptz := now();
BEGIN
  UPDATE clinic.staff_sessions SET revoked_at = v_at WHERE clinic_id = s.clinic_id AND id = s.session_id;
  RETURN jsonb_build_object('revoked_at', v_at);
END
$$;

-- Extends a valid session by its usual length from now (12 hours; 30 days for a display's device account), but
-- a staff session never past 24 hours from its sign-in: a new working day asks for the password again.
CREATE FUNCTION clinic.refresh_session() RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_expires timestamptz;
BEGIN
  UPDATE clinic.staff_sessions
     SET expires_at = greatest(expires_at,
                               CASE WHEN s.role = 'display' THEN now() + interval '30 days'
                                    ELSE least(now() + interval '12 hours', created_at + interval '24 hours') END)
   WHERE clinic_id = s.clinic_id AND id = s.session_id
  RETURNING expires_at INTO v_expires;
  RETURN jsonb_build_object('expires_at', v_expires);
END
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Enrolment codes
-- ---------------------------------------------------------------------------------------------------------------

-- What people type, made comparable: case, spaces and dashes do not matter (ABCD-EFGH = abcd efgh).
CREATE FUNCTION clinic.enrolment_code_hash(p_code text) RETURNS bytea
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT sha256(convert_to(upper(regexp_replace(coalesce(p_code, ''), '[\s-]', '', 'g')), 'UTF8'))
$$;

-- The clinic's first free desk letter; the caller holds the clinic row locked (FOR NO KEY UPDATE), as sign_in
-- did, so two desks enrolled at once never get the same one.
CREATE FUNCTION clinic.next_desk_letter(p_clinic_id uuid) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_letter text;
BEGIN
  SELECT l.letter INTO v_letter
    FROM unnest(string_to_array('ABCDEFGHIJKLMNOPQRSTUVWXYZ', NULL)) AS l(letter)
   WHERE NOT EXISTS (SELECT 1 FROM clinic.stations o WHERE o.clinic_id = p_clinic_id AND o.desk_letter = l.letter)
   ORDER BY l.letter
   LIMIT 1;
  IF v_letter IS NULL THEN
    PERFORM clinic.fail('GC409', 'All 26 desk letters of this clinic are taken; no new reception desk can be added.');
  END IF;
  RETURN v_letter;
END
$$;

-- The one way codes are made, for the operator's function and the clinic manager's procedure alike.
CREATE FUNCTION clinic.new_enrolment_code(p_clinic_id uuid, p_role text, p_station_code text, p_code text,
                                          p_room_code text, p_expires_hours integer, p_created_by uuid) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_station_code text := nullif(btrim(coalesce(p_station_code, '')), '');
  v_typed text := upper(regexp_replace(coalesce(p_code, ''), '[\s-]', '', 'g'));
  v_hash bytea := clinic.enrolment_code_hash(p_code);
  v_room clinic.rooms;
  v_station clinic.stations;
  v_n integer;
  v_row clinic.enrolment_codes;
BEGIN
  IF p_role IS NULL OR p_role NOT IN ('reception', 'consult', 'display') THEN
    PERFORM clinic.fail('GC400', 'The station role must be reception, consult or display.', 'station_role');
  END IF;
  -- Anyone who can reach the gateway may try codes: a short one could be guessed.
  IF length(v_typed) < 10 OR length(v_typed) > 64 THEN
    PERFORM clinic.fail('GC400', 'The enrolment code must have 10 to 64 letters or digits.', 'code');
  END IF;
  IF p_expires_hours IS NULL OR p_expires_hours NOT BETWEEN 1 AND 720 THEN
    PERFORM clinic.fail('GC400', 'An enrolment code expires after 1 to 720 hours.', 'expires_hours');
  END IF;
  IF p_room_code IS NOT NULL THEN
    IF p_role <> 'consult' THEN
      PERFORM clinic.fail('GC400', 'Only a consult station sits in a room.', 'room_code');
    END IF;
    SELECT * INTO v_room FROM clinic.rooms
     WHERE clinic_id = p_clinic_id AND code = upper(btrim(p_room_code)) AND is_active;
    IF NOT FOUND THEN
      PERFORM clinic.fail('GC404', format('There is no room %s at this clinic.', p_room_code), 'room_code');
    END IF;
  END IF;

  IF v_station_code IS NULL THEN
    -- RECEPTION-3: the next number of that role not yet taken.
    SELECT count(*) + 1 INTO v_n FROM clinic.stations WHERE clinic_id = p_clinic_id AND role = p_role;
    LOOP
      v_station_code := upper(p_role) || '-' || v_n;
      EXIT WHEN NOT EXISTS (SELECT 1 FROM clinic.stations WHERE clinic_id = p_clinic_id AND code = v_station_code)
            AND NOT EXISTS (SELECT 1 FROM clinic.enrolment_codes WHERE clinic_id = p_clinic_id
                             AND station_code = v_station_code AND used_at IS NULL AND expires_at > now());
      v_n := v_n + 1;
    END LOOP;
  ELSIF v_station_code !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$' THEN
    PERFORM clinic.fail('GC400', 'The station code must be 1 to 40 letters, digits, dots, dashes or underscores.',
                        'station_code');
  END IF;
  SELECT * INTO v_station FROM clinic.stations WHERE clinic_id = p_clinic_id AND code = v_station_code;
  IF FOUND AND v_station.public_key IS NOT NULL AND v_station.revoked_at IS NULL THEN
    PERFORM clinic.fail('GC409', format('Station %s is enrolled and in use. Revoke it first to enrol a replacement PC.',
                                        v_station_code), 'station_code');
  END IF;
  IF FOUND AND v_station.role <> p_role THEN
    PERFORM clinic.fail('GC409', format('Station %s is a %s station; enrol it as one, or choose a new station code.',
                                        v_station_code, v_station.role), 'station_code');
  END IF;

  -- Codes are found by hash across clinics, so a code still waiting anywhere is not given out twice.
  PERFORM pg_advisory_xact_lock(hashtextextended(encode(v_hash, 'hex'), 18));
  IF EXISTS (SELECT 1 FROM clinic.enrolment_codes WHERE code_hash = v_hash AND used_at IS NULL AND expires_at > now()) THEN
    PERFORM clinic.fail('GC409', 'That enrolment code is already waiting to be used; choose another.', 'code');
  END IF;

  INSERT INTO clinic.enrolment_codes (clinic_id, code_hash, station_role, station_code, room_id, created_by_user_id,
                                      expires_at)
  VALUES (p_clinic_id, v_hash, p_role, v_station_code, v_room.id, p_created_by, now() + make_interval(hours => p_expires_hours))
  RETURNING * INTO v_row;
  RETURN jsonb_build_object('station_code', v_row.station_code, 'station_role', v_row.station_role,
                            'room_code', v_room.code, 'expires_at', v_row.expires_at);
END
$$;

-- For the operator on the server (npm run cli -- enrol): run as the owner, granted to nobody.
CREATE FUNCTION clinic.create_enrolment_code(p_clinic_code text, p_role text, p_station_code text, p_code text,
                                             p_room_code text DEFAULT NULL, p_expires_hours integer DEFAULT 24)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_clinic clinic.clinics;
BEGIN
  SELECT * INTO v_clinic FROM clinic.clinics WHERE code = upper(btrim(coalesce(p_clinic_code, '')));
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC404', format('There is no clinic with code %s.', p_clinic_code), 'clinic_code');
  END IF;
  RETURN clinic.new_enrolment_code(v_clinic.id, p_role, p_station_code, p_code, p_room_code, p_expires_hours, NULL)
         || jsonb_build_object('clinic', jsonb_build_object('id', v_clinic.id, 'code', v_clinic.code, 'name', v_clinic.name));
END
$$;

-- args: {station_role, station_code?, code, room_code?, expires_hours?} -> {station_code, station_role, room_code,
-- expires_at}. The clinic manager's screen makes the code and keeps it; the centre stores only its hash, so the
-- stored answer of this request (request_log) never holds it either.
CREATE FUNCTION clinic.create_station_enrolment(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
BEGIN
  -- The request log keeps a hash of the arguments only, so the code is not stored there in plain either.
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'create_station_enrolment', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  IF s.role NOT IN ('clinic_admin', 'chain_admin') THEN
    PERFORM clinic.fail('GC403', 'Only the clinic manager (admin) can enrol stations.');
  END IF;
  RETURN clinic.request_finish(s.clinic_id, p_request_key, clinic.new_enrolment_code(
    s.clinic_id,
    clinic.arg_text(p_args, 'station_role', 'Station role', true, 20),
    clinic.arg_text(p_args, 'station_code', 'Station code', false, 40),
    clinic.arg_text(p_args, 'code', 'Enrolment code', true, 100),
    clinic.arg_text(p_args, 'room_code', 'Room', false, 10),
    coalesce(clinic.arg_int(p_args, 'expires_hours', 'Hours until the code expires', false), 24),
    s.user_id));
END
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Enrolling, verifying and revoking stations (the gateway's functions)
-- ---------------------------------------------------------------------------------------------------------------

-- The new PC's code and public key -> {station: {id, code, role, desk_letter, room_id}, clinic: {id, code, name}}.
-- The code is used once: of two PCs presenting it at once, the second waits on the row lock, then finds it used.
-- A station code that is already enrolled takes a new key only once its old one was revoked (a replaced PC).
CREATE FUNCTION clinic.enrol_station(p_code text, p_public_key text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_code clinic.enrolment_codes;
  v_clinic clinic.clinics;
  v_station clinic.stations;
BEGIN
  IF NOT clinic.ed25519_spki_ok(p_public_key) THEN
    PERFORM clinic.fail('GC400', 'The station key is not an Ed25519 public key (SPKI PEM).', 'public_key');
  END IF;
  SELECT * INTO v_code FROM clinic.enrolment_codes
   WHERE code_hash = clinic.enrolment_code_hash(p_code)
   ORDER BY used_at IS NULL DESC, expires_at DESC
   LIMIT 1
   FOR UPDATE;
  -- Unknown, used and expired codes get the same answer: it tells someone guessing codes nothing.
  IF NOT FOUND OR v_code.used_at IS NOT NULL OR v_code.expires_at <= now() THEN
    PERFORM clinic.fail('GC401', 'This enrolment code is not valid: it is unknown, already used or expired. Ask for a new one.');
  END IF;

  SELECT * INTO v_clinic FROM clinic.clinics WHERE id = v_code.clinic_id FOR NO KEY UPDATE;
  SELECT * INTO v_station FROM clinic.stations WHERE clinic_id = v_clinic.id AND code = v_code.station_code FOR UPDATE;
  IF FOUND THEN
    IF v_station.public_key IS NOT NULL AND v_station.revoked_at IS NULL THEN
      PERFORM clinic.fail('GC409', format('Station %s is already enrolled. It must be revoked before another PC takes its place.',
                                          v_station.code));
    END IF;
    IF v_station.role <> v_code.station_role THEN
      PERFORM clinic.fail('GC409', format('Station %s is a %s station, not %s.', v_station.code, v_station.role, v_code.station_role));
    END IF;
    UPDATE clinic.stations
       SET public_key = p_public_key, enrolled_at = now(), revoked_at = NULL, revoked_reason = NULL,
           room_id = coalesce(v_code.room_id, room_id),
           desk_letter = CASE WHEN role = 'reception' AND desk_letter IS NULL THEN clinic.next_desk_letter(v_clinic.id)
                              ELSE desk_letter END
     WHERE clinic_id = v_clinic.id AND id = v_station.id
    RETURNING * INTO v_station;
  ELSE
    INSERT INTO clinic.stations (clinic_id, code, role, desk_letter, room_id, public_key, enrolled_at)
    VALUES (v_clinic.id, v_code.station_code, v_code.station_role,
            CASE WHEN v_code.station_role = 'reception' THEN clinic.next_desk_letter(v_clinic.id) END,
            v_code.room_id, p_public_key, now())
    RETURNING * INTO v_station;
  END IF;
  UPDATE clinic.enrolment_codes SET used_at = now(), used_by_station_id = v_station.id
   WHERE clinic_id = v_code.clinic_id AND id = v_code.id;

  RETURN jsonb_build_object(
    'station', jsonb_build_object('id', v_station.id, 'code', v_station.code, 'role', v_station.role,
                                  'desk_letter', v_station.desk_letter, 'room_id', v_station.room_id),
    'clinic', jsonb_build_object('id', v_clinic.id, 'code', v_clinic.code, 'name', v_clinic.name));
END
$$;

-- What the gateway needs to verify a station's signature: {station_id, clinic_id, role, public_key, revoked}, or
-- NULL when no station with that id was ever enrolled. Chain-wide stations are few, and the gateway caches this.
CREATE FUNCTION clinic.station_key(p_station_id uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
  SELECT jsonb_build_object('station_id', id, 'clinic_id', clinic_id, 'role', role, 'public_key', public_key,
                            'revoked', revoked_at IS NOT NULL)
    FROM clinic.stations WHERE id = p_station_id AND public_key IS NOT NULL
$$;

-- Revokes a station and every session opened at it, and tells every gateway (LISTEN station_revoked) to forget
-- its key at once rather than when a cache entry ages out.
CREATE FUNCTION clinic.revoke_station_row(p_clinic_id uuid, p_station_code text, p_reason text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_station clinic.stations;
  v_reason text := nullif(btrim(coalesce(p_reason, '')), '');
  v_sessions integer;
BEGIN
  IF v_reason IS NULL OR length(v_reason) > 200 THEN
    PERFORM clinic.fail('GC400', 'Say why the station is revoked (at most 200 characters).', 'reason');
  END IF;
  SELECT * INTO v_station FROM clinic.stations
   WHERE clinic_id = p_clinic_id AND code = btrim(coalesce(p_station_code, '')) FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC404', format('There is no station %s at this clinic.', p_station_code), 'station_code');
  END IF;
  IF v_station.revoked_at IS NOT NULL THEN
    PERFORM clinic.fail('GC409', format('Station %s was already revoked on %s.', v_station.code,
                                        to_char(v_station.revoked_at AT TIME ZONE 'Asia/Singapore', 'YYYY-MM-DD HH24:MI')),
                        'station_code');
  END IF;
  UPDATE clinic.stations SET revoked_at = now(), revoked_reason = v_reason
   WHERE clinic_id = p_clinic_id AND id = v_station.id;
  UPDATE clinic.staff_sessions SET revoked_at = now()
   WHERE clinic_id = p_clinic_id AND station_id = v_station.id AND revoked_at IS NULL AND expires_at > now();
  GET DIAGNOSTICS v_sessions = ROW_COUNT;
  PERFORM pg_notify('station_revoked', v_station.id::text);
  RETURN jsonb_build_object('station_id', v_station.id, 'station_code', v_station.code, 'sessions_revoked', v_sessions);
END
$$;

-- For the operator on the server (npm run cli -- revoke-station): run as the owner, granted to nobody.
CREATE FUNCTION clinic.operator_revoke_station(p_clinic_code text, p_station_code text, p_reason text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_clinic_id uuid;
BEGIN
  SELECT id INTO v_clinic_id FROM clinic.clinics WHERE code = upper(btrim(coalesce(p_clinic_code, '')));
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC404', format('There is no clinic with code %s.', p_clinic_code), 'clinic_code');
  END IF;
  RETURN clinic.revoke_station_row(v_clinic_id, p_station_code, p_reason);
END
$$;

-- args: {station_code, reason} -> {station_id, station_code, sessions_revoked}: the clinic manager revokes a lost
-- or replaced PC of their own clinic.
CREATE FUNCTION clinic.revoke_station(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'revoke_station', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  IF s.role NOT IN ('clinic_admin', 'chain_admin') THEN
    PERFORM clinic.fail('GC403', 'Only the clinic manager (admin) can revoke stations.');
  END IF;
  RETURN clinic.request_finish(s.clinic_id, p_request_key, clinic.revoke_station_row(
    s.clinic_id,
    clinic.arg_text(p_args, 'station_code', 'Station code', true, 40),
    clinic.arg_text(p_args, 'reason', 'Reason', true, 200)));
END
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Sign-in at a verified station
-- ---------------------------------------------------------------------------------------------------------------

-- As sign_in (003, 009: display accounts only at displays, for 30 days; consult stations only for doctors), but
-- the station, its clinic and its role are the enrolled station's, which the gateway verified from the request's
-- signature. It never creates or changes a station.
CREATE FUNCTION clinic.sign_in_at_station(p_station_id uuid, p_username text, p_password text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_station clinic.stations;
  v_clinic clinic.clinics;
  v_user clinic.users;
  v_doctor_id uuid;
  v_doctor_name text;
  v_doctor_mcr text;
  v_token bytea := gen_random_bytes(32);
  v_expires_at timestamptz;
BEGIN
  SELECT * INTO v_station FROM clinic.stations WHERE id = p_station_id AND public_key IS NOT NULL;
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC401', 'This station is not enrolled at the centre.');
  END IF;
  IF v_station.revoked_at IS NOT NULL THEN
    PERFORM clinic.fail('GC401', 'This station was revoked at the centre and must be enrolled again.');
  END IF;
  SELECT * INTO STRICT v_clinic FROM clinic.clinics WHERE id = v_station.clinic_id;

  SELECT * INTO v_user FROM clinic.users
   WHERE clinic_id = v_clinic.id AND username = btrim(coalesce(p_username, ''))::citext;
  IF NOT FOUND THEN
    -- As long as a real check, so the time taken does not tell which usernames exist.
    PERFORM crypt(coalesce(p_password, ''), gen_salt('bf', 10));
    PERFORM clinic.fail('GC401', 'Invalid username or password.');
  END IF;
  IF v_user.password_hash <> crypt(coalesce(p_password, ''), v_user.password_hash) OR NOT v_user.is_active THEN
    PERFORM clinic.fail('GC401', 'Invalid username or password.');
  END IF;
  IF v_user.role = 'display' AND v_station.role <> 'display' THEN
    PERFORM clinic.fail('GC403', 'A display account can only sign in at a waiting-room display.');
  END IF;
  v_expires_at := now() + CASE WHEN v_user.role = 'display' THEN interval '30 days' ELSE interval '12 hours' END;

  SELECT id, full_name, mcr_number INTO v_doctor_id, v_doctor_name, v_doctor_mcr
    FROM clinic.doctors WHERE clinic_id = v_clinic.id AND user_id = v_user.id AND is_active;
  IF v_station.role = 'consult' AND v_doctor_id IS NULL THEN
    PERFORM clinic.fail('GC403', 'Only a doctor can sign in at a consult station.');
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
GRANT EXECUTE ON FUNCTION clinic.sign_out(), clinic.refresh_session(), clinic.create_station_enrolment(uuid, jsonb),
                          clinic.revoke_station(uuid, jsonb)
  TO clinic_station;
GRANT EXECUTE ON FUNCTION clinic.enrol_station(text, text), clinic.station_key(uuid),
                          clinic.sign_in_at_station(uuid, text, text)
  TO clinic_gateway;
