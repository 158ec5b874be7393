import { contextBridge, ipcRenderer } from 'electron';
import { ApiError, apiErrorSchema, events, methods, type ClinicApi, type EventName, type MethodName } from '../shared/contract';

/*
 * window.clinic, built from the contract: every call goes to the main process over one IPC
 * channel, and every answer and event is parsed against its schema before the page sees it.
 */

type CallResult = { ok: true; value: unknown } | { ok: false; error: unknown };

const clinic: ClinicApi = {
  async call(method, input) {
    if (!(method in methods)) return Promise.reject(new ApiError('not_found', `Unknown method ${String(method)}`).toBody());
    const result = (await ipcRenderer.invoke('clinic:call', method, input)) as CallResult;
    // contextBridge drops an Error's own properties on the way to the page, so the page gets the
    // plain {code, message} body, which the renderer's client turns back into an ApiError.
    if (!result.ok) return Promise.reject(apiErrorSchema.parse(result.error));
    return methods[method as MethodName].output.parse(result.value) as never;
  },
  on(event, listener) {
    if (!(event in events)) throw new ApiError('not_found', `Unknown event ${String(event)}`);
    const handler = (_: unknown, name: EventName, payload: unknown) => {
      if (name === event) listener(events[event].parse(payload) as never);
    };
    ipcRenderer.on('clinic:event', handler);
    return () => ipcRenderer.off('clinic:event', handler);
  },
};

contextBridge.exposeInMainWorld('clinic', clinic);
