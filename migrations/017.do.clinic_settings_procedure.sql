-- Clinic settings from stations (issue 5): which languages the waiting-room voice calls use, and in what order, is
-- a setting of the clinic, not of each display PC. It lives where every setting lives (007): a chain default in
-- ref.setting_defaults, a clinic's override in clinic.system_settings, the effective value from clinic.setting().
--
-- * ref.setting_defaults.for_stations marks the settings stations read (clinic.settings_for_station, fetched at
--   every sync and cached for offline use) and that the clinic manager may change from a station
--   (clinic.set_setting). Everything else (retention periods, webhook backoff, GST rounding) stays out of a
--   station's reach: a retention period set from the front desk could purge records.
-- * clinic.set_setting is a station procedure like the queue's: idempotent by request key, acting as the verified
--   session, GC400/GC403 refusals in words. Only clinic_admin and chain_admin may change a setting, and only of the
--   clinic they are signed in at. system_settings is not in the change feed: stations poll settings_for_station.

ALTER TABLE ref.setting_defaults ADD COLUMN for_stations boolean NOT NULL DEFAULT false;

-- The codes of announcementLanguages in src/shared/announcement.ts, in the order a new clinic hears them.
INSERT INTO ref.setting_defaults (key, value, description, for_stations) VALUES
  ('announcement.languages', '["en", "zh", "ms", "ta"]',
   'Languages of the waiting-room voice calls, in the order they are spoken: en, zh, ms, ta.', true);

-- args: {key, value} -> {key, value}: the clinic's own value of one station setting.
CREATE FUNCTION clinic.set_setting(p_request_key uuid, p_args jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
  v_prior jsonb;
  v_key text;
  v_value jsonb;
  v_default ref.setting_defaults;
  v_bad text;
BEGIN
  v_prior := clinic.request_begin(s.clinic_id, p_request_key, 'set_setting', p_args);
  IF v_prior IS NOT NULL THEN
    RETURN v_prior;
  END IF;
  IF s.role NOT IN ('clinic_admin', 'chain_admin') THEN
    PERFORM clinic.fail('GC403', 'Only the clinic manager (admin) can change clinic settings.');
  END IF;

  v_key := clinic.arg_text(p_args, 'key', 'Setting', true, 64);
  SELECT * INTO v_default FROM ref.setting_defaults WHERE key = v_key;
  IF NOT FOUND THEN
    PERFORM clinic.fail('GC400', format('There is no setting %s.', v_key), 'key');
  END IF;
  IF NOT v_default.for_stations THEN
    PERFORM clinic.fail('GC403', format('Setting %s is not changed from a station; ask head office.', v_key), 'key');
  END IF;
  v_value := p_args -> 'value';
  IF v_value IS NULL OR jsonb_typeof(v_value) = 'null' THEN
    PERFORM clinic.fail('GC400', format('A value for %s is required.', v_key), 'value');
  END IF;
  IF jsonb_typeof(v_value) <> jsonb_typeof(v_default.value) THEN
    PERFORM clinic.fail('GC400', format('Setting %s must be a JSON %s.', v_key, jsonb_typeof(v_default.value)), 'value');
  END IF;

  IF v_key = 'announcement.languages' THEN
    IF jsonb_array_length(v_value) = 0 THEN
      PERFORM clinic.fail('GC400', 'Choose at least one language for the voice calls.', 'value');
    END IF;
    SELECT string_agg(coalesce(e #>> '{}', e::text), ', ') INTO v_bad
      FROM jsonb_array_elements(v_value) e
     WHERE jsonb_typeof(e) <> 'string' OR e #>> '{}' NOT IN ('en', 'zh', 'ms', 'ta');
    IF v_bad IS NOT NULL THEN
      PERFORM clinic.fail('GC400', format('Unknown announcement language: %s (use en, zh, ms, ta).', v_bad), 'value');
    END IF;
    IF (SELECT count(DISTINCT e) <> count(*) FROM jsonb_array_elements(v_value) e) THEN
      PERFORM clinic.fail('GC400', 'Each announcement language may appear only once.', 'value');
    END IF;
  END IF;

  INSERT INTO clinic.system_settings (clinic_id, key, value, updated_at)
  VALUES (s.clinic_id, v_key, v_value, now())
  ON CONFLICT (clinic_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
  RETURN clinic.request_finish(s.clinic_id, p_request_key, jsonb_build_object('key', v_key, 'value', v_value));
END
$$;

-- {key: value} of every station setting for the signed-in session's clinic: the clinic's value, else the chain
-- default. Any signed-in station may read it, the display's device account included.
CREATE FUNCTION clinic.settings_for_station() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  s clinic.session_context := clinic.current_session();
BEGIN
  RETURN (SELECT coalesce(jsonb_object_agg(d.key, coalesce(o.value, d.value)), '{}'::jsonb)
            FROM ref.setting_defaults d
            LEFT JOIN clinic.system_settings o ON o.clinic_id = s.clinic_id AND o.key = d.key
           WHERE d.for_stations);
END
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA clinic FROM PUBLIC;
GRANT EXECUTE ON FUNCTION clinic.set_setting(uuid, jsonb), clinic.settings_for_station() TO clinic_station;
