import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serveDirectory, type UpdateServer } from '../../../src/boot/update-server.js';

describe('the update server', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'update-server-'));
  writeFileSync(path.join(dir, 'SHA256SUMS'), 'abc *os_2.efi\n');
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(path.join(dir, 'sub', 'inner'), 'x');
  writeFileSync(path.join(os.tmpdir(), 'update-server-outside'), 'secret');
  symlinkSync(path.join(os.tmpdir(), 'update-server-outside'), path.join(dir, 'link'));
  let server: UpdateServer;
  const get = async (p: string, method = 'GET') => {
    server ??= await serveDirectory(dir);
    // The guest's address is the host's loopback as qemu's user network maps it.
    const port = new URL(server.guestUrl).port;
    return fetch(`http://127.0.0.1:${port}${p}`, { method });
  };
  afterAll(() => server?.close());

  it('is reached by the guest at 10.0.2.2 and serves the regular files of its directory', async () => {
    const response = await get('/SHA256SUMS');
    expect(server.guestUrl).toMatch(/^http:\/\/10\.0\.2\.2:\d+\/$/);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('abc *os_2.efi\n');
    const head = await get('/SHA256SUMS', 'HEAD');
    expect(head.headers.get('content-length')).toBe('14');
  });

  it('serves nothing else: no subdirectory, symlink, listing, parent or other method', async () => {
    for (const p of ['/sub/inner', '/sub', '/link', '/', '/..%2Fetc%2Fpasswd', '/%2e%2e/x']) {
      expect((await get(p)).status, p).toBe(404);
    }
    expect((await get('/SHA256SUMS', 'PUT')).status).toBe(405);
    expect(server.requests).toContain('GET /link 404');
  });
});
