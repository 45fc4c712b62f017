import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { githubAssetName, githubKeepsName } from '../../src/github/asset-names.js';

/**
 * The GitHub REST endpoints a release needs, on 127.0.0.1, close enough to GitHub for Octokit (given
 * this server as baseUrl): get a release by tag, create one, list its assets (pages with Link headers),
 * delete and rename (PATCH) an asset, and upload one at the release's upload_url, which points back here
 * as GitHub's points at its upload host. Like GitHub it takes `token X` and `Bearer X`, renames asset
 * names it does not keep, answers 422 to a name that exists, and leaves an empty asset in state
 * "starter" behind a failed upload. Faults: `forbid()` (403 on writes, a token without contents: write),
 * `failUploads(n)` (the next n uploads fail halfway), `failRequests(…)` (5xx) and `rateLimit(n)`.
 */

export interface StoredAsset {
  id: number;
  name: string;
  size: number;
  sha256: string;
  file: string;
  state: 'uploaded' | 'starter';
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
  /** The next `count` uploads break off halfway: `status` answers it, `disconnect` drops the connection. */
  failUploads(count: number, how?: 'status' | 'disconnect'): void;
  /** The next `count` requests matching answer `status` (5xx: what Octokit's retry plugin retries). */
  failRequests(method: string, pathPattern: RegExp, status: number, count: number): void;
  /** The next `count` requests answer 403 with x-ratelimit-remaining: 0, reset one second ahead. */
  rateLimit(count: number): void;
  close(): Promise<void>;
}

interface Fault {
  method: string;
  pattern: RegExp;
  status: number;
  left: number;
}

const ASSET_PAGE_DEFAULT = 30;

export async function startGitHubApiServer(repository = 'mkosi-ci/example'): Promise<GitHubApiServer> {
  const token = `ghs_${Math.random().toString(36).slice(2)}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'github-api-'));
  const releases: StoredRelease[] = [];
  const requests: GitHubApiServer['requests'] = [];
  const faults: Fault[] = [];
  let failingUploads = { left: 0, how: 'status' as 'status' | 'disconnect' };
  let rateLimited = 0;
  let nextId = 100;
  let forbidden = false;
  let url = '';

  const assetJson = (a: StoredAsset) => ({
    id: a.id,
    url: `${url}/repos/${repository}/releases/assets/${a.id}`,
    name: a.name,
    label: null,
    state: a.state,
    size: a.size,
    content_type: 'application/octet-stream',
    browser_download_url: `https://github.com/${repository}/releases/download/x/${a.name}`,
  });
  const releaseJson = (r: StoredRelease) => ({
    id: r.id,
    url: `${url}/repos/${repository}/releases/${r.id}`,
    tag_name: r.tag,
    name: r.tag,
    target_commitish: r.targetCommitish ?? 'main',
    html_url: `https://github.com/${repository}/releases/tag/${encodeURIComponent(r.tag)}`,
    upload_url: `${url}/uploads/repos/${repository}/releases/${r.id}/assets{?name,label}`,
    assets: r.assets.map(assetJson),
  });
  const storedName = (name: string): string => (githubKeepsName(name) ? name : githubAssetName(name));
  const findAsset = (id: number): { release: StoredRelease; index: number } | undefined => {
    for (const release of releases) {
      const index = release.assets.findIndex((a) => a.id === id);
      if (index >= 0) return { release, index };
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://localhost');
    const record = { method: req.method ?? '', path: parsed.pathname, status: 0 };
    requests.push(record);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      if (!req.readableEnded) req.resume();
      if (body === undefined) {
        res.writeHead(status, headers).end();
      } else {
        res
          .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
          .end(JSON.stringify(body));
      }
    };
    const readJson = async (): Promise<Record<string, unknown>> => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    };
    const upload = async (release: StoredRelease, name: string): Promise<void> => {
      if (!req.headers['content-length']) return send(411, { message: 'Length Required' });
      const stored = storedName(name);
      if (release.assets.some((a) => a.name === stored)) {
        return send(422, {
          message: 'Validation Failed',
          errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }],
        });
      }
      const id = nextId++;
      const file = path.join(dir, String(id));
      const asset: StoredAsset = { id, name: stored, size: 0, sha256: '', file, state: 'starter' };
      // Listed from the start, as GitHub lists an upload in progress.
      release.assets.push(asset);
      const hash = createHash('sha256');
      const expected = Number(req.headers['content-length']);
      if (failingUploads.left > 0) {
        failingUploads.left--;
        const how = failingUploads.how;
        let seen = 0;
        await new Promise<void>((resolve) => {
          req.on('data', (chunk: Buffer) => {
            seen += chunk.length;
            if (seen >= expected / 2 && how === 'disconnect') {
              record.status = -1;
              req.socket.destroy();
              resolve();
            }
          });
          req.on('end', resolve);
          req.on('close', resolve);
        });
        if (how === 'status') send(502, { message: 'Bad Gateway' });
        return;
      }
      req.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        asset.size += chunk.length;
      });
      await pipeline(req, createWriteStream(file));
      if (asset.size !== expected) return send(400, { message: 'length mismatch' });
      asset.sha256 = hash.digest('hex');
      asset.state = 'uploaded';
      return send(201, assetJson(asset));
    };
    const handle = async (): Promise<void> => {
      if (
        !/^(token|bearer) /i.test(req.headers.authorization ?? '') ||
        req.headers.authorization!.split(' ')[1] !== token
      )
        return send(401, { message: 'Bad credentials' });
      const fault = faults.find(
        (f) => f.left > 0 && f.method === req.method && f.pattern.test(parsed.pathname),
      );
      if (fault) {
        fault.left--;
        return send(fault.status, { message: 'Server Error' });
      }
      if (rateLimited > 0) {
        rateLimited--;
        return send(
          403,
          { message: 'API rate limit exceeded for installation.' },
          { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1) },
        );
      }
      if (forbidden && req.method !== 'GET')
        return send(403, { message: 'Resource not accessible by integration' });
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
        const perPage = Math.min(100, Number(parsed.searchParams.get('per_page') ?? ASSET_PAGE_DEFAULT));
        const page = Number(parsed.searchParams.get('page') ?? 1);
        const last = Math.max(1, Math.ceil(release.assets.length / perPage));
        const link = (n: number, rel: string): string =>
          `<${url}${p}?per_page=${perPage}&page=${n}>; rel="${rel}"`;
        const links = [
          ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
          ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : []),
        ];
        return send(
          200,
          release.assets.slice((page - 1) * perPage, page * perPage).map(assetJson),
          links.length > 0 ? { link: links.join(', ') } : {},
        );
      }
      if (req.method === 'DELETE' && (m = new RegExp(`^${repo}/releases/assets/(\\d+)$`).exec(p))) {
        const found = findAsset(Number(m[1]));
        if (!found) return send(404, { message: 'Not Found' });
        rmSync(found.release.assets[found.index]!.file, { force: true });
        found.release.assets.splice(found.index, 1);
        return send(204);
      }
      if (req.method === 'PATCH' && (m = new RegExp(`^${repo}/releases/assets/(\\d+)$`).exec(p))) {
        const found = findAsset(Number(m[1]));
        if (!found) return send(404, { message: 'Not Found' });
        const body = await readJson();
        const asset = found.release.assets[found.index]!;
        if (typeof body.name === 'string') {
          const name = storedName(body.name);
          if (found.release.assets.some((a) => a !== asset && a.name === name)) {
            return send(422, { message: 'Validation Failed: already_exists' });
          }
          asset.name = name;
        }
        return send(200, assetJson(asset));
      }
      if (req.method === 'POST' && (m = new RegExp(`^/uploads${repo}/releases/(\\d+)/assets$`).exec(p))) {
        const release = releases.find((r) => r.id === Number(m![1]));
        const name = parsed.searchParams.get('name');
        if (!release || !name) return send(404, { message: 'Not Found' });
        return upload(release, name);
      }
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
          state: 'uploaded',
        });
      }
      releases.push(release);
      return release;
    },
    forbid() {
      forbidden = true;
    },
    failUploads(count, how = 'status') {
      failingUploads = { left: count, how };
    },
    failRequests(method, pattern, status, count) {
      faults.push({ method, pattern, status, left: count });
    },
    rateLimit(count) {
      rateLimited = count;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
