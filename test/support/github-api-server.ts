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

/** One request and how to answer it. */
interface Exchange {
  req: http.IncomingMessage;
  url: URL;
  record: { method: string; path: string; status: number };
  send(status: number, body?: unknown, headers?: Record<string, string>): void;
  readJson(): Promise<Record<string, unknown>>;
}

function exchange(req: http.IncomingMessage, res: http.ServerResponse): Exchange {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const record = { method: req.method ?? '', path: url.pathname, status: 0 };
  return {
    req,
    url,
    record,
    send(status, body, headers = {}) {
      record.status = status;
      if (!req.readableEnded) req.resume();
      if (body === undefined) {
        res.writeHead(status, headers).end();
      } else {
        res
          .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
          .end(JSON.stringify(body));
      }
    },
    async readJson() {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    },
  };
}

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

  /** The next stored asset, listed from the start as GitHub lists an upload in progress. */
  const startAsset = (release: StoredRelease, name: string): StoredAsset => {
    const id = nextId++;
    const asset: StoredAsset = {
      id,
      name,
      size: 0,
      sha256: '',
      file: path.join(dir, String(id)),
      state: 'starter',
    };
    release.assets.push(asset);
    return asset;
  };

  /** A failing upload: read half the body, then drop the connection or answer 502; the starter stays. */
  const breakUpload = async (x: Exchange, expected: number): Promise<void> => {
    const how = failingUploads.how;
    failingUploads.left--;
    let seen = 0;
    await new Promise<void>((resolve) => {
      x.req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen >= expected / 2 && how === 'disconnect') {
          x.record.status = -1;
          x.req.socket.destroy();
          resolve();
        }
      });
      x.req.on('end', resolve);
      x.req.on('close', resolve);
    });
    if (how === 'status') x.send(502, { message: 'Bad Gateway' });
  };

  const upload = async (x: Exchange, release: StoredRelease, name: string): Promise<void> => {
    if (!x.req.headers['content-length']) return x.send(411, { message: 'Length Required' });
    const stored = storedName(name);
    if (release.assets.some((a) => a.name === stored)) {
      return x.send(422, {
        message: 'Validation Failed',
        errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }],
      });
    }
    const asset = startAsset(release, stored);
    const expected = Number(x.req.headers['content-length']);
    if (failingUploads.left > 0) return breakUpload(x, expected);
    const hash = createHash('sha256');
    x.req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      asset.size += chunk.length;
    });
    await pipeline(x.req, createWriteStream(asset.file));
    if (asset.size !== expected) return x.send(400, { message: 'length mismatch' });
    asset.sha256 = hash.digest('hex');
    asset.state = 'uploaded';
    return x.send(201, assetJson(asset));
  };

  /** Authentication and the injected faults; true when the request was answered here. */
  const refused = (x: Exchange): boolean => {
    const [scheme, given] = (x.req.headers.authorization ?? '').split(' ');
    if (!/^(token|bearer)$/i.test(scheme ?? '') || given !== token) {
      x.send(401, { message: 'Bad credentials' });
      return true;
    }
    const fault = faults.find(
      (f) => f.left > 0 && f.method === x.req.method && f.pattern.test(x.url.pathname),
    );
    if (fault) {
      fault.left--;
      x.send(fault.status, { message: 'Server Error' });
      return true;
    }
    if (rateLimited > 0) {
      rateLimited--;
      const reset = String(Math.ceil(Date.now() / 1000) + 1);
      x.send(
        403,
        { message: 'API rate limit exceeded for installation.' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
      );
      return true;
    }
    if (forbidden && x.req.method !== 'GET') {
      x.send(403, { message: 'Resource not accessible by integration' });
      return true;
    }
    return false;
  };

  const createRelease = async (x: Exchange): Promise<void> => {
    const body = await x.readJson();
    const tag = String(body.tag_name);
    if (releases.some((r) => r.tag === tag))
      return x.send(422, { message: 'Validation Failed: already_exists' });
    const release: StoredRelease = {
      id: nextId++,
      tag,
      targetCommitish: body.target_commitish as string | undefined,
      assets: [],
    };
    releases.push(release);
    return x.send(201, releaseJson(release));
  };

  /** One page of a release's assets, with the Link header Octokit's paginate follows. */
  const listAssets = (x: Exchange, release: StoredRelease): void => {
    const perPage = Math.min(100, Number(x.url.searchParams.get('per_page') ?? ASSET_PAGE_DEFAULT));
    const page = Number(x.url.searchParams.get('page') ?? 1);
    const last = Math.max(1, Math.ceil(release.assets.length / perPage));
    const link = (n: number, rel: string): string =>
      `<${url}${x.url.pathname}?per_page=${perPage}&page=${n}>; rel="${rel}"`;
    const links = [
      ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
      ...(page > 1 ? [link(1, 'first'), link(page - 1, 'prev')] : []),
    ];
    x.send(
      200,
      release.assets.slice((page - 1) * perPage, page * perPage).map(assetJson),
      links.length > 0 ? { link: links.join(', ') } : {},
    );
  };

  const renameAsset = async (x: Exchange, release: StoredRelease, asset: StoredAsset): Promise<void> => {
    const body = await x.readJson();
    if (typeof body.name === 'string') {
      const name = storedName(body.name);
      if (release.assets.some((a) => a !== asset && a.name === name)) {
        return x.send(422, { message: 'Validation Failed: already_exists' });
      }
      asset.name = name;
    }
    return x.send(200, assetJson(asset));
  };

  const assetRoute = async (x: Exchange, id: number): Promise<void> => {
    const found = findAsset(id);
    if (!found) return x.send(404, { message: 'Not Found' });
    const asset = found.release.assets[found.index]!;
    if (x.req.method === 'PATCH') return renameAsset(x, found.release, asset);
    rmSync(asset.file, { force: true });
    found.release.assets.splice(found.index, 1);
    return x.send(204);
  };

  const route = async (x: Exchange): Promise<void> => {
    if (refused(x)) return;
    const repo = `/repos/${repository}`;
    const p = x.url.pathname;
    const method = x.req.method;
    const byId = (pattern: string): StoredRelease | undefined | null => {
      const m = new RegExp(pattern).exec(p);
      return m ? (releases.find((r) => r.id === Number(m[1])) ?? null) : undefined;
    };
    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = new RegExp(`^${repo}/releases/tags/(.+)$`).exec(p))) {
      const release = releases.find((r) => r.tag === decodeURIComponent(m![1]!));
      return release ? x.send(200, releaseJson(release)) : x.send(404, { message: 'Not Found' });
    }
    if (method === 'POST' && p === `${repo}/releases`) return createRelease(x);
    const listed = method === 'GET' ? byId(`^${repo}/releases/(\\d+)/assets$`) : undefined;
    if (listed !== undefined) return listed ? listAssets(x, listed) : x.send(404, { message: 'Not Found' });
    if (
      (method === 'DELETE' || method === 'PATCH') &&
      (m = new RegExp(`^${repo}/releases/assets/(\\d+)$`).exec(p))
    ) {
      return assetRoute(x, Number(m[1]));
    }
    const target = method === 'POST' ? byId(`^/uploads${repo}/releases/(\\d+)/assets$`) : undefined;
    const name = x.url.searchParams.get('name');
    if (target !== undefined)
      return target && name ? upload(x, target, name) : x.send(404, { message: 'Not Found' });
    return x.send(404, { message: `no route for ${method} ${p}` });
  };

  const server = http.createServer((req, res) => {
    const x = exchange(req, res);
    requests.push(x.record);
    route(x).catch((error: unknown) => {
      if (!res.headersSent) x.send(500, { message: String(error) });
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
