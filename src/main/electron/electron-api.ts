import type { BrowserWindowConstructorOptions, CustomScheme, Rectangle } from 'electron';
import type { MessagePortLike } from '../core-process/endpoint';
import type { SecretBox } from '../enrolment/first-run';

/*
 * The part of the Electron API the glue uses, as narrow structural types. main.ts passes the real
 * `electron` module, so the compiler proves Electron satisfies them; the tests pass a fake that
 * must satisfy the same types. Nothing here is imported at run time.
 */

export interface FrameLike {
  readonly url: string;
  /** null for a main frame; VS Code's validatedIpcMain refuses anything else, and so do we. */
  readonly parent: FrameLike | null;
}

export interface PreventableEvent {
  preventDefault(): void;
}

export interface WebContentsLike {
  readonly id: number;
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  on(event: 'will-navigate', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-redirect', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
}

export interface WindowLike {
  readonly webContents: WebContentsLike;
  loadURL(url: string): Promise<void>;
  on(event: 'closed', listener: () => void): unknown;
  isDestroyed(): boolean;
  isMinimized(): boolean;
  restore(): void;
  focus(): void;
  setBounds(bounds: Partial<Rectangle>): void;
  setFullScreen(flag: boolean): void;
  close(): void;
}

export interface IpcInvokeEventLike {
  readonly sender: WebContentsLike;
  readonly senderFrame: FrameLike | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => unknown): void;
}

export interface ProtocolLike {
  registerSchemesAsPrivileged(schemes: CustomScheme[]): void;
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void;
}

export interface SessionLike {
  setPermissionRequestHandler(handler: ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null): void;
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string) => boolean) | null): void;
  setDevicePermissionHandler(handler: ((details: unknown) => boolean) | null): void;
}

export interface AppLike {
  readonly isPackaged: boolean;
  whenReady(): Promise<unknown>;
  requestSingleInstanceLock(): boolean;
  enableSandbox(): void;
  quit(): void;
  exit(exitCode?: number): void;
  getPath(name: 'userData'): string;
  on(event: 'second-instance', listener: () => void): unknown;
  on(event: 'window-all-closed', listener: () => void): unknown;
  on(event: 'before-quit', listener: (event: PreventableEvent) => void): unknown;
  on(event: 'web-contents-created', listener: (event: unknown, contents: WebContentsLike) => void): unknown;
}

export interface DisplayLike {
  readonly id: number;
  readonly bounds: Rectangle;
}

export interface ScreenLike {
  getPrimaryDisplay(): DisplayLike;
  getAllDisplays(): DisplayLike[];
  on(event: 'display-added', listener: () => void): unknown;
  on(event: 'display-removed', listener: () => void): unknown;
  off(event: 'display-added', listener: () => void): unknown;
  off(event: 'display-removed', listener: () => void): unknown;
}

export interface UtilityProcessLike {
  postMessage(message: unknown, transfer?: MessagePortLike[]): void;
  kill(): boolean;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

export interface ElectronApi {
  app: AppLike;
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => WindowLike;
  ipcMain: IpcMainLike;
  protocol: ProtocolLike;
  session: { readonly defaultSession: SessionLike };
  utilityProcess: {
    fork(modulePath: string, args?: string[], options?: { serviceName?: string; stdio?: 'inherit' | 'pipe' | 'ignore' }): UtilityProcessLike;
  };
  MessageChannelMain: new () => { port1: MessagePortLike; port2: MessagePortLike };
  screen: ScreenLike;
  net: { fetch(url: string): Promise<Response> };
  dialog: { showErrorBox(title: string, content: string): void };
  /** Keeps the station's identity (its private key) encrypted for this OS user. */
  safeStorage: SecretBox;
}
