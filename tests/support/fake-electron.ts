import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserWindowConstructorOptions, CustomScheme, Rectangle } from 'electron';
import type { DisplayLike, ElectronApi, FrameLike, IpcInvokeEventLike } from '../../src/main/electron/electron-api';
import { FakeMessageChannelMain, FakeUtilityProcess } from './fake-electron-processes';

export { FakeUtilityProcess } from './fake-electron-processes';

/*
 * A fake of the Electron API that behaves as Electron documents, where the glue depends on it:
 * windows only after ready, privileged schemes only before; navigation, window.open and
 * permissions allowed unless a handler says otherwise (Electron's defaults, so a missing guard
 * shows); IPC and port messages structured-cloned and delivered asynchronously; MessagePortMain
 * queueing until start(); a utilityProcess whose death closes the ports it was given.
 * `electron` is typed as the glue's ElectronApi, so the compiler checks the fake as it checks Electron.
 */

export class FakeEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeFrame implements FrameLike {
  constructor(
    public url: string,
    public parent: FakeFrame | null = null,
  ) {}
}

let nextId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextId++;
  readonly mainFrame = new FakeFrame('about:blank');
  readonly sent: { channel: string; args: unknown[] }[] = [];
  private windowOpenHandler: ((details: { url: string }) => { action: 'deny' | 'allow' }) | null = null;
  destroyed = false;

  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.sent.push({ channel, args: structuredClone(args) });
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void {
    this.windowOpenHandler = handler;
  }

  /** A page navigating its main frame; true when it was allowed to. */
  navigate(url: string): boolean {
    const event = new FakeEvent();
    this.emit('will-navigate', event, url, false, true);
    if (!event.defaultPrevented) this.mainFrame.url = url;
    return !event.defaultPrevented;
  }
  redirect(url: string): boolean {
    const event = new FakeEvent();
    this.emit('will-redirect', event, url, false, true);
    return !event.defaultPrevented;
  }
  /** window.open from the page: Electron allows it when no handler is set. */
  openWindow(url: string): 'allow' | 'deny' {
    return this.windowOpenHandler ? this.windowOpenHandler({ url }).action : 'allow';
  }
  attachWebview(): boolean {
    const event = new FakeEvent();
    this.emit('will-attach-webview', event, {}, {});
    return !event.defaultPrevented;
  }
  subframe(url: string): FakeFrame {
    return new FakeFrame(url, this.mainFrame);
  }
}

export class FakeBrowserWindowBase extends EventEmitter {
  readonly webContents: FakeWebContents;
  loadedUrl: string | null = null;
  destroyed = false;
  minimized = false;
  focused = 0;
  bounds: Partial<Rectangle> | null = null;
  fullScreen = false;

  constructor(readonly options: BrowserWindowConstructorOptions, contents: FakeWebContents) {
    super();
    this.webContents = contents;
  }
  loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    this.webContents.mainFrame.url = url;
    return Promise.resolve();
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  minimize(): void {
    this.minimized = true;
  }
  restore(): void {
    this.minimized = false;
  }
  focus(): void {
    this.focused += 1;
  }
  setBounds(bounds: Partial<Rectangle>): void {
    this.bounds = bounds;
  }
  setFullScreen(flag: boolean): void {
    this.fullScreen = flag;
  }
}

type IpcListener = (event: IpcInvokeEventLike, ...args: unknown[]) => unknown;
type PermissionRequestHandler = (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;

export interface FakeElectronOptions {
  isPackaged?: boolean;
  /** What requestSingleInstanceLock answers: false when another copy holds it. */
  gotLock?: boolean;
  userData?: string;
  displays?: DisplayLike[];
  /** What safeStorage.isEncryptionAvailable answers (false: Linux with no secret store). */
  encryptionAvailable?: boolean;
  /** Whose safeStorage this is: what one OS user encrypted, another cannot decrypt. */
  osUser?: string;
}

export function createFakeElectron(options: FakeElectronOptions = {}) {
  let ready = false;
  let markReady: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => (markReady = resolve));

  class FakeApp extends EventEmitter {
    readonly isPackaged = options.isPackaged ?? false;
    lockRequested = false;
    sandboxEnabled = false;
    quitRequested = 0;
    quitted = false;
    exitCode: number | null = null;
    whenReady(): Promise<void> {
      return readyPromise;
    }
    isReady(): boolean {
      return ready;
    }
    enableSandbox(): void {
      if (ready) throw new Error('app.enableSandbox() can only be called before app is ready');
      this.sandboxEnabled = true;
    }
    requestSingleInstanceLock(): boolean {
      this.lockRequested = true;
      return options.gotLock ?? true;
    }
    quit(): void {
      this.quitRequested += 1;
      const event = new FakeEvent();
      this.emit('before-quit', event);
      if (!event.defaultPrevented) this.quitted = true;
    }
    exit(exitCode = 0): void {
      this.exitCode = exitCode;
    }
    getPath(name: 'userData'): string {
      if (name !== 'userData') throw new Error(`Failed to get '${String(name)}' path`);
      return options.userData ?? '/nonexistent/user-data';
    }
    /** Someone starts the app again while it runs. */
    launchAgain(): void {
      this.emit('second-instance', new FakeEvent(), [], '/');
    }
  }
  const app = new FakeApp();

  const windows: FakeBrowserWindow[] = [];
  const webContents: FakeWebContents[] = [];
  const createContents = () => {
    const contents = new FakeWebContents();
    webContents.push(contents);
    app.emit('web-contents-created', new FakeEvent(), contents);
    return contents;
  };
  class FakeBrowserWindow extends FakeBrowserWindowBase {
    constructor(windowOptions: BrowserWindowConstructorOptions) {
      if (!ready) throw new Error('Cannot create BrowserWindow before app is ready');
      super(windowOptions, createContents());
      windows.push(this);
    }
    close(): void {
      if (this.destroyed) return;
      this.destroyed = true;
      this.webContents.destroyed = true;
      this.emit('closed');
      if (windows.every((w) => w.destroyed)) app.emit('window-all-closed');
    }
  }

  const ipcHandlers = new Map<string, IpcListener>();
  const ipcMain = {
    handle(channel: string, listener: IpcListener): void {
      if (ipcHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      ipcHandlers.set(channel, listener);
    },
    /** ipcRenderer.invoke from `sender`, sent by `frame` (its main frame unless given). */
    async invoke(sender: FakeWebContents, channel: string, args: unknown[], frame: FakeFrame | null = sender.mainFrame): Promise<unknown> {
      const listener = ipcHandlers.get(channel);
      if (!listener) throw new Error(`No handler registered for '${channel}'`);
      return structuredClone(await listener({ sender, senderFrame: frame }, ...structuredClone(args)));
    },
  };

  const privileged: CustomScheme[] = [];
  const protocolHandlers = new Map<string, (request: Request) => Promise<Response>>();
  const protocol = {
    privileged,
    registerSchemesAsPrivileged(schemes: CustomScheme[]): void {
      if (ready) throw new Error('protocol.registerSchemesAsPrivileged should be called before app is ready');
      privileged.push(...schemes);
    },
    handle(scheme: string, handler: (request: Request) => Promise<Response>): void {
      if (!ready) throw new Error('protocol.handle must be called after app is ready');
      protocolHandlers.set(scheme, handler);
    },
    /** What the page's request for `url` gets back; a raw object skips the URL canonicalisation Chromium does. */
    request(request: string | { url: string; method: string }): Promise<Response> {
      const url = typeof request === 'string' ? request : request.url;
      const handler = protocolHandlers.get(url.slice(0, url.indexOf(':')));
      if (!handler) return Promise.reject(new Error(`net::ERR_UNKNOWN_URL_SCHEME ${url}`));
      return handler((typeof request === 'string' ? new Request(request) : request) as Request);
    },
  };

  const session = {
    requestHandler: null as PermissionRequestHandler | null,
    checkHandler: null as ((contents: unknown, permission: string) => boolean) | null,
    deviceHandler: null as ((details: unknown) => boolean) | null,
    setPermissionRequestHandler(handler: PermissionRequestHandler | null): void {
      this.requestHandler = handler;
    },
    setPermissionCheckHandler(handler: ((contents: unknown, permission: string) => boolean) | null): void {
      this.checkHandler = handler;
    },
    setDevicePermissionHandler(handler: ((details: unknown) => boolean) | null): void {
      this.deviceHandler = handler;
    },
    /** A page asks for a permission; with no handler Electron grants it. */
    request(contents: FakeWebContents, permission: string): Promise<boolean> {
      const handler = this.requestHandler;
      return handler ? new Promise((resolve) => handler(contents, permission, resolve)) : Promise.resolve(true);
    },
    check(contents: FakeWebContents, permission: string): boolean {
      return this.checkHandler ? this.checkHandler(contents, permission) : true;
    },
    checkDevice(details: unknown): boolean {
      return this.deviceHandler ? this.deviceHandler(details) : true;
    },
  };

  const utilityProcesses: FakeUtilityProcess[] = [];
  const utilityProcess = {
    /** What runs inside each forked process; a test sets it to run the core-process code against a fake station. */
    program: (_child: FakeUtilityProcess): void => undefined,
    fork(modulePath: string, args: string[] = [], forkOptions: { serviceName?: string; stdio?: string } = {}): FakeUtilityProcess {
      if (!ready) throw new Error('utilityProcess cannot be created before app is ready.');
      const child = new FakeUtilityProcess(modulePath, args, forkOptions);
      utilityProcesses.push(child);
      setImmediate(() => {
        child.emit('spawn');
        this.program(child);
      });
      return child;
    },
  };

  class FakeScreen extends EventEmitter {
    displays: DisplayLike[] = options.displays ?? [{ id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 } }];
    getPrimaryDisplay(): DisplayLike {
      return this.displays[0]!;
    }
    getAllDisplays(): DisplayLike[] {
      return [...this.displays];
    }
    plug(display: DisplayLike): void {
      this.displays.push(display);
      this.emit('display-added', new FakeEvent(), display);
    }
    unplug(id: number): void {
      const display = this.displays.find((d) => d.id === id);
      this.displays = this.displays.filter((d) => d.id !== id);
      this.emit('display-removed', new FakeEvent(), display);
    }
  }
  const screen = new FakeScreen();

  const net = {
    async fetch(url: string): Promise<Response> {
      if (!url.startsWith('file:')) throw new Error(`net::ERR_UNKNOWN_URL_SCHEME ${url}`);
      const body = await readFile(fileURLToPath(url)).catch(() => {
        throw new Error('net::ERR_FILE_NOT_FOUND');
      });
      return new Response(body, { headers: { 'content-type': CONTENT_TYPES[extname(url)] ?? 'application/octet-stream' } });
    },
  };

  const errorBoxes: { title: string; content: string }[] = [];
  const dialog = {
    showErrorBox(title: string, content: string): void {
      errorBoxes.push({ title, content });
    },
  };

  const osUser = options.osUser ?? 'clinic';
  const safeStorage = {
    isEncryptionAvailable: () => options.encryptionAvailable ?? true,
    encryptString: (plain: string) => Buffer.from(`fake-os-encrypted:${osUser}:${Buffer.from(plain).toString('base64')}`),
    decryptString(encrypted: Buffer): string {
      const prefix = `fake-os-encrypted:${osUser}:`;
      const text = encrypted.toString();
      if (!text.startsWith(prefix)) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return Buffer.from(text.slice(prefix.length), 'base64').toString();
    },
  };

  const electron: ElectronApi = {
    app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain,
    protocol,
    session: { defaultSession: session },
    utilityProcess,
    MessageChannelMain: FakeMessageChannelMain,
    screen,
    net,
    dialog,
    safeStorage,
  };

  return {
    electron,
    app,
    windows,
    webContents,
    /** A webContents the app did not create a window for (a devtools page, say). */
    strayWebContents: createContents,
    ipcMain,
    protocol,
    session,
    utilityProcess,
    utilityProcesses,
    screen,
    errorBoxes,
    safeStorage,
    /** Electron emits `ready` once; the glue must not depend on when. */
    makeReady(): void {
      ready = true;
      markReady();
    },
  };
}

export type FakeElectron = ReturnType<typeof createFakeElectron>;
export type FakeBrowserWindow = FakeBrowserWindowBase & { close(): void };

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
};
