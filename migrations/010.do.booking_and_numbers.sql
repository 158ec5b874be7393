-- Booking (seed 000 §7, seed 001 §5.1) and the number series (appointment numbers, receipts, tax invoices).
--
-- booking.create_booking fixes the seed's design where it was wrong: it returns the object it built (the seed
-- returned an undefined "result"), it is idempotent by (clinic_id, request key) through clinic.request_log like
-- every procedure, and double booking is impossible under any concurrency because the exclusion constraint on
-- (clinic_id, doctor_id, time range) of migration 005 decides, with the slot row locked FOR UPDATE when a slot is
-- named. A lost race is the clean error GC409 "slot taken", not a constraint name.

-- Next number of a series, under the series row's lock. p_start is where a new series begins (so numbers already
-- issued, e.g. by the demo seed, are not issued again).
CREATE FUNCTION clinic.next_in_series(p_clinic_id uuid, p_kind text, p_period text, p_start integer) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v integer;
BEGIN
  UPDATE clinic.number_series SET next_value = next_value + 1
   WHERE clinic_id = p_clinic_id AND kind = p_kind AND period = p_period
  RETURNING next_value - 1 INTO v;
  IF FOUND THEN
    RETURN v;
  END IF;
  INSERT INTO clinic.number_series (clinic_id, kind, period, next_value)
  VALUES (p_clinic_id, p_kind, p_period, p_start + 1)
  ON CONFLICT (clinic_id, kind, period) DO UPDATE SET next_value = number_series.next_value + 1
  RETURNING next_value - 1 INTO v;
  RETURN v;
END
$$;

-- <clinic suffix>-<YYYYMMDD>-<nnn>, numbered per clinic and Singapore day: BDK-20250314-007.
CREATE FUNCTION clinic.generate_appointment_number(p_clinic_id uuid, p_day date) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_prefix text := (SELECT regexp_replace(code, '^.*-', '') FROM clinic.clinics WHERE id = p_clinic_id)
                   || '-' || to_char(p_day, 'YYYYMMDD') || '-';
  v_start integer;
  v integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM clinic.number_series
                  WHERE clinic_id = p_clinic_id AND kind = 'appointment' AND period = to_char(p_day, 'YYYYMMDD')) THEN
    SELECT coalesce(max(substr(appointment_number, length(v_prefix) + 1)::integer), 0) + 1 INTO v_start
      FROM clinic.appointments
     WHERE clinic_id = p_clinic_id AND left(appointment_number, length(v_prefix)) = v_prefix
       AND substr(appointment_number, length(v_prefix) + 1) ~ '^[0-9]+$';
  END IF;
  v := clinic.next_in_series(p_clinic_id, 'appointment', to_char(p_day, 'YYYYMMDD'), coalesce(v_start, 1));
  RETURN v_prefix || lpad(v::text, 3, '0');
END
$$;

-- Receipts and tax invoices are serially numbered per clinic and year (DESIGN §6): R2025-000123, INV2025-000045.
CREATE FUNCTION clinic.next_document_number(p_clinic_id uuid, p_kind text, p_at timestamptz) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_year text := to_char(clinic.clinic_day(p_at), 'YYYY');
BEGIN
  IF p_kind NOT IN ('receipt', 'invoice') THEN
    RAISE EXCEPTION 'unknown document kind %', p_kind;
  END IF;
  RETURN CASE p_kind WHEN 'receipt' THEN 'R' ELSE 'INV' END || v_year || '-'
         || lpad(clinic.next_in_series(p_clinic_id, p_kind, v_year, 1)::text, 6, '0');
END
$$;

-- args: {patient_id, doctor_id, starts_at, ends_at?, duration_minutes?, slot_id?, reason?, id?}
--   -> {appointment: <row>}; GC409 "slot taken" when the doctor is already booked then.
CREATE FUNCTION booking.create_booking(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_patient uuid;
  v_doctor uuid;
  v_starts timestamptz;
  v_ends timestamptz;
  v_minutes integer;
  v_slot clinic.appointment_slots;
  v_slot_id uuid;
  v_row clinic.appointments;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'create_booking', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  IF s.role NOT IN ('receptionist', 'nurse', 'clinic_admin', 'doctor') THEN
    PERFORM clinic.fail('GC403', 'Only clinic staff can book appointments.');
  END IF;

  v_patient := clinic.arg_uuid(p_args, 'patient_id', 'Patient');
  IF NOT EXISTS (SELECT 1 FROM clinic.patients WHERE clinic_id = s.clinic_id AND id = v_patient) THEN
    PERFORM clinic.fail('GC404', 'That patient is not registered at this clinic.', 'patient_id');
  END IF;
  v_slot_id := clinic.arg_uuid(p_args, 'slot_id', 'Slot', false);
  IF v_slot_id IS NOT NULL THEN
    -- Row lock: concurrent bookings of this slot queue here, and the loser sees is_available = false.
    SELECT * INTO v_slot FROM clinic.appointment_slots WHERE clinic_id = s.clinic_id AND id = v_slot_id FOR UPDATE;
    IF NOT FOUND THEN
      PERFORM clinic.fail('GC404', 'That slot does not exist.', 'slot_id');
    END IF;
    IF NOT v_slot.is_available THEN
      PERFORM clinic.fail('GC409', 'That slot was just taken. Please choose another time.', 'slot_id');
    END IF;
    v_doctor := v_slot.doctor_id;
    v_starts := v_slot.starts_at;
    v_ends := v_slot.ends_at;
  ELSE
    v_doctor := clinic.arg_uuid(p_args, 'doctor_id', 'Doctor');
    v_starts := clinic.arg_timestamptz(p_args, 'starts_at', 'Start time');
    v_ends := clinic.arg_timestamptz(p_args, 'ends_at', 'End time', false);
    v_minutes := clinic.arg_int(p_args, 'duration_minutes', 'Duration', false);
    IF v_ends IS NULL THEN
      IF v_minutes IS NULL OR v_minutes NOT BETWEEN 5 AND 240 THEN
        PERFORM clinic.fail('GC400', 'Give an end time or a duration of 5 to 240 minutes.', 'duration_minutes');
      END IF;
      v_ends := v_starts + make_interval(mins => v_minutes);
    END IF;
    IF v_ends <= v_starts THEN
      PERFORM clinic.fail('GC400', 'The appointment must end after it starts.', 'ends_at');
    END IF;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM clinic.doctors WHERE clinic_id = s.clinic_id AND id = v_doctor AND is_active) THEN
    PERFORM clinic.fail('GC404', 'That doctor does not work at this clinic.', 'doctor_id');
  END IF;
  IF v_starts < now() - interval '5 minutes' THEN
    PERFORM clinic.fail('GC400', 'Appointments cannot be booked in the past.', 'starts_at');
  END IF;

  BEGIN
    INSERT INTO clinic.appointments (clinic_id, id, appointment_number, patient_id, doctor_id, starts_at, ends_at,
                                     status, reason)
    VALUES (s.clinic_id, coalesce(clinic.arg_uuid(p_args, 'id', 'Appointment id', false), gen_random_uuid()),
            clinic.generate_appointment_number(s.clinic_id, clinic.clinic_day(v_starts)), v_patient, v_doctor,
            v_starts, v_ends, 'scheduled', clinic.arg_text(p_args, 'reason', 'Reason', false, 500))
    RETURNING * INTO v_row;
  EXCEPTION WHEN exclusion_violation THEN
    -- Waited for the competing transaction, which committed: the doctor is taken at that time.
    PERFORM clinic.fail('GC409', format('That slot was just taken: %s is already booked at %s.',
                                        (SELECT full_name FROM clinic.doctors WHERE clinic_id = s.clinic_id AND id = v_doctor),
                                        to_char(v_starts AT TIME ZONE 'Asia/Singapore', 'FMDD Mon YYYY HH24:MI')),
                        'starts_at');
  END;
  IF v_slot.id IS NOT NULL THEN
    UPDATE clinic.appointment_slots SET is_available = false, appointment_id = v_row.id
     WHERE clinic_id = s.clinic_id AND id = v_slot.id;
  END IF;
  RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('appointment', to_jsonb(v_row)));
END
$$;

GRANT USAGE ON SCHEMA booking TO clinic_station;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA clinic FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA booking FROM PUBLIC;
GRANT EXECUTE ON FUNCTION booking.create_booking(uuid, jsonb) TO clinic_station;
