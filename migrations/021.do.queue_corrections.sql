-- Reception corrects the queue, and the queue stops trapping tickets (issue 11, items 1, 2, 3 and 5).
--
-- * A skip sends the ticket to the back of the whole line for its next turn: it gives up its priority band and an
--   appointment's precedence, so an 80+ or urgent patient who did not answer is not called straight back. skipped_at
--   marks it; reception restoring a priority clears the mark.
-- * A called ticket belongs to the room it was called to: the next doctor signed in at that room's station sees and
--   finishes it, and reception can hand it back to the queue, keeping its place.
-- * Reception can cancel a ticket (with a reason), change its priority, assign it to a doctor or to anyone, put a
--   no-show or a cancelled ticket back in the line, and link a walk-in ticket to the patient's appointment today.
-- Every change goes through these procedures, so the audit trigger on queue_tickets records who did it, where.

ALTER TABLE clinic.queue_tickets
  ADD COLUMN skipped_at    timestamptz,
  ADD COLUMN cancel_reason text CHECK (cancel_reason IS NULL OR length(cancel_reason) BETWEEN 1 AND 200);

CREATE FUNCTION clinic.require_reception(s clinic.session_context, p_what text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF s.role NOT IN ('receptionist', 'nurse', 'clinic_admin') THEN
    PERFORM clinic.fail('GC403', format('Only reception staff can %s.', p_what));
  END IF;
END
$$;

-- Locks a ticket of today's queue in one of the given states for a reception correction.
CREATE FUNCTION clinic.lock_ticket_in(s clinic.session_context, p_args jsonb, p_states clinic.queue_status[],
                                      p_action text) RETURNS clinic.queue_tickets
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
  IF v_ticket.service_date <> clinic.clinic_day(now()) THEN
    PERFORM clinic.fail('GC409', format('Ticket %s is from %s: only today''s queue can be changed.',
                                        v_ticket.ticket_number, to_char(v_ticket.service_date, 'FMDD Mon YYYY')),
                        'ticket_id');
  END IF;
  IF NOT v_ticket.status = ANY (p_states) THEN
    PERFORM clinic.fail('GC409', format('Ticket %s is %s, so it cannot be %s.', v_ticket.ticket_number,
                                        clinic.queue_status_phrase(v_ticket.status), p_action), 'ticket_id');
  END IF;
  RETURN v_ticket;
END
$$;

-- The room rule: the doctor who called the ticket, or whoever is signed in at the station of the room it was called
-- to (the doctor who called it may have signed out).
CREATE OR REPLACE FUNCTION clinic.lock_called_ticket(s clinic.session_context, p_args jsonb, p_action text)
RETURNS clinic.queue_tickets
LANGUAGE plpgsql SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_ticket clinic.queue_tickets;
  v_station_room uuid;
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
  SELECT room_id INTO v_station_room FROM clinic.stations WHERE clinic_id = s.clinic_id AND id = s.station_id;
  IF v_ticket.called_by_doctor_id <> s.doctor_id AND v_ticket.room_id IS DISTINCT FROM v_station_room THEN
    PERFORM clinic.fail('GC403', format('Ticket %s was called to %s by %s.', v_ticket.ticket_number,
                                        (SELECT name FROM clinic.rooms
                                          WHERE clinic_id = s.clinic_id AND id = v_ticket.room_id),
                                        (SELECT full_name FROM clinic.doctors
                                          WHERE clinic_id = s.clinic_id AND id = v_ticket.called_by_doctor_id)));
  END IF;
  RETURN v_ticket;
END
$$;

-- Order (must match src/shared/queue-order.ts): priority, then appointments already due by due time, then first
-- come, then ticket number; a skipped ticket counts as priority 0 and not due.
CREATE OR REPLACE FUNCTION clinic.call_next(p_request_key uuid, p_args jsonb) RETURNS jsonb
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
   ORDER BY CASE WHEN t.skipped_at IS NULL THEN t.priority ELSE 0 END DESC,
            (t.skipped_at IS NULL AND t.due_at <= now()) IS TRUE DESC,
            CASE WHEN t.skipped_at IS NULL AND t.due_at <= now() THEN t.due_at END,
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

-- Back in the line as a waiting ticket: for the appointment's doctor if it has one, otherwise for anyone.
CREATE FUNCTION clinic.requeue(p_ticket clinic.queue_tickets, p_queued_at timestamptz, p_skipped_at timestamptz)
RETURNS clinic.queue_tickets
LANGUAGE plpgsql SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_ticket clinic.queue_tickets;
BEGIN
  UPDATE clinic.queue_tickets t
     SET status = 'waiting', queued_at = p_queued_at, skipped_at = p_skipped_at, called_at = NULL,
         called_by_doctor_id = NULL, room_id = NULL, cancel_reason = NULL,
         doctor_id = (SELECT a.doctor_id FROM clinic.appointments a
                       WHERE a.clinic_id = t.clinic_id AND a.id = t.appointment_id)
   WHERE t.clinic_id = p_ticket.clinic_id AND t.id = p_ticket.id
  RETURNING * INTO v_ticket;
  IF v_ticket.appointment_id IS NOT NULL THEN
    UPDATE clinic.appointments SET status = 'checked_in'
     WHERE clinic_id = v_ticket.clinic_id AND id = v_ticket.appointment_id;
  END IF;
  RETURN v_ticket;
END
$$;

-- args: {ticket_id} -> {ticket}: the called patient did not come; to the back of the whole line.
CREATE OR REPLACE FUNCTION clinic.skip_ticket(p_request_key uuid, p_args jsonb) RETURNS jsonb
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
  v_ticket := clinic.requeue(clinic.lock_called_ticket(s, p_args, 'skipped'), now(), now());
  RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('ticket', to_jsonb(v_ticket)));
END
$$;

-- args: {ticket_id} -> {ticket}: a called patient handed back to the queue (the doctor left, or called the wrong
-- number); the ticket keeps its place and any skip it had.
CREATE FUNCTION clinic.return_ticket(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_ticket clinic.queue_tickets;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'return_ticket', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  PERFORM clinic.require_reception(s, 'hand a ticket back to the queue');
  v_ticket := clinic.lock_ticket_in(s, p_args, ARRAY['called']::clinic.queue_status[], 'handed back to the queue');
  v_ticket := clinic.requeue(v_ticket, v_ticket.queued_at, v_ticket.skipped_at);
  RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('ticket', to_jsonb(v_ticket)));
END
$$;

-- args: {ticket_id} -> {ticket}: a no-show who turned up, or a ticket cancelled by mistake, back in the line at its
-- end. Refused while the patient holds another ticket today.
CREATE FUNCTION clinic.reinstate_ticket(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_ticket clinic.queue_tickets;
  v_other text;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'reinstate_ticket', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  PERFORM clinic.require_reception(s, 'put a ticket back in the queue');
  v_ticket := clinic.lock_ticket_in(s, p_args, ARRAY['no_show', 'cancelled']::clinic.queue_status[],
                                    'put back in the queue');
  SELECT ticket_number INTO v_other FROM clinic.queue_tickets
   WHERE clinic_id = s.clinic_id AND service_date = v_ticket.service_date AND patient_id = v_ticket.patient_id
     AND status IN ('waiting', 'called') AND id <> v_ticket.id;
  IF FOUND THEN
    PERFORM clinic.fail('GC409', format('This patient already holds ticket %s today.', v_other), 'ticket_id');
  END IF;
  v_ticket := clinic.requeue(v_ticket, now(), now());
  RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('ticket', to_jsonb(v_ticket)));
END
$$;

-- args: {ticket_id, reason} -> {ticket}: the patient left, or the ticket was issued by mistake. An appointment
-- checked in with it can be checked in again.
CREATE FUNCTION clinic.cancel_ticket(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_ticket clinic.queue_tickets;
  v_reason text;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'cancel_ticket', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  PERFORM clinic.require_reception(s, 'cancel a ticket');
  v_reason := clinic.arg_text(p_args, 'reason', 'Reason', true, 200);
  v_ticket := clinic.lock_ticket_in(s, p_args, ARRAY['waiting', 'called']::clinic.queue_status[], 'cancelled');
  UPDATE clinic.queue_tickets
     SET status = 'cancelled', cancel_reason = v_reason, called_at = NULL, called_by_doctor_id = NULL, room_id = NULL
   WHERE clinic_id = s.clinic_id AND id = v_ticket.id
  RETURNING * INTO v_ticket;
  IF v_ticket.appointment_id IS NOT NULL THEN
    UPDATE clinic.appointments SET status = 'scheduled'
     WHERE clinic_id = s.clinic_id AND id = v_ticket.appointment_id AND status IN ('checked_in', 'in_consultation');
  END IF;
  RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('ticket', to_jsonb(v_ticket)));
END
$$;

-- args: {ticket_id, priority: 0 normal | 1 elderly | 2 urgent} -> {ticket}: reception's judgement over the
-- automatic band; it also lifts a skip, since reception decided where the patient stands.
CREATE FUNCTION clinic.set_ticket_priority(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_ticket clinic.queue_tickets;
  v_priority integer;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'set_ticket_priority', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  PERFORM clinic.require_reception(s, 'change a ticket''s priority');
  v_priority := clinic.arg_int(p_args, 'priority', 'Priority');
  IF v_priority NOT BETWEEN 0 AND 2 THEN
    PERFORM clinic.fail('GC400', 'Priority is 0 (normal), 1 (elderly) or 2 (urgent).', 'priority');
  END IF;
  v_ticket := clinic.lock_ticket_in(s, p_args, ARRAY['waiting']::clinic.queue_status[], 'given another priority');
  UPDATE clinic.queue_tickets SET priority = v_priority, skipped_at = NULL
   WHERE clinic_id = s.clinic_id AND id = v_ticket.id
  RETURNING * INTO v_ticket;
  RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('ticket', to_jsonb(v_ticket)));
END
$$;

-- args: {ticket_id, doctor_id | null} -> {ticket}: wait for one doctor (and so that doctor's room), or for anyone.
CREATE FUNCTION clinic.assign_ticket(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_ticket clinic.queue_tickets;
  v_doctor_id uuid;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'assign_ticket', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  PERFORM clinic.require_reception(s, 'assign a ticket to a doctor');
  v_doctor_id := clinic.arg_uuid(p_args, 'doctor_id', 'Doctor', false);
  IF v_doctor_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM clinic.doctors
                                              WHERE clinic_id = s.clinic_id AND id = v_doctor_id AND is_active) THEN
    PERFORM clinic.fail('GC404', 'That doctor is not working at this clinic.', 'doctor_id');
  END IF;
  v_ticket := clinic.lock_ticket_in(s, p_args, ARRAY['waiting']::clinic.queue_status[], 'assigned');
  UPDATE clinic.queue_tickets SET doctor_id = v_doctor_id
   WHERE clinic_id = s.clinic_id AND id = v_ticket.id
  RETURNING * INTO v_ticket;
  RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('ticket', to_jsonb(v_ticket)));
END
$$;

-- args: {ticket_id, appointment_id} -> {ticket}: a patient given a walk-in ticket turns out to have an appointment
-- today; the ticket becomes the appointment's check-in, for its doctor, due at its time.
CREATE FUNCTION clinic.link_appointment(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_ticket clinic.queue_tickets;
  v_appt clinic.appointments;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'link_appointment', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  PERFORM clinic.require_reception(s, 'check in an appointment');
  SELECT * INTO v_appt FROM clinic.appointments
   WHERE clinic_id = s.clinic_id AND id = clinic.arg_uuid(p_args, 'appointment_id', 'Appointment')
     FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC404', 'That appointment does not exist in this clinic.', 'appointment_id');
  END IF;
  v_ticket := clinic.lock_ticket_in(s, p_args, ARRAY['waiting', 'called']::clinic.queue_status[],
                                    'linked to an appointment');
  IF v_ticket.appointment_id IS NOT NULL THEN
    PERFORM clinic.fail('GC409', format('Ticket %s is already the check-in of an appointment.', v_ticket.ticket_number),
                        'ticket_id');
  END IF;
  IF v_appt.patient_id <> v_ticket.patient_id THEN
    PERFORM clinic.fail('GC400', 'That appointment is for another patient.', 'appointment_id');
  END IF;
  IF clinic.clinic_day(v_appt.starts_at) <> v_ticket.service_date THEN
    PERFORM clinic.fail('GC409', format('Appointment %s is on %s, not today.', v_appt.appointment_number,
                                        to_char(clinic.clinic_day(v_appt.starts_at), 'FMDD Mon YYYY')),
                        'appointment_id');
  END IF;
  IF v_appt.status NOT IN ('scheduled', 'confirmed') THEN
    PERFORM clinic.fail('GC409', format('Appointment %s is already %s.', v_appt.appointment_number,
                                        replace(v_appt.status::text, '_', ' ')), 'appointment_id');
  END IF;
  UPDATE clinic.queue_tickets
     SET kind = 'appointment', appointment_id = v_appt.id, due_at = v_appt.starts_at,
         doctor_id = CASE WHEN status = 'waiting' THEN v_appt.doctor_id ELSE doctor_id END
   WHERE clinic_id = s.clinic_id AND id = v_ticket.id
  RETURNING * INTO v_ticket;
  UPDATE clinic.appointments
     SET status = CASE WHEN v_ticket.status = 'called' THEN 'in_consultation' ELSE 'checked_in' END::clinic.appointment_status
   WHERE clinic_id = s.clinic_id AND id = v_appt.id;
  RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('ticket', to_jsonb(v_ticket)));
END
$$;

REVOKE EXECUTE ON FUNCTION clinic.require_reception(clinic.session_context, text),
                           clinic.lock_ticket_in(clinic.session_context, jsonb, clinic.queue_status[], text),
                           clinic.requeue(clinic.queue_tickets, timestamptz, timestamptz),
                           clinic.return_ticket(uuid, jsonb), clinic.reinstate_ticket(uuid, jsonb),
                           clinic.cancel_ticket(uuid, jsonb), clinic.set_ticket_priority(uuid, jsonb),
                           clinic.assign_ticket(uuid, jsonb), clinic.link_appointment(uuid, jsonb)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION clinic.return_ticket(uuid, jsonb), clinic.reinstate_ticket(uuid, jsonb),
                          clinic.cancel_ticket(uuid, jsonb), clinic.set_ticket_priority(uuid, jsonb),
                          clinic.assign_ticket(uuid, jsonb), clinic.link_appointment(uuid, jsonb)
  TO clinic_station;
