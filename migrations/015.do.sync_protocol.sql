-- The sync handshake (issue 4): a station asks which sync protocol the centre speaks before it pushes
-- or pulls anything, so an outdated app or an unmigrated centre is told what to do instead of
-- writing rows the other side misreads. Bump `protocol` whenever the change feed, the procedures'
-- argument shapes or the pulled columns change incompatibly; raise `min_station_protocol` when the
-- centre stops serving older stations.

CREATE FUNCTION sync.protocol() RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT jsonb_build_object('protocol', 1, 'min_station_protocol', 1)
$$;

REVOKE EXECUTE ON FUNCTION sync.protocol() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync.protocol() TO clinic_station;
