-- The change feed stations pull (DESIGN §4): every write to a pulled table appends its row image to sync.changes
-- in the writing transaction; sync.pull hands changes out in (xid, seq) order but only below the horizon of the
-- oldest transaction still running, so a transaction that commits late can never slip in behind a station's cursor.

CREATE SCHEMA sync;

CREATE SEQUENCE sync.change_seq AS bigint;

CREATE TABLE sync.changes (
  clinic_id  uuid NOT NULL,
  seq        bigint NOT NULL,
  -- Top-level transaction id, also from inside subtransactions.
  xid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
  table_name text NOT NULL,
  row_id     uuid NOT NULL,
  op         char(1) NOT NULL CHECK (op IN ('U', 'D')),
  row        jsonb,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (clinic_id, seq),
  CHECK ((op = 'D') = (row IS NULL))
);
CREATE INDEX changes_cursor_idx ON sync.changes (clinic_id, xid, seq);

-- BEFORE row trigger, named zz_ so it runs after every other BEFORE trigger (touch_updated_at) and captures the row
-- as it will be stored. BEFORE row triggers fire once the row lock is held, so per row the seq order is the order
-- of modification; stations keep the row with the highest sync_seq.
-- TG_ARGV[0] names the column holding the clinic id ('id' for clinic.clinics itself).
-- Caution: a BEFORE INSERT trigger also fires for a row that INSERT ... ON CONFLICT then rejects, so on these tables
-- ON CONFLICT may only be used where a conflict aborts the transaction.
CREATE FUNCTION sync.capture() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_image jsonb;
  v_clinic_id uuid;
  v_seq bigint := nextval('sync.change_seq');
BEGIN
  IF TG_OP = 'DELETE' THEN
    v_clinic_id := (to_jsonb(OLD) ->> TG_ARGV[0])::uuid;
    INSERT INTO sync.changes (clinic_id, seq, table_name, row_id, op, row)
    VALUES (v_clinic_id, v_seq, TG_TABLE_NAME, OLD.id, 'D', NULL);
    PERFORM pg_notify('clinic_changes', v_clinic_id::text);
    RETURN OLD;
  END IF;
  NEW.sync_seq := v_seq;
  -- Secrets never leave the centre, not even in the feed.
  v_image := to_jsonb(NEW) - 'password_hash' - 'token_hash' - 'nric_enc';
  v_clinic_id := (v_image ->> TG_ARGV[0])::uuid;
  INSERT INTO sync.changes (clinic_id, seq, table_name, row_id, op, row)
  VALUES (v_clinic_id, v_seq, TG_TABLE_NAME, NEW.id, 'U', v_image);
  -- Delivered at commit, once per clinic and transaction; only a hint to pull now.
  PERFORM pg_notify('clinic_changes', v_clinic_id::text);
  RETURN NEW;
END
$$;

DO $$
DECLARE
  v_table text;
BEGIN
  FOREACH v_table IN ARRAY ARRAY['clinics', 'users', 'stations', 'rooms', 'patients', 'doctors', 'staff',
                                 'appointments', 'appointment_slots', 'queue_tickets', 'queue_calls'] LOOP
    EXECUTE format('ALTER TABLE clinic.%I ADD COLUMN sync_seq bigint NOT NULL DEFAULT 0', v_table);
    EXECUTE format('CREATE TRIGGER zz_sync_capture BEFORE INSERT OR UPDATE OR DELETE ON clinic.%I '
                   'FOR EACH ROW EXECUTE FUNCTION sync.capture(%L)',
                   v_table, CASE v_table WHEN 'clinics' THEN 'id' ELSE 'clinic_id' END);
  END LOOP;
END
$$;

-- {horizon, changes: [{seq, xid, table, id, op, row}]}: the clinic's changes after the cursor (p_after_xid,
-- p_after_seq), in (xid, seq) order, only from transactions below the horizon (every transaction below it has
-- ended, so nothing can appear there later). xid and horizon are decimal strings (xid8 exceeds 2^53).
-- p_tables NULL means every table. Security invoker: it reads sync.changes with the caller's rights, so the
-- row-level security that will cover the clinic tables covers the feed too.
CREATE FUNCTION sync.pull(p_clinic_id uuid, p_after_xid xid8, p_after_seq bigint, p_tables text[],
                          p_limit integer) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  v_changes jsonb;
BEGIN
  IF p_clinic_id IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'GC400', MESSAGE = 'sync.pull needs a clinic id.';
  END IF;
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 50000 THEN
    RAISE EXCEPTION USING ERRCODE = 'GC400', MESSAGE = 'sync.pull needs a limit between 1 and 50000.';
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object('seq', c.seq, 'xid', c.xid::text, 'table', c.table_name,
                                               'id', c.row_id, 'op', c.op, 'row', c.row)
                            ORDER BY c.xid, c.seq), '[]'::jsonb)
    INTO v_changes
    FROM (SELECT * FROM sync.changes
           WHERE clinic_id = p_clinic_id
             AND xid < v_horizon
             AND (xid, seq) > (coalesce(p_after_xid, '0'::xid8), coalesce(p_after_seq, 0))
             AND (p_tables IS NULL OR table_name = ANY (p_tables))
           ORDER BY xid, seq
           LIMIT p_limit) c;
  RETURN jsonb_build_object('horizon', v_horizon::text, 'changes', v_changes);
END
$$;

-- Users and patients carry column grants (secrets left out); the new column needs its own.
GRANT SELECT (sync_seq) ON clinic.users, clinic.patients TO clinic_station;
GRANT USAGE ON SCHEMA sync TO clinic_station;
GRANT SELECT ON sync.changes TO clinic_station;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA sync FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync.pull(uuid, xid8, bigint, text[], integer) TO clinic_station;
