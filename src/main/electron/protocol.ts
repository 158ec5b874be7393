import type { CustomScheme } from 'electron';
import { resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONTENT_SECURITY_POLICY } from '../host/browser-host';
import { STATION_HOST } from './windows';

/*
 * app://station/ serves the built renderer, and nothing else: one host, files under one folder.
 * Chromium canonicalises URLs before they reach the handler, but the handler does not rely on it:
 * anything that could name a file outside the folder once decoded is refused as it stands.
 */

/** Standard and secure, so pages get a real origin, `fetch` and the CSP, like https would. */
export const APP_SCHEME: CustomScheme = { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } };

export interface AppProtocolOptions {
  rendererRoot: string;
  /** Electron's net.fetch, which reads file: URLs with their content type. */
  fetchFile: (fileUrl: string) => Promise<Response>;
  log?: (line: string) => void;
}

/**
 * Encoded dots, slashes and backslashes, literal backslashes, NUL and drive letters never appear in
 * the renderer's own file names (vite's output is [name]-[hash].[ext]), so their presence is an attack.
 */
const SUSPICIOUS = /%2e|%2f|%5c|%00|\\|\0|:/i;

export function appProtocolHandler(options: AppProtocolOptions): (request: Pick<Request, 'url' | 'method'>) => Promise<Response> {
  const root = resolve(options.rendererRoot);
  const log = options.log ?? (() => undefined);
  return async (request) => {
    const file = fileFor(root, request.url);
    if (typeof file !== 'string') {
      log(`app:// refused ${request.url}: ${file.reason}`);
      return plain(file.status, file.status === 404 ? 'Not found' : 'Forbidden');
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed');
    let response: Response;
    try {
      response = await options.fetchFile(pathToFileURL(file).toString());
    } catch {
      return plain(404, 'Not found');
    }
    const headers = new Headers(response.headers);
    headers.set('content-security-policy', CONTENT_SECURITY_POLICY);
    headers.set('x-content-type-options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  };
}

/** The file a URL names under root, or why it names none. */
export function fileFor(root: string, url: string): string | { status: 403 | 404; reason: string } {
  const match = /^app:\/\/([^/?#]*)(\/[^?#]*)?/i.exec(url);
  if (!match) return { status: 403, reason: 'not an app:// URL' };
  const host = match[1]!.toLowerCase();
  if (host !== STATION_HOST) return { status: 403, reason: `host ${host} is not ${STATION_HOST}` };
  const rawPath = match[2] ?? '/';
  if (SUSPICIOUS.test(rawPath)) return { status: 403, reason: 'encoded or absolute path characters' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { status: 403, reason: 'malformed percent-encoding' };
  }
  // A second pass, for what only decoding reveals (`%3a` is a drive letter's colon on Windows).
  if (/[\\:\0]/.test(decoded)) return { status: 403, reason: 'absolute path characters once decoded' };
  const segments = decoded.slice(1).split('/');
  if (segments.some((segment, index) => segment === '..' || segment === '.' || (segment === '' && index < segments.length - 1))) {
    return { status: 403, reason: 'dot or empty path segments' };
  }
  const relative = decoded === '/' ? 'index.html' : decoded.slice(1);
  const file = resolve(root, relative);
  if (!file.startsWith(root + sep)) return { status: 403, reason: 'outside the renderer folder' };
  return file;
}

function plain(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'content-security-policy': CONTENT_SECURITY_POLICY },
  });
}
