import { ApiError, methods, type MethodName } from '../../shared/contract';
import { CALL_CHANNEL, IPC_CHANNEL_PREFIX, type CallResult } from '../../shared/electron-ipc';
import type { IpcInvokeEventLike, IpcMainLike } from './electron-api';
import { isStationUrl } from './windows';

/*
 * IPC from the pages, in the style of VS Code's validatedIpcMain: a handler runs only for a main
 * frame, showing app://station/, in one of the windows we opened for a station. Anything else -- a
 * subframe, another origin, a webContents we did not create -- is refused before any handler sees it.
 */

const FORBIDDEN: CallResult = { ok: false, error: new ApiError('forbidden', 'This window may not call the station.').toBody() };

export class ValidatedIpc {
  constructor(
    private readonly ipcMain: IpcMainLike,
    /** Whether this webContents belongs to a window we opened for a station. */
    private readonly isStationWindow: (webContentsId: number) => boolean,
    private readonly log: (line: string) => void,
  ) {}

  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<CallResult>): void {
    if (!channel.startsWith(IPC_CHANNEL_PREFIX)) throw new Error(`IPC channel ${channel} must start with ${IPC_CHANNEL_PREFIX}`);
    this.ipcMain.handle(channel, (event, ...args) => {
      const refusal = this.refusal(event);
      if (refusal === null) return listener(event, ...args);
      this.log(`Refused ${channel} from webContents ${event.sender.id}: ${refusal}`);
      return FORBIDDEN;
    });
  }

  /** Why a message may not be handled, or null when it may. */
  private refusal(event: IpcInvokeEventLike): string | null {
    const frame = event.senderFrame;
    // The frame navigated away or was destroyed while the message was in flight.
    if (!frame) return 'its frame is gone';
    if (frame.parent !== null) return 'it comes from a subframe';
    if (!isStationUrl(frame.url)) return `it comes from ${describeOrigin(frame.url)}, not app://station`;
    if (!this.isStationWindow(event.sender.id)) return 'it comes from a window that is not a station window';
    return null;
  }
}

/** Anything with StationCore's `handle`: the relay to a core process, in the app. */
export interface CallTarget {
  handle(method: MethodName, input: unknown): Promise<unknown>;
}

/** Carries each station window's calls to its own station, and only to its own. */
export function registerStationCalls(ipc: ValidatedIpc, stationFor: (webContentsId: number) => CallTarget | undefined): void {
  ipc.handle(CALL_CHANNEL, async (event, method, input) => {
    if (typeof method !== 'string' || !Object.hasOwn(methods, method)) {
      return { ok: false, error: new ApiError('not_found', `Unknown method ${String(method)}`).toBody() };
    }
    const station = stationFor(event.sender.id);
    if (!station) return FORBIDDEN;
    try {
      return { ok: true, value: await station.handle(method as MethodName, input) };
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError('internal', 'The station failed to answer.');
      return { ok: false, error: apiError.toBody() };
    }
  });
}

function describeOrigin(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'an unparsable URL';
  }
}
