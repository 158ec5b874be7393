-- The rest of the seed schema (seed 000 §2-§3, §10-§12), on the tenant-key rules of DESIGN §3: every tenant table has
-- clinic_id NOT NULL, PRIMARY KEY (clinic_id, id), and every UNIQUE and foreign key between tenant tables carries
-- clinic_id. Reference data shared by the chain (drugs, ICD-10, CHAS and MediSave rates) lives in schema ref without
-- a clinic_id; infrastructure without a tenant (jobs) lives in ops. docs/database.md states the namespace rule.

CREATE SCHEMA ref;
CREATE SCHEMA ops;

-- A device account for the waiting-room display (docs/security/rls-matrix.md): used from migration 009 on; an enum
-- value cannot be used in the transaction that adds it.
ALTER TYPE clinic.user_role ADD VALUE IF NOT EXISTS 'display';

-- ---------------------------------------------------------------------------------------------------------------
-- JSONB shape checks (seed 001 §5.8): every JSONB column with a known shape is validated here, not only in Node.
-- p_types maps each allowed key to its jsonb_typeof ('number', 'string', 'boolean', 'array', 'object'); keys not
-- listed are refused, keys in p_required must be present, and null is allowed only for optional keys.
-- ---------------------------------------------------------------------------------------------------------------
CREATE FUNCTION clinic.jsonb_shape_ok(p_doc jsonb, p_types jsonb, p_required text[] DEFAULT '{}') RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT jsonb_typeof(p_doc) = 'object'
     AND p_doc ?& coalesce(p_required, '{}')
     AND NOT EXISTS (
       SELECT 1 FROM jsonb_each(p_doc) e
        WHERE NOT (p_types ? e.key)
           OR (jsonb_typeof(e.value) <> (p_types ->> e.key)
               AND NOT (jsonb_typeof(e.value) = 'null' AND NOT e.key = ANY (coalesce(p_required, '{}')))))
$$;

CREATE FUNCTION clinic.jsonb_string_array_ok(p_doc jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT jsonb_typeof(p_doc) = 'array'
     AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(p_doc) v WHERE jsonb_typeof(v) <> 'string')
$$;

-- kg / m², one decimal; NULL for missing or implausible inputs rather than a division error in a generated column.
CREATE FUNCTION clinic.calculate_bmi(p_weight_kg numeric, p_height_cm numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN p_weight_kg > 0 AND p_height_cm BETWEEN 30 AND 300
              THEN round(p_weight_kg / ((p_height_cm / 100.0) ^ 2), 1) END
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Reference data (no clinic_id): shared by every clinic of the chain, effective-dated where it changes by law.
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE ref.drugs (
  code        text PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,31}$'),
  name        text NOT NULL CHECK (btrim(name) <> ''),
  form        text NOT NULL,
  strength    text,
  atc_code    text CHECK (atc_code ~ '^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$'),
  is_active   boolean NOT NULL DEFAULT true
);

CREATE TABLE ref.icd10_codes (
  code        text PRIMARY KEY CHECK (code ~ '^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$'),
  description text NOT NULL,
  -- Which CHAS chronic tier the condition qualifies for, if any.
  chas_tier   text CHECK (chas_tier IN ('simple_chronic', 'complex_chronic'))
);

-- DESIGN §6: CHAS per-visit subsidy and annual cap by card and tier, effective-dated rows, never code.
CREATE TABLE ref.chas_subsidy_rates (
  card             clinic.chas_card_type NOT NULL,
  tier             text NOT NULL CHECK (tier IN ('common_illness', 'simple_chronic', 'complex_chronic')),
  effective_from   date NOT NULL,
  effective_to     date,
  per_visit_amount numeric(8, 2) NOT NULL CHECK (per_visit_amount >= 0),
  annual_cap       numeric(8, 2) CHECK (annual_cap >= 0),
  annual_visit_cap integer CHECK (annual_visit_cap > 0),
  PRIMARY KEY (card, tier, effective_from),
  CHECK (effective_to IS NULL OR effective_to > effective_from),
  EXCLUDE USING gist (card WITH =, tier WITH =, daterange(effective_from, effective_to) WITH &&)
);

CREATE TABLE ref.medisave_limits (
  scheme         text NOT NULL CHECK (scheme IN ('cdmp')),
  tier           text NOT NULL CHECK (tier IN ('simple_chronic', 'complex_chronic')),
  effective_from date NOT NULL,
  effective_to   date,
  annual_limit   numeric(8, 2) NOT NULL CHECK (annual_limit >= 0),
  PRIMARY KEY (scheme, tier, effective_from),
  CHECK (effective_to IS NULL OR effective_to > effective_from),
  EXCLUDE USING gist (scheme WITH =, tier WITH =, daterange(effective_from, effective_to) WITH &&)
);

CREATE TABLE ref.gst_rates (
  effective_from date PRIMARY KEY,
  effective_to   date,
  rate           numeric(5, 4) NOT NULL CHECK (rate BETWEEN 0 AND 1),
  EXCLUDE USING gist (daterange(effective_from, effective_to) WITH &&)
);

-- Chain-wide defaults of system_settings; a clinic overrides a key in clinic.system_settings.
CREATE TABLE ref.setting_defaults (
  key         text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]{1,63}$'),
  value       jsonb NOT NULL,
  description text NOT NULL
);

INSERT INTO ref.chas_subsidy_rates (card, tier, effective_from, per_visit_amount, annual_cap, annual_visit_cap) VALUES
  ('blue', 'common_illness', '2024-01-01', 18.50, NULL, 24),
  ('blue', 'simple_chronic', '2024-01-01', 80, 320, NULL),
  ('blue', 'complex_chronic', '2024-01-01', 125, 500, NULL),
  ('orange', 'common_illness', '2024-01-01', 10, NULL, 24),
  ('orange', 'simple_chronic', '2024-01-01', 50, 200, NULL),
  ('orange', 'complex_chronic', '2024-01-01', 80, 320, NULL),
  ('green', 'simple_chronic', '2024-01-01', 28, 112, NULL),
  ('green', 'complex_chronic', '2024-01-01', 40, 160, NULL),
  ('merdeka_generation', 'common_illness', '2024-01-01', 23.50, NULL, 24),
  ('merdeka_generation', 'simple_chronic', '2024-01-01', 85, 340, NULL),
  ('merdeka_generation', 'complex_chronic', '2024-01-01', 130, 520, NULL),
  ('pioneer_generation', 'common_illness', '2024-01-01', 28.50, NULL, 24),
  ('pioneer_generation', 'simple_chronic', '2024-01-01', 90, 360, NULL),
  ('pioneer_generation', 'complex_chronic', '2024-01-01', 135, 540, NULL);

INSERT INTO ref.medisave_limits (scheme, tier, effective_from, effective_to, annual_limit) VALUES
  ('cdmp', 'simple_chronic', '2024-01-01', '2027-01-01', 500),
  ('cdmp', 'complex_chronic', '2024-01-01', '2027-01-01', 700),
  ('cdmp', 'simple_chronic', '2027-01-01', NULL, 700),
  ('cdmp', 'complex_chronic', '2027-01-01', NULL, 1000);

INSERT INTO ref.gst_rates (effective_from, effective_to, rate) VALUES
  ('2023-01-01', '2024-01-01', 0.08),
  ('2024-01-01', NULL, 0.09);

-- A primary-care subset; the full ICD-10 list is loaded by a data import, not a migration.
INSERT INTO ref.icd10_codes (code, description, chas_tier) VALUES
  ('J06.9', 'Acute upper respiratory infection, unspecified', NULL),
  ('J02.9', 'Acute pharyngitis, unspecified', NULL),
  ('J20.9', 'Acute bronchitis, unspecified', NULL),
  ('A09', 'Infectious gastroenteritis and colitis, unspecified', NULL),
  ('R50.9', 'Fever, unspecified', NULL),
  ('M54.5', 'Low back pain', NULL),
  ('L30.9', 'Dermatitis, unspecified', NULL),
  ('H10.9', 'Conjunctivitis, unspecified', NULL),
  ('N39.0', 'Urinary tract infection, site not specified', NULL),
  ('A90', 'Dengue fever', NULL),
  ('E11.9', 'Type 2 diabetes mellitus without complications', 'simple_chronic'),
  ('E11.65', 'Type 2 diabetes mellitus with hyperglycaemia', 'complex_chronic'),
  ('I10', 'Essential (primary) hypertension', 'simple_chronic'),
  ('E78.5', 'Hyperlipidaemia, unspecified', 'simple_chronic'),
  ('J45.9', 'Asthma, unspecified', 'simple_chronic'),
  ('J44.9', 'Chronic obstructive pulmonary disease, unspecified', 'complex_chronic'),
  ('N18.3', 'Chronic kidney disease, stage 3', 'complex_chronic'),
  ('I63.9', 'Cerebral infarction, unspecified', 'complex_chronic'),
  ('F32.9', 'Depressive episode, unspecified', 'complex_chronic'),
  ('M81.0', 'Postmenopausal osteoporosis', 'simple_chronic'),
  ('Z00.0', 'General medical examination', NULL),
  ('Z23', 'Need for immunization against single bacterial diseases', NULL);

INSERT INTO ref.drugs (code, name, form, strength, atc_code) VALUES
  ('PARA-500', 'Paracetamol', 'tablet', '500 mg', 'N02BE01'),
  ('IBU-400', 'Ibuprofen', 'tablet', '400 mg', 'M01AE01'),
  ('AMOX-500', 'Amoxicillin', 'capsule', '500 mg', 'J01CA04'),
  ('AUGM-625', 'Amoxicillin/clavulanate', 'tablet', '625 mg', 'J01CR02'),
  ('CETI-10', 'Cetirizine', 'tablet', '10 mg', 'R06AE07'),
  ('LORA-10', 'Loratadine', 'tablet', '10 mg', 'R06AX13'),
  ('METF-500', 'Metformin', 'tablet', '500 mg', 'A10BA02'),
  ('AMLO-5', 'Amlodipine', 'tablet', '5 mg', 'C08CA01'),
  ('ATOR-20', 'Atorvastatin', 'tablet', '20 mg', 'C10AA05'),
  ('OMEP-20', 'Omeprazole', 'capsule', '20 mg', 'A02BC01'),
  ('SALB-INH', 'Salbutamol inhaler', 'inhaler', '100 mcg/dose', 'R03AC02'),
  ('DEXT-SYR', 'Dextromethorphan syrup', 'syrup', '15 mg/5 ml', 'R05DA09');

INSERT INTO ref.setting_defaults (key, value, description) VALUES
  ('retention.medical_records_years', '15', 'Years after the last visit that clinical records are kept.'),
  ('retention.financial_years', '7', 'Years payments, invoices and claims are kept (tax and audit).'),
  ('retention.communication_days', '365', 'Days SMS, WhatsApp and email message bodies are kept.'),
  ('retention.sessions_days', '90', 'Days ended staff sessions are kept.'),
  ('retention.webhook_days', '180', 'Days processed webhook events and their logs are kept.'),
  ('retention.audit_months', '84', 'Months audit partitions stay attached before they move to archive.'),
  ('retention.feedback_days', '730', 'Days user feedback is kept.'),
  ('queue.display_history', '5', 'How many past calls the waiting-room display shows.'),
  ('billing.round_per', '"line"', 'GST rounding: per line or per total (DESIGN §6).');

-- ---------------------------------------------------------------------------------------------------------------
-- Medical records
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE clinic.medical_records (
  clinic_id       uuid NOT NULL REFERENCES clinic.clinics (id),
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id      uuid NOT NULL,
  doctor_id       uuid NOT NULL,
  appointment_id  uuid,
  visit_at        timestamptz NOT NULL DEFAULT now(),
  -- SOAP
  subjective      text,
  objective       text,
  assessment      text,
  plan            text,
  diagnosis_codes text[] NOT NULL DEFAULT '{}',
  vitals          jsonb NOT NULL DEFAULT '{}' CHECK (clinic.jsonb_shape_ok(vitals,
                    '{"height_cm":"number","weight_kg":"number","temperature_c":"number","pulse_bpm":"number",
                      "systolic_mmhg":"number","diastolic_mmhg":"number","spo2_pct":"number"}')),
  bmi             numeric GENERATED ALWAYS AS
                    (clinic.calculate_bmi((vitals ->> 'weight_kg')::numeric, (vitals ->> 'height_cm')::numeric)) STORED,
  -- Medical certificate (DESIGN §6: the record keeps date and reason; the doctor's MCR comes from doctors).
  mc_days         integer CHECK (mc_days BETWEEN 0 AND 60),
  mc_from         date,
  mc_reason       text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id),
  FOREIGN KEY (clinic_id, doctor_id) REFERENCES clinic.doctors (clinic_id, id),
  FOREIGN KEY (clinic_id, appointment_id) REFERENCES clinic.appointments (clinic_id, id),
  CHECK ((mc_days IS NULL OR mc_days = 0) = (mc_from IS NULL))
);
CREATE INDEX medical_records_patient_idx ON clinic.medical_records (clinic_id, patient_id, visit_at DESC);

CREATE TABLE clinic.prescriptions (
  clinic_id         uuid NOT NULL REFERENCES clinic.clinics (id),
  id                uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id        uuid NOT NULL,
  doctor_id         uuid NOT NULL,
  medical_record_id uuid,
  status            text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'dispensed', 'cancelled')),
  notes             text,
  prescribed_at     timestamptz NOT NULL DEFAULT now(),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id),
  FOREIGN KEY (clinic_id, doctor_id) REFERENCES clinic.doctors (clinic_id, id),
  FOREIGN KEY (clinic_id, medical_record_id) REFERENCES clinic.medical_records (clinic_id, id)
);
CREATE INDEX prescriptions_patient_idx ON clinic.prescriptions (clinic_id, patient_id, prescribed_at DESC);

CREATE TABLE clinic.prescription_items (
  clinic_id       uuid NOT NULL REFERENCES clinic.clinics (id),
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  prescription_id uuid NOT NULL,
  drug_code       text NOT NULL REFERENCES ref.drugs (code),
  dosage          text NOT NULL,
  frequency       text NOT NULL,
  duration_days   integer CHECK (duration_days BETWEEN 1 AND 365),
  quantity        numeric(8, 2) NOT NULL CHECK (quantity > 0),
  instructions    text,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, prescription_id) REFERENCES clinic.prescriptions (clinic_id, id) ON DELETE CASCADE
);
CREATE INDEX prescription_items_prescription_idx ON clinic.prescription_items (clinic_id, prescription_id);

CREATE TABLE clinic.lab_results (
  clinic_id         uuid NOT NULL REFERENCES clinic.clinics (id),
  id                uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id        uuid NOT NULL,
  medical_record_id uuid,
  test_code         text NOT NULL,
  test_name         text NOT NULL,
  value_text        text,
  value_numeric     numeric,
  unit              text,
  reference_range   text,
  abnormal_flag     text CHECK (abnormal_flag IN ('L', 'H', 'LL', 'HH', 'A')),
  laboratory        text,
  resulted_at       timestamptz NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id),
  FOREIGN KEY (clinic_id, medical_record_id) REFERENCES clinic.medical_records (clinic_id, id)
);
CREATE INDEX lab_results_patient_idx ON clinic.lab_results (clinic_id, patient_id, resulted_at DESC);

CREATE TABLE clinic.imaging_results (
  clinic_id         uuid NOT NULL REFERENCES clinic.clinics (id),
  id                uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id        uuid NOT NULL,
  medical_record_id uuid,
  modality          text NOT NULL CHECK (modality IN ('xray', 'ultrasound', 'ct', 'mri', 'ecg', 'other')),
  body_part         text NOT NULL,
  findings          text,
  impression        text,
  performed_at      timestamptz NOT NULL,
  provider          text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id),
  FOREIGN KEY (clinic_id, medical_record_id) REFERENCES clinic.medical_records (clinic_id, id)
);
CREATE INDEX imaging_results_patient_idx ON clinic.imaging_results (clinic_id, patient_id, performed_at DESC);

CREATE TABLE clinic.vaccination_records (
  clinic_id       uuid NOT NULL REFERENCES clinic.clinics (id),
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id      uuid NOT NULL,
  doctor_id       uuid,
  vaccine_code    text NOT NULL,
  vaccine_name    text NOT NULL,
  dose_number     integer NOT NULL DEFAULT 1 CHECK (dose_number BETWEEN 1 AND 10),
  batch_number    text,
  administered_at timestamptz NOT NULL,
  site            text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id),
  FOREIGN KEY (clinic_id, doctor_id) REFERENCES clinic.doctors (clinic_id, id)
);
CREATE INDEX vaccination_records_patient_idx ON clinic.vaccination_records (clinic_id, patient_id, administered_at);

CREATE TABLE clinic.patient_allergies (
  clinic_id   uuid NOT NULL REFERENCES clinic.clinics (id),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id  uuid NOT NULL,
  allergen    text NOT NULL CHECK (btrim(allergen) <> ''),
  drug_code   text REFERENCES ref.drugs (code),
  reaction    text,
  severity    text NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe', 'anaphylaxis')),
  noted_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, patient_id, allergen),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id)
);

CREATE TABLE clinic.patient_conditions (
  clinic_id    uuid NOT NULL REFERENCES clinic.clinics (id),
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id   uuid NOT NULL,
  icd10_code   text NOT NULL REFERENCES ref.icd10_codes (code),
  diagnosed_on date,
  resolved_on  date,
  notes        text,
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, patient_id, icd10_code),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id),
  CHECK (resolved_on IS NULL OR resolved_on >= diagnosed_on)
);

-- ---------------------------------------------------------------------------------------------------------------
-- Financial
-- ---------------------------------------------------------------------------------------------------------------

-- Serial numbers per clinic, kind and period (receipts and tax invoices per year, appointments per day): one row
-- per series, its lock serializes the numbers, and a gap only appears when a transaction rolls back.
CREATE TABLE clinic.number_series (
  clinic_id  uuid NOT NULL REFERENCES clinic.clinics (id),
  kind       text NOT NULL CHECK (kind IN ('receipt', 'invoice', 'appointment')),
  period     text NOT NULL,
  next_value integer NOT NULL CHECK (next_value >= 1),
  PRIMARY KEY (clinic_id, kind, period)
);

CREATE TABLE clinic.payments (
  clinic_id       uuid NOT NULL REFERENCES clinic.clinics (id),
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id      uuid NOT NULL,
  appointment_id  uuid,
  receipt_number  text NOT NULL,
  invoice_number  text,
  status          clinic.payment_status NOT NULL DEFAULT 'pending',
  method          text CHECK (method IN ('cash', 'nets', 'card', 'paynow', 'medisave', 'chas', 'insurance', 'mixed')),
  subtotal        numeric(10, 2) NOT NULL CHECK (subtotal >= 0),
  gst_rate        numeric(5, 4) NOT NULL CHECK (gst_rate BETWEEN 0 AND 1),
  gst_amount      numeric(10, 2) NOT NULL CHECK (gst_amount >= 0),
  chas_subsidy    numeric(10, 2) NOT NULL DEFAULT 0 CHECK (chas_subsidy >= 0),
  medisave_amount numeric(10, 2) NOT NULL DEFAULT 0 CHECK (medisave_amount >= 0),
  total           numeric(10, 2) NOT NULL CHECK (total >= 0),
  paid_at         timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, receipt_number),
  UNIQUE (clinic_id, invoice_number),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id),
  FOREIGN KEY (clinic_id, appointment_id) REFERENCES clinic.appointments (clinic_id, id),
  CHECK (status <> 'paid' OR paid_at IS NOT NULL)
);
CREATE INDEX payments_patient_idx ON clinic.payments (clinic_id, patient_id, created_at DESC);
CREATE INDEX payments_paid_idx ON clinic.payments (clinic_id, paid_at) WHERE status = 'paid';

CREATE TABLE clinic.payment_items (
  clinic_id   uuid NOT NULL REFERENCES clinic.clinics (id),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  payment_id  uuid NOT NULL,
  description text NOT NULL CHECK (btrim(description) <> ''),
  drug_code   text REFERENCES ref.drugs (code),
  quantity    numeric(8, 2) NOT NULL DEFAULT 1 CHECK (quantity > 0),
  -- GST-inclusive (DESIGN §6: prices are shown GST-inclusive).
  unit_price  numeric(10, 2) NOT NULL CHECK (unit_price >= 0),
  line_total  numeric(10, 2) NOT NULL CHECK (line_total >= 0),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, payment_id) REFERENCES clinic.payments (clinic_id, id) ON DELETE CASCADE
);
CREATE INDEX payment_items_payment_idx ON clinic.payment_items (clinic_id, payment_id);

CREATE TABLE clinic.insurance_claims (
  clinic_id       uuid NOT NULL REFERENCES clinic.clinics (id),
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  payment_id      uuid NOT NULL,
  patient_id      uuid NOT NULL,
  scheme          text NOT NULL CHECK (scheme IN ('chas', 'medisave', 'private')),
  -- CHAS
  chas_card       clinic.chas_card_type,
  chas_tier       text CHECK (chas_tier IN ('common_illness', 'simple_chronic', 'complex_chronic')),
  -- MediSave (CDMP)
  medisave_scheme text CHECK (medisave_scheme IN ('cdmp')),
  medisave_tier   text CHECK (medisave_tier IN ('simple_chronic', 'complex_chronic')),
  insurer         text,
  claim_amount    numeric(10, 2) NOT NULL CHECK (claim_amount >= 0),
  status          text NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'paid')),
  external_ref    text,
  submitted_at    timestamptz,
  decided_at      timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, payment_id) REFERENCES clinic.payments (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id),
  CHECK (scheme <> 'chas' OR (chas_card IS NOT NULL AND chas_tier IS NOT NULL)),
  CHECK (scheme <> 'medisave' OR (medisave_scheme IS NOT NULL AND medisave_tier IS NOT NULL)),
  CHECK (scheme <> 'private' OR insurer IS NOT NULL)
);
CREATE INDEX insurance_claims_patient_idx ON clinic.insurance_claims (clinic_id, patient_id, created_at);
CREATE INDEX insurance_claims_payment_idx ON clinic.insurance_claims (clinic_id, payment_id);

-- ---------------------------------------------------------------------------------------------------------------
-- Communication
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE clinic.notifications (
  clinic_id    uuid NOT NULL REFERENCES clinic.clinics (id),
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id   uuid,
  user_id      uuid,
  channel      clinic.notification_channel NOT NULL,
  template     text NOT NULL CHECK (template ~ '^[a-z][a-z0-9_.]{1,63}$'),
  params       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(params) = 'object'),
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
  scheduled_at timestamptz NOT NULL DEFAULT now(),
  sent_at      timestamptz,
  attempts     integer NOT NULL DEFAULT 0,
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id),
  FOREIGN KEY (clinic_id, user_id) REFERENCES clinic.users (clinic_id, id),
  CHECK (patient_id IS NOT NULL OR user_id IS NOT NULL)
);
CREATE INDEX notifications_due_idx ON clinic.notifications (clinic_id, scheduled_at) WHERE status = 'pending';
CREATE INDEX notifications_patient_idx ON clinic.notifications (clinic_id, patient_id);

CREATE TABLE clinic.sms_messages (
  clinic_id           uuid NOT NULL REFERENCES clinic.clinics (id),
  id                  uuid NOT NULL DEFAULT gen_random_uuid(),
  notification_id     uuid,
  patient_id          uuid,
  to_phone            text NOT NULL CHECK (to_phone ~ '^\+[0-9]{8,15}$'),
  body                text NOT NULL,
  provider            text NOT NULL,
  provider_message_id text,
  status              text NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'failed')),
  sent_at             timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, notification_id) REFERENCES clinic.notifications (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id)
);
CREATE INDEX sms_messages_patient_idx ON clinic.sms_messages (clinic_id, patient_id);

CREATE TABLE clinic.whatsapp_messages (
  clinic_id           uuid NOT NULL REFERENCES clinic.clinics (id),
  id                  uuid NOT NULL DEFAULT gen_random_uuid(),
  notification_id     uuid,
  patient_id          uuid,
  to_phone            text NOT NULL CHECK (to_phone ~ '^\+[0-9]{8,15}$'),
  template_name       text,
  body                text NOT NULL,
  provider            text NOT NULL,
  provider_message_id text,
  status              text NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed')),
  sent_at             timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, notification_id) REFERENCES clinic.notifications (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id)
);
CREATE INDEX whatsapp_messages_patient_idx ON clinic.whatsapp_messages (clinic_id, patient_id);

CREATE TABLE clinic.email_messages (
  clinic_id           uuid NOT NULL REFERENCES clinic.clinics (id),
  id                  uuid NOT NULL DEFAULT gen_random_uuid(),
  notification_id     uuid,
  patient_id          uuid,
  to_address          text NOT NULL CHECK (to_address ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  subject             text NOT NULL,
  body                text NOT NULL,
  provider            text NOT NULL,
  provider_message_id text,
  status              text NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'bounced', 'failed')),
  sent_at             timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, notification_id) REFERENCES clinic.notifications (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id)
);
CREATE INDEX email_messages_patient_idx ON clinic.email_messages (clinic_id, patient_id);

-- ---------------------------------------------------------------------------------------------------------------
-- System
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE clinic.system_settings (
  clinic_id  uuid NOT NULL REFERENCES clinic.clinics (id),
  key        text NOT NULL REFERENCES ref.setting_defaults (key),
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, key)
);

-- A clinic's override has the JSON type of the chain default (a number stays a number).
CREATE FUNCTION clinic.check_setting_type() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF jsonb_typeof(NEW.value) IS DISTINCT FROM (SELECT jsonb_typeof(value) FROM ref.setting_defaults WHERE key = NEW.key) THEN
    RAISE EXCEPTION USING ERRCODE = 'GC400', COLUMN = 'value',
      MESSAGE = format('Setting %s must be a JSON %s.', NEW.key,
                       (SELECT jsonb_typeof(value) FROM ref.setting_defaults WHERE key = NEW.key));
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER check_setting_type BEFORE INSERT OR UPDATE ON clinic.system_settings
  FOR EACH ROW EXECUTE FUNCTION clinic.check_setting_type();

-- The clinic's value, else the chain default.
CREATE FUNCTION clinic.setting(p_clinic_id uuid, p_key text) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
  SELECT coalesce((SELECT value FROM clinic.system_settings WHERE clinic_id = p_clinic_id AND key = p_key),
                  (SELECT value FROM ref.setting_defaults WHERE key = p_key))
$$;

CREATE TABLE clinic.feature_flags (
  clinic_id       uuid NOT NULL REFERENCES clinic.clinics (id),
  key             text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_.]{1,63}$'),
  enabled         boolean NOT NULL DEFAULT false,
  rollout_percent integer NOT NULL DEFAULT 100 CHECK (rollout_percent BETWEEN 0 AND 100),
  description     text,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, key)
);

-- Percentage rollout: a subject (user or station) falls in a stable bucket 0-99 per flag, so raising the
-- percentage only ever adds subjects.
CREATE FUNCTION clinic.feature_enabled(p_clinic_id uuid, p_key text, p_subject uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
  SELECT coalesce((SELECT f.enabled AND
                          (get_byte(sha256(convert_to(p_key || ':' || p_subject::text, 'UTF8')), 0) * 256
                           + get_byte(sha256(convert_to(p_key || ':' || p_subject::text, 'UTF8')), 1)) % 100
                          < f.rollout_percent
                     FROM clinic.feature_flags f WHERE f.clinic_id = p_clinic_id AND f.key = p_key), false)
$$;

CREATE TABLE clinic.telemedicine_sessions (
  clinic_id      uuid NOT NULL REFERENCES clinic.clinics (id),
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  appointment_id uuid NOT NULL,
  provider       text NOT NULL DEFAULT 'daily',
  room_name      text NOT NULL,
  status         text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'live', 'ended', 'failed')),
  started_at     timestamptz,
  ended_at       timestamptz,
  metrics        jsonb NOT NULL DEFAULT '{}' CHECK (clinic.jsonb_shape_ok(metrics,
                   '{"duration_s":"number","packet_loss_pct":"number","avg_bitrate_kbps":"number","reconnects":"number"}')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, room_name),
  FOREIGN KEY (clinic_id, appointment_id) REFERENCES clinic.appointments (clinic_id, id),
  CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX telemedicine_sessions_appointment_idx ON clinic.telemedicine_sessions (clinic_id, appointment_id);

-- ---------------------------------------------------------------------------------------------------------------
-- Health screening, feedback, consent
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE clinic.health_screening_packages (
  clinic_id  uuid NOT NULL REFERENCES clinic.clinics (id),
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  code       text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,19}$'),
  name       text NOT NULL,
  price      numeric(10, 2) NOT NULL CHECK (price >= 0),
  tests      jsonb NOT NULL DEFAULT '[]' CHECK (clinic.jsonb_string_array_ok(tests)),
  is_active  boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, code)
);

CREATE TABLE clinic.health_screening_results (
  clinic_id    uuid NOT NULL REFERENCES clinic.clinics (id),
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  package_id   uuid NOT NULL,
  patient_id   uuid NOT NULL,
  doctor_id    uuid,
  performed_at timestamptz NOT NULL,
  -- {"<test>": {"value": ..., "unit": "...", "flag": "..."}}: checked per entry below.
  results      jsonb NOT NULL DEFAULT '{}',
  summary      text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, package_id) REFERENCES clinic.health_screening_packages (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id),
  FOREIGN KEY (clinic_id, doctor_id) REFERENCES clinic.doctors (clinic_id, id)
);
CREATE INDEX health_screening_results_patient_idx ON clinic.health_screening_results (clinic_id, patient_id);

CREATE FUNCTION clinic.screening_results_ok(p_doc jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, clinic, pg_temp AS $$
  SELECT jsonb_typeof(p_doc) = 'object'
     AND NOT EXISTS (SELECT 1 FROM jsonb_each(p_doc) e
                      WHERE NOT clinic.jsonb_shape_ok(e.value, '{"value":"number","text":"string","unit":"string","flag":"string"}'))
$$;
ALTER TABLE clinic.health_screening_results ADD CHECK (clinic.screening_results_ok(results));

-- Seed 000's critical defect: feedback referenced a public.users that does not exist. It belongs to the tenant and
-- references clinic.users by the composite tenant key.
CREATE TABLE clinic.user_feedback (
  clinic_id  uuid NOT NULL REFERENCES clinic.clinics (id),
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id    uuid NOT NULL,
  category   text NOT NULL CHECK (category IN ('bug', 'idea', 'praise', 'other')),
  rating     integer CHECK (rating BETWEEN 1 AND 5),
  message    text NOT NULL CHECK (length(message) BETWEEN 1 AND 4000),
  context    jsonb NOT NULL DEFAULT '{}' CHECK (clinic.jsonb_shape_ok(context,
               '{"screen":"string","station_role":"string","app_version":"string"}')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, user_id) REFERENCES clinic.users (clinic_id, id)
);
CREATE INDEX user_feedback_user_idx ON clinic.user_feedback (clinic_id, user_id);

-- PDPA consent (seed 001 §8): one row per grant; withdrawal stamps the row, it is never deleted or overwritten.
CREATE TABLE clinic.consent_records (
  clinic_id          uuid NOT NULL REFERENCES clinic.clinics (id),
  id                 uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id         uuid NOT NULL,
  purpose            text NOT NULL CHECK (purpose IN ('treatment', 'appointment_reminders', 'marketing',
                                                      'research', 'data_sharing_nehr', 'telemedicine')),
  channel            text NOT NULL CHECK (channel IN ('in_person', 'paper', 'online', 'phone')),
  granted_at         timestamptz NOT NULL DEFAULT now(),
  withdrawn_at       timestamptz,
  recorded_by_user   uuid,
  evidence           text,
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, patient_id) REFERENCES clinic.patients (clinic_id, id),
  FOREIGN KEY (clinic_id, recorded_by_user) REFERENCES clinic.users (clinic_id, id),
  CHECK (withdrawn_at IS NULL OR withdrawn_at >= granted_at)
);
-- At most one live consent per purpose; a new grant after withdrawal is a new row.
CREATE UNIQUE INDEX consent_records_live_idx ON clinic.consent_records (clinic_id, patient_id, purpose)
  WHERE withdrawn_at IS NULL;

-- ---------------------------------------------------------------------------------------------------------------
-- Integrations (schema webhook): tenant tables like any other.
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE webhook.integration_webhooks (
  clinic_id    uuid NOT NULL REFERENCES clinic.clinics (id),
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  provider     text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_]{1,31}$'),
  name         text NOT NULL,
  -- Where the signing secret is held (key provider reference), never the secret itself.
  secret_ref   text NOT NULL,
  max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts BETWEEN 1 AND 50),
  is_active    boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, provider, name)
);

CREATE TABLE webhook.webhook_events (
  clinic_id        uuid NOT NULL REFERENCES clinic.clinics (id),
  id               uuid NOT NULL DEFAULT gen_random_uuid(),
  webhook_id       uuid NOT NULL,
  event_id         text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
  event_type       text NOT NULL,
  payload          jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
  signature        text,
  received_at      timestamptz NOT NULL DEFAULT now(),
  status           clinic.webhook_event_status NOT NULL DEFAULT 'pending',
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  lease_expires_at timestamptz,
  locked_by        text,
  last_error       text,
  processed_at     timestamptz,
  PRIMARY KEY (clinic_id, id),
  UNIQUE (clinic_id, webhook_id, event_id),
  FOREIGN KEY (clinic_id, webhook_id) REFERENCES webhook.integration_webhooks (clinic_id, id),
  CHECK ((status = 'processing') = (lease_expires_at IS NOT NULL))
);
-- The claim query: ready events by due time. Pending/failed are the claimable states; processing rows whose lease
-- ran out are found by the second index.
CREATE INDEX webhook_events_ready_idx ON webhook.webhook_events (next_attempt_at) WHERE status IN ('pending', 'failed');
CREATE INDEX webhook_events_lease_idx ON webhook.webhook_events (lease_expires_at) WHERE status = 'processing';

CREATE TABLE webhook.webhook_logs (
  clinic_id   uuid NOT NULL REFERENCES clinic.clinics (id),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  event_id    uuid NOT NULL,
  attempt     integer NOT NULL,
  worker      text NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'dead_letter', 'lease_lost', 'replayed')),
  error       text,
  duration_ms integer,
  logged_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, id),
  FOREIGN KEY (clinic_id, event_id) REFERENCES webhook.webhook_events (clinic_id, id)
);
CREATE INDEX webhook_logs_event_idx ON webhook.webhook_logs (clinic_id, event_id, logged_at);

-- The raw payload, signature and identity of an event are evidence: once received they never change.
CREATE FUNCTION webhook.keep_payload_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NEW.payload IS DISTINCT FROM OLD.payload OR NEW.signature IS DISTINCT FROM OLD.signature
     OR NEW.event_id IS DISTINCT FROM OLD.event_id OR NEW.webhook_id IS DISTINCT FROM OLD.webhook_id
     OR NEW.clinic_id IS DISTINCT FROM OLD.clinic_id OR NEW.received_at IS DISTINCT FROM OLD.received_at
     OR NEW.event_type IS DISTINCT FROM OLD.event_type THEN
    RAISE EXCEPTION USING ERRCODE = 'GC409', MESSAGE = 'A received webhook event''s payload and signature are immutable.';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER keep_payload_immutable BEFORE UPDATE ON webhook.webhook_events
  FOR EACH ROW EXECUTE FUNCTION webhook.keep_payload_immutable();

DO $$
DECLARE
  v_table text;
BEGIN
  FOREACH v_table IN ARRAY ARRAY['medical_records', 'prescriptions', 'payments', 'insurance_claims',
                                 'telemedicine_sessions'] LOOP
    EXECUTE format('CREATE TRIGGER touch_updated_at BEFORE UPDATE ON clinic.%I '
                   'FOR EACH ROW EXECUTE FUNCTION clinic.touch_updated_at()', v_table);
  END LOOP;
END
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA clinic FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA webhook FROM PUBLIC;
