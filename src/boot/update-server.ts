import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { USER_NETWORK_HOST } from './test-runner.js';

/**
 * A read-only HTTP server for the update round trip: the regular files directly in one directory
 * (a release's outputs with SHA256SUMS and SHA256SUMS.gpg), nothing else: no listing, no
 * subdirectories, no symlinks, no `..`. It listens on the loopback only; qemu's user network takes the
 * guest's connections to 10.0.2.2 there.
 */
export interface UpdateServer {
  /** The URL the guest uses: `http://10.0.2.2:PORT/`. */
  guestUrl: string;
  /** Every request, `METHOD /path STATUS`, for the logs. */
  requests: string[];
  close(): Promise<void>;
}

const FILE_NAME = /^\/([A-Za-z0-9][A-Za-z0-9._+~-]*)$/;

async function servedFile(dir: string, urlPath: string): Promise<{ file: string; size: number } | undefined> {
  const match = FILE_NAME.exec(decodeURIComponent(urlPath.split('?')[0]!));
  if (!match) return undefined;
  const file = path.join(dir, match[1]!);
  const info = await lstat(file).catch(() => undefined);
  return info?.isFile() ? { file, size: info.size } : undefined;
}

export async function serveDirectory(dir: string): Promise<UpdateServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const answer = (status: number): void => {
      requests.push(`${method} ${req.url ?? ''} ${status}`);
      res.writeHead(status).end();
    };
    if (method !== 'GET' && method !== 'HEAD') return answer(405);
    servedFile(dir, req.url ?? '/').then(
      (found) => {
        if (!found) return answer(404);
        requests.push(`${method} ${req.url ?? ''} 200`);
        res.writeHead(200, { 'content-length': found.size, 'content-type': 'application/octet-stream' });
        if (method === 'HEAD') return void res.end();
        createReadStream(found.file)
          .on('error', () => res.destroy())
          .pipe(res);
      },
      () => answer(500),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    guestUrl: `http://${USER_NETWORK_HOST}:${port}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
