-- Staff sign in only at an enrolled station, through the gateway (018: clinic.sign_in_at_station). The old
-- sign_in takes the station's code and role from the caller and creates the station at its first sign-in, so
-- anything holding a clinic_station connection could claim any station, desk letter included. It stays for the
-- owner (tests and tools that act as the owner) until nothing calls it.
REVOKE EXECUTE ON FUNCTION clinic.sign_in(text, text, text, text, text) FROM clinic_station;
