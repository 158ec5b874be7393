-- Domain enums (seed 000 §1), in the clinic schema beside the tables that use them.

CREATE TYPE clinic.user_role AS ENUM (
  'receptionist', 'nurse', 'doctor', 'clinic_admin', 'chain_admin', 'integration_worker', 'read_only_analytics'
);

CREATE TYPE clinic.appointment_status AS ENUM (
  'scheduled', 'confirmed', 'checked_in', 'in_consultation', 'completed', 'cancelled', 'no_show'
);

CREATE TYPE clinic.payment_status AS ENUM ('pending', 'paid', 'partially_paid', 'refunded', 'voided');

CREATE TYPE clinic.gender AS ENUM ('male', 'female', 'other');

CREATE TYPE clinic.chas_card_type AS ENUM ('blue', 'orange', 'green', 'merdeka_generation', 'pioneer_generation');

CREATE TYPE clinic.notification_channel AS ENUM ('sms', 'whatsapp', 'email', 'push', 'in_app');

CREATE TYPE clinic.queue_status AS ENUM ('waiting', 'called', 'completed', 'skipped', 'no_show', 'cancelled');

CREATE TYPE clinic.document_type AS ENUM (
  'medical_certificate', 'referral_letter', 'receipt', 'tax_invoice', 'lab_report', 'prescription'
);

CREATE TYPE clinic.webhook_event_status AS ENUM ('pending', 'processing', 'succeeded', 'failed', 'dead_letter');
