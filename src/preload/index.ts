import { contextBridge, ipcRenderer } from 'electron';
import { ApiError, apiErrorSchema, events, methods, type ClinicApi, type EventName, type MethodName } from '../shared/contract';
import { CALL_CHANNEL, EVENT_CHANNEL, FIRST_RUN_CHANNEL, type CallResult } from '../shared/electron-ipc';
import { firstRunResultSchema, type FirstRunApi } from '../shared/first-run-contract';

/*
 * window.clinic, built from the contract: every call goes to the main process over one IPC
 * channel, and every answer and event is parsed against its schema before the page sees it.
 */

const clinic: ClinicApi = {
  async call(method, input) {
    if (!Object.hasOwn(methods, method)) return Promise.reject(new ApiError('not_found', `Unknown method ${String(method)}`).toBody());
    const result = (await ipcRenderer.invoke(CALL_CHANNEL, method, input)) as CallResult;
    // contextBridge drops an Error's own properties on the way to the page, so the page gets the
    // plain {code, message} body, which the renderer's client turns back into an ApiError.
    if (!result.ok) return Promise.reject(apiErrorSchema.parse(result.error));
    return methods[method as MethodName].output.parse(result.value) as never;
  },
  on(event, listener) {
    if (!Object.hasOwn(events, event)) throw new ApiError('not_found', `Unknown event ${String(event)}`);
    const handler = (_: unknown, name: EventName, payload: unknown) => {
      if (name === event) listener(events[event].parse(payload) as never);
    };
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => ipcRenderer.off(EVENT_CHANNEL, handler);
  },
};

/** Enrolling this PC; the main process answers only the first-run window, so a station window gains nothing by it. */
const clinicFirstRun: FirstRunApi = {
  async enrol(input) {
    const result = (await ipcRenderer.invoke(FIRST_RUN_CHANNEL, input)) as CallResult;
    if (!result.ok) return Promise.reject(apiErrorSchema.parse(result.error));
    return firstRunResultSchema.parse(result.value);
  },
};

contextBridge.exposeInMainWorld('clinic', clinic);
contextBridge.exposeInMainWorld('clinicFirstRun', clinicFirstRun);
