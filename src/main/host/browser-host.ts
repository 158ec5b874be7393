import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ApiError, eventNames, methods, type MethodName } from '../../shared/contract';
import type { StationCore } from '../station';

/**
 * The browser host: the same renderer and the same contract as the Electron host, over HTTP on
 * 127.0.0.1. `POST /api/call/<method>` answers one call; `GET /api/events` streams events (SSE).
 * It is how a smart TV becomes a queue display and how E2E tests drive the real renderer here.
 */
export interface BrowserHostOptions {
  station: StationCore;
  rendererDir: string;
  host?: string;
  port?: number;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.map': 'application/json',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const MAX_BODY_BYTES = 256 * 1024;

/** The screens load only their own files and talk only to their own station. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' data: blob:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export class BrowserHost {
  private server: Server | null = null;
  private readonly streams = new Set<ServerResponse>();
  private readonly unsubscribes: (() => void)[] = [];
  private readonly rendererRoot: string;

  constructor(private readonly options: BrowserHostOptions) {
    this.rendererRoot = resolve(options.rendererDir);
  }

  async listen(port = this.options.port ?? 0): Promise<string> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        sendJson(res, 500, { error: { code: 'internal', message: error instanceof Error ? error.message : String(error) } });
      });
    });
    await new Promise<void>((ready, fail) => {
      server.once('error', fail);
      server.listen(port, this.options.host ?? '127.0.0.1', () => ready());
    });
    this.server = server;
    for (const name of eventNames) {
      this.unsubscribes.push(this.options.station.on(name, (payload) => this.broadcast(name, payload)));
    }
    const address = server.address() as AddressInfo;
    return `http://${address.address}:${address.port}/`;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://station');
    if (url.pathname.startsWith('/api/call/')) return this.call(req, res, decodeURIComponent(url.pathname.slice('/api/call/'.length)));
    if (url.pathname === '/api/events') return this.openStream(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: { code: 'validation', message: 'Method not allowed' } });
    return this.serveFile(url.pathname, res);
  }

  private async call(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (req.method !== 'POST') return sendJson(res, 405, { error: { code: 'validation', message: 'Use POST for API calls.' } });
    if (!(method in methods)) return sendJson(res, 404, { error: { code: 'not_found', message: `Unknown method ${method}` } });
    let input: unknown;
    try {
      const body = await readBody(req);
      input = body.length ? JSON.parse(body) : {};
    } catch (error) {
      return sendJson(res, 400, { error: { code: 'validation', message: `The request body is not valid JSON: ${(error as Error).message}` } });
    }
    try {
      const output = await this.options.station.handle(method as MethodName, input);
      sendJson(res, 200, output);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError('internal', error instanceof Error ? error.message : String(error));
      sendJson(res, statusFor[apiError.code], { error: apiError.toBody() });
    }
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    });
    res.write('retry: 1000\n\n');
    this.streams.add(res);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      this.streams.delete(res);
    });
  }

  private broadcast(name: string, payload: unknown): void {
    const frame = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const stream of this.streams) stream.write(frame);
  }

  private async serveFile(pathname: string, res: ServerResponse): Promise<void> {
    const relative = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
    let file = join(this.rendererRoot, relative);
    if (file !== this.rendererRoot && !file.startsWith(this.rendererRoot + sep)) {
      return sendJson(res, 403, { error: { code: 'forbidden', message: 'Outside the renderer folder.' } });
    }
    const info = await stat(file).catch(() => null);
    if (!info || info.isDirectory()) file = join(this.rendererRoot, 'index.html');
    const body = await readFile(file).catch(() => null);
    if (!body) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The screens have not been built yet: run `npm run build:renderer`.');
      return;
    }
    res.writeHead(200, {
      'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    for (const stream of this.streams) stream.end();
    this.streams.clear();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }
}

const statusFor: Record<ApiError['code'], number> = {
  validation: 400,
  not_signed_in: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  offline: 503,
  internal: 500,
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        fail(new Error(`body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}
