import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CoreClient } from '../../src/main/core-process/client';
import { onceCloseSignal, type Endpoint } from '../../src/main/core-process/endpoint';
import type { CoreConfig } from '../../src/main/core-process/protocol';

/*
 * The app's core-process entry (src/main/core-process/entry.ts), forked under plain Node with an
 * IPC channel: the same code Electron runs as a utilityProcess, reachable here where Electron is not.
 */

export interface CoreChild {
  child: ChildProcess;
  /** The raw channel, for sending what a well-behaved client never would. */
  endpoint: Endpoint;
  client: CoreClient;
  /** Every message the core sent, in order, as received. */
  received: unknown[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function forkCore(config: CoreConfig | Record<string, unknown>, log: (line: string) => void = () => undefined): CoreChild {
  const child = fork(join(process.cwd(), 'src', 'main', 'core-process', 'entry.ts'), [], {
    execArgv: ['--import', 'tsx'],
    // Structured clone, as a MessagePort has in Electron: no silent JSON rewriting of values.
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const received: unknown[] = [];
  const endpoint = childEndpoint(child, received);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const client = new CoreClient(endpoint, { log });
  child.send({ type: 'init', config });
  return { child, endpoint, client, received, exited };
}

function childEndpoint(child: ChildProcess, received: unknown[]): Endpoint {
  const closed = onceCloseSignal();
  // The exit, not the IPC disconnect, says how the process ended (an exit code or a signal).
  child.once('exit', (code, signal) => closed.fire(signal ? `killed by ${signal}` : `exited with code ${code}`));
  child.on('message', (message) => received.push(message));
  return {
    send(message) {
      if (child.connected) child.send(message as never);
    },
    onMessage: (listener) => child.on('message', listener),
    onClose: closed.listen,
    close() {
      if (child.connected) child.disconnect();
    },
  };
}
