import type pg from 'pg';

/*
 * One row in every tenant table the demo seed leaves empty, for each demo clinic, written as the database owner.
 * The RLS matrix, the audit and the PDPA tests need something to see (or not see) in every table of both clinics.
 * Returns the patient of each clinic that the clinical rows belong to.
 */
export async function fillEveryTenantTable(admin: pg.ClientBase): Promise<Map<string, { clinicId: string; patientId: string }>> {
  const { rows } = await admin.query<{ code: string; clinic_id: string; patient_id: string }>(`
    WITH c AS (SELECT id, code FROM clinic.clinics)
    SELECT c.code, c.id AS clinic_id,
           (SELECT p.id FROM clinic.patients p WHERE p.clinic_id = c.id ORDER BY p.full_name, p.id LIMIT 1) AS patient_id
      FROM c ORDER BY c.code`);
  const out = new Map<string, { clinicId: string; patientId: string }>();
  for (const row of rows) {
    await admin.query(FILL_SQL, [row.clinic_id, row.patient_id]);
    out.set(row.code, { clinicId: row.clinic_id, patientId: row.patient_id });
  }
  return out;
}

const FILL_SQL = `
WITH
  d AS (SELECT id FROM clinic.doctors WHERE clinic_id = $1 ORDER BY mcr_number LIMIT 1),
  u AS (SELECT id FROM clinic.users WHERE clinic_id = $1 AND role = 'receptionist' LIMIT 1),
  a AS (SELECT id FROM clinic.appointments WHERE clinic_id = $1 AND patient_id = $2 LIMIT 1),
  a_any AS (SELECT id FROM clinic.appointments WHERE clinic_id = $1 ORDER BY starts_at LIMIT 1),
  mr AS (
    INSERT INTO clinic.medical_records (clinic_id, patient_id, doctor_id, subjective, objective, assessment, plan,
                                        diagnosis_codes, vitals)
    SELECT $1, $2, d.id, 'Cough for 3 days', 'Throat injected', 'URTI', 'Symptomatic', '{J06.9}',
           '{"height_cm": 170, "weight_kg": 65, "temperature_c": 37.8}'
      FROM d RETURNING id),
  rx AS (
    INSERT INTO clinic.prescriptions (clinic_id, patient_id, doctor_id, medical_record_id)
    SELECT $1, $2, d.id, mr.id FROM d, mr RETURNING id),
  rxi AS (
    INSERT INTO clinic.prescription_items (clinic_id, prescription_id, drug_code, dosage, frequency, duration_days, quantity)
    SELECT $1, rx.id, 'PARA-500', '1 tab', 'QDS PRN', 3, 12 FROM rx RETURNING id),
  lab AS (
    INSERT INTO clinic.lab_results (clinic_id, patient_id, medical_record_id, test_code, test_name, value_numeric, unit, resulted_at)
    SELECT $1, $2, mr.id, 'HBA1C', 'HbA1c', 6.1, '%', now() FROM mr RETURNING id),
  img AS (
    INSERT INTO clinic.imaging_results (clinic_id, patient_id, modality, body_part, impression, performed_at)
    VALUES ($1, $2, 'xray', 'chest', 'No active lung lesion', now()) RETURNING id),
  vac AS (
    INSERT INTO clinic.vaccination_records (clinic_id, patient_id, doctor_id, vaccine_code, vaccine_name, administered_at)
    SELECT $1, $2, d.id, 'FLU', 'Influenza (quadrivalent)', now() FROM d RETURNING id),
  alg AS (
    INSERT INTO clinic.patient_allergies (clinic_id, patient_id, allergen, drug_code, severity)
    VALUES ($1, $2, 'Penicillin', 'AMOX-500', 'severe') RETURNING id),
  cond AS (
    INSERT INTO clinic.patient_conditions (clinic_id, patient_id, icd10_code, diagnosed_on)
    VALUES ($1, $2, 'I10', '2020-03-01') RETURNING id),
  pay AS (
    INSERT INTO clinic.payments (clinic_id, patient_id, receipt_number, status, method, subtotal, gst_rate, gst_amount, total, paid_at)
    VALUES ($1, $2, 'R-FIXTURE-1', 'paid', 'cash', 30.00, 0.09, 2.48, 30.00, now()) RETURNING id),
  payi AS (
    INSERT INTO clinic.payment_items (clinic_id, payment_id, description, unit_price, line_total)
    SELECT $1, pay.id, 'Consultation', 30.00, 30.00 FROM pay RETURNING id),
  claim AS (
    INSERT INTO clinic.insurance_claims (clinic_id, payment_id, patient_id, scheme, chas_card, chas_tier, claim_amount)
    SELECT $1, pay.id, $2, 'chas', 'blue', 'common_illness', 18.50 FROM pay RETURNING id),
  ser AS (
    INSERT INTO clinic.number_series (clinic_id, kind, period, next_value) VALUES ($1, 'receipt', 'fixture', 2) RETURNING 1),
  n AS (
    INSERT INTO clinic.notifications (clinic_id, patient_id, channel, template, params, status)
    VALUES ($1, $2, 'sms', 'appointment.reminder', '{"when": "tomorrow"}', 'sent') RETURNING id),
  sms AS (
    INSERT INTO clinic.sms_messages (clinic_id, notification_id, patient_id, to_phone, body, provider, status)
    SELECT $1, n.id, $2, '+6591234567', 'Reminder', 'console', 'sent' FROM n RETURNING id),
  wa AS (
    INSERT INTO clinic.whatsapp_messages (clinic_id, notification_id, patient_id, to_phone, body, provider, status)
    SELECT $1, n.id, $2, '+6591234567', 'Reminder', 'console', 'sent' FROM n RETURNING id),
  em AS (
    INSERT INTO clinic.email_messages (clinic_id, notification_id, patient_id, to_address, subject, body, provider, status)
    SELECT $1, n.id, $2, 'patient@example.com', 'Reminder', 'Reminder', 'console', 'sent' FROM n RETURNING id),
  st AS (
    INSERT INTO clinic.system_settings (clinic_id, key, value) VALUES ($1, 'queue.display_history', '6') RETURNING 1),
  ff AS (
    INSERT INTO clinic.feature_flags (clinic_id, key, enabled, rollout_percent) VALUES ($1, 'telemedicine', true, 50) RETURNING 1),
  tele AS (
    INSERT INTO clinic.telemedicine_sessions (clinic_id, appointment_id, room_name)
    SELECT $1, a_any.id, 'room-' || gen_random_uuid() FROM a_any RETURNING id),
  pkg AS (
    INSERT INTO clinic.health_screening_packages (clinic_id, code, name, price, tests)
    VALUES ($1, 'BASIC', 'Basic screening', 88, '["HBA1C", "LIPIDS"]') RETURNING id),
  hsr AS (
    INSERT INTO clinic.health_screening_results (clinic_id, package_id, patient_id, performed_at, results)
    SELECT $1, pkg.id, $2, now(), '{"HBA1C": {"value": 6.1, "unit": "%"}}' FROM pkg RETURNING id),
  fb AS (
    INSERT INTO clinic.user_feedback (clinic_id, user_id, category, rating, message)
    SELECT $1, u.id, 'idea', 4, 'Bigger queue numbers please' FROM u RETURNING id),
  con AS (
    INSERT INTO clinic.consent_records (clinic_id, patient_id, purpose, channel, recorded_by_user)
    SELECT $1, $2, 'appointment_reminders', 'in_person', u.id FROM u RETURNING id),
  wh AS (
    INSERT INTO webhook.integration_webhooks (clinic_id, provider, name, secret_ref)
    VALUES ($1, 'fixture', 'fixture', 'keyfile:fixture') RETURNING id),
  ev AS (
    INSERT INTO webhook.webhook_events (clinic_id, webhook_id, event_id, event_type, payload, status, processed_at)
    SELECT $1, wh.id, 'evt-fixture', 'payment.succeeded', '{"amount": 30}', 'succeeded', now() FROM wh RETURNING id),
  wl AS (
    INSERT INTO webhook.webhook_logs (clinic_id, event_id, attempt, worker, outcome)
    SELECT $1, ev.id, 1, 'fixture', 'succeeded' FROM ev RETURNING id),
  slot AS (
    INSERT INTO clinic.appointment_slots (clinic_id, doctor_id, starts_at, ends_at)
    SELECT $1, d.id, date_trunc('day', now()) + interval '30 days', date_trunc('day', now()) + interval '30 days 15 minutes'
      FROM d RETURNING id)
SELECT (SELECT count(*) FROM mr) + (SELECT count(*) FROM rxi) + (SELECT count(*) FROM lab) + (SELECT count(*) FROM img)
     + (SELECT count(*) FROM vac) + (SELECT count(*) FROM alg) + (SELECT count(*) FROM cond) + (SELECT count(*) FROM payi)
     + (SELECT count(*) FROM claim) + (SELECT count(*) FROM ser) + (SELECT count(*) FROM sms) + (SELECT count(*) FROM wa)
     + (SELECT count(*) FROM em) + (SELECT count(*) FROM st) + (SELECT count(*) FROM ff) + (SELECT count(*) FROM tele)
     + (SELECT count(*) FROM hsr) + (SELECT count(*) FROM fb) + (SELECT count(*) FROM con) + (SELECT count(*) FROM wl)
     + (SELECT count(*) FROM slot) AS n`;
