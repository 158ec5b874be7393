-- A session ended because its station was revoked said "Your session has expired or was ended": revoking a station
-- also ends its sessions, and the session check came first. The station's revocation is now judged first, so the
-- desk is told the PC must be enrolled again, whichever gateway answers and whether or not it has heard yet.

CREATE OR REPLACE FUNCTION clinic.current_session() RETURNS clinic.session_context
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, clinic, public, pg_temp AS $$
DECLARE
  v_token text := lower(coalesce(current_setting('app.session_token', true), ''));
  v_at_station text := coalesce(current_setting('app.station_id', true), '');
  v clinic.session_context;
  v_station_revoked timestamptz;
  v_session_live boolean;
BEGIN
  IF v_token = '' THEN
    PERFORM clinic.fail('GC401', 'Please sign in first.');
  END IF;
  IF v_token !~ '^[0-9a-f]{64}$' THEN
    PERFORM clinic.fail('GC401', 'Your session is not valid. Please sign in again.');
  END IF;
  SELECT s.clinic_id, s.user_id, u.role, s.station_id, d.id, s.id, st.revoked_at,
         s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active
    INTO v.clinic_id, v.user_id, v.role, v.station_id, v.doctor_id, v.session_id, v_station_revoked, v_session_live
    FROM clinic.staff_sessions s
    JOIN clinic.users u ON u.clinic_id = s.clinic_id AND u.id = s.user_id
    JOIN clinic.stations st ON st.clinic_id = s.clinic_id AND st.id = s.station_id
    LEFT JOIN clinic.doctors d ON d.clinic_id = s.clinic_id AND d.user_id = s.user_id AND d.is_active
   WHERE s.token_hash = sha256(decode(v_token, 'hex'));
  IF FOUND AND v_station_revoked IS NOT NULL THEN
    PERFORM clinic.fail('GC401', 'This station was revoked at the centre and must be enrolled again.');
  END IF;
  IF NOT FOUND OR NOT v_session_live THEN
    PERFORM clinic.fail('GC401', 'Your session has expired or was ended. Please sign in again.');
  END IF;
  IF v_at_station <> '' AND v_at_station IS DISTINCT FROM v.station_id::text THEN
    PERFORM clinic.fail('GC401', 'This session was opened at another station. Please sign in again here.');
  END IF;
  RETURN v;
END
$$;
