-- Views and the daily metrics (seed 000 §9, seed 001 §5.7; issue 3 §6).
--
-- * view_upcoming_appointments and view_patient_summary are security_invoker views: they read the base tables with
--   the caller's rights, so row-level security applies exactly as if the station had queried the tables (a
--   receptionist sees her clinic's rows; a clinical column she may not read comes back NULL, never a false "none").
-- * "Upcoming" is decided at query time (starts_at >= now() in the view), never in an index predicate (seed 001
--   §5.7): the index is a plain (clinic_id, starts_at) one.
-- * mat_view_daily_clinic_metrics is an aggregate per clinic and Singapore day, refreshed CONCURRENTLY by the
--   worker (job metrics.refresh) through ops.refresh_metrics(); its unique index makes CONCURRENTLY possible.
--   A materialized view has no row-level security, so stations never read it directly: clinic_analytics reads it
--   whole (aggregates only), and stations read view_daily_clinic_metrics, which filters by the verified session.

CREATE INDEX appointments_starts_idx ON clinic.appointments (clinic_id, starts_at);

CREATE VIEW clinic.view_upcoming_appointments WITH (security_invoker = true, security_barrier = true) AS
SELECT a.clinic_id, a.id, a.appointment_number, a.starts_at, a.ends_at, a.status, a.reason,
       (a.starts_at AT TIME ZONE 'Asia/Singapore')::date AS clinic_day,
       a.patient_id, p.full_name AS patient_name, p.nric_masked, p.phone AS patient_phone,
       a.doctor_id, d.full_name AS doctor_name
  FROM clinic.appointments a
  JOIN clinic.patients p ON p.clinic_id = a.clinic_id AND p.id = a.patient_id
  JOIN clinic.doctors d ON d.clinic_id = a.clinic_id AND d.id = a.doctor_id
 WHERE a.starts_at >= now()
   AND a.status IN ('scheduled', 'confirmed', 'checked_in');

-- One row per patient the caller may read. Clinical columns (allergies, conditions) are NULL — "not shown to you" —
-- for a role that may not read them, and an array (possibly empty) for the care team.
CREATE VIEW clinic.view_patient_summary WITH (security_invoker = true, security_barrier = true) AS
SELECT p.clinic_id, p.id, p.full_name, p.nric_masked, p.id_type, p.date_of_birth,
       -- clinic.age_on(date_of_birth, clinic day), inlined: stations execute procedures, not helpers.
       (extract(year FROM age((now() AT TIME ZONE 'Asia/Singapore')::date, p.date_of_birth)))::integer AS age, p.gender, p.chas_card, p.phone, p.email,
       (SELECT max(a.starts_at) FROM clinic.appointments a
         WHERE a.clinic_id = p.clinic_id AND a.patient_id = p.id AND a.status = 'completed') AS last_visit_at,
       (SELECT min(a.starts_at) FROM clinic.appointments a
         WHERE a.clinic_id = p.clinic_id AND a.patient_id = p.id AND a.starts_at >= now()
           AND a.status IN ('scheduled', 'confirmed', 'checked_in')) AS next_appointment_at,
       (SELECT count(*) FROM clinic.appointments a
         WHERE a.clinic_id = p.clinic_id AND a.patient_id = p.id AND a.status = 'completed') AS completed_visits,
       CASE WHEN (SELECT rls.role()) IN ('nurse', 'doctor') OR (SELECT rls.role()) IS NULL THEN
         (SELECT coalesce(array_agg(al.allergen ORDER BY al.allergen), '{}') FROM clinic.patient_allergies al
           WHERE al.clinic_id = p.clinic_id AND al.patient_id = p.id) END AS allergies,
       CASE WHEN (SELECT rls.role()) IN ('nurse', 'doctor') OR (SELECT rls.role()) IS NULL THEN
         (SELECT coalesce(array_agg(c.icd10_code ORDER BY c.icd10_code), '{}') FROM clinic.patient_conditions c
           WHERE c.clinic_id = p.clinic_id AND c.patient_id = p.id) END AS conditions
  FROM clinic.patients p;

CREATE MATERIALIZED VIEW clinic.mat_view_daily_clinic_metrics AS
WITH days AS (
  SELECT clinic_id, clinic.clinic_day(starts_at) AS day FROM clinic.appointments
  UNION SELECT clinic_id, service_date FROM clinic.queue_tickets
  UNION SELECT clinic_id, clinic.clinic_day(paid_at) FROM clinic.payments WHERE status = 'paid'
)
SELECT d.clinic_id, d.day,
       coalesce(a.booked, 0) AS appointments_booked,
       coalesce(a.completed, 0) AS appointments_completed,
       coalesce(a.cancelled, 0) AS appointments_cancelled,
       coalesce(a.no_show, 0) AS appointments_no_show,
       coalesce(q.tickets, 0) AS queue_tickets,
       coalesce(q.walk_ins, 0) AS walk_ins,
       q.avg_wait_minutes,
       q.p90_wait_minutes,
       coalesce(pay.payments, 0) AS payments,
       coalesce(pay.revenue, 0) AS revenue,
       coalesce(pay.chas_subsidy, 0) AS chas_subsidy,
       now() AS refreshed_at
  FROM days d
  LEFT JOIN (SELECT clinic_id, clinic.clinic_day(starts_at) AS day, count(*) AS booked,
                    count(*) FILTER (WHERE status = 'completed') AS completed,
                    count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
                    count(*) FILTER (WHERE status = 'no_show') AS no_show
               FROM clinic.appointments GROUP BY 1, 2) a ON a.clinic_id = d.clinic_id AND a.day = d.day
  LEFT JOIN (SELECT clinic_id, service_date AS day, count(*) AS tickets,
                    count(*) FILTER (WHERE kind = 'walk_in') AS walk_ins,
                    round((avg(extract(epoch FROM called_at - issued_at)) / 60)::numeric, 1) AS avg_wait_minutes,
                    round((percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM called_at - issued_at)) / 60)::numeric, 1)
                      AS p90_wait_minutes
               FROM clinic.queue_tickets GROUP BY 1, 2) q ON q.clinic_id = d.clinic_id AND q.day = d.day
  LEFT JOIN (SELECT clinic_id, clinic.clinic_day(paid_at) AS day, count(*) AS payments, sum(total) AS revenue,
                    sum(chas_subsidy) AS chas_subsidy
               FROM clinic.payments WHERE status = 'paid' GROUP BY 1, 2) pay ON pay.clinic_id = d.clinic_id AND pay.day = d.day;
CREATE UNIQUE INDEX mat_view_daily_clinic_metrics_key ON clinic.mat_view_daily_clinic_metrics (clinic_id, day);

-- The stations' window on the metrics: clinic and chain administrators, own clinic (chain_admin: every clinic).
CREATE VIEW clinic.view_daily_clinic_metrics WITH (security_barrier = true) AS
SELECT m.* FROM clinic.mat_view_daily_clinic_metrics m
 WHERE (SELECT rls.role()) IN ('clinic_admin', 'chain_admin')
   AND (m.clinic_id = (SELECT rls.clinic_id()) OR (SELECT rls.role()) = 'chain_admin');

CREATE FUNCTION ops.refresh_metrics() RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_started timestamptz := clock_timestamp();
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY clinic.mat_view_daily_clinic_metrics;
  RETURN jsonb_build_object('rows', (SELECT count(*) FROM clinic.mat_view_daily_clinic_metrics),
                            'ms', round(extract(epoch FROM clock_timestamp() - v_started) * 1000));
END
$$;

REVOKE ALL ON clinic.view_upcoming_appointments, clinic.view_patient_summary, clinic.mat_view_daily_clinic_metrics,
              clinic.view_daily_clinic_metrics FROM PUBLIC;
GRANT SELECT ON clinic.view_upcoming_appointments, clinic.view_patient_summary, clinic.view_daily_clinic_metrics
  TO clinic_station;
GRANT USAGE ON SCHEMA clinic TO clinic_analytics;
GRANT SELECT ON clinic.mat_view_daily_clinic_metrics TO clinic_analytics;
REVOKE EXECUTE ON FUNCTION ops.refresh_metrics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ops.refresh_metrics() TO clinic_integration;
