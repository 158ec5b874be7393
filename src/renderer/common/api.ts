import { describeIssuesWithPaths } from '../../shared/issue-text';
import {
  ApiError,
  apiErrorSchema,
  events,
  methods,
  type ClinicApi,
  type EventName,
  type EventPayload,
  type MethodInput,
  type MethodName,
  type MethodOutput,
} from '../../shared/contract';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in the browser host. */
    clinic?: ClinicApi;
  }
}

const OFFLINE_MESSAGE = 'The station service is not reachable.';

/**
 * The station API for this window: the preload's `window.clinic` in Electron, HTTP + server-sent
 * events in the browser host. Either way every output and event is parsed here, on receipt, so a
 * host that drifts from the contract fails loudly at the boundary instead of deep inside a screen.
 */
export function createClinicApi(): ClinicApi {
  return parsing(window.clinic ?? createHttpClinicApi());
}

function parseOutput<M extends MethodName>(method: M, raw: unknown): MethodOutput<M> {
  const result = methods[method].output.safeParse(raw);
  if (!result.success) {
    throw new ApiError('internal', `The station sent an unexpected answer to ${method}: ${describeIssuesWithPaths(result.error)}`);
  }
  return result.data as MethodOutput<M>;
}

/**
 * Errors arrive as ApiError-shaped objects, not necessarily ApiError instances: the preload's class
 * lives in another JavaScript world, and contextBridge copies errors. Re-creating them here lets
 * screens rely on `instanceof ApiError` and its code.
 */
function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const parsed = apiErrorSchema.safeParse(error);
  if (parsed.success) return new ApiError(parsed.data.code, parsed.data.message);
  return new ApiError('internal', error instanceof Error && error.message ? error.message : 'The station failed to answer.');
}

function parsing(inner: ClinicApi): ClinicApi {
  return {
    async call(method, input) {
      let raw: unknown;
      try {
        raw = await inner.call(method, input);
      } catch (error) {
        throw asApiError(error);
      }
      return parseOutput(method, raw);
    },
    on(event, listener) {
      return inner.on(event, (payload) => {
        const result = events[event].safeParse(payload);
        if (result.success) listener(result.data as EventPayload<typeof event>);
        else console.error(`Ignored a malformed ${event} event: ${describeIssuesWithPaths(result.error)}`);
      });
    },
  };
}

function toApiError(status: number, body: unknown): ApiError {
  const parsed = apiErrorSchema.safeParse((body as { error?: unknown } | null)?.error);
  if (parsed.success) return new ApiError(parsed.data.code, parsed.data.message);
  return new ApiError('internal', `The station service answered with status ${status}.`);
}

export function createHttpClinicApi(baseUrl = ''): ClinicApi {
  type Listener = (payload: unknown) => void;
  const listeners = new Map<EventName, Set<Listener>>();
  let source: EventSource | null = null;
  let lostConnection = false;

  function dispatch(event: EventName, payload: unknown): void {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  }

  function connect(): void {
    if (source) return;
    source = new EventSource(`${baseUrl}/api/events`);
    for (const event of Object.keys(events) as EventName[]) {
      source.addEventListener(event, (message) => {
        let payload: unknown;
        try {
          payload = JSON.parse((message as MessageEvent<string>).data);
        } catch {
          console.error(`Ignored a ${event} event that is not JSON.`);
          return;
        }
        dispatch(event, payload);
      });
    }
    source.addEventListener('error', () => {
      lostConnection = true;
    });
    source.addEventListener('open', () => {
      // Events sent while the stream was down are gone; telling screens the queue changed makes
      // them refetch what they show instead of trusting a stale picture.
      if (lostConnection) dispatch('queue.changed', { at: new Date().toISOString() });
      lostConnection = false;
    });
  }

  return {
    async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
      let response: Response;
      try {
        response = await fetch(`${baseUrl}/api/call/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(input ?? {}),
        });
      } catch {
        throw new ApiError('offline', OFFLINE_MESSAGE);
      }
      let body: unknown = null;
      try {
        body = await response.json();
      } catch {
        if (response.ok) throw new ApiError('internal', `The station sent an answer to ${method} that is not JSON.`);
      }
      if (!response.ok) throw toApiError(response.status, body);
      return body as MethodOutput<M>;
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      connect();
      const set = listeners.get(event) ?? new Set<Listener>();
      listeners.set(event, set);
      const untyped = listener as Listener;
      set.add(untyped);
      return () => set.delete(untyped);
    },
  };
}

/** A message a person can read for anything a call may throw. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  // As the preload rejects: the plain {code, message} body, contextBridge having dropped the class.
  const body = apiErrorSchema.safeParse(error);
  if (body.success) return body.data.message;
  return 'Something went wrong.';
}
