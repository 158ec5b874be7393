-- PDPA (seed 001 §8; issue 3 §7): the access-request export and the retention purge.
--
-- * clinic.data_protection_log records every access export and every purge run (who asked, when, what was found);
--   it is audited like the other tracked tables, so an export is itself on the audit trail. It holds a patient id
--   but no foreign key: the record of an erasure must outlive the erased patient.
-- * clinic.pdpa_export(patient) returns everything held on one patient: the patient row (without the encrypted
--   NRIC and its hash; the export command decrypts the NRIC in Node, where the key is), every row of every tenant
--   table with a patient_id, the rows one foreign-key hop below those (prescription items, payment items, queue
--   calls, telemedicine sessions...), and the audit entries of all of them. The table list is read from the
--   catalog, so a table added later is exported without anyone remembering to.
-- * ops.retention_purge(dry_run) applies the per-category retention periods of the settings (chain default,
--   clinic override). The dry run and the real run select with the same statements; the real run reports the rows
--   its DELETEs removed, the dry run the rows those DELETEs would remove.

CREATE TABLE clinic.data_protection_log (
  clinic_id    uuid NOT NULL REFERENCES clinic.clinics (id),
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  kind         text NOT NULL CHECK (kind IN ('access_export', 'retention_purge', 'retention_dry_run')),
  patient_id   uuid,
  requested_by text NOT NULL CHECK (btrim(requested_by) <> ''),
  details      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  CHECK ((kind = 'access_export') = (patient_id IS NOT NULL))
);
CREATE INDEX data_protection_log_patient_idx ON clinic.data_protection_log (clinic_id, patient_id, created_at);
CREATE TRIGGER audit_capture AFTER INSERT OR UPDATE OR DELETE ON clinic.data_protection_log
  FOR EACH ROW EXECUTE FUNCTION audit.capture();
-- Evidence: never changed or removed by anyone but a superuser disabling the trigger.
CREATE TRIGGER reject_change BEFORE UPDATE OR DELETE ON clinic.data_protection_log
  FOR EACH ROW EXECUTE FUNCTION audit.reject_change();

INSERT INTO rls.read_grants (table_schema, table_name, roles) VALUES ('clinic', 'data_protection_log', '{clinic_admin,chain_admin}');
SELECT rls.apply();
GRANT SELECT ON clinic.data_protection_log TO clinic_station;

-- Tenant tables with a patient_id column (the patient's own rows), and the tables one foreign-key hop below them.
CREATE VIEW clinic.patient_data_tables AS
SELECT t.table_schema, t.table_name, NULL::text AS parent_table, NULL::text AS fk_column
  FROM rls.tenant_tables t
 WHERE EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.relid AND a.attname = 'patient_id' AND NOT a.attisdropped)
UNION ALL
SELECT ct.table_schema, ct.table_name, pt.table_schema || '.' || pt.table_name, ca.attname::text
  FROM pg_constraint con
  JOIN rls.tenant_tables ct ON ct.relid = con.conrelid
  JOIN rls.tenant_tables pt ON pt.relid = con.confrelid
  JOIN pg_attribute ca ON ca.attrelid = con.conrelid AND ca.attnum = con.conkey[2]
 WHERE con.contype = 'f' AND array_length(con.conkey, 1) = 2
   AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = ct.relid AND a.attname = 'patient_id' AND NOT a.attisdropped)
   AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = pt.relid AND a.attname = 'patient_id' AND NOT a.attisdropped)
   AND pt.table_name <> 'data_protection_log'
   AND ct.table_schema <> 'sync';

CREATE FUNCTION clinic.pdpa_export(p_patient_id uuid, p_requested_by text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_clinic uuid;
  v_patient jsonb;
  v_tables jsonb := '{}';
  v_counts jsonb := '{}';
  v_rows jsonb;
  v_ids uuid[] := ARRAY[p_patient_id];
  v_audit jsonb;
  t record;
BEGIN
  SELECT clinic_id, to_jsonb(p) - 'nric_hash' INTO v_clinic, v_patient FROM clinic.patients p WHERE id = p_patient_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'GC404', MESSAGE = format('There is no patient %s.', p_patient_id);
  END IF;
  FOR t IN SELECT * FROM clinic.patient_data_tables ORDER BY parent_table NULLS FIRST, table_schema, table_name LOOP
    IF t.parent_table IS NULL THEN
      EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), ''[]'') FROM %I.%I x
                       WHERE x.clinic_id = $1 AND x.patient_id = $2', t.table_schema, t.table_name)
        INTO v_rows USING v_clinic, p_patient_id;
    ELSE
      EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), ''[]'') FROM %I.%I x
                       WHERE x.clinic_id = $1 AND x.%I IN (SELECT p.id FROM %s p WHERE p.clinic_id = $1 AND p.patient_id = $2)',
                     t.table_schema, t.table_name, t.fk_column, t.parent_table)
        INTO v_rows USING v_clinic, p_patient_id;
    END IF;
    v_rows := coalesce(v_tables -> (t.table_schema || '.' || t.table_name), '[]') || v_rows;
    v_tables := v_tables || jsonb_build_object(t.table_schema || '.' || t.table_name, v_rows);
    v_counts := v_counts || jsonb_build_object(t.table_schema || '.' || t.table_name, jsonb_array_length(v_rows));
    v_ids := v_ids || ARRAY(SELECT (r ->> 'id')::uuid FROM jsonb_array_elements(v_rows) r WHERE r ? 'id');
  END LOOP;
  -- Redacted already (no encrypted value, no hash): who changed what about this patient, and when.
  SELECT coalesce(jsonb_agg(jsonb_build_object('logged_at', l.logged_at, 'table', l.table_name, 'row_id', l.row_id,
                                               'op', l.op, 'actor_role', l.actor_role, 'changed_columns', l.changed_columns)
                            ORDER BY l.logged_at, l.id), '[]')
    INTO v_audit FROM audit.log l WHERE l.clinic_id = v_clinic AND l.row_id = ANY (v_ids);

  INSERT INTO clinic.data_protection_log (clinic_id, kind, patient_id, requested_by, details)
  VALUES (v_clinic, 'access_export', p_patient_id, p_requested_by, jsonb_build_object('rows', v_counts));

  RETURN jsonb_build_object('format', 'gabriel-pdpa-export/1', 'exported_at', now(), 'clinic_id', v_clinic,
                            'patient', v_patient - 'nric_enc', 'nric_enc', v_patient -> 'nric_enc',
                            'tables', v_tables, 'row_counts', v_counts, 'audit', v_audit);
END
$$;

-- Erases one patient and every row about them (children first), leaving the audit trail and the
-- data-protection log. Returns the rows deleted per table.
CREATE FUNCTION clinic.erase_patient(p_clinic_id uuid, p_patient_id uuid) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_out jsonb := '{}';
  v_n bigint;
  v_step text[];
BEGIN
  UPDATE clinic.appointment_slots s SET appointment_id = NULL, is_available = true
   WHERE s.clinic_id = p_clinic_id
     AND s.appointment_id IN (SELECT id FROM clinic.appointments WHERE clinic_id = p_clinic_id AND patient_id = p_patient_id);
  FOREACH v_step SLICE 1 IN ARRAY ARRAY[
    -- table, column, parent table ('' = column is patient_id itself)
    ARRAY['queue_calls', 'ticket_id', 'queue_tickets'],
    ARRAY['prescription_items', 'prescription_id', 'prescriptions'],
    ARRAY['payment_items', 'payment_id', 'payments'],
    ARRAY['telemedicine_sessions', 'appointment_id', 'appointments'],
    ARRAY['sms_messages', 'notification_id', 'notifications'],
    ARRAY['whatsapp_messages', 'notification_id', 'notifications'],
    ARRAY['email_messages', 'notification_id', 'notifications'],
    ARRAY['sms_messages', 'patient_id', ''],
    ARRAY['whatsapp_messages', 'patient_id', ''],
    ARRAY['email_messages', 'patient_id', ''],
    ARRAY['notifications', 'patient_id', ''],
    ARRAY['insurance_claims', 'patient_id', ''],
    ARRAY['lab_results', 'patient_id', ''],
    ARRAY['imaging_results', 'patient_id', ''],
    ARRAY['vaccination_records', 'patient_id', ''],
    ARRAY['patient_allergies', 'patient_id', ''],
    ARRAY['patient_conditions', 'patient_id', ''],
    ARRAY['health_screening_results', 'patient_id', ''],
    ARRAY['consent_records', 'patient_id', ''],
    ARRAY['prescriptions', 'patient_id', ''],
    ARRAY['medical_records', 'patient_id', ''],
    ARRAY['payments', 'patient_id', ''],
    ARRAY['queue_tickets', 'patient_id', ''],
    ARRAY['appointments', 'patient_id', '']]
  LOOP
    IF v_step[3] = '' THEN
      EXECUTE format('DELETE FROM clinic.%I WHERE clinic_id = $1 AND patient_id = $2', v_step[1])
        USING p_clinic_id, p_patient_id;
    ELSE
      EXECUTE format('DELETE FROM clinic.%I WHERE clinic_id = $1 AND %I IN (SELECT id FROM clinic.%I WHERE clinic_id = $1 AND patient_id = $2)',
                     v_step[1], v_step[2], v_step[3])
        USING p_clinic_id, p_patient_id;
    END IF;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n > 0 THEN
      v_out := v_out || jsonb_build_object(v_step[1], coalesce((v_out ->> v_step[1])::bigint, 0) + v_n);
    END IF;
  END LOOP;
  DELETE FROM clinic.patients WHERE clinic_id = p_clinic_id AND id = p_patient_id;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_out || jsonb_build_object('patients', v_n);
END
$$;

-- The retention purge. Per clinic and category (periods from clinic.setting()):
--   communication   SMS/WhatsApp/email messages older than retention.communication_days, and finished
--                   notifications of that age none of whose messages is younger;
--   sessions        staff sessions ended longer ago than retention.sessions_days;
--   webhooks        succeeded webhook events processed longer ago than retention.webhook_days, with their logs;
--   feedback        user feedback older than retention.feedback_days;
--   financial       payments (with items and claims) older than retention.financial_years;
--   patients        patients with no visit, ticket, record or payment for retention.medical_records_years,
--                   erased with everything about them (clinic.erase_patient);
-- and chain-wide: jobs finished longer ago than retention.jobs_days. Audit partitions follow retention.audit_months
-- through the audit.partitions job. Returns {category: rows} per clinic code, plus ops.jobs.
CREATE FUNCTION ops.retention_purge(p_dry_run boolean, p_requested_by text DEFAULT 'worker') RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  c record;
  v_report jsonb := '{}';
  v_counts jsonb;
  v_n bigint;
  v_comm timestamptz;
  v_sess timestamptz;
  v_hook timestamptz;
  v_feed timestamptz;
  v_fin timestamptz;
  v_med timestamptz;
  v_patients uuid[];
  v_payments uuid[];
  v_p uuid;
BEGIN
  FOR c IN SELECT id, code FROM clinic.clinics ORDER BY code LOOP
    v_comm := now() - make_interval(days => (clinic.setting(c.id, 'retention.communication_days') #>> '{}')::integer);
    v_sess := now() - make_interval(days => (clinic.setting(c.id, 'retention.sessions_days') #>> '{}')::integer);
    v_hook := now() - make_interval(days => (clinic.setting(c.id, 'retention.webhook_days') #>> '{}')::integer);
    v_feed := now() - make_interval(days => (clinic.setting(c.id, 'retention.feedback_days') #>> '{}')::integer);
    v_fin := now() - make_interval(years => (clinic.setting(c.id, 'retention.financial_years') #>> '{}')::integer);
    v_med := now() - make_interval(years => (clinic.setting(c.id, 'retention.medical_records_years') #>> '{}')::integer);
    v_counts := '{}';

    -- Decided first, on the data as it stands, so the other categories never change who is erased.
    SELECT coalesce(array_agg(p.id ORDER BY p.id), '{}') INTO v_patients FROM clinic.patients p
     WHERE p.clinic_id = c.id
       AND greatest(p.created_at,
                    (SELECT max(a.starts_at) FROM clinic.appointments a WHERE a.clinic_id = c.id AND a.patient_id = p.id),
                    (SELECT max(q.issued_at) FROM clinic.queue_tickets q WHERE q.clinic_id = c.id AND q.patient_id = p.id),
                    (SELECT max(m.created_at) FROM clinic.medical_records m WHERE m.clinic_id = c.id AND m.patient_id = p.id),
                    (SELECT max(y.created_at) FROM clinic.payments y WHERE y.clinic_id = c.id AND y.patient_id = p.id)) < v_med;
    -- Rows of patients about to be erased are counted under patients, not twice.

    -- communication
    IF p_dry_run THEN
      SELECT (SELECT count(*) FROM clinic.sms_messages WHERE clinic_id = c.id AND created_at < v_comm AND (patient_id IS NULL OR NOT patient_id = ANY (v_patients)))
           + (SELECT count(*) FROM clinic.whatsapp_messages WHERE clinic_id = c.id AND created_at < v_comm AND (patient_id IS NULL OR NOT patient_id = ANY (v_patients)))
           + (SELECT count(*) FROM clinic.email_messages WHERE clinic_id = c.id AND created_at < v_comm AND (patient_id IS NULL OR NOT patient_id = ANY (v_patients)))
        INTO v_n;
    ELSE
      DELETE FROM clinic.sms_messages WHERE clinic_id = c.id AND created_at < v_comm AND (patient_id IS NULL OR NOT patient_id = ANY (v_patients));
      GET DIAGNOSTICS v_n = ROW_COUNT;
      v_counts := v_counts || jsonb_build_object('communication', v_n);
      DELETE FROM clinic.whatsapp_messages WHERE clinic_id = c.id AND created_at < v_comm AND (patient_id IS NULL OR NOT patient_id = ANY (v_patients));
      GET DIAGNOSTICS v_n = ROW_COUNT;
      v_n := v_n + (v_counts ->> 'communication')::bigint;
      v_counts := v_counts || jsonb_build_object('communication', v_n);
      DELETE FROM clinic.email_messages WHERE clinic_id = c.id AND created_at < v_comm AND (patient_id IS NULL OR NOT patient_id = ANY (v_patients));
      GET DIAGNOSTICS v_n = ROW_COUNT;
      v_n := v_n + (v_counts ->> 'communication')::bigint;
    END IF;
    v_counts := v_counts || jsonb_build_object('communication', v_n);

    IF p_dry_run THEN
      SELECT count(*) INTO v_n FROM clinic.notifications n
       WHERE n.clinic_id = c.id AND n.status <> 'pending' AND n.created_at < v_comm
         AND (n.patient_id IS NULL OR NOT n.patient_id = ANY (v_patients))
         AND NOT EXISTS (SELECT 1 FROM clinic.sms_messages m WHERE m.clinic_id = c.id AND m.notification_id = n.id AND m.created_at >= v_comm)
         AND NOT EXISTS (SELECT 1 FROM clinic.whatsapp_messages m WHERE m.clinic_id = c.id AND m.notification_id = n.id AND m.created_at >= v_comm)
         AND NOT EXISTS (SELECT 1 FROM clinic.email_messages m WHERE m.clinic_id = c.id AND m.notification_id = n.id AND m.created_at >= v_comm);
    ELSE
      DELETE FROM clinic.notifications n
       WHERE n.clinic_id = c.id AND n.status <> 'pending' AND n.created_at < v_comm
         AND (n.patient_id IS NULL OR NOT n.patient_id = ANY (v_patients))
         AND NOT EXISTS (SELECT 1 FROM clinic.sms_messages m WHERE m.clinic_id = c.id AND m.notification_id = n.id AND m.created_at >= v_comm)
         AND NOT EXISTS (SELECT 1 FROM clinic.whatsapp_messages m WHERE m.clinic_id = c.id AND m.notification_id = n.id AND m.created_at >= v_comm)
         AND NOT EXISTS (SELECT 1 FROM clinic.email_messages m WHERE m.clinic_id = c.id AND m.notification_id = n.id AND m.created_at >= v_comm);
      GET DIAGNOSTICS v_n = ROW_COUNT;
    END IF;
    v_counts := v_counts || jsonb_build_object('notifications', v_n);

    -- sessions
    IF p_dry_run THEN
      SELECT count(*) INTO v_n FROM clinic.staff_sessions WHERE clinic_id = c.id AND least(coalesce(revoked_at, expires_at), expires_at) < v_sess;
    ELSE
      DELETE FROM clinic.staff_sessions WHERE clinic_id = c.id AND least(coalesce(revoked_at, expires_at), expires_at) < v_sess;
      GET DIAGNOSTICS v_n = ROW_COUNT;
    END IF;
    v_counts := v_counts || jsonb_build_object('sessions', v_n);

    -- webhooks
    IF p_dry_run THEN
      SELECT count(*) INTO v_n FROM webhook.webhook_events WHERE clinic_id = c.id AND status = 'succeeded' AND processed_at < v_hook;
    ELSE
      DELETE FROM webhook.webhook_logs l WHERE l.clinic_id = c.id AND l.event_id IN
        (SELECT id FROM webhook.webhook_events WHERE clinic_id = c.id AND status = 'succeeded' AND processed_at < v_hook);
      DELETE FROM webhook.webhook_events WHERE clinic_id = c.id AND status = 'succeeded' AND processed_at < v_hook;
      GET DIAGNOSTICS v_n = ROW_COUNT;
    END IF;
    v_counts := v_counts || jsonb_build_object('webhook_events', v_n);

    -- feedback
    IF p_dry_run THEN
      SELECT count(*) INTO v_n FROM clinic.user_feedback WHERE clinic_id = c.id AND created_at < v_feed;
    ELSE
      DELETE FROM clinic.user_feedback WHERE clinic_id = c.id AND created_at < v_feed;
      GET DIAGNOSTICS v_n = ROW_COUNT;
    END IF;
    v_counts := v_counts || jsonb_build_object('feedback', v_n);

    -- financial
    SELECT coalesce(array_agg(id), '{}') INTO v_payments FROM clinic.payments
     WHERE clinic_id = c.id AND created_at < v_fin AND NOT patient_id = ANY (v_patients);
    IF p_dry_run THEN
      v_n := cardinality(v_payments);
    ELSE
      DELETE FROM clinic.insurance_claims WHERE clinic_id = c.id AND payment_id = ANY (v_payments);
      DELETE FROM clinic.payment_items WHERE clinic_id = c.id AND payment_id = ANY (v_payments);
      DELETE FROM clinic.payments WHERE clinic_id = c.id AND id = ANY (v_payments);
      GET DIAGNOSTICS v_n = ROW_COUNT;
    END IF;
    v_counts := v_counts || jsonb_build_object('payments', v_n);

    -- patients
    IF p_dry_run THEN
      v_n := cardinality(v_patients);
    ELSE
      v_n := 0;
      FOREACH v_p IN ARRAY v_patients LOOP
        v_n := v_n + (clinic.erase_patient(c.id, v_p) ->> 'patients')::bigint;
      END LOOP;
    END IF;
    v_counts := v_counts || jsonb_build_object('patients', v_n);

    INSERT INTO clinic.data_protection_log (clinic_id, kind, requested_by, details)
    VALUES (c.id, CASE WHEN p_dry_run THEN 'retention_dry_run' ELSE 'retention_purge' END, p_requested_by,
            jsonb_build_object('rows', v_counts));
    v_report := v_report || jsonb_build_object(c.code, v_counts);
  END LOOP;

  IF p_dry_run THEN
    SELECT count(*) INTO v_n FROM ops.jobs
     WHERE status IN ('succeeded', 'dead_letter')
       AND finished_at < now() - make_interval(days => (SELECT (value #>> '{}')::integer FROM ref.setting_defaults WHERE key = 'retention.jobs_days'));
  ELSE
    DELETE FROM ops.jobs
     WHERE status IN ('succeeded', 'dead_letter')
       AND finished_at < now() - make_interval(days => (SELECT (value #>> '{}')::integer FROM ref.setting_defaults WHERE key = 'retention.jobs_days'));
    GET DIAGNOSTICS v_n = ROW_COUNT;
  END IF;
  RETURN v_report || jsonb_build_object('ops.jobs', v_n);
END
$$;

REVOKE EXECUTE ON FUNCTION clinic.pdpa_export(uuid, text), clinic.erase_patient(uuid, uuid),
                           ops.retention_purge(boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ops.retention_purge(boolean, text) TO clinic_integration;
