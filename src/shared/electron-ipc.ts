import type { ApiErrorBody } from './contract';

/*
 * The two IPC channels between the Electron preload and the main process, named once for both
 * sides (the preload may import only src/shared).
 */

export const IPC_CHANNEL_PREFIX = 'clinic:';
/** ipcRenderer.invoke(CALL_CHANNEL, method, input) → CallResult. */
export const CALL_CHANNEL = `${IPC_CHANNEL_PREFIX}call`;
/** webContents.send(EVENT_CHANNEL, eventName, payload). */
export const EVENT_CHANNEL = `${IPC_CHANNEL_PREFIX}event`;

/** Errors travel as plain bodies: contextBridge drops an Error's own properties on the way to the page. */
export type CallResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorBody };

/** ipcRenderer.invoke(FIRST_RUN_CHANNEL, input) → CallResult; only from the first-run window. */
export const FIRST_RUN_CHANNEL = `${IPC_CHANNEL_PREFIX}first-run`;
