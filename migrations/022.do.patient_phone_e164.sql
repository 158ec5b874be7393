-- Patients' phones in one stored form, E.164 (+6591234567), at the centre as at the stations (issue 11): desks typed
-- "9123 4567", "+65 9123-4567" or "91234567" for the same number, so one number read as three in a search, a
-- duplicate check or an SMS reminder. The rules are src/shared/phone.ts: a Singapore number has 8 digits starting
-- with 3, 6, 8 or 9 (IMDA National Numbering Plan), with or without 65 in front; a number abroad is "+", a country
-- code not starting with 0, and 8 to 15 digits in all, as the SMS and WhatsApp tables require (007).
--
-- A trigger on the table rather than a line in register_patient, like the check-in window (020): every writer
-- (a station's registration, the demo and scale seeds, an administrator's UPDATE) is held to it, and no later
-- version of the procedure can lose it.

CREATE FUNCTION clinic.e164_phone(p_phone text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE
           WHEN v ~ '^[3689][0-9]{7}$' THEN '+65' || v
           WHEN v ~ '^(\+|)65[3689][0-9]{7}$' THEN '+' || ltrim(v, '+')
           WHEN v ~ '^\+65' THEN NULL
           WHEN v ~ '^\+[1-9][0-9]{7,14}$' THEN v
         END
    FROM (SELECT regexp_replace(p_phone, '[[:space:]().-]', '', 'g') AS v) compact
$$;
COMMENT ON FUNCTION clinic.e164_phone(text) IS
  'A phone as typed, in E.164 (+6591234567); NULL when it is not a Singapore number or a +country number.';

CREATE FUNCTION clinic.normalize_patient_phone() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, clinic, pg_temp AS $$
DECLARE
  v_e164 text;
BEGIN
  IF btrim(NEW.phone) = '' THEN
    NEW.phone := NULL;
  END IF;
  IF NEW.phone IS NULL THEN
    RETURN NEW;
  END IF;
  v_e164 := clinic.e164_phone(NEW.phone);
  IF v_e164 IS NULL THEN
    PERFORM clinic.fail('GC400', format('Phone %s is not a Singapore number (8 digits starting with 3, 6, 8 or 9) '
                                        'or a number abroad written with + and its country code.', NEW.phone), 'phone');
  END IF;
  NEW.phone := v_e164;
  RETURN NEW;
END
$$;

-- Numbers stored before this migration, in whatever form the desk typed them. Each rewritten row reaches the
-- stations through the change feed and is audited like any other change. A number that cannot be read is left as
-- it is, to be corrected by whoever next edits the patient: the trigger below only judges a phone being written.
UPDATE clinic.patients
   SET phone = CASE WHEN btrim(phone) = '' THEN NULL ELSE clinic.e164_phone(phone) END
 WHERE phone IS NOT NULL
   AND (btrim(phone) = '' OR clinic.e164_phone(phone) IS DISTINCT FROM phone)
   AND (btrim(phone) = '' OR clinic.e164_phone(phone) IS NOT NULL);

CREATE TRIGGER normalize_phone BEFORE INSERT OR UPDATE OF phone ON clinic.patients
  FOR EACH ROW EXECUTE FUNCTION clinic.normalize_patient_phone();

REVOKE EXECUTE ON FUNCTION clinic.e164_phone(text), clinic.normalize_patient_phone() FROM PUBLIC;
