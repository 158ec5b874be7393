-- Scheduling: appointments, appointment slots, the walk-in/appointment queue and its calls; queue procedures.

CREATE TABLE clinic.appointments (
  clinic_id          uuid NOT NULL REFERENCES clinic.clinics (id),
  id                 uuid NOT NULL DEFAULT gen_random_uuid(),
  appointment_number text NOT NULL,
  patient_id         uuid NOT NULL,
  doctor_id          uuid NOT NULL,
  starts_at          timestamptz NOT NULL,
  ends_at            timestamptz NOT NULL,
  status             clinic.appointment_status NOT NULL DEFAULT 'scheduled',
  reason             text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, appointment_number),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id),
  FOREIGN KEY (clinic_id, doctor_id) REFERENCES clinic.doctors (clinic_id, id),
  CHECK (ends_at > starts_at),
  -- A doctor is never double-booked; cancelled and missed appointments free their time.
  EXCLUDE USING gist (clinic_id WITH =, doctor_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
    WHERE (status NOT IN ('cancelled', 'no_show'))
);
CREATE INDEX appointments_patient_idx ON clinic.appointments (clinic_id, patient_id, starts_at);

CREATE TABLE clinic.appointment_slots (
  clinic_id      uuid NOT NULL REFERENCES clinic.clinics (id),
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  doctor_id      uuid NOT NULL,
  starts_at      timestamptz NOT NULL,
  ends_at        timestamptz NOT NULL,
  is_available   boolean NOT NULL DEFAULT true,
  appointment_id uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, doctor_id, starts_at),
  UNIQUE (clinic_id, appointment_id),
  FOREIGN KEY (clinic_id, doctor_id) REFERENCES clinic.doctors (clinic_id, id),
  FOREIGN KEY (clinic_id, appointment_id) REFERENCES clinic.appointments (clinic_id, id),
  CHECK (ends_at > starts_at),
  CHECK (appointment_id IS NULL OR NOT is_available)
);

-- One row per queue ticket. ticket_number is <desk letter><3 digits>: each reception desk numbers its own tickets
-- (see clinic.stations.desk_letter), so desks that are offline together never collide; the UNIQUE is the backstop.
CREATE TABLE clinic.queue_tickets (
  clinic_id            uuid NOT NULL REFERENCES clinic.clinics (id),
  id                   uuid NOT NULL DEFAULT gen_random_uuid(),
  service_date         date NOT NULL,
  ticket_number        text NOT NULL CHECK (ticket_number ~ '^[A-Z][0-9]{3}$'),
  desk_letter          char(1) NOT NULL CHECK (desk_letter ~ '^[A-Z]$'),
  desk_seq             integer NOT NULL CHECK (desk_seq BETWEEN 1 AND 999),
  patient_id           uuid NOT NULL,
  appointment_id       uuid,
  -- NULL: any doctor may call the ticket.
  doctor_id            uuid,
  kind                 text NOT NULL CHECK (kind IN ('walk_in', 'appointment')),
  -- 0 normal, 1 elderly (80 and over on the service date, automatic), 2 urgent (reception's choice).
  priority             smallint NOT NULL CHECK (priority BETWEEN 0 AND 2),
  status               clinic.queue_status NOT NULL DEFAULT 'waiting',
  issued_at            timestamptz NOT NULL,
  -- Position in the line: issued_at at first, now() when a skipped patient is sent to the back.
  queued_at            timestamptz NOT NULL,
  due_at               timestamptz,
  called_at            timestamptz,
  called_by_doctor_id  uuid,
  room_id              uuid,
  recall_count         integer NOT NULL DEFAULT 0,
  completed_at         timestamptz,
  issued_by_station_id uuid,
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, service_date, ticket_number),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id),
  FOREIGN KEY (clinic_id, appointment_id) REFERENCES clinic.appointments (clinic_id, id),
  FOREIGN KEY (clinic_id, doctor_id) REFERENCES clinic.doctors (clinic_id, id),
  FOREIGN KEY (clinic_id, called_by_doctor_id) REFERENCES clinic.doctors (clinic_id, id),
  FOREIGN KEY (clinic_id, room_id) REFERENCES clinic.rooms (clinic_id, id),
  FOREIGN KEY (clinic_id, issued_by_station_id) REFERENCES clinic.stations (clinic_id, id),
  CHECK (ticket_number = desk_letter || lpad(desk_seq::text, 3, '0')),
  CHECK ((kind = 'appointment') = (appointment_id IS NOT NULL)),
  CHECK (status <> 'called' OR (called_at IS NOT NULL AND room_id IS NOT NULL AND called_by_doctor_id IS NOT NULL))
);
-- A patient is in the line at most once a day; backs the check in issue_ticket against concurrent desks.
CREATE UNIQUE INDEX queue_tickets_one_active_per_patient ON clinic.queue_tickets (clinic_id, service_date, patient_id)
  WHERE status IN ('waiting', 'called');
CREATE INDEX queue_tickets_waiting_idx ON clinic.queue_tickets (clinic_id, service_date, priority DESC, queued_at)
  WHERE status = 'waiting';

-- What the waiting-room display shows: every call and recall, newest last.
CREATE TABLE clinic.queue_calls (
  clinic_id     uuid NOT NULL REFERENCES clinic.clinics (id),
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  ticket_id     uuid NOT NULL,
  ticket_number text NOT NULL,
  room_id       uuid NOT NULL,
  doctor_id     uuid NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('call', 'recall')),
  called_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, ticket_id) REFERENCES clinic.queue_tickets (clinic_id, id),
  FOREIGN KEY (clinic_id, room_id) REFERENCES clinic.rooms (clinic_id, id),
  FOREIGN KEY (clinic_id, doctor_id) REFERENCES clinic.doctors (clinic_id, id)
);
CREATE INDEX queue_calls_recent_idx ON clinic.queue_calls (clinic_id, called_at DESC);

CREATE TRIGGER touch_updated_at BEFORE UPDATE ON clinic.appointments
  FOR EACH ROW EXECUTE FUNCTION clinic.touch_updated_at();
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON clinic.appointment_slots
  FOR EACH ROW EXECUTE FUNCTION clinic.touch_updated_at();
CREATE TRIGGER touch_updated_at BEFORE UPDATE ON clinic.queue_tickets
  FOR EACH ROW EXECUTE FUNCTION clinic.touch_updated_at();

-- ---------------------------------------------------------------------------------------------------------------
-- Queue helpers
-- ---------------------------------------------------------------------------------------------------------------

CREATE FUNCTION clinic.queue_status_phrase(p_status clinic.queue_status) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_status
    WHEN 'waiting' THEN 'still waiting'
    WHEN 'called' THEN 'being called'
    WHEN 'completed' THEN 'already completed'
    WHEN 'skipped' THEN 'skipped'
    WHEN 'no_show' THEN 'marked as no-show'
    WHEN 'cancelled' THEN 'cancelled'
  END
$$;

CREATE FUNCTION clinic.require_doctor(s clinic.session_context) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF s.doctor_id IS NULL THEN
    PERFORM clinic.fail('GC403', 'Only a doctor can do this.');
  END IF;
END
$$;

CREATE FUNCTION clinic.room_for_call(p_clinic_id uuid, p_args jsonb) RETURNS clinic.rooms
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_room clinic.rooms;
BEGIN
  SELECT * INTO v_room FROM clinic.rooms WHERE clinic_id = p_clinic_id AND id = clinic.arg_uuid(p_args, 'room_id', 'Room');
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC404', 'That room does not exist in this clinic.', 'room_id');
  END IF;
  IF NOT v_room.is_active THEN
    PERFORM clinic.fail('GC409', format('%s is closed.', v_room.name), 'room_id');
  END IF;
  RETURN v_room;
END
$$;

-- Marks a locked waiting ticket called by the session's doctor to p_room and records the call for the display.
CREATE FUNCTION clinic.mark_called(p_ticket clinic.queue_tickets, s clinic.session_context, p_room clinic.rooms)
RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_ticket clinic.queue_tickets;
  v_call clinic.queue_calls;
BEGIN
  UPDATE clinic.queue_tickets
     SET status = 'called', called_at = now(), called_by_doctor_id = s.doctor_id, doctor_id = s.doctor_id,
         room_id = p_room.id
   WHERE clinic_id = p_ticket.clinic_id AND id = p_ticket.id
  RETURNING * INTO v_ticket;
  IF v_ticket.appointment_id IS NOT NULL THEN
    UPDATE clinic.appointments SET status = 'in_consultation'
     WHERE clinic_id = v_ticket.clinic_id AND id = v_ticket.appointment_id;
  END IF;
  INSERT INTO clinic.queue_calls (clinic_id, ticket_id, ticket_number, room_id, doctor_id, kind, called_at)
  VALUES (v_ticket.clinic_id, v_ticket.id, v_ticket.ticket_number, p_room.id, s.doctor_id, 'call', v_ticket.called_at)
  RETURNING * INTO v_call;
  RETURN jsonb_build_object('ticket', to_jsonb(v_ticket), 'call', to_jsonb(v_call));
END
$$;

-- Locks a ticket the session's doctor has called, for recall / skip / no-show / complete.
CREATE FUNCTION clinic.lock_called_ticket(s clinic.session_context, p_args jsonb, p_action text)
RETURNS clinic.queue_tickets
LANGUAGE plpgsql SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_ticket clinic.queue_tickets;
BEGIN
  SELECT * INTO v_ticket FROM clinic.queue_tickets
   WHERE clinic_id = s.clinic_id AND id = clinic.arg_uuid(p_args, 'ticket_id', 'Ticket')
     FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC404', 'That ticket does not exist in this clinic.', 'ticket_id');
  END IF;
  IF v_ticket.status <> 'called' THEN
    PERFORM clinic.fail('GC409', format('Ticket %s is %s, so it cannot be %s.', v_ticket.ticket_number,
                                        clinic.queue_status_phrase(v_ticket.status), p_action));
  END IF;
  IF v_ticket.called_by_doctor_id <> s.doctor_id THEN
    PERFORM clinic.fail('GC403', format('Ticket %s was called by %s.', v_ticket.ticket_number,
                                        (SELECT full_name FROM clinic.doctors
                                          WHERE clinic_id = s.clinic_id AND id = v_ticket.called_by_doctor_id)));
  END IF;
  RETURN v_ticket;
END
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Queue procedures (each: idempotent by request key, acting as the signed-in session)
-- ---------------------------------------------------------------------------------------------------------------

-- args: {id?, service_date, ticket_number, desk_letter, desk_seq, patient_id, urgent?, appointment_id?, issued_at}
--   -> {ticket}
CREATE FUNCTION clinic.issue_ticket(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_today date := clinic.clinic_day(now());
  v_desk text;
  v_service_date date;
  v_letter text;
  v_seq integer;
  v_number text;
  v_patient clinic.patients;
  v_appt clinic.appointments;
  v_appointment_id uuid;
  v_issued_at timestamptz;
  v_priority smallint;
  v_existing text;
  v_ticket clinic.queue_tickets;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'issue_ticket', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  IF s.role NOT IN ('receptionist', 'nurse', 'clinic_admin') THEN
    PERFORM clinic.fail('GC403', 'Only reception staff can issue queue tickets.');
  END IF;
  SELECT desk_letter INTO v_desk FROM clinic.stations WHERE clinic_id = s.clinic_id AND id = s.station_id;
  IF v_desk IS NULL THEN
    PERFORM clinic.fail('GC403', 'This station is not a reception desk, so it cannot issue tickets.');
  END IF;

  v_service_date := clinic.arg_date(p_args, 'service_date', 'Service date');
  IF v_service_date > v_today THEN
    PERFORM clinic.fail('GC400', 'Tickets cannot be issued for a future day.', 'service_date');
  END IF;
  v_letter := clinic.arg_text(p_args, 'desk_letter', 'Desk letter', true, 1);
  v_seq := clinic.arg_int(p_args, 'desk_seq', 'Desk sequence');
  v_number := clinic.arg_text(p_args, 'ticket_number', 'Ticket number', true, 4);
  IF v_seq NOT BETWEEN 1 AND 999 THEN
    PERFORM clinic.fail('GC400', 'Desk sequence must be between 1 and 999.', 'desk_seq');
  END IF;
  IF v_number IS DISTINCT FROM v_letter || lpad(v_seq::text, 3, '0') THEN
    PERFORM clinic.fail('GC400', format('Ticket number %s does not match desk %s, number %s.', v_number, v_letter,
                                        v_seq), 'ticket_number');
  END IF;
  IF v_letter <> v_desk THEN
    PERFORM clinic.fail('GC400', format('Ticket %s uses desk letter %s, but this desk is %s.', v_number, v_letter,
                                        v_desk), 'desk_letter');
  END IF;

  SELECT * INTO v_patient FROM clinic.patients
   WHERE clinic_id = s.clinic_id AND id = clinic.arg_uuid(p_args, 'patient_id', 'Patient');
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC404', 'That patient is not registered at this clinic.', 'patient_id');
  END IF;
  -- A station clock running ahead must not push its tickets behind patients who really came later.
  v_issued_at := least(clinic.arg_timestamptz(p_args, 'issued_at', 'Issue time'), now());
  v_priority := CASE
    WHEN clinic.arg_bool(p_args, 'urgent', 'Urgent', false) THEN 2
    WHEN clinic.age_on(v_patient.date_of_birth, v_service_date) >= 80 THEN 1
    ELSE 0
  END;

  v_appointment_id := clinic.arg_uuid(p_args, 'appointment_id', 'Appointment', false);
  IF v_appointment_id IS NOT NULL THEN
    SELECT * INTO v_appt FROM clinic.appointments WHERE clinic_id = s.clinic_id AND id = v_appointment_id FOR UPDATE;
    IF NOT FOUND THEN
      PERFORM clinic.fail('GC404', 'That appointment does not exist in this clinic.', 'appointment_id');
    END IF;
    IF v_appt.patient_id <> v_patient.id THEN
      PERFORM clinic.fail('GC400', 'That appointment is for another patient.', 'appointment_id');
    END IF;
    IF clinic.clinic_day(v_appt.starts_at) <> v_service_date THEN
      PERFORM clinic.fail('GC409', format('Appointment %s is on %s, not on %s.', v_appt.appointment_number,
                                          to_char(clinic.clinic_day(v_appt.starts_at), 'FMDD Mon YYYY'),
                                          to_char(v_service_date, 'FMDD Mon YYYY')), 'appointment_id');
    END IF;
    IF v_appt.status NOT IN ('scheduled', 'confirmed') THEN
      PERFORM clinic.fail('GC409', format('Appointment %s is already %s.', v_appt.appointment_number,
                                          replace(v_appt.status::text, '_', ' ')), 'appointment_id');
    END IF;
    UPDATE clinic.appointments SET status = 'checked_in' WHERE clinic_id = s.clinic_id AND id = v_appt.id;
  END IF;

  SELECT ticket_number INTO v_existing FROM clinic.queue_tickets
   WHERE clinic_id = s.clinic_id AND service_date = v_service_date AND patient_id = v_patient.id
     AND status IN ('waiting', 'called');
  IF FOUND THEN
    PERFORM clinic.fail('GC409', format('This patient already has ticket %s in today''s queue.', v_existing),
                        'patient_id');
  END IF;

  -- Conflicts (another desk racing for this patient, a reused number) wait for the other transaction and end in an
  -- error below, which also rolls back what the change-feed trigger wrote for the rejected row.
  INSERT INTO clinic.queue_tickets (clinic_id, id, service_date, ticket_number, desk_letter, desk_seq, patient_id,
                                    appointment_id, doctor_id, kind, priority, status, issued_at, queued_at, due_at,
                                    issued_by_station_id)
  VALUES (s.clinic_id, coalesce(clinic.arg_uuid(p_args, 'id', 'Ticket id', false), gen_random_uuid()),
          v_service_date, v_number, v_letter, v_seq, v_patient.id, v_appt.id, v_appt.doctor_id,
          CASE WHEN v_appt.id IS NULL THEN 'walk_in' ELSE 'appointment' END, v_priority, 'waiting',
          v_issued_at, v_issued_at, v_appt.starts_at, s.station_id)
  ON CONFLICT DO NOTHING
  RETURNING * INTO v_ticket;
  IF v_ticket.id IS NULL THEN
    IF EXISTS (SELECT 1 FROM clinic.queue_tickets
                WHERE clinic_id = s.clinic_id AND service_date = v_service_date AND ticket_number = v_number) THEN
      PERFORM clinic.fail('GC409', format('Ticket %s has already been issued today.', v_number), 'ticket_number');
    END IF;
    SELECT ticket_number INTO v_existing FROM clinic.queue_tickets
     WHERE clinic_id = s.clinic_id AND service_date = v_service_date AND patient_id = v_patient.id
       AND status IN ('waiting', 'called');
    IF FOUND THEN
      PERFORM clinic.fail('GC409', format('This patient already has ticket %s in today''s queue.', v_existing),
                          'patient_id');
    END IF;
    PERFORM clinic.fail('GC409', 'This ticket has already been issued.', 'id');
  END IF;

  RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('ticket', to_jsonb(v_ticket)));
END
$$;

-- args: {room_id} -> {ticket, call} or {ticket: null} when nobody is waiting for this doctor.
-- Order (must match src/shared/queue-order.ts): priority, then appointments already due by due time, then first
-- come, then ticket number. SKIP LOCKED: a doctor pressing at the same instant gets the next ticket, never the same.
CREATE FUNCTION clinic.call_next(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_room clinic.rooms;
  v_ticket clinic.queue_tickets;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'call_next', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  PERFORM clinic.require_doctor(s);
  v_room := clinic.room_for_call(s.clinic_id, p_args);

  SELECT * INTO v_ticket FROM clinic.queue_tickets t
   WHERE t.clinic_id = s.clinic_id
     AND t.service_date = clinic.clinic_day(now())
     AND t.status = 'waiting'
     AND (t.doctor_id IS NULL OR t.doctor_id = s.doctor_id)
   ORDER BY t.priority DESC,
            (t.due_at <= now()) IS TRUE DESC,
            CASE WHEN t.due_at <= now() THEN t.due_at END,
            t.queued_at,
            t.ticket_number COLLATE "C"
   LIMIT 1
     FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('ticket', NULL));
  END IF;
  RETURN clinic.request_finish(s.clinic_id, p_request_key, clinic.mark_called(v_ticket, s, v_room));
END
$$;

-- args: {ticket_id, room_id} -> {ticket, call}: a call a consult station made from its cache while offline.
CREATE FUNCTION clinic.call_ticket(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_room clinic.rooms;
  v_ticket clinic.queue_tickets;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'call_ticket', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  PERFORM clinic.require_doctor(s);
  v_room := clinic.room_for_call(s.clinic_id, p_args);
  SELECT * INTO v_ticket FROM clinic.queue_tickets
   WHERE clinic_id = s.clinic_id AND id = clinic.arg_uuid(p_args, 'ticket_id', 'Ticket')
     FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC404', 'That ticket does not exist in this clinic.', 'ticket_id');
  END IF;
  IF v_ticket.status = 'called' THEN
    PERFORM clinic.fail('GC409', format('Ticket %s was already called to %s.', v_ticket.ticket_number,
                                        (SELECT name FROM clinic.rooms
                                          WHERE clinic_id = s.clinic_id AND id = v_ticket.room_id)));
  END IF;
  IF v_ticket.status <> 'waiting' THEN
    PERFORM clinic.fail('GC409', format('Ticket %s is %s.', v_ticket.ticket_number,
                                        clinic.queue_status_phrase(v_ticket.status)));
  END IF;
  IF v_ticket.doctor_id <> s.doctor_id THEN
    PERFORM clinic.fail('GC409', format('Ticket %s is waiting for %s.', v_ticket.ticket_number,
                                        (SELECT full_name FROM clinic.doctors
                                          WHERE clinic_id = s.clinic_id AND id = v_ticket.doctor_id)));
  END IF;
  RETURN clinic.request_finish(s.clinic_id, p_request_key, clinic.mark_called(v_ticket, s, v_room));
END
$$;

-- args: {ticket_id} -> {ticket, call}: call the same patient again (display shows it once more).
CREATE FUNCTION clinic.recall_ticket(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_ticket clinic.queue_tickets;
  v_call clinic.queue_calls;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'recall_ticket', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  PERFORM clinic.require_doctor(s);
  v_ticket := clinic.lock_called_ticket(s, p_args, 'recalled');
  UPDATE clinic.queue_tickets SET recall_count = recall_count + 1
   WHERE clinic_id = s.clinic_id AND id = v_ticket.id
  RETURNING * INTO v_ticket;
  INSERT INTO clinic.queue_calls (clinic_id, ticket_id, ticket_number, room_id, doctor_id, kind)
  VALUES (s.clinic_id, v_ticket.id, v_ticket.ticket_number, v_ticket.room_id, s.doctor_id, 'recall')
  RETURNING * INTO v_call;
  RETURN clinic.request_finish(s.clinic_id, p_request_key,
                               jsonb_build_object('ticket', to_jsonb(v_ticket), 'call', to_jsonb(v_call)));
END
$$;

-- args: {ticket_id} -> {ticket}: the called patient did not come; back to the end of the line, for any doctor
-- again (or the appointment's doctor).
CREATE FUNCTION clinic.skip_ticket(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_ticket clinic.queue_tickets;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'skip_ticket', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  PERFORM clinic.require_doctor(s);
  v_ticket := clinic.lock_called_ticket(s, p_args, 'skipped');
  UPDATE clinic.queue_tickets t
     SET status = 'waiting', queued_at = now(), called_at = NULL, called_by_doctor_id = NULL, room_id = NULL,
         doctor_id = (SELECT a.doctor_id FROM clinic.appointments a
                       WHERE a.clinic_id = t.clinic_id AND a.id = t.appointment_id)
   WHERE t.clinic_id = s.clinic_id AND t.id = v_ticket.id
  RETURNING * INTO v_ticket;
  IF v_ticket.appointment_id IS NOT NULL THEN
    UPDATE clinic.appointments SET status = 'checked_in'
     WHERE clinic_id = s.clinic_id AND id = v_ticket.appointment_id;
  END IF;
  RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('ticket', to_jsonb(v_ticket)));
END
$$;

-- args: {ticket_id} -> {ticket}
CREATE FUNCTION clinic.no_show_ticket(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_ticket clinic.queue_tickets;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'no_show_ticket', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  PERFORM clinic.require_doctor(s);
  v_ticket := clinic.lock_called_ticket(s, p_args, 'marked as no-show');
  UPDATE clinic.queue_tickets SET status = 'no_show'
   WHERE clinic_id = s.clinic_id AND id = v_ticket.id
  RETURNING * INTO v_ticket;
  IF v_ticket.appointment_id IS NOT NULL THEN
    UPDATE clinic.appointments SET status = 'no_show'
     WHERE clinic_id = s.clinic_id AND id = v_ticket.appointment_id;
  END IF;
  RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('ticket', to_jsonb(v_ticket)));
END
$$;

-- args: {ticket_id} -> {ticket}
CREATE FUNCTION clinic.complete_ticket(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_ticket clinic.queue_tickets;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'complete_ticket', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  PERFORM clinic.require_doctor(s);
  v_ticket := clinic.lock_called_ticket(s, p_args, 'completed');
  UPDATE clinic.queue_tickets SET status = 'completed', completed_at = now()
   WHERE clinic_id = s.clinic_id AND id = v_ticket.id
  RETURNING * INTO v_ticket;
  IF v_ticket.appointment_id IS NOT NULL THEN
    UPDATE clinic.appointments SET status = 'completed'
     WHERE clinic_id = s.clinic_id AND id = v_ticket.appointment_id;
  END IF;
  RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('ticket', to_jsonb(v_ticket)));
END
$$;

GRANT SELECT ON clinic.appointments, clinic.appointment_slots, clinic.queue_tickets, clinic.queue_calls
  TO clinic_station;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA clinic FROM PUBLIC;
GRANT EXECUTE ON FUNCTION clinic.issue_ticket(uuid, jsonb), clinic.call_next(uuid, jsonb),
                          clinic.call_ticket(uuid, jsonb), clinic.recall_ticket(uuid, jsonb),
                          clinic.skip_ticket(uuid, jsonb), clinic.no_show_ticket(uuid, jsonb),
                          clinic.complete_ticket(uuid, jsonb)
  TO clinic_station;
