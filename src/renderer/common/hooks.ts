import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { ClinicApi, EventName, EventPayload } from '../../shared/contract';
import { errorMessage } from './api';

export const ApiContext = createContext<ClinicApi | null>(null);

export function useApi(): ClinicApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside <ApiContext.Provider>');
  return api;
}

/** Subscribes to a station event for the lifetime of the component; the latest listener always runs. */
export function useStationEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): void {
  const api = useApi();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => api.on(event, (payload) => latest.current(payload)), [api, event]);
}

export interface Loaded<T> {
  data: T | undefined;
  /** The last failure; kept beside stale data so a screen can show both. */
  error: string | null;
  /** Nothing has arrived yet, neither data nor an error. */
  loading: boolean;
  reload: () => void;
}

/**
 * Loads with `load` on mount, whenever `reload` is called, and whenever `key` changes; answers that
 * arrive after a newer request started are dropped, so a slow reply never overwrites a fresher one.
 * Stale data stays on screen during a reload (queue lists refetch on every event and must not
 * flicker), but never across keys: data loaded for another key (another ticket's print preview) is
 * not shown while this key's loads.
 */
export function useLoad<T>(load: () => Promise<T>, key = ''): Loaded<T> {
  const [state, setState] = useState<{ key: string; data: T | undefined; error: string | null }>({ key, data: undefined, error: null });
  const generation = useRef(0);
  const latestLoad = useRef(load);
  const latestKey = useRef(key);
  useEffect(() => {
    latestLoad.current = load;
    latestKey.current = key;
  });

  const reload = useCallback(() => {
    const mine = ++generation.current;
    const forKey = latestKey.current;
    latestLoad
      .current()
      .then((data) => {
        if (mine === generation.current) setState({ key: forKey, data, error: null });
      })
      .catch((error: unknown) => {
        if (mine === generation.current) setState((s) => (s.key === forKey ? { ...s, error: errorMessage(error) } : { key: forKey, data: undefined, error: errorMessage(error) }));
      });
  }, []);

  useEffect(reload, [reload, key]);

  const current = state.key === key ? state : { data: undefined, error: null };
  return { data: current.data, error: current.error, loading: current.data === undefined && current.error === null, reload };
}

/** Calls `tick` every `ms` while mounted. */
export function useInterval(tick: () => void, ms: number): void {
  const latest = useRef(tick);
  useEffect(() => {
    latest.current = tick;
  });
  useEffect(() => {
    const id = window.setInterval(() => latest.current(), ms);
    return () => window.clearInterval(id);
  }, [ms]);
}

/** The current time, refreshed every `ms`; keeps clocks and "x ago" labels out of render purity trouble. */
export function useNow(ms = 1000): Date {
  const [now, setNow] = useState(() => new Date());
  useInterval(() => setNow(new Date()), ms);
  return now;
}
