/*
 * One side of a message channel, whatever carries it: an Electron MessagePortMain (the app), or a
 * Node IPC channel to a forked child (tests, where Electron cannot run). The client and server of
 * the station contract speak only to this, so they run the same code in both.
 */
export interface Endpoint {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once, when the other side goes away (closed its port, exited, was killed). */
  onClose(listener: (reason: string) => void): void;
  close(): void;
}

/** The shape of Electron's MessagePortMain, on either side of a utilityProcess, as far as we use it. */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  start(): void;
  close(): void;
}

export function portEndpoint(port: MessagePortLike): Endpoint {
  const closed = onceCloseSignal();
  port.on('close', () => closed.fire('the other end closed its port'));
  return {
    send: (message) => port.postMessage(message),
    onMessage(listener) {
      port.on('message', (event) => listener(event.data));
      // MessagePortMain queues messages until started; start once someone listens, so none are lost.
      port.start();
    },
    onClose: closed.listen,
    close() {
      port.close();
      closed.fire('closed by this side');
    },
  };
}

/** The child side of a Node IPC channel (`child_process.fork`): `process` itself. */
export interface ProcessChannelLike {
  send?(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  disconnect?(): void;
  connected?: boolean;
}

export function processChannelEndpoint(channel: ProcessChannelLike): Endpoint {
  const closed = onceCloseSignal();
  channel.on('disconnect', () => closed.fire('the parent process went away'));
  return {
    send(message) {
      if (channel.connected !== false) channel.send?.(message);
    },
    onMessage: (listener) => channel.on('message', listener),
    onClose: closed.listen,
    close() {
      if (channel.connected) channel.disconnect?.();
      closed.fire('closed by this side');
    },
  };
}

/** Close can be signalled from several places (port close, process exit); listeners hear it once. */
export function onceCloseSignal(): { fire(reason: string): void; listen(listener: (reason: string) => void): void } {
  let reason: string | null = null;
  const listeners: ((reason: string) => void)[] = [];
  return {
    fire(why) {
      if (reason !== null) return;
      reason = why;
      for (const listener of listeners.splice(0)) listener(why);
    },
    listen(listener) {
      if (reason !== null) listener(reason);
      else listeners.push(listener);
    },
  };
}
