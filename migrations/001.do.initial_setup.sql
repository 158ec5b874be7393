-- Schemas and extensions of the central database (seed 000 §1).
-- clinic: tenant data, one clinic_id per row; audit: append-only trail; archive: retired rows;
-- booking: online booking; webhook: inbound/outbound integration events.

CREATE SCHEMA IF NOT EXISTS clinic;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE SCHEMA IF NOT EXISTS archive;
CREATE SCHEMA IF NOT EXISTS booking;
CREATE SCHEMA IF NOT EXISTS webhook;

CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;

-- The group role stations act as (SET ROLE clinic_station). Roles are cluster-wide while migrations run per
-- database, so another database of the same cluster may have created it already, possibly at this very moment.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'clinic_station') THEN
    BEGIN
      CREATE ROLE clinic_station NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
END
$$;

-- New schemas grant nothing to PUBLIC; stations get exactly what later migrations grant them.
GRANT USAGE ON SCHEMA clinic TO clinic_station;
