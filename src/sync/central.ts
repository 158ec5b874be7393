import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import {
  callRequestSchema,
  centralRoutes,
  errorBodySchema,
  ENROLLING_STATION,
  type EnrolResponse,
  type PushAnswer,
  type PushRequest,
  type SignInRequest,
  type SignInResponse,
  type TableWindow,
} from '../shared/central-contract';
import { generateStationKeyPair, signRequest, stationKeyFromPem, type StationKey } from './station-key';

/**
 * The station's connection to the centre: the gateway's central contract over HTTPS (src/shared/central-contract.ts).
 * A station holds no database credential; it holds the gateway's address, the CA it pins and its enrolled key.
 * Every answer is parsed with the contract's schema before the station believes it.
 */

/** What a failed central call means for the caller. */
export type FailureKind =
  /** Network down, gateway or database restarting, lock timeout: try again later, keep the work. */
  | 'transient'
  /** The session is missing or expired: keep the work, ask the person to sign in again. */
  | 'unauthenticated'
  /** The centre refused the request for good (validation, conflict): tell the person, do not retry. */
  | 'permanent'
  /** This app and the centre speak different protocols: stop syncing until one is upgraded. */
  | 'incompatible';

export class CentralError extends Error {
  constructor(
    readonly kind: FailureKind,
    /** The centre's code (SQLSTATE GC4xx or a gateway code), or the network failure's. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CentralError';
  }
}

/** Anything thrown while talking to the centre, as a CentralError: what is not the centre's answer is the network's. */
export function classifyFailure(error: unknown): CentralError {
  if (error instanceof CentralError) return error;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return new CentralError('transient', typeof code === 'string' && code ? code : 'NETWORK', `The central gateway is unreachable: ${text}`);
}

export interface CentralOptions {
  /** The gateway's base address, e.g. https://central.example.sg:8443. */
  gatewayUrl: string;
  /** The CA certificate (PEM) the gateway's certificate must chain to; unset means the system's trust store. */
  ca?: string | null;
  /** The station's enrolled key: every request is signed with it. */
  key?: () => StationKey | null;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export type SignInResult = SignInResponse;
export type Row = Record<string, unknown>;
export interface TableScope {
  table: string;
  window: TableWindow | null;
}

type Route = (typeof centralRoutes)[keyof typeof centralRoutes];

export class Central {
  private readonly dispatcher: Agent;
  private readonly base: URL;
  private closed = false;

  constructor(readonly options: CentralOptions) {
    this.base = new URL(options.gatewayUrl);
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:') {
      throw new Error(`The gateway address must be https://…, not ${options.gatewayUrl}.`);
    }
    const timeout = options.requestTimeoutMs ?? 15_000;
    this.dispatcher = new Agent({
      connect: { timeout: options.connectTimeoutMs ?? 3000, ...(options.ca ? { ca: options.ca } : {}) },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      keepAliveTimeout: 30_000,
    });
  }

  /** The live channel's address (wss:// beside https://). */
  liveUrl(): string {
    const url = new URL(centralRoutes.live.path, this.base);
    url.protocol = this.base.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  /** Headers that authenticate a request of `method` to `path` with exactly `body`. */
  signedHeaders(method: string, path: string, body: string, key = this.options.key?.() ?? null): Record<string, string> {
    return key ? signRequest(key, method, path, body) : {};
  }

  /**
   * Enrols this PC with a one-time code: makes its key pair and sends the public half, signed with the private half
   * so the centre records only a key its holder presented. The private key is returned for the host to keep.
   */
  async enrol(code: string): Promise<{ enrolment: EnrolResponse; privateKeyPem: string }> {
    const pair = generateStationKeyPair();
    const enrolment = await this.send(centralRoutes.enrol, { code, publicKey: pair.publicKeyPem }, null, stationKeyFromPem(ENROLLING_STATION, pair.privateKeyPem));
    return { enrolment, privateKeyPem: pair.privateKeyPem };
  }


  protocol() {
    return this.send(centralRoutes.protocol, undefined, null);
  }

  signIn(body: SignInRequest): Promise<SignInResult> {
    return this.send(centralRoutes.signIn, body, null);
  }

  signOut(token: string) {
    return this.send(centralRoutes.signOut, undefined, token);
  }

  /** The session's new expiry, as the centre extended it. */
  async refreshSession(token: string): Promise<string> {
    return (await this.send(centralRoutes.refresh, undefined, token)).expires_at;
  }

  settings(token: string): Promise<Record<string, unknown>> {
    return this.send(centralRoutes.settings, undefined, token).then((answer) => answer.settings);
  }

  /** One station procedure (`clinic.<name>(request_key, args)`), idempotent by its key. */
  async callProcedure<T = unknown>(procedure: string, requestKey: string, args: unknown, token: string | null): Promise<T> {
    const body = callRequestSchema.safeParse({ procedure, requestKey, args });
    if (!body.success) throw new CentralError('permanent', 'GC400', `The centre has no procedure ${procedure} for stations, or its arguments are not an object.`);
    const answer = await this.send(centralRoutes.call, body.data, token);
    return answer.result as T;
  }

  /** Outbox entries in one round trip, each answered on its own, in order. */
  async push(entries: PushRequest['entries']): Promise<PushAnswer[]> {
    const { answers } = await this.send(centralRoutes.push, { entries }, null);
    const inOrder = answers.length === entries.length && answers.every((answer, i) => answer.requestKey === entries[i]!.requestKey);
    if (!inOrder) throw new CentralError('incompatible', 'BAD_ANSWER', 'The gateway answered a push with answers that do not match its entries.');
    return answers;
  }

  initialPlan(tables: TableScope[], token: string) {
    return this.send(centralRoutes.initialPlan, { tables }, token);
  }

  async initialPage(scope: TableScope & { columns: string[]; afterId: string | null; limit: number }, token: string): Promise<Row[]> {
    return (await this.send(centralRoutes.initialPage, scope, token)).rows;
  }

  pull(cursor: { xid: string; seq: string }, tables: string[], limit: number, token: string) {
    return this.send(centralRoutes.pull, { cursor, tables, limit }, token);
  }

  async digests(tables: TableScope[], token: string) {
    return (await this.send(centralRoutes.digests, { tables }, token)).tables;
  }

  async partition(scope: TableScope & { columns: string[]; partition: string }, token: string): Promise<Row[]> {
    return (await this.send(centralRoutes.partition, scope, token)).rows;
  }

  private async send<R extends Route>(route: R, body: unknown, token: string | null, key?: StationKey): Promise<z.infer<R['response']>> {
    if (this.closed) throw new CentralError('transient', 'CLOSED', 'This station is shutting down.');
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = { ...this.signedHeaders(route.method, route.path, text, key) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(new URL(route.path, this.base), {
        method: route.method,
        headers,
        body: body === undefined ? undefined : text,
        dispatcher: this.dispatcher,
      });
    } catch (error) {
      throw classifyFailure(error);
    }
    let json: unknown;
    try {
      json = await response.body.json();
    } catch (error) {
      if (response.statusCode >= 500) throw new CentralError('transient', `HTTP_${response.statusCode}`, 'The central gateway is not answering properly. Try again shortly.');
      throw classifyFailure(error);
    }
    if (response.statusCode >= 400) throw this.refusal(response.statusCode, json);
    const parsed = route.response.safeParse(json);
    if (!parsed.success) {
      throw new CentralError('incompatible', 'BAD_ANSWER', `The gateway's answer to ${route.path} is not what this app understands; update the app or the gateway.`);
    }
    return parsed.data as z.infer<R['response']>;
  }

  private refusal(status: number, json: unknown): CentralError {
    const body = errorBodySchema.safeParse(json);
    if (body.success) return new CentralError(body.data.kind, body.data.code, body.data.message);
    if (status === 404) return new CentralError('incompatible', 'HTTP_404', 'The gateway does not know this request: it is older or newer than this app.');
    if (status >= 500) return new CentralError('transient', `HTTP_${status}`, 'The central gateway is not answering properly. Try again shortly.');
    return new CentralError('permanent', `HTTP_${status}`, `The central gateway refused the request (HTTP ${status}).`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.dispatcher.close().catch(() => undefined);
  }
}
