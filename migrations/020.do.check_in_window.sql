-- When a patient with an appointment may check in (issue 11): from a clinic setting's number of minutes before the
-- appointment, 60 by default, not any time on the day (a 09:00 appointment could be checked in at 03:28). The
-- clinic manager changes it from a station like the voice languages (017).
--
-- The rule is a trigger on the ticket rather than a line in issue_ticket, so no later version of that procedure can
-- lose it. It judges the ticket by when the desk issued it, so a check-in made in time while the desk was offline
-- still lands when it syncs, but never by a time later than now: a desk cannot claim to have issued it after the
-- window opened.

INSERT INTO ref.setting_defaults (key, value, description, for_stations) VALUES
  ('queue.check_in_opens_minutes', '60',
   'How many minutes before an appointment its patient may check in (0 to 720).', true);

CREATE FUNCTION clinic.check_setting_range() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NEW.key = 'queue.check_in_opens_minutes'
     AND (jsonb_typeof(NEW.value) <> 'number' OR (NEW.value #>> '{}')::numeric NOT BETWEEN 0 AND 720
          OR (NEW.value #>> '{}')::numeric <> trunc((NEW.value #>> '{}')::numeric)) THEN
    RAISE EXCEPTION USING ERRCODE = 'GC400', COLUMN = 'value',
      MESSAGE = 'Check-in opens a whole number of minutes before the appointment, from 0 to 720 (12 hours).';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER check_setting_range BEFORE INSERT OR UPDATE ON clinic.system_settings
  FOR EACH ROW EXECUTE FUNCTION clinic.check_setting_range();

CREATE FUNCTION clinic.check_in_window() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_appt clinic.appointments;
  v_minutes integer;
  v_opens timestamptz;
BEGIN
  SELECT * INTO v_appt FROM clinic.appointments WHERE clinic_id = NEW.clinic_id AND id = NEW.appointment_id;
  IF NOT FOUND THEN
    RETURN NEW;
  END IF;
  v_minutes := (clinic.setting(NEW.clinic_id, 'queue.check_in_opens_minutes') #>> '{}')::integer;
  v_opens := v_appt.starts_at - make_interval(mins => v_minutes);
  IF least(NEW.issued_at, now()) < v_opens THEN
    PERFORM clinic.fail('GC409', format('Check-in for the %s appointment opens at %s, %s minutes before it.',
                                        to_char(v_appt.starts_at AT TIME ZONE 'Asia/Singapore', 'HH24:MI'),
                                        to_char(v_opens AT TIME ZONE 'Asia/Singapore', 'HH24:MI'), v_minutes),
                        'appointment_id');
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER check_in_window BEFORE INSERT ON clinic.queue_tickets
  FOR EACH ROW WHEN (NEW.appointment_id IS NOT NULL) EXECUTE FUNCTION clinic.check_in_window();

REVOKE EXECUTE ON FUNCTION clinic.check_setting_range(), clinic.check_in_window() FROM PUBLIC;
