-- The change feed's capture trigger (006) appended to sync.changes from a BEFORE ROW trigger. A BEFORE
-- INSERT trigger also fires for a row that INSERT ... ON CONFLICT then discards, which left a change
-- (with a newer seq) for a row that was never stored: a phantom stations would apply. Now the BEFORE
-- trigger only stamps sync_seq — it still fires once the row lock is held, so per row the seq order
-- is the modification order — and an AFTER ROW trigger, which fires only for rows actually written,
-- appends the change. TRUNCATE would empty a table without a change per row, so it is refused.

CREATE FUNCTION sync.stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  NEW.sync_seq := nextval('sync.change_seq');
  RETURN NEW;
END
$$;

CREATE FUNCTION sync.record() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_clinic_id uuid;
  v_image jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    v_clinic_id := (to_jsonb(OLD) ->> TG_ARGV[0])::uuid;
    INSERT INTO sync.changes (clinic_id, seq, table_name, row_id, op, row)
    VALUES (v_clinic_id, nextval('sync.change_seq'), TG_TABLE_NAME, OLD.id, 'D', NULL);
  ELSE
    -- Secrets never leave the centre, not even in the feed.
    v_image := to_jsonb(NEW) - 'password_hash' - 'token_hash' - 'nric_enc';
    v_clinic_id := (v_image ->> TG_ARGV[0])::uuid;
    INSERT INTO sync.changes (clinic_id, seq, table_name, row_id, op, row)
    VALUES (v_clinic_id, NEW.sync_seq, TG_TABLE_NAME, NEW.id, 'U', v_image);
  END IF;
  -- Delivered at commit, once per clinic and transaction; only a hint to pull now.
  PERFORM pg_notify('clinic_changes', v_clinic_id::text);
  RETURN NULL;
END
$$;

CREATE FUNCTION sync.refuse_truncate() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'GC403',
    MESSAGE = format('TRUNCATE of %I.%I would bypass the change feed that stations sync from; delete the rows instead.', TG_TABLE_SCHEMA, TG_TABLE_NAME);
END
$$;

DO $$
DECLARE
  v record;
BEGIN
  FOR v IN
    SELECT c.oid::regclass AS tbl, c.relname, t.tgargs
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE t.tgname = 'zz_sync_capture' AND NOT t.tgisinternal
  LOOP
    EXECUTE format('DROP TRIGGER zz_sync_capture ON %s', v.tbl);
    EXECUTE format('CREATE TRIGGER zz_sync_stamp BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION sync.stamp()', v.tbl);
    EXECUTE format('CREATE TRIGGER zz_sync_record AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION sync.record(%L)',
                   v.tbl, CASE v.relname WHEN 'clinics' THEN 'id' ELSE 'clinic_id' END);
    EXECUTE format('CREATE TRIGGER zz_sync_no_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION sync.refuse_truncate()', v.tbl);
  END LOOP;
END
$$;

DROP FUNCTION sync.capture();
REVOKE EXECUTE ON FUNCTION sync.stamp(), sync.record(), sync.refuse_truncate() FROM PUBLIC;
