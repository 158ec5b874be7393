-- Clinical core: patients, doctors, staff, rooms; patient registration.
--
-- NRIC/FIN is never stored in plaintext (PDPA): the station encrypts it (envelope JSON, nric_enc), computes a keyed
-- HMAC for lookups and duplicate checks (nric_hash, hex) and a masked form for display (nric_masked, S****567D).
-- The centre never sees the keys, so it compares hashes, never numbers.

CREATE TABLE clinic.rooms (
  clinic_id  uuid NOT NULL REFERENCES clinic.clinics (id),
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  code       text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{0,9}$'),
  name       text NOT NULL CHECK (btrim(name) <> ''),
  is_active  boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, code)
);

ALTER TABLE clinic.stations
  ADD FOREIGN KEY (clinic_id, room_id) REFERENCES clinic.rooms (clinic_id, id);

CREATE TABLE clinic.patients (
  clinic_id     uuid NOT NULL REFERENCES clinic.clinics (id),
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  nric_hash     text NOT NULL CHECK (nric_hash ~ '^[0-9a-f]{64}$'),
  -- An encryption envelope (JSON object); the check keeps a plaintext number from slipping in.
  nric_enc      text NOT NULL CHECK (nric_enc LIKE '{%}'),
  nric_masked   text NOT NULL CHECK (nric_masked ~ '^[STFGM]\*{4}[0-9]{3}[A-Z]$'),
  id_type       text NOT NULL CHECK (id_type IN ('NRIC', 'FIN')),
  full_name     text NOT NULL CHECK (btrim(full_name) <> ''),
  native_name   text,
  date_of_birth date NOT NULL,
  gender        clinic.gender NOT NULL,
  phone         text,
  email         text,
  address       text,
  chas_card     clinic.chas_card_type,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, nric_hash),
  CHECK ((id_type = 'NRIC') = (left(nric_masked, 1) IN ('S', 'T')))
);
-- Name search at the centre (reports, admin); btree_gist lets the tenant key lead the trigram index.
CREATE INDEX patients_name_trgm_idx ON clinic.patients USING gist (clinic_id, full_name gist_trgm_ops);

CREATE TABLE clinic.doctors (
  clinic_id  uuid NOT NULL REFERENCES clinic.clinics (id),
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id    uuid,
  full_name  text NOT NULL CHECK (btrim(full_name) <> ''),
  -- Singapore Medical Council registration number, printed on medical certificates (DESIGN §6).
  mcr_number text NOT NULL CHECK (mcr_number ~ '^M[0-9]{5}[A-Z]$'),
  specialty  text NOT NULL DEFAULT 'General Practice',
  is_active  boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, mcr_number),
  UNIQUE (clinic_id, user_id),
  FOREIGN KEY (clinic_id, user_id) REFERENCES clinic.users (clinic_id, id)
);

CREATE TABLE clinic.staff (
  clinic_id  uuid NOT NULL REFERENCES clinic.clinics (id),
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id    uuid,
  full_name  text NOT NULL CHECK (btrim(full_name) <> ''),
  position   text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, user_id),
  FOREIGN KEY (clinic_id, user_id) REFERENCES clinic.users (clinic_id, id)
);

CREATE TRIGGER touch_updated_at BEFORE UPDATE ON clinic.rooms
  FOR EACH ROW EXECUTE FUNCTION clinic.touch_updated_at();
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON clinic.patients
  FOR EACH ROW EXECUTE FUNCTION clinic.touch_updated_at();
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON clinic.doctors
  FOR EACH ROW EXECUTE FUNCTION clinic.touch_updated_at();
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON clinic.staff
  FOR EACH ROW EXECUTE FUNCTION clinic.touch_updated_at();

-- args: {id?, nric_hash, nric_enc, nric_masked, id_type, full_name, native_name?, date_of_birth, gender, phone?,
--        email?, address?, chas_card?}  ->  {patient: <row without nric_enc>}
CREATE FUNCTION clinic.register_patient(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_id uuid;
  v_nric_hash text;
  v_nric_enc text;
  v_nric_masked text;
  v_id_type text;
  v_dob date;
  v_gender text;
  v_chas text;
  v_email text;
  v_row clinic.patients;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'register_patient', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  IF s.role NOT IN ('receptionist', 'nurse', 'clinic_admin') THEN
    PERFORM clinic.fail('GC403', 'Only reception staff can register patients.');
  END IF;

  v_id := coalesce(clinic.arg_uuid(p_args, 'id', 'Patient id', false), gen_random_uuid());
  v_nric_masked := upper(clinic.arg_text(p_args, 'nric_masked', 'NRIC/FIN'));
  IF v_nric_masked !~ '^[STFGM]\*{4}[0-9]{3}[A-Z]$' THEN
    PERFORM clinic.fail('GC400', 'The NRIC/FIN must be sent masked, like S****567D.', 'nric_masked');
  END IF;
  v_nric_hash := lower(clinic.arg_text(p_args, 'nric_hash', 'NRIC/FIN lookup hash'));
  IF v_nric_hash !~ '^[0-9a-f]{64}$' THEN
    PERFORM clinic.fail('GC400', 'The NRIC/FIN lookup hash must be 64 hex digits.', 'nric_hash');
  END IF;
  v_nric_enc := clinic.arg_text(p_args, 'nric_enc', 'Encrypted NRIC/FIN', true, 4000);
  IF NOT pg_input_is_valid(v_nric_enc, 'jsonb') OR jsonb_typeof(v_nric_enc::jsonb) <> 'object'
     OR NOT (v_nric_enc::jsonb ? 'ct') THEN
    PERFORM clinic.fail('GC400', 'The NRIC/FIN must be sent encrypted.', 'nric_enc');
  END IF;
  v_id_type := upper(clinic.arg_text(p_args, 'id_type', 'ID type'));
  IF v_id_type NOT IN ('NRIC', 'FIN') THEN
    PERFORM clinic.fail('GC400', 'ID type must be NRIC or FIN.', 'id_type');
  END IF;
  IF (v_id_type = 'NRIC') <> (left(v_nric_masked, 1) IN ('S', 'T')) THEN
    PERFORM clinic.fail('GC400', format(CASE v_id_type WHEN 'FIN' THEN '%s is an NRIC, not a FIN.'
                                                       ELSE '%s is a FIN, not an NRIC.' END, v_nric_masked), 'id_type');
  END IF;
  v_dob := clinic.arg_date(p_args, 'date_of_birth', 'Date of birth');
  IF v_dob > clinic.clinic_day(now()) OR v_dob < date '1900-01-01' THEN
    PERFORM clinic.fail('GC400', 'Date of birth is not a plausible date.', 'date_of_birth');
  END IF;
  v_gender := clinic.arg_text(p_args, 'gender', 'Gender');
  IF NOT v_gender = ANY (enum_range(NULL::clinic.gender)::text[]) THEN
    PERFORM clinic.fail('GC400', 'Gender must be male, female or other.', 'gender');
  END IF;
  v_chas := clinic.arg_text(p_args, 'chas_card', 'CHAS card', false);
  IF v_chas IS NOT NULL AND NOT v_chas = ANY (enum_range(NULL::clinic.chas_card_type)::text[]) THEN
    PERFORM clinic.fail('GC400', 'CHAS card must be blue, orange, green, merdeka_generation or pioneer_generation.',
                        'chas_card');
  END IF;
  v_email := clinic.arg_text(p_args, 'email', 'Email', false, 254);
  IF v_email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' THEN
    PERFORM clinic.fail('GC400', 'Email is not a valid address.', 'email');
  END IF;

  -- ON CONFLICT DO NOTHING rather than an exception block: a concurrent registration of the same NRIC waits for
  -- the other transaction and then lands here. Any conflict raises below, so the rows the change-feed trigger
  -- wrote for the rejected row roll back with it.
  INSERT INTO clinic.patients (clinic_id, id, nric_hash, nric_enc, nric_masked, id_type, full_name, native_name,
                               date_of_birth, gender, phone, email, address, chas_card)
  VALUES (s.clinic_id, v_id, v_nric_hash, v_nric_enc, v_nric_masked, v_id_type,
          clinic.arg_text(p_args, 'full_name', 'Full name', true, 120),
          clinic.arg_text(p_args, 'native_name', 'Name in native script', false, 120),
          v_dob, v_gender::clinic.gender,
          clinic.arg_text(p_args, 'phone', 'Phone', false, 30),
          v_email,
          clinic.arg_text(p_args, 'address', 'Address', false, 300),
          v_chas::clinic.chas_card_type)
  ON CONFLICT DO NOTHING
  RETURNING * INTO v_row;
  IF v_row.id IS NULL THEN
    IF EXISTS (SELECT 1 FROM clinic.patients WHERE clinic_id = s.clinic_id AND nric_hash = v_nric_hash) THEN
      PERFORM clinic.fail('GC409', format('A patient with %s %s is already registered.', v_id_type, v_nric_masked),
                          'nric_hash');
    END IF;
    PERFORM clinic.fail('GC409', 'This patient record already exists.', 'id');
  END IF;

  RETURN clinic.request_finish(s.clinic_id, p_request_key,
                               jsonb_build_object('patient', to_jsonb(v_row) - 'nric_enc'));
END
$$;

GRANT SELECT ON clinic.rooms, clinic.doctors, clinic.staff TO clinic_station;
GRANT SELECT (clinic_id, id, nric_hash, nric_masked, id_type, full_name, native_name, date_of_birth, gender, phone,
              email, address, chas_card, created_at, updated_at)
  ON clinic.patients TO clinic_station;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA clinic FROM PUBLIC;
GRANT EXECUTE ON FUNCTION clinic.register_patient(uuid, jsonb) TO clinic_station;
