import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY } from '../../src/main/host/browser-host';
import { APP_SCHEME, appProtocolHandler } from '../../src/main/electron/protocol';
import { startTestApp } from '../support/electron-app';

/*
 * app://station/ serves the renderer folder and nothing outside it. The handler is given raw URLs
 * here, not the canonical ones Chromium would pass, so it is tested without that safety net.
 */
describe('app:// protocol', () => {
  let root: string;
  const fetched: string[] = [];
  let serve: ReturnType<typeof appProtocolHandler>;

  beforeAll(() => {
    const folder = mkdtempSync(join(tmpdir(), 'app-protocol-'));
    root = join(folder, 'renderer');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>station</title>');
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(folder, 'secret.txt'), 'outside the renderer');
    serve = appProtocolHandler({
      rendererRoot: root,
      fetchFile: async (url) => {
        fetched.push(fileURLToPath(url));
        const { readFile } = await import('node:fs/promises');
        return new Response(await readFile(fileURLToPath(url)), { headers: { 'content-type': 'text/html' } });
      },
    });
  });

  const get = (url: string) => serve({ url, method: 'GET' });

  it('serves the renderer with the content security policy', async () => {
    for (const url of ['app://station/index.html', 'app://station/', 'app://station']) {
      const response = await get(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.text()).toContain('<title>station</title>');
    }
    expect((await get('app://station/assets/index-abc123.js')).status).toBe(200);
  });

  it('refuses any other host', async () => {
    for (const url of ['app://evil/index.html', 'app://station.evil/index.html', 'app://STATION@evil/index.html', 'app:///index.html']) {
      expect((await get(url)).status, url).toBe(403);
    }
  });

  it('refuses path traversal in every spelling, without touching the file', async () => {
    fetched.length = 0;
    const attempts = [
      'app://station/../secret.txt',
      'app://station/assets/../../secret.txt',
      'app://station/./index.html',
      'app://station/%2e%2e/secret.txt',
      'app://station/%2E%2E/secret.txt',
      'app://station/.%2e/secret.txt',
      'app://station/..%2fsecret.txt',
      'app://station/assets%2f..%2f..%2fsecret.txt',
      'app://station/..%5csecret.txt',
      'app://station/..\\secret.txt',
      'app://station/assets\\..\\..\\secret.txt',
      'app://station//etc/passwd',
      'app://station/C:/Windows/win.ini',
      'app://station/c%3a/Windows/win.ini',
      'app://station/index.html%00.js',
      'app://station/%',
    ];
    for (const url of attempts) {
      const response = await get(url);
      expect(response.status, url).toBe(403);
      expect(response.headers.get('content-security-policy'), url).toBe(CONTENT_SECURITY_POLICY);
    }
    expect(fetched).toEqual([]);
  });

  it('answers a missing file with 404 and anything but GET with 405', async () => {
    expect((await get('app://station/assets/missing.js')).status).toBe(404);
    expect((await serve({ url: 'app://station/index.html', method: 'POST' })).status).toBe(405);
  });

  it('is registered as a standard, secure scheme before ready and served after it', async () => {
    const app = await startTestApp();
    expect(app.fake.protocol.privileged).toEqual([APP_SCHEME]);
    expect(APP_SCHEME.privileges).toMatchObject({ standard: true, secure: true });
    const response = await app.fake.protocol.request('app://station/index.html');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect((await app.fake.protocol.request({ url: 'app://station/..%2fstations.json', method: 'GET' })).status).toBe(403);
  });
});
