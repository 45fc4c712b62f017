import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * The few GitHub REST endpoints a release needs, on 127.0.0.1: get a release by tag, create one, list,
 * delete and upload its assets (the upload URL points back here, as GitHub's points at its upload host).
 * Requests without the expected bearer token get 401; `forbid()` makes writes answer 403 as a token
 * without `contents: write` does. Uploaded assets are kept on disk with their sha256.
 */

export interface StoredAsset {
  id: number;
  name: string;
  size: number;
  sha256: string;
  file: string;
}

export interface StoredRelease {
  id: number;
  tag: string;
  targetCommitish: string | undefined;
  assets: StoredAsset[];
}

export interface GitHubApiServer {
  url: string;
  token: string;
  repository: string;
  requests: { method: string; path: string; status: number }[];
  releases: StoredRelease[];
  /** Adds a release with assets (name → content), as an earlier run would have left it. */
  seedRelease(tag: string, assets: Record<string, string>): StoredRelease;
  forbid(): void;
  close(): Promise<void>;
}

export async function startGitHubApiServer(repository = 'mkosi-ci/example'): Promise<GitHubApiServer> {
  const token = `ghs_${Math.random().toString(36).slice(2)}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'github-api-'));
  const releases: StoredRelease[] = [];
  const requests: GitHubApiServer['requests'] = [];
  let nextId = 100;
  let forbidden = false;
  let url = '';

  const releaseJson = (r: StoredRelease) => ({
    id: r.id,
    tag_name: r.tag,
    html_url: `https://github.com/${repository}/releases/tag/${encodeURIComponent(r.tag)}`,
    upload_url: `${url}/uploads/repos/${repository}/releases/${r.id}/assets{?name,label}`,
    assets: r.assets.map(assetJson),
  });
  const assetJson = (a: StoredAsset) => ({ id: a.id, name: a.name, size: a.size });

  const server = http.createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://localhost');
    const record = { method: req.method ?? '', path: parsed.pathname, status: 0 };
    requests.push(record);
    const send = (status: number, body?: unknown): void => {
      record.status = status;
      if (body === undefined) {
        res.writeHead(status).end();
      } else {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }
    };
    const readJson = async (): Promise<Record<string, unknown>> => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    };
    const handle = async (): Promise<void> => {
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, { message: 'Bad credentials' });
      if (forbidden && req.method !== 'GET') {
        req.resume();
        return send(403, { message: 'Resource not accessible by integration' });
      }
      const repo = `/repos/${repository}`;
      const p = parsed.pathname;
      let m: RegExpExecArray | null;
      if (req.method === 'GET' && (m = new RegExp(`^${repo}/releases/tags/(.+)$`).exec(p))) {
        const release = releases.find((r) => r.tag === decodeURIComponent(m![1]!));
        return release ? send(200, releaseJson(release)) : send(404, { message: 'Not Found' });
      }
      if (req.method === 'POST' && p === `${repo}/releases`) {
        const body = await readJson();
        const tag = String(body.tag_name);
        if (releases.some((r) => r.tag === tag))
          return send(422, { message: 'Validation Failed: already_exists' });
        const release: StoredRelease = {
          id: nextId++,
          tag,
          targetCommitish: body.target_commitish as string | undefined,
          assets: [],
        };
        releases.push(release);
        return send(201, releaseJson(release));
      }
      if (req.method === 'GET' && (m = new RegExp(`^${repo}/releases/(\\d+)/assets$`).exec(p))) {
        const release = releases.find((r) => r.id === Number(m![1]));
        if (!release) return send(404, { message: 'Not Found' });
        const perPage = Number(parsed.searchParams.get('per_page') ?? 30);
        const page = Number(parsed.searchParams.get('page') ?? 1);
        return send(200, release.assets.slice((page - 1) * perPage, page * perPage).map(assetJson));
      }
      if (req.method === 'DELETE' && (m = new RegExp(`^${repo}/releases/assets/(\\d+)$`).exec(p))) {
        for (const release of releases) {
          const index = release.assets.findIndex((a) => a.id === Number(m![1]));
          if (index >= 0) {
            rmSync(release.assets[index]!.file, { force: true });
            release.assets.splice(index, 1);
            return send(204);
          }
        }
        return send(404, { message: 'Not Found' });
      }
      if (req.method === 'POST' && (m = new RegExp(`^/uploads${repo}/releases/(\\d+)/assets$`).exec(p))) {
        const release = releases.find((r) => r.id === Number(m![1]));
        const name = parsed.searchParams.get('name');
        if (!release || !name) return send(404, { message: 'Not Found' });
        if (!req.headers['content-length']) return send(411, { message: 'Length Required' });
        if (release.assets.some((a) => a.name === name)) {
          req.resume();
          return send(422, { message: 'Validation Failed: already_exists' });
        }
        const id = nextId++;
        const file = path.join(dir, String(id));
        const hash = createHash('sha256');
        let size = 0;
        req.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          size += chunk.length;
        });
        await pipeline(req, createWriteStream(file));
        if (size !== Number(req.headers['content-length'])) return send(400, { message: 'length mismatch' });
        const asset: StoredAsset = { id, name, size, sha256: hash.digest('hex'), file };
        release.assets.push(asset);
        return send(201, assetJson(asset));
      }
      req.resume();
      return send(404, { message: `no route for ${req.method} ${p}` });
    };
    handle().catch((error: unknown) => {
      if (!res.headersSent) send(500, { message: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    repository,
    requests,
    releases,
    seedRelease(tag, assets) {
      const release: StoredRelease = { id: nextId++, tag, targetCommitish: undefined, assets: [] };
      for (const [name, content] of Object.entries(assets)) {
        const id = nextId++;
        const file = path.join(dir, String(id));
        const data = Buffer.from(content);
        writeFileSync(file, data);
        release.assets.push({
          id,
          name,
          size: data.length,
          sha256: createHash('sha256').update(data).digest('hex'),
          file,
        });
      }
      releases.push(release);
      return release;
    },
    forbid() {
      forbidden = true;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
