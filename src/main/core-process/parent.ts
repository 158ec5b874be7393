import { describeIssuesWithPaths } from '../../shared/issue-text';
import { ApiError } from '../../shared/contract';
import { portEndpoint, processChannelEndpoint, type Endpoint, type MessagePortLike, type ProcessChannelLike } from './endpoint';
import { initMessageSchema, type CoreConfig, type FromCore } from './protocol';

/*
 * How a core process reaches whoever started it. In Electron it is a utilityProcess: the main
 * process posts `init` on process.parentPort with the contract's MessagePort attached. Under plain
 * Node (tests) it is a child forked with an IPC channel, and the contract runs on that channel
 * after the `init` message.
 */

/** Electron's process.parentPort, as far as we use it. */
export interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown; ports: MessagePortLike[] }) => void): unknown;
  postMessage(message: unknown): void;
}

export type ParentLink = { kind: 'utility'; parentPort: ParentPortLike } | { kind: 'fork'; channel: ProcessChannelLike };

export function findParent(proc: NodeJS.Process): ParentLink | null {
  const parentPort = (proc as { parentPort?: ParentPortLike }).parentPort;
  if (parentPort) return { kind: 'utility', parentPort };
  if (typeof proc.send === 'function') return { kind: 'fork', channel: proc as ProcessChannelLike };
  return null;
}

/**
 * Waits for `init` and returns the station's config and the endpoint the contract runs on. A bad
 * `init` is answered with `failed` (so the host can show why) and rejects.
 */
export function receiveInit(parent: ParentLink): Promise<{ config: CoreConfig; endpoint: Endpoint }> {
  return parent.kind === 'utility' ? fromParentPort(parent.parentPort) : fromChannel(processChannelEndpoint(parent.channel));
}

function fromParentPort(parentPort: ParentPortLike): Promise<{ config: CoreConfig; endpoint: Endpoint }> {
  return new Promise((resolve, reject) => {
    let initialised = false;
    parentPort.on('message', ({ data, ports }) => {
      const refuse = (message: string) => {
        parentPort.postMessage(failed(message));
        if (!initialised) reject(new Error(message));
      };
      if (initialised) return refuse('The station core is already initialised; send calls on its port.');
      const config = parseInit(data);
      if (typeof config === 'string') return refuse(config);
      const port = ports[0];
      if (!port) return refuse('The init message carries no MessagePort for the station contract.');
      initialised = true;
      resolve({ config, endpoint: portEndpoint(port) });
    });
  });
}

function fromChannel(channel: Endpoint): Promise<{ config: CoreConfig; endpoint: Endpoint }> {
  return new Promise((resolve, reject) => {
    // Messages that follow `init` on the same channel belong to the server, which attaches only
    // after this resolves: keep them until it does, so a call sent straight after init is not lost.
    const early: unknown[] = [];
    let deliver: ((message: unknown) => void) | null = null;
    let initialised = false;
    channel.onMessage((message) => {
      if (initialised) return deliver ? deliver(message) : void early.push(message);
      const config = parseInit(message);
      if (typeof config === 'string') {
        channel.send(failed(config));
        reject(new Error(config));
        return;
      }
      initialised = true;
      resolve({
        config,
        endpoint: {
          send: (m) => channel.send(m),
          onMessage(listener) {
            deliver = listener;
            for (const m of early.splice(0)) listener(m);
          },
          onClose: (listener) => channel.onClose(listener),
          close: () => channel.close(),
        },
      });
    });
    channel.onClose((reason) => {
      if (!initialised) reject(new Error(`The host went away before sending init (${reason}).`));
    });
  });
}

function parseInit(data: unknown): CoreConfig | string {
  const parsed = initMessageSchema.safeParse(data);
  return parsed.success ? parsed.data.config : `The station core's init message is invalid: ${describeIssuesWithPaths(parsed.error)}`;
}

function failed(message: string): FromCore {
  return { type: 'failed', error: new ApiError('validation', message).toBody() };
}
