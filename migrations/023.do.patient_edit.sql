-- Reception edits a patient's details (issue 11, item 11). The NRIC/FIN is not among them: it is the identity the
-- record was registered under, and correcting it is a different, rarer act than a new phone or address.
--
-- The preferred language (en, zh, ms, ta) is what the display, the dispensing labels (DESIGN §6) and the messages
-- will speak to the patient. The payer says who settles the bill: the patient, or a company or an insurer named
-- beside it. The next of kin is who to call when the patient cannot answer.
--
-- Every change goes through clinic.update_patient, so the audit trigger on patients (008) records who changed
-- what, at which station, with the old and the new values.

ALTER TABLE clinic.patients
  ADD COLUMN preferred_language        text NOT NULL DEFAULT 'en' CHECK (preferred_language IN ('en', 'zh', 'ms', 'ta')),
  ADD COLUMN next_of_kin_name          text CHECK (btrim(next_of_kin_name) <> ''),
  ADD COLUMN next_of_kin_relationship  text CHECK (btrim(next_of_kin_relationship) <> ''),
  -- Stored in E.164 like the patient's own phone (022); update_patient writes it in that form.
  ADD COLUMN next_of_kin_phone         text CHECK (next_of_kin_phone = clinic.e164_phone(next_of_kin_phone)),
  ADD COLUMN payer_kind                text NOT NULL DEFAULT 'self' CHECK (payer_kind IN ('self', 'company', 'insurer')),
  ADD COLUMN payer_name                text CHECK (btrim(payer_name) <> ''),
  ADD CONSTRAINT patients_payer_named CHECK ((payer_kind = 'self') = (payer_name IS NULL)),
  -- A relationship or a number without a person to ask for is not a next of kin.
  ADD CONSTRAINT patients_next_of_kin_named
    CHECK (next_of_kin_name IS NOT NULL OR (next_of_kin_relationship IS NULL AND next_of_kin_phone IS NULL));

GRANT SELECT (preferred_language, next_of_kin_name, next_of_kin_relationship, next_of_kin_phone, payer_kind,
              payer_name)
  ON clinic.patients TO clinic_station;

-- The rules of src/shared/person-name.ts, so a name the station's form refuses is refused here too when another
-- client writes: letters of any script, spaces, hyphens, apostrophes, commas, a full stop after an abbreviation, and
-- s/o, d/o. PostgreSQL's regular expressions know letters ([[:alpha:]]) but not combining marks, so marks are let
-- through here; the station's rule, which knows them, is the stricter one.
CREATE FUNCTION clinic.person_name_problem(p_name text, p_label text, p_min integer, p_max integer) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_tidy text := regexp_replace(btrim(p_name), '\s+', ' ', 'g');
  v_bare text;
BEGIN
  IF v_tidy = '' THEN
    RETURN format('%s is required.', p_label);
  END IF;
  IF length(v_tidy) > p_max THEN
    RETURN format('%s can have at most %s characters; this one has %s.', p_label, p_max, length(v_tidy));
  END IF;
  v_bare := regexp_replace(v_tidy, '(^|\s)[sdSD]/[oO](?=\s|$)', '\1', 'g');
  IF v_bare ~ '[0-9]' OR v_bare ~ '[^[:alpha:][:space:]''’,.\u0300-\u036f\u3099-\u309a-]' THEN
    RETURN format('%s can only have letters, spaces, hyphens, apostrophes and commas (and s/o, d/o).', p_label);
  END IF;
  IF v_bare ~ '[-''’,.]{2,}|(^|\s)[-''’,.]|[-''’,]$' THEN
    RETURN format('%s has punctuation where a name has letters: check "%s".', p_label, v_tidy);
  END IF;
  IF v_bare ~ '\.[[:alpha:]]' THEN
    RETURN format('%s has a full stop inside a word: check "%s".', p_label, v_tidy);
  END IF;
  IF length(regexp_replace(v_bare, '[^[:alpha:]]', '', 'g')) < p_min THEN
    RETURN format('%s must have at least %s letters.', p_label, p_min);
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION clinic.arg_person_name(p_args jsonb, p_key text, p_label text, p_required boolean,
                                       p_min integer, p_max integer) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, clinic, pg_temp AS $$
DECLARE
  v_name text := clinic.arg_text(p_args, p_key, p_label, p_required, 1000);
  v_problem text;
BEGIN
  IF v_name IS NULL THEN
    RETURN NULL;
  END IF;
  v_problem := clinic.person_name_problem(v_name, p_label, p_min, p_max);
  IF v_problem IS NOT NULL THEN
    PERFORM clinic.fail('GC400', v_problem, p_key);
  END IF;
  RETURN regexp_replace(v_name, '\s+', ' ', 'g');
END
$$;

-- args: {patient_id, expected_updated_at, full_name, native_name?, date_of_birth, gender, phone?, email?, address?,
--        preferred_language, next_of_kin_name?, next_of_kin_relationship?, next_of_kin_phone?, payer_kind,
--        payer_name?}  ->  {patient: <row without nric_enc>}
-- Every field is sent, as the form shows it: an absent optional field is cleared. expected_updated_at is the
-- updated_at the desk read; a record changed since is refused rather than overwritten with what the desk never saw.
CREATE FUNCTION clinic.update_patient(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_row clinic.patients;
  v_expected timestamptz;
  v_dob date;
  v_gender text;
  v_email text;
  v_language text;
  v_kin_name text;
  v_kin_relationship text;
  v_kin_phone text;
  v_payer_kind text;
  v_payer_name text;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'update_patient', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  PERFORM clinic.require_reception(s, 'change a patient''s details');

  SELECT * INTO v_row FROM clinic.patients
   WHERE clinic_id = s.clinic_id AND id = clinic.arg_uuid(p_args, 'patient_id', 'Patient')
     FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC404', 'That patient does not exist in this clinic.', 'patient_id');
  END IF;
  v_expected := clinic.arg_timestamptz(p_args, 'expected_updated_at', 'The time the record was read');
  IF v_row.updated_at <> v_expected THEN
    PERFORM clinic.fail('GC409', format('Someone else changed this patient''s record at %s; reload it and make your '
                                        'change again.',
                                        to_char(v_row.updated_at AT TIME ZONE 'Asia/Singapore', 'HH24:MI')),
                        'expected_updated_at');
  END IF;

  v_dob := clinic.arg_date(p_args, 'date_of_birth', 'Date of birth');
  IF v_dob > clinic.clinic_day(now()) THEN
    PERFORM clinic.fail('GC400', 'Date of birth cannot be in the future.', 'date_of_birth');
  END IF;
  IF clinic.age_on(v_dob, clinic.clinic_day(now())) > 130 THEN
    PERFORM clinic.fail('GC400', 'Date of birth is more than 130 years ago: please check the year.', 'date_of_birth');
  END IF;
  v_gender := clinic.arg_text(p_args, 'gender', 'Gender');
  IF NOT v_gender = ANY (enum_range(NULL::clinic.gender)::text[]) THEN
    PERFORM clinic.fail('GC400', 'Gender must be male, female or other.', 'gender');
  END IF;
  v_email := clinic.arg_text(p_args, 'email', 'Email', false, 254);
  IF v_email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' THEN
    PERFORM clinic.fail('GC400', format('Email %s is not an address like name@example.com.', v_email), 'email');
  END IF;
  v_language := coalesce(clinic.arg_text(p_args, 'preferred_language', 'Preferred language', false), 'en');
  IF v_language NOT IN ('en', 'zh', 'ms', 'ta') THEN
    PERFORM clinic.fail('GC400', 'Preferred language must be English, Chinese, Malay or Tamil (en, zh, ms or ta).',
                        'preferred_language');
  END IF;

  v_kin_name := clinic.arg_person_name(p_args, 'next_of_kin_name', 'Next of kin''s name', false, 2, 120);
  v_kin_relationship := clinic.arg_text(p_args, 'next_of_kin_relationship', 'Relationship', false, 40);
  v_kin_phone := clinic.arg_text(p_args, 'next_of_kin_phone', 'Next of kin''s phone', false, 30);
  IF v_kin_phone IS NOT NULL THEN
    IF clinic.e164_phone(v_kin_phone) IS NULL THEN
      PERFORM clinic.fail('GC400', format('Phone %s is not a Singapore number (8 digits starting with 3, 6, 8 or 9) '
                                          'or a number abroad written with + and its country code.', v_kin_phone),
                          'next_of_kin_phone');
    END IF;
    v_kin_phone := clinic.e164_phone(v_kin_phone);
  END IF;
  IF v_kin_name IS NULL AND (v_kin_relationship IS NOT NULL OR v_kin_phone IS NOT NULL) THEN
    PERFORM clinic.fail('GC400', 'Give the next of kin''s name with their relationship or phone.', 'next_of_kin_name');
  END IF;

  v_payer_kind := coalesce(clinic.arg_text(p_args, 'payer_kind', 'Payer', false), 'self');
  IF v_payer_kind NOT IN ('self', 'company', 'insurer') THEN
    PERFORM clinic.fail('GC400', 'Payer must be the patient, a company or an insurer (self, company or insurer).',
                        'payer_kind');
  END IF;
  v_payer_name := clinic.arg_text(p_args, 'payer_name', CASE v_payer_kind WHEN 'insurer' THEN 'Insurer'
                                                                           ELSE 'Company' END,
                                  v_payer_kind <> 'self', 120);
  IF v_payer_kind = 'self' AND v_payer_name IS NOT NULL THEN
    PERFORM clinic.fail('GC400', 'A patient who pays for themselves has no company or insurer name.', 'payer_name');
  END IF;

  -- The phone goes through the E.164 trigger of 022, which names the column when it cannot read it.
  UPDATE clinic.patients
     SET full_name = clinic.arg_person_name(p_args, 'full_name', 'Full name', true, 2, 120),
         native_name = clinic.arg_person_name(p_args, 'native_name', 'Name in own script', false, 1, 60),
         date_of_birth = v_dob,
         gender = v_gender::clinic.gender,
         phone = clinic.arg_text(p_args, 'phone', 'Phone', false, 30),
         email = v_email,
         address = clinic.arg_text(p_args, 'address', 'Address', false, 300),
         preferred_language = v_language,
         next_of_kin_name = v_kin_name,
         next_of_kin_relationship = v_kin_relationship,
         next_of_kin_phone = v_kin_phone,
         payer_kind = v_payer_kind,
         payer_name = v_payer_name
   WHERE clinic_id = v_row.clinic_id AND id = v_row.id
  RETURNING * INTO v_row;

  RETURN clinic.request_finish(s.clinic_id, p_request_key,
                               jsonb_build_object('patient', to_jsonb(v_row) - 'nric_enc'));
END
$$;

REVOKE EXECUTE ON FUNCTION clinic.person_name_problem(text, text, integer, integer),
                           clinic.arg_person_name(jsonb, text, text, boolean, integer, integer),
                           clinic.update_patient(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION clinic.update_patient(uuid, jsonb) TO clinic_station;
