-- Webhook processing and background jobs (seed 000 §8, §10; seed 001 §5.2; issue 3 §5).
--
-- webhook.webhook_events (007) holds each received event once per (clinic, webhook, event id) with its raw payload
-- and signature immutable. This adds the state machine around it:
--
--   pending --claim--> processing --ok--> succeeded
--                        |   \--error, attempts left--> failed --(next_attempt_at)--> claimable again
--                        |   \--error, last attempt---> dead_letter --replay--> pending (attempts 0)
--                        \--lease expired (worker died)--> claimable again ("lease_lost" logged)
--
-- * claim: FOR UPDATE SKIP LOCKED, so concurrent workers never take the same event, and a lease: a worker that dies
--   leaves the row 'processing' with a lease that runs out, after which any worker reclaims it.
-- * exactly once: the worker applies an event's effects and calls finish_* in one transaction that first re-locks
--   the row and checks it still holds the lease (hold_*). A killed worker's transaction rolls back with its
--   effects; a worker whose lease was taken over finds finish_* answering 'lease_lost' and rolls back.
-- * backoff: attempt n waits least(cap, base * 2^(n-1)); base and cap are settings (chain default, clinic override).
--
-- Jobs: ops.jobs, the same state machine for chain-wide work (partition upkeep, metrics refresh, retention purge).
-- Chosen over graphile-worker on evidence written down in docs/database.md ("Jobs: a table, not graphile-worker").
--
-- The worker role (clinic_integration) has no privilege on any table: it works through these SECURITY DEFINER
-- functions only (docs/security/rls-matrix.md).

INSERT INTO ref.setting_defaults (key, value, description) VALUES
  ('webhook.backoff_base_seconds', '30', 'First retry delay of a failed webhook event; doubles per attempt.'),
  ('webhook.backoff_cap_seconds', '3600', 'Longest delay between two attempts of a webhook event.'),
  ('retention.jobs_days', '30', 'Days finished background jobs are kept.');

-- Capped exponential backoff: attempt 1 waits base, attempt 2 twice that, ... never more than cap.
CREATE FUNCTION ops.backoff(p_attempt integer, p_base_seconds numeric, p_cap_seconds numeric) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT make_interval(secs => least(p_cap_seconds,
                                     p_base_seconds * power(2::numeric, least(greatest(p_attempt, 1) - 1, 40)))::double precision)
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Webhook events
-- ---------------------------------------------------------------------------------------------------------------

-- The receiving endpoint: stores the event once. A provider's retry of the same event id is a duplicate and is
-- ignored (answered with the first row's id), whatever it carries.
CREATE FUNCTION webhook.receive_event(p_clinic_id uuid, p_webhook_id uuid, p_event_id text, p_event_type text,
                                      p_payload jsonb, p_signature text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_id uuid;
  v_same boolean;
BEGIN
  INSERT INTO webhook.webhook_events (clinic_id, webhook_id, event_id, event_type, payload, signature)
  VALUES (p_clinic_id, p_webhook_id, p_event_id, p_event_type, p_payload, p_signature)
  ON CONFLICT (clinic_id, webhook_id, event_id) DO NOTHING
  RETURNING id INTO v_id;
  IF v_id IS NOT NULL THEN
    RETURN jsonb_build_object('id', v_id, 'duplicate', false);
  END IF;
  SELECT id, payload = p_payload INTO v_id, v_same FROM webhook.webhook_events
   WHERE clinic_id = p_clinic_id AND webhook_id = p_webhook_id AND event_id = p_event_id;
  RETURN jsonb_build_object('id', v_id, 'duplicate', true, 'same_payload', v_same);
END
$$;

CREATE FUNCTION webhook.log(p_event webhook.webhook_events, p_worker text, p_outcome text, p_error text,
                            p_duration_ms integer) RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
  INSERT INTO webhook.webhook_logs (clinic_id, event_id, attempt, worker, outcome, error, duration_ms)
  VALUES (p_event.clinic_id, p_event.id, p_event.attempts, p_worker, p_outcome, left(p_error, 2000), p_duration_ms)
$$;

-- Claims up to p_limit events that are due (pending, or failed and past next_attempt_at) or whose lease ran out,
-- for p_lease_seconds. Each claim is one attempt. A reclaimed event whose last attempt was the one that died goes
-- to the dead letter instead.
CREATE FUNCTION webhook.claim_events(p_worker text, p_limit integer DEFAULT 10, p_lease_seconds integer DEFAULT 60)
RETURNS SETOF webhook.webhook_events
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  r record;
  v webhook.webhook_events;
BEGIN
  IF coalesce(btrim(p_worker), '') = '' OR p_lease_seconds IS NULL OR p_lease_seconds < 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'GC400', MESSAGE = 'claim_events needs a worker name and a lease of at least 1 s.';
  END IF;
  FOR r IN
    SELECT e AS ev, w.max_attempts
      FROM webhook.webhook_events e
      JOIN webhook.integration_webhooks w ON w.clinic_id = e.clinic_id AND w.id = e.webhook_id
     WHERE ((e.status IN ('pending', 'failed') AND e.next_attempt_at <= now())
            OR (e.status = 'processing' AND e.lease_expires_at <= now()))
       AND w.is_active
     ORDER BY e.next_attempt_at
     LIMIT greatest(p_limit, 0)
       FOR UPDATE OF e SKIP LOCKED
  LOOP
    v := r.ev;
    IF v.status = 'processing' THEN
      PERFORM webhook.log(v, v.locked_by, 'lease_lost', format('lease expired at %s; reclaimed by %s', v.lease_expires_at, p_worker), NULL);
      IF v.attempts >= r.max_attempts THEN
        UPDATE webhook.webhook_events
           SET status = 'dead_letter', lease_expires_at = NULL, locked_by = NULL,
               last_error = 'the last attempt''s worker stopped without finishing'
         WHERE clinic_id = v.clinic_id AND id = v.id
        RETURNING * INTO v;
        PERFORM webhook.log(v, p_worker, 'dead_letter', v.last_error, NULL);
        CONTINUE;
      END IF;
    END IF;
    UPDATE webhook.webhook_events
       SET status = 'processing', attempts = attempts + 1, locked_by = p_worker,
           lease_expires_at = now() + make_interval(secs => p_lease_seconds)
     WHERE clinic_id = v.clinic_id AND id = v.id
    RETURNING * INTO v;
    RETURN NEXT v;
  END LOOP;
END
$$;

-- Called first in the transaction that applies the event: re-locks the row and returns it if p_worker still
-- holds the lease (NULL otherwise). While this transaction is open no other worker can reclaim the event.
CREATE FUNCTION webhook.hold_event(p_clinic_id uuid, p_id uuid, p_worker text) RETURNS webhook.webhook_events
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
  SELECT * FROM webhook.webhook_events
   WHERE clinic_id = p_clinic_id AND id = p_id AND status = 'processing' AND locked_by = p_worker
     FOR UPDATE
$$;

-- The outcome of an attempt: p_error NULL is success. Returns the new status, or 'lease_lost' when p_worker no
-- longer holds the event (the caller must then roll back whatever it did).
CREATE FUNCTION webhook.finish_event(p_clinic_id uuid, p_id uuid, p_worker text, p_error text DEFAULT NULL,
                                     p_duration_ms integer DEFAULT NULL) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v webhook.webhook_events;
  v_max integer;
BEGIN
  SELECT e.* INTO v FROM webhook.webhook_events e WHERE e.clinic_id = p_clinic_id AND e.id = p_id FOR UPDATE;
  IF NOT FOUND OR v.status <> 'processing' OR v.locked_by IS DISTINCT FROM p_worker THEN
    RETURN 'lease_lost';
  END IF;
  SELECT max_attempts INTO v_max FROM webhook.integration_webhooks WHERE clinic_id = v.clinic_id AND id = v.webhook_id;
  IF p_error IS NULL THEN
    UPDATE webhook.webhook_events
       SET status = 'succeeded', processed_at = now(), lease_expires_at = NULL, locked_by = NULL, last_error = NULL
     WHERE clinic_id = v.clinic_id AND id = v.id RETURNING * INTO v;
  ELSIF v.attempts >= v_max THEN
    UPDATE webhook.webhook_events
       SET status = 'dead_letter', lease_expires_at = NULL, locked_by = NULL, last_error = left(p_error, 2000)
     WHERE clinic_id = v.clinic_id AND id = v.id RETURNING * INTO v;
  ELSE
    UPDATE webhook.webhook_events
       SET status = 'failed', lease_expires_at = NULL, locked_by = NULL, last_error = left(p_error, 2000),
           next_attempt_at = now() + ops.backoff(v.attempts,
                                                 (clinic.setting(v.clinic_id, 'webhook.backoff_base_seconds') #>> '{}')::numeric,
                                                 (clinic.setting(v.clinic_id, 'webhook.backoff_cap_seconds') #>> '{}')::numeric)
     WHERE clinic_id = v.clinic_id AND id = v.id RETURNING * INTO v;
  END IF;
  PERFORM webhook.log(v, p_worker, v.status::text, p_error, p_duration_ms);
  RETURN v.status::text;
END
$$;

-- Replay (the `webhooks replay <id>` command): a dead-lettered or failed event goes back to pending with a fresh
-- attempt budget, due now. The payload is the one received; the logs keep the history.
CREATE FUNCTION webhook.replay_event(p_id uuid, p_by text DEFAULT 'replay') RETURNS webhook.webhook_events
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v webhook.webhook_events;
BEGIN
  SELECT * INTO v FROM webhook.webhook_events WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'GC404', MESSAGE = format('There is no webhook event %s.', p_id);
  END IF;
  IF v.status NOT IN ('dead_letter', 'failed') THEN
    RAISE EXCEPTION USING ERRCODE = 'GC409',
      MESSAGE = format('Webhook event %s is %s; only a dead-lettered or failed event can be replayed.', p_id, v.status);
  END IF;
  PERFORM webhook.log(v, p_by, 'replayed', v.last_error, NULL);
  UPDATE webhook.webhook_events
     SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL
   WHERE clinic_id = v.clinic_id AND id = v.id RETURNING * INTO v;
  RETURN v;
END
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Jobs (schema ops: chain-wide infrastructure; clinic_id says which clinic a job concerns, NULL for all)
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE ops.jobs (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind             text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]{1,63}$'),
  clinic_id        uuid REFERENCES clinic.clinics (id),
  payload          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
  -- A periodic job's period ("2026-11-21"): the same kind and key is enqueued once, however many workers run.
  dedupe_key       text,
  status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'processing', 'succeeded', 'failed', 'dead_letter')),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts     integer NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 50),
  run_at           timestamptz NOT NULL DEFAULT now(),
  lease_expires_at timestamptz,
  locked_by        text,
  last_error       text,
  result           jsonb CHECK (result IS NULL OR jsonb_typeof(result) = 'object'),
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  UNIQUE (kind, dedupe_key),
  CHECK ((status = 'processing') = (lease_expires_at IS NOT NULL))
);
CREATE INDEX jobs_ready_idx ON ops.jobs (run_at) WHERE status IN ('pending', 'failed');
CREATE INDEX jobs_lease_idx ON ops.jobs (lease_expires_at) WHERE status = 'processing';
CREATE INDEX jobs_finished_idx ON ops.jobs (finished_at) WHERE status IN ('succeeded', 'dead_letter');

CREATE FUNCTION ops.enqueue_job(p_kind text, p_payload jsonb DEFAULT '{}', p_run_at timestamptz DEFAULT now(),
                                p_dedupe_key text DEFAULT NULL, p_clinic_id uuid DEFAULT NULL,
                                p_max_attempts integer DEFAULT 5) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v bigint;
BEGIN
  INSERT INTO ops.jobs (kind, payload, run_at, dedupe_key, clinic_id, max_attempts)
  VALUES (p_kind, coalesce(p_payload, '{}'), coalesce(p_run_at, now()), p_dedupe_key, p_clinic_id, p_max_attempts)
  ON CONFLICT (kind, dedupe_key) DO NOTHING
  RETURNING id INTO v;
  IF v IS NULL THEN
    SELECT id INTO v FROM ops.jobs WHERE kind = p_kind AND dedupe_key = p_dedupe_key;
  END IF;
  RETURN v;
END
$$;

-- The worker's schedule: each periodic job once per period, chain-wide.
CREATE FUNCTION ops.schedule_periodic() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_day text := to_char(now() AT TIME ZONE 'Asia/Singapore', 'YYYY-MM-DD');
  v_quarter_hour text := v_day || 'T' || to_char(date_trunc('hour', now() AT TIME ZONE 'Asia/Singapore')
                                                 + floor(extract(minute FROM now() AT TIME ZONE 'Asia/Singapore') / 15)
                                                   * interval '15 minutes', 'HH24:MI');
  v_before bigint := (SELECT count(*) FROM ops.jobs);
BEGIN
  PERFORM ops.enqueue_job('audit.partitions', '{}', now(), v_day);
  PERFORM ops.enqueue_job('metrics.refresh', '{}', now(), v_quarter_hour);
  PERFORM ops.enqueue_job('retention.purge', '{}', now(), v_day);
  RETURN (SELECT count(*) FROM ops.jobs) - v_before;
END
$$;

CREATE FUNCTION ops.claim_jobs(p_worker text, p_limit integer DEFAULT 5, p_lease_seconds integer DEFAULT 300,
                               p_kinds text[] DEFAULT NULL) RETURNS SETOF ops.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v ops.jobs;
BEGIN
  IF coalesce(btrim(p_worker), '') = '' OR p_lease_seconds IS NULL OR p_lease_seconds < 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'GC400', MESSAGE = 'claim_jobs needs a worker name and a lease of at least 1 s.';
  END IF;
  FOR v IN
    SELECT * FROM ops.jobs j
     WHERE ((j.status IN ('pending', 'failed') AND j.run_at <= now())
            OR (j.status = 'processing' AND j.lease_expires_at <= now()))
       AND (p_kinds IS NULL OR j.kind = ANY (p_kinds))
     ORDER BY j.run_at, j.id
     LIMIT greatest(p_limit, 0)
       FOR UPDATE SKIP LOCKED
  LOOP
    IF v.status = 'processing' AND v.attempts >= v.max_attempts THEN
      UPDATE ops.jobs SET status = 'dead_letter', lease_expires_at = NULL, locked_by = NULL, finished_at = now(),
                          last_error = format('lease of %s expired on the last attempt', v.locked_by)
       WHERE id = v.id;
      CONTINUE;
    END IF;
    UPDATE ops.jobs
       SET status = 'processing', attempts = attempts + 1, locked_by = p_worker,
           lease_expires_at = now() + make_interval(secs => p_lease_seconds),
           last_error = CASE WHEN v.status = 'processing' THEN format('lease of %s expired', v.locked_by) ELSE last_error END
     WHERE id = v.id RETURNING * INTO v;
    RETURN NEXT v;
  END LOOP;
END
$$;

CREATE FUNCTION ops.hold_job(p_id bigint, p_worker text) RETURNS ops.jobs
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
  SELECT * FROM ops.jobs WHERE id = p_id AND status = 'processing' AND locked_by = p_worker FOR UPDATE
$$;

CREATE FUNCTION ops.finish_job(p_id bigint, p_worker text, p_error text DEFAULT NULL, p_result jsonb DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v ops.jobs;
BEGIN
  SELECT * INTO v FROM ops.jobs WHERE id = p_id FOR UPDATE;
  IF NOT FOUND OR v.status <> 'processing' OR v.locked_by IS DISTINCT FROM p_worker THEN
    RETURN 'lease_lost';
  END IF;
  UPDATE ops.jobs
     SET status = CASE WHEN p_error IS NULL THEN 'succeeded' WHEN attempts >= max_attempts THEN 'dead_letter' ELSE 'failed' END,
         lease_expires_at = NULL, locked_by = NULL, last_error = left(p_error, 2000), result = p_result,
         finished_at = CASE WHEN p_error IS NULL OR attempts >= max_attempts THEN now() END,
         run_at = CASE WHEN p_error IS NULL OR attempts >= max_attempts THEN run_at
                       ELSE now() + ops.backoff(attempts, 30, 3600) END
   WHERE id = p_id RETURNING * INTO v;
  RETURN v.status;
END
$$;

CREATE FUNCTION ops.replay_job(p_id bigint) RETURNS ops.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v ops.jobs;
BEGIN
  UPDATE ops.jobs SET status = 'pending', attempts = 0, run_at = now(), finished_at = NULL
   WHERE id = p_id AND status IN ('dead_letter', 'failed') RETURNING * INTO v;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'GC409', MESSAGE = format('Job %s is not dead-lettered or failed.', p_id);
  END IF;
  RETURN v;
END
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- What the jobs do, as functions the worker role may call
-- ---------------------------------------------------------------------------------------------------------------
CREATE FUNCTION ops.audit_upkeep(p_months_ahead integer DEFAULT 3) RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
  SELECT jsonb_build_object('created', to_jsonb(audit.ensure_partitions(p_months_ahead)),
                            'detached', to_jsonb(audit.detach_expired()))
$$;

-- Notification dispatch: due notifications with where to send them. Called in the transaction that sends them and
-- records the outcome, so the row locks (SKIP LOCKED) keep two workers from sending the same one.
CREATE FUNCTION ops.claim_notifications(p_limit integer DEFAULT 50)
RETURNS TABLE (clinic_id uuid, id uuid, channel text, template text, params jsonb, attempts integer,
               patient_id uuid, user_id uuid, full_name text, phone text, email text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
  WITH due AS (
    SELECT n.clinic_id, n.id FROM clinic.notifications n
     WHERE n.status = 'pending' AND n.scheduled_at <= now()
     ORDER BY n.scheduled_at
     LIMIT greatest(p_limit, 0)
       FOR UPDATE SKIP LOCKED)
  SELECT n.clinic_id, n.id, n.channel::text, n.template, n.params, n.attempts, n.patient_id, n.user_id,
         coalesce(p.full_name, u.full_name), p.phone, p.email
    FROM due JOIN clinic.notifications n ON n.clinic_id = due.clinic_id AND n.id = due.id
    LEFT JOIN clinic.patients p ON p.clinic_id = n.clinic_id AND p.id = n.patient_id
    LEFT JOIN clinic.users u ON u.clinic_id = n.clinic_id AND u.id = n.user_id
$$;

-- Records one send: the message row of its channel and the notification's new state. A failure is retried on the
-- webhook backoff up to 5 attempts, then the notification is failed for good.
CREATE FUNCTION ops.notification_result(p_clinic_id uuid, p_id uuid, p_provider text, p_to text, p_subject text,
                                        p_body text, p_provider_message_id text, p_error text) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  n clinic.notifications;
BEGIN
  SELECT * INTO n FROM clinic.notifications WHERE clinic_id = p_clinic_id AND id = p_id FOR UPDATE;
  IF NOT FOUND OR n.status <> 'pending' THEN
    RETURN coalesce(n.status, 'missing');
  END IF;
  IF p_error IS NOT NULL THEN
    UPDATE clinic.notifications
       SET attempts = attempts + 1, last_error = left(p_error, 2000),
           status = CASE WHEN attempts + 1 >= 5 THEN 'failed' ELSE 'pending' END,
           scheduled_at = now() + ops.backoff(attempts + 1, 60, 3600)
     WHERE clinic_id = p_clinic_id AND id = p_id RETURNING * INTO n;
    RETURN n.status;
  END IF;
  IF n.channel = 'sms' THEN
    INSERT INTO clinic.sms_messages (clinic_id, notification_id, patient_id, to_phone, body, provider, provider_message_id, status, sent_at)
    VALUES (p_clinic_id, p_id, n.patient_id, p_to, p_body, p_provider, p_provider_message_id, 'sent', now());
  ELSIF n.channel = 'whatsapp' THEN
    INSERT INTO clinic.whatsapp_messages (clinic_id, notification_id, patient_id, to_phone, template_name, body, provider, provider_message_id, status, sent_at)
    VALUES (p_clinic_id, p_id, n.patient_id, p_to, n.template, p_body, p_provider, p_provider_message_id, 'sent', now());
  ELSIF n.channel = 'email' THEN
    INSERT INTO clinic.email_messages (clinic_id, notification_id, patient_id, to_address, subject, body, provider, provider_message_id, status, sent_at)
    VALUES (p_clinic_id, p_id, n.patient_id, p_to, coalesce(p_subject, n.template), p_body, p_provider, p_provider_message_id, 'sent', now());
  END IF;
  UPDATE clinic.notifications SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL
   WHERE clinic_id = p_clinic_id AND id = p_id;
  RETURN 'sent';
END
$$;

REVOKE ALL ON ALL TABLES IN SCHEMA ops FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA ops FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA webhook FROM PUBLIC;
GRANT USAGE ON SCHEMA ops, webhook TO clinic_integration;
GRANT EXECUTE ON FUNCTION
  webhook.receive_event(uuid, uuid, text, text, jsonb, text),
  webhook.claim_events(text, integer, integer),
  webhook.hold_event(uuid, uuid, text),
  webhook.finish_event(uuid, uuid, text, text, integer),
  webhook.replay_event(uuid, text),
  ops.backoff(integer, numeric, numeric),
  ops.enqueue_job(text, jsonb, timestamptz, text, uuid, integer),
  ops.schedule_periodic(),
  ops.claim_jobs(text, integer, integer, text[]),
  ops.hold_job(bigint, text),
  ops.finish_job(bigint, text, text, jsonb),
  ops.replay_job(bigint),
  ops.audit_upkeep(integer),
  ops.claim_notifications(integer),
  ops.notification_result(uuid, uuid, text, text, text, text, text, text)
TO clinic_integration;
