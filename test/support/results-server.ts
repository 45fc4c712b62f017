import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm, unlink } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * An in-process stand-in for GitHub's results service on 127.0.0.1, enough for the real
 * `@actions/cache` (cache service v2) and `@actions/artifact` (artifact service v4) libraries:
 *
 * - Twirp JSON under `/twirp/github.actions.results.api.v1.CacheService/` and
 *   `/twirp/github.actions.results.api.v1.ArtifactService/` (snake_case protojson, int64 as strings,
 *   errors as `{code, msg}` with the Twirp status codes);
 * - the signed blob URLs it hands out, speaking the part of the Azure Blob REST API that
 *   `@azure/storage-blob` uses: Put Blob, Put Block, Put Block List, Get Blob (with `x-ms-range`/`Range`)
 *   and Get Blob Properties (HEAD). Blobs live in a temp directory on disk.
 *
 * Faults (`server.fault(...)`) make the next N matching requests answer 500 or 429, hang, or (for blob
 * GETs) serve corrupt bytes. Every request is logged in `server.requests`.
 */

export const CACHE_SERVICE = 'github.actions.results.api.v1.CacheService';
export const ARTIFACT_SERVICE = 'github.actions.results.api.v1.ArtifactService';

export type TwirpMethod =
  | 'CreateCacheEntry'
  | 'FinalizeCacheEntryUpload'
  | 'GetCacheEntryDownloadURL'
  | 'CreateArtifact'
  | 'FinalizeArtifact'
  | 'ListArtifacts'
  | 'GetSignedArtifactURL'
  | 'DeleteArtifact';

/** Twirp methods by name; blob operations as `blob:<op>`; anything unrouted is `other`. */
export type Endpoint =
  TwirpMethod | 'blob:put' | 'blob:block' | 'blob:blocklist' | 'blob:get' | 'blob:head' | 'other';

export type FaultKind = '500' | '429' | 'hang' | 'corrupt';

export interface FaultSpec {
  /** One endpoint, several, or every Twirp method (`twirp`) / every blob operation (`blob`). */
  endpoint: Endpoint | Endpoint[] | 'twirp' | 'blob';
  kind: FaultKind;
  /** How many matching requests get the fault (default 1; `Infinity` for all until cleared). */
  times?: number;
  /** For 429: the Retry-After header in seconds (omitted when undefined). */
  retryAfterSeconds?: number;
  /** For hang: destroy the socket after this many ms (default: hold it until the server closes). */
  hangMs?: number;
  /** Narrow the fault further, e.g. to one cache key or blob. */
  match?: (request: LoggedRequest) => boolean;
}

export interface Fault extends Required<Pick<FaultSpec, 'kind' | 'times'>> {
  spec: FaultSpec;
  /** How many requests this fault has hit so far. */
  hits: number;
}

export interface LoggedRequest {
  seq: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  endpoint: Endpoint;
  /** Parsed JSON body of a Twirp call. */
  body?: Record<string, unknown>;
  /** Request headers (lower-case names). */
  headers: http.IncomingHttpHeaders;
  /** Blob this request addressed, for blob operations. */
  blob?: string;
  status?: number;
  fault?: FaultKind;
  startedAt: number;
  durationMs?: number;
}

export interface CacheEntry {
  id: number;
  key: string;
  version: string;
  blob: string;
  finalized: boolean;
  sizeBytes?: number;
  /** Creation order; the restore-key prefix match returns the highest. */
  createdSeq: number;
  createdAt: Date;
}

export interface ArtifactEntry {
  id: number;
  name: string;
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
  blob: string;
  finalized: boolean;
  size?: number;
  /** `sha256:<hex>` as the library reported it at finalize. */
  digest?: string;
  mimeType?: string;
  expiresAt?: string;
  createdAt: Date;
}

export interface BlobInfo {
  name: string;
  file: string;
  size: number;
  etag: string;
  lastModified: Date;
  contentType: string;
  contentMd5?: string;
  /** `put` for a single-shot Put Blob, `blocklist` for a committed block list. */
  committedBy: 'put' | 'blocklist';
  blockCount: number;
}

export interface ResultsServerOptions {
  /**
   * Host name in the signed blob URLs. @actions/cache only takes its real download path (the storage
   * SDK: HEAD, then ranged GETs under a segment timeout) for hosts ending in `.blob.core.windows.net`;
   * for any other host it falls back to one plain GET. So by default the URLs name such a host over
   * plain http, and env() routes it here with HTTP_PROXY (NO_PROXY keeps 127.0.0.1 direct); the server
   * answers the proxied requests itself and nothing leaves the machine. `false`: URLs point straight at
   * 127.0.0.1 (no proxy variables; the cache download then uses the plain GET path).
   */
  blobHost?: string | false;
  /** Backend IDs the runtime token carries in its `scp` claim. */
  workflowRunBackendId?: string;
  workflowJobRunBackendId?: string;
}

export interface ResultsServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Temp directory holding the blobs and a runner temp dir; removed by close(). */
  root: string;
  token: string;
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
  requests: LoggedRequest[];
  /** Environment for a process running the libraries against this server. */
  env(): Record<string, string>;
  cacheEntries(): CacheEntry[];
  artifacts(): ArtifactEntry[];
  blobs(): BlobInfo[];
  /** Path of the committed blob's file on disk (for assertions). */
  blobPath(name: string): string | undefined;
  /** Add a fault; it applies to the next `times` matching requests. */
  fault(spec: FaultSpec): Fault;
  clearFaults(): void;
  /** Requests for one endpoint (or all when omitted). */
  log(endpoint?: Endpoint): LoggedRequest[];
  /** Drop all entries, artifacts, blobs, faults and the request log. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

const TWIRP_METHODS: Record<string, readonly TwirpMethod[]> = {
  [CACHE_SERVICE]: ['CreateCacheEntry', 'FinalizeCacheEntryUpload', 'GetCacheEntryDownloadURL'],
  [ARTIFACT_SERVICE]: [
    'CreateArtifact',
    'FinalizeArtifact',
    'ListArtifacts',
    'GetSignedArtifactURL',
    'DeleteArtifact',
  ],
};

const TWIRP_STATUS: Record<string, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 412,
  resource_exhausted: 429,
  internal: 500,
  unavailable: 503,
};

/** The storage API version we claim to speak when the client sends none. */
const STORAGE_VERSION = '2025-01-05';
const BLOB_PREFIX = '/blobstore/';
const ACCOUNT = 'devstoreaccount1';

class TwirpError extends Error {
  constructor(
    readonly code: keyof typeof TWIRP_STATUS,
    message: string,
  ) {
    super(message);
  }
}

class StorageError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** An HS256 JWT shaped like the runner's ACTIONS_RUNTIME_TOKEN (nobody verifies the signature). */
function runtimeToken(runId: string, jobId: string): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
  const payload = base64url(
    JSON.stringify({
      nameid: 'dddddddd-dddd-dddd-dddd-dddddddddddd',
      scp: `Actions.ExampleScope Actions.Results:${runId}:${jobId}`,
      ac: JSON.stringify([{ Scope: 'refs/heads/main', Permission: 3 }]),
      iss: 'vstoken.actions.githubusercontent.com',
      aud: 'vso:00000000-0000-0000-0000-000000000000',
      nbf: now - 60,
      iat: now - 60,
      exp: now + 6 * 3600,
    }),
  );
  const signature = createHmac('sha256', randomBytes(32)).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

function etagFor(): string {
  return `"0x8D${randomBytes(7).toString('hex').toUpperCase()}"`;
}

function storageXmlError(code: string, message: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code>` +
    `<Message>${message}\nRequestId:${randomUUID()}\nTime:${new Date().toISOString()}</Message></Error>`
  );
}

/** Block IDs from a Put Block List body, in order (Committed, Uncommitted and Latest all count). */
function parseBlockList(xml: string): string[] {
  const ids: string[] = [];
  for (const m of xml.matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)) ids.push(m[2]!.trim());
  return ids;
}

function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'invalid' | null {
  if (!header) return null;
  const m = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!m) return 'invalid';
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (start >= size || end < start) return 'invalid';
  return { start, end };
}

/** XORs `count` bytes starting at absolute blob offset `at` in a stream that begins at `offset`. */
function corrupter(offset: number, at: number, count: number): Transform {
  let pos = offset;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const from = Math.max(at, pos);
      const to = Math.min(at + count, pos + chunk.length);
      if (from < to) {
        chunk = Buffer.from(chunk);
        for (let i = from; i < to; i++) chunk[i - pos] = chunk[i - pos]! ^ 0xff;
      }
      pos += chunk.length;
      done(null, chunk);
    },
  });
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function isoNoMillis(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function startResultsServer(options: ResultsServerOptions = {}): Promise<ResultsServer> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mkosi-ci-results-'));
  const blobDir = path.join(root, 'blobs');
  const blockDir = path.join(root, 'blocks');
  const runnerTemp = path.join(root, 'runner-temp');
  await Promise.all([blobDir, blockDir, runnerTemp].map((d) => mkdir(d, { recursive: true })));

  const workflowRunBackendId = options.workflowRunBackendId ?? randomUUID();
  const workflowJobRunBackendId = options.workflowJobRunBackendId ?? randomUUID();
  const token = runtimeToken(workflowRunBackendId, workflowJobRunBackendId);

  const requests: LoggedRequest[] = [];
  let faults: Fault[] = [];
  let cache: CacheEntry[] = [];
  let artifactList: ArtifactEntry[] = [];
  const blobMap = new Map<string, BlobInfo>();
  /** Signature issued for each blob name; requests must carry it. */
  const signatures = new Map<string, string>();
  /** Uncommitted blocks per blob: block id → file. */
  const stagedBlocks = new Map<string, Map<string, string>>();
  const hanging = new Set<Socket>();
  let seq = 0;
  let nextCacheId = 1000;
  let nextArtifactId = 5000;
  let url = '';
  const blobHost = options.blobHost === undefined ? 'mkosiciresults.blob.core.windows.net' : options.blobHost;

  const blobFile = (name: string): string =>
    path.join(blobDir, createHash('sha256').update(name).digest('hex'));

  function signedUrl(container: string, name: string, permissions: string): string {
    const blob = `${container}/${name}`;
    let sig = signatures.get(blob);
    if (!sig) {
      sig = randomBytes(24).toString('base64');
      signatures.set(blob, sig);
    }
    const query = new URLSearchParams({
      sv: STORAGE_VERSION,
      sr: 'b',
      sp: permissions,
      se: isoNoMillis(new Date(Date.now() + 6 * 3600_000)),
      sig,
    });
    const encodedName = name.split('/').map(encodeURIComponent).join('/');
    const base = blobHost ? `http://${blobHost}/` : `${url}${BLOB_PREFIX}${ACCOUNT}/`;
    return `${base}${container}/${encodedName}?${query}`;
  }

  function takeFault(entry: LoggedRequest): Fault | undefined {
    for (const f of faults) {
      if (f.hits >= f.times) continue;
      const ep = f.spec.endpoint;
      const endpointMatches =
        ep === 'twirp'
          ? !entry.endpoint.startsWith('blob:') && entry.endpoint !== 'other'
          : ep === 'blob'
            ? entry.endpoint.startsWith('blob:')
            : Array.isArray(ep)
              ? ep.includes(entry.endpoint)
              : ep === entry.endpoint;
      if (!endpointMatches) continue;
      if (f.kind === 'corrupt' && entry.endpoint !== 'blob:get') continue;
      if (f.spec.match && !f.spec.match(entry)) continue;
      f.hits++;
      return f;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- Twirp

  function requireRunIds(body: Record<string, unknown>): { run: string; job: string } {
    const run = String(body.workflow_run_backend_id ?? '');
    const job = String(body.workflow_job_run_backend_id ?? '');
    if (!run || !job)
      throw new TwirpError('invalid_argument', 'workflow run and job backend ids are required');
    if (run !== workflowRunBackendId)
      throw new TwirpError('permission_denied', 'workflow run backend id mismatch');
    return { run, job };
  }

  const twirp: Record<TwirpMethod, (body: Record<string, unknown>) => Record<string, unknown>> = {
    CreateCacheEntry(body) {
      const key = String(body.key ?? '');
      const version = String(body.version ?? '');
      if (!key || !version) throw new TwirpError('invalid_argument', 'key and version are required');
      if (cache.some((e) => e.key === key && e.version === version)) {
        // What GitHub answers when the key (with this version, in this scope) exists or is being written.
        throw new TwirpError(
          'already_exists',
          'cache entry with the same key, version, and scope already exists',
        );
      }
      const id = nextCacheId++;
      const blob = `actions-cache/${id}-${createHash('sha256').update(`${key}\0${version}`).digest('hex').slice(0, 16)}`;
      cache.push({ id, key, version, blob, finalized: false, createdSeq: seq, createdAt: new Date() });
      return { ok: true, signed_upload_url: signedUrl('actions-cache', blob.split('/')[1]!, 'rcw') };
    },
    FinalizeCacheEntryUpload(body) {
      const key = String(body.key ?? '');
      const version = String(body.version ?? '');
      const entry = cache.find((e) => e.key === key && e.version === version && !e.finalized);
      if (!entry) throw new TwirpError('not_found', 'cache entry not found');
      const blob = blobMap.get(entry.blob);
      if (!blob) throw new TwirpError('failed_precondition', 'cache entry has no uploaded blob');
      const sizeBytes = Number(body.size_bytes ?? 0);
      if (sizeBytes !== blob.size) {
        throw new TwirpError(
          'invalid_argument',
          `size_bytes ${sizeBytes} does not match uploaded ${blob.size}`,
        );
      }
      entry.finalized = true;
      entry.sizeBytes = sizeBytes;
      return { ok: true, entry_id: String(entry.id) };
    },
    GetCacheEntryDownloadURL(body) {
      const key = String(body.key ?? '');
      const version = String(body.version ?? '');
      const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys.map(String) : [];
      const candidates = cache.filter((e) => e.finalized && e.version === version);
      const newest = (list: CacheEntry[]): CacheEntry | undefined =>
        list.reduce<CacheEntry | undefined>((a, b) => (a && a.createdSeq > b.createdSeq ? a : b), undefined);
      // As documented for actions/cache: exact key, then prefix of key, then each restore key in order
      // (exact, else the newest entry it prefixes).
      let hit =
        candidates.find((e) => e.key === key) ?? newest(candidates.filter((e) => e.key.startsWith(key)));
      for (const rk of restoreKeys) {
        if (hit) break;
        hit = candidates.find((e) => e.key === rk) ?? newest(candidates.filter((e) => e.key.startsWith(rk)));
      }
      if (!hit) return { ok: false, signed_download_url: '', matched_key: '' };
      return {
        ok: true,
        signed_download_url: signedUrl('actions-cache', hit.blob.split('/')[1]!, 'r'),
        matched_key: hit.key,
      };
    },
    CreateArtifact(body) {
      const { run, job } = requireRunIds(body);
      const name = String(body.name ?? '');
      if (!name) throw new TwirpError('invalid_argument', 'name is required');
      if (Number(body.version ?? 0) < 4)
        throw new TwirpError('invalid_argument', 'artifact version must be >= 4');
      if (artifactList.some((a) => a.workflowRunBackendId === run && a.name === name)) {
        throw new TwirpError(
          'already_exists',
          'an artifact with this name already exists on the workflow run',
        );
      }
      const id = nextArtifactId++;
      const blob = `actions-results/${run}/${job}/${id}/${name}.zip`;
      const mimeType = typeof body.mime_type === 'string' ? body.mime_type : undefined;
      artifactList.push({
        id,
        name,
        workflowRunBackendId: run,
        workflowJobRunBackendId: job,
        blob,
        finalized: false,
        createdAt: new Date(),
        ...(mimeType ? { mimeType } : {}),
        ...(typeof body.expires_at === 'string' ? { expiresAt: body.expires_at } : {}),
      });
      return {
        ok: true,
        signed_upload_url: signedUrl('actions-results', blob.slice('actions-results/'.length), 'racwt'),
      };
    },
    FinalizeArtifact(body) {
      const { run } = requireRunIds(body);
      const name = String(body.name ?? '');
      const a = artifactList.find((x) => x.workflowRunBackendId === run && x.name === name && !x.finalized);
      if (!a) throw new TwirpError('not_found', 'artifact not found');
      const blob = blobMap.get(a.blob);
      if (!blob) throw new TwirpError('failed_precondition', 'artifact has no uploaded blob');
      a.finalized = true;
      a.size = Number(body.size ?? blob.size);
      if (typeof body.hash === 'string') a.digest = body.hash;
      return { ok: true, artifact_id: String(a.id) };
    },
    ListArtifacts(body) {
      const { run } = requireRunIds(body);
      const nameFilter = typeof body.name_filter === 'string' ? body.name_filter : undefined;
      const idFilter = body.id_filter !== undefined ? Number(body.id_filter) : undefined;
      const list = artifactList.filter(
        (a) =>
          a.finalized &&
          a.workflowRunBackendId === run &&
          (nameFilter === undefined || a.name === nameFilter) &&
          (idFilter === undefined || a.id === idFilter),
      );
      return {
        artifacts: list.map((a) => ({
          workflow_run_backend_id: a.workflowRunBackendId,
          workflow_job_run_backend_id: a.workflowJobRunBackendId,
          database_id: String(a.id),
          name: a.name,
          size: String(a.size ?? 0),
          created_at: a.createdAt.toISOString(),
          ...(a.digest ? { digest: a.digest } : {}),
        })),
      };
    },
    GetSignedArtifactURL(body) {
      const { run } = requireRunIds(body);
      const name = String(body.name ?? '');
      const a = artifactList.find((x) => x.workflowRunBackendId === run && x.name === name && x.finalized);
      if (!a) throw new TwirpError('not_found', 'artifact not found');
      return { signed_url: signedUrl('actions-results', a.blob.slice('actions-results/'.length), 'r') };
    },
    DeleteArtifact(body) {
      const { run } = requireRunIds(body);
      const name = String(body.name ?? '');
      const a = artifactList.find((x) => x.workflowRunBackendId === run && x.name === name && x.finalized);
      if (!a) throw new TwirpError('not_found', 'artifact not found');
      artifactList = artifactList.filter((x) => x !== a);
      return { ok: true, artifact_id: String(a.id) };
    },
  };

  async function handleTwirp(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    entry: LoggedRequest,
    method: TwirpMethod,
  ): Promise<void> {
    const send = (status: number, body: unknown): void => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    try {
      if (req.method !== 'POST') throw new TwirpError('invalid_argument', 'twirp calls must be POST');
      if (req.headers.authorization !== `Bearer ${token}`)
        throw new TwirpError('unauthenticated', 'bad token');
      const raw = await readBody(req);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        throw new TwirpError('invalid_argument', 'body is not JSON');
      }
      entry.body = body;
      send(200, twirp[method](body));
    } catch (error) {
      if (error instanceof TwirpError)
        send(TWIRP_STATUS[error.code] ?? 500, { code: error.code, msg: error.message });
      else send(500, { code: 'internal', msg: String(error) });
    }
  }

  // ---------------------------------------------------------------- blobs

  function storageHeaders(req: http.IncomingMessage): Record<string, string> {
    const headers: Record<string, string> = {
      'x-ms-request-id': randomUUID(),
      'x-ms-version': String(req.headers['x-ms-version'] ?? STORAGE_VERSION),
      date: new Date().toUTCString(),
      server: 'Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0',
    };
    const clientRequestId = req.headers['x-ms-client-request-id'];
    if (typeof clientRequestId === 'string') headers['x-ms-client-request-id'] = clientRequestId;
    return headers;
  }

  /** Streams the request body to `file`, returning its size and MD5 (base64). */
  async function receive(req: http.IncomingMessage, file: string): Promise<{ size: number; md5: string }> {
    const md5 = createHash('md5');
    let size = 0;
    await pipeline(
      req,
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          md5.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      }),
      createWriteStream(file),
    );
    const digest = md5.digest('base64');
    const expected = req.headers['content-md5'];
    if (typeof expected === 'string' && expected !== digest) {
      await unlink(file).catch(() => undefined);
      throw new StorageError(
        400,
        'Md5Mismatch',
        'The MD5 value specified in the request did not match the MD5 value calculated by the server.',
      );
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) !== size) {
      await unlink(file).catch(() => undefined);
      throw new StorageError(
        400,
        'InvalidHeaderValue',
        `Content-Length ${declared} but received ${size} bytes.`,
      );
    }
    return { size, md5: digest };
  }

  async function commit(
    req: http.IncomingMessage,
    name: string,
    file: string,
    size: number,
    committedBy: BlobInfo['committedBy'],
    blockCount: number,
    contentMd5?: string,
  ): Promise<BlobInfo> {
    const info: BlobInfo = {
      name,
      file,
      size,
      etag: etagFor(),
      lastModified: new Date(),
      contentType: String(req.headers['x-ms-blob-content-type'] ?? 'application/octet-stream'),
      committedBy,
      blockCount,
      ...(contentMd5 ? { contentMd5 } : {}),
    };
    blobMap.set(name, info);
    return info;
  }

  async function handleBlob(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    entry: LoggedRequest,
    name: string,
    fault: Fault | undefined,
  ): Promise<void> {
    const headers = storageHeaders(req);
    const query = entry.query;
    const expectedSig = signatures.get(name);
    if (!expectedSig || query.sig !== expectedSig) {
      throw new StorageError(403, 'AuthenticationFailed', 'Server failed to authenticate the request.');
    }
    const comp = query.comp;
    if (req.method === 'PUT' && comp === 'block') {
      const blockId = query.blockid;
      if (!blockId) throw new StorageError(400, 'InvalidQueryParameterValue', 'blockid is required');
      const dir = path.join(blockDir, createHash('sha256').update(name).digest('hex'));
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, Buffer.from(blockId, 'base64').toString('hex') || 'empty');
      const { md5 } = await receive(req, file);
      let staged = stagedBlocks.get(name);
      if (!staged) stagedBlocks.set(name, (staged = new Map()));
      staged.set(blockId, file);
      entry.status = 201;
      res
        .writeHead(201, {
          ...headers,
          'content-md5': md5,
          'x-ms-request-server-encrypted': 'true',
          'content-length': '0',
        })
        .end();
      return;
    }
    if (req.method === 'PUT' && comp === 'blocklist') {
      const ids = parseBlockList((await readBody(req)).toString('utf8'));
      const staged = stagedBlocks.get(name) ?? new Map<string, string>();
      const files = ids.map((id) => {
        const f = staged.get(id);
        if (!f)
          throw new StorageError(
            400,
            'InvalidBlockList',
            `The specified block list is invalid: unknown block ${id}`,
          );
        return f;
      });
      const target = blobFile(name);
      const out = await open(target, 'w');
      let size = 0;
      try {
        for (const f of files) {
          for await (const chunk of createReadStream(f)) {
            await out.write(chunk as Buffer);
            size += (chunk as Buffer).length;
          }
        }
      } finally {
        await out.close();
      }
      await rm(path.join(blockDir, createHash('sha256').update(name).digest('hex')), {
        recursive: true,
        force: true,
      });
      stagedBlocks.delete(name);
      const info = await commit(req, name, target, size, 'blocklist', ids.length);
      entry.status = 201;
      res
        .writeHead(201, {
          ...headers,
          etag: info.etag,
          'last-modified': info.lastModified.toUTCString(),
          'x-ms-request-server-encrypted': 'true',
          'content-length': '0',
        })
        .end();
      return;
    }
    if (req.method === 'PUT' && !comp) {
      const type = req.headers['x-ms-blob-type'];
      if (type !== 'BlockBlob')
        throw new StorageError(400, 'InvalidHeaderValue', `x-ms-blob-type ${String(type)} unsupported`);
      const target = blobFile(name);
      const { size, md5 } = await receive(req, target);
      const info = await commit(req, name, target, size, 'put', 0, md5);
      entry.status = 201;
      res
        .writeHead(201, {
          ...headers,
          etag: info.etag,
          'last-modified': info.lastModified.toUTCString(),
          'content-md5': md5,
          'x-ms-request-server-encrypted': 'true',
          'content-length': '0',
        })
        .end();
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (comp)
        throw new StorageError(400, 'UnsupportedQueryParameter', `comp=${comp} is not supported here`);
      const info = blobMap.get(name);
      if (!info) throw new StorageError(404, 'BlobNotFound', 'The specified blob does not exist.');
      const ifMatch = req.headers['if-match'];
      if (ifMatch && ifMatch !== '*' && ifMatch !== info.etag) {
        throw new StorageError(
          412,
          'ConditionNotMet',
          'The condition specified using HTTP conditional header(s) is not met.',
        );
      }
      const blobHeaders: Record<string, string> = {
        ...headers,
        etag: info.etag,
        'last-modified': info.lastModified.toUTCString(),
        'x-ms-creation-time': info.lastModified.toUTCString(),
        'x-ms-blob-type': 'BlockBlob',
        'x-ms-lease-state': 'available',
        'x-ms-lease-status': 'unlocked',
        'x-ms-server-encrypted': 'true',
        'accept-ranges': 'bytes',
        'content-type': info.contentType,
      };
      if (req.method === 'HEAD') {
        if (info.contentMd5) blobHeaders['content-md5'] = info.contentMd5;
        entry.status = 200;
        res.writeHead(200, { ...blobHeaders, 'content-length': String(info.size) }).end();
        return;
      }
      const rangeHeader = req.headers['x-ms-range'] ?? req.headers.range;
      const range = parseRange(typeof rangeHeader === 'string' ? rangeHeader : undefined, info.size);
      if (range === 'invalid') {
        res.setHeader('content-range', `bytes */${info.size}`);
        throw new StorageError(
          416,
          'InvalidRange',
          'The range specified is invalid for the current size of the resource.',
        );
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? info.size - 1;
      const length = info.size === 0 ? 0 : end - start + 1;
      const status = range ? 206 : 200;
      if (!range && info.contentMd5) blobHeaders['content-md5'] = info.contentMd5;
      if (range) blobHeaders['content-range'] = `bytes ${start}-${end}/${info.size}`;
      entry.status = status;
      res.writeHead(status, { ...blobHeaders, 'content-length': String(length) });
      if (length === 0) {
        res.end();
        return;
      }
      const source = createReadStream(info.file, { start, end });
      if (fault?.kind === 'corrupt') {
        entry.fault = 'corrupt';
        await pipeline(source, corrupter(start, Math.floor(info.size / 2), 64), res);
      } else {
        await pipeline(source, res);
      }
      return;
    }
    throw new StorageError(405, 'UnsupportedHttpVerb', `${req.method} is not supported`);
  }

  // ---------------------------------------------------------------- dispatch

  function classify(
    req: http.IncomingMessage,
    host: string,
    pathname: string,
    query: Record<string, string>,
  ): {
    endpoint: Endpoint;
    blob?: string;
    twirp?: TwirpMethod;
  } {
    const t = /^\/twirp\/([^/]+)\/([^/]+)$/.exec(pathname);
    if (t) {
      const method = TWIRP_METHODS[t[1]!]?.find((m) => m === t[2]);
      return method ? { endpoint: method, twirp: method } : { endpoint: 'other' };
    }
    const blobPath =
      blobHost && host === blobHost
        ? pathname.slice(1)
        : pathname.startsWith(`${BLOB_PREFIX}${ACCOUNT}/`)
          ? pathname.slice(`${BLOB_PREFIX}${ACCOUNT}/`.length)
          : undefined;
    if (blobPath !== undefined) {
      const blob = decodeURIComponent(blobPath);
      const op: Endpoint =
        req.method === 'HEAD'
          ? 'blob:head'
          : req.method === 'GET'
            ? 'blob:get'
            : query.comp === 'block'
              ? 'blob:block'
              : query.comp === 'blocklist'
                ? 'blob:blocklist'
                : 'blob:put';
      return { endpoint: op, blob };
    }
    return { endpoint: 'other' };
  }

  const server = http.createServer((req, res) => {
    // Proxied requests carry an absolute URL; direct ones a path.
    const parsed = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const query = Object.fromEntries(parsed.searchParams);
    const { endpoint, blob, twirp: twirpMethod } = classify(req, parsed.hostname, parsed.pathname, query);
    const entry: LoggedRequest = {
      seq: ++seq,
      method: req.method ?? 'GET',
      path: parsed.pathname,
      query,
      endpoint,
      headers: req.headers,
      startedAt: Date.now(),
      ...(blob ? { blob } : {}),
    };
    requests.push(entry);
    res.on('close', () => {
      entry.durationMs = Date.now() - entry.startedAt;
    });

    const fault = takeFault(entry);
    if (fault && fault.kind !== 'corrupt') {
      entry.fault = fault.kind;
      if (twirpMethod) {
        // Keep the body in the log, so tests can tell which call was hit.
        void readBody(req).then(
          (raw) => {
            try {
              entry.body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
            } catch {
              // not JSON: leave it out
            }
          },
          () => undefined,
        );
      } else {
        // Drain the body so the client sees the answer rather than a write error.
        req.resume();
      }
      if (fault.kind === 'hang') {
        const socket = req.socket;
        hanging.add(socket);
        socket.on('close', () => hanging.delete(socket));
        if (fault.spec.hangMs !== undefined) setTimeout(() => socket.destroy(), fault.spec.hangMs).unref();
        return;
      }
      const status = fault.kind === '429' ? 429 : 500;
      entry.status = status;
      const extra: Record<string, string> =
        fault.kind === '429' && fault.spec.retryAfterSeconds !== undefined
          ? { 'retry-after': String(fault.spec.retryAfterSeconds) }
          : {};
      if (twirpMethod) {
        const code = status === 429 ? 'resource_exhausted' : 'internal';
        const msg = status === 429 ? 'rate limit exceeded' : 'injected internal error';
        res
          .writeHead(status, { 'content-type': 'application/json', ...extra })
          .end(JSON.stringify({ code, msg }));
      } else {
        const code = status === 429 ? 'ServerBusy' : 'InternalError';
        res
          .writeHead(status, {
            ...storageHeaders(req),
            'content-type': 'application/xml',
            'x-ms-error-code': code,
            ...extra,
          })
          .end(req.method === 'HEAD' ? undefined : storageXmlError(code, `Injected fault ${status}.`));
      }
      return;
    }

    const work = twirpMethod
      ? handleTwirp(req, res, entry, twirpMethod)
      : blob !== undefined
        ? handleBlob(req, res, entry, blob, fault)
        : Promise.reject(
            new StorageError(404, 'ResourceNotFound', `no route for ${req.method} ${parsed.pathname}`),
          );
    work.catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      req.resume();
      if (error instanceof StorageError) {
        entry.status = error.status;
        res
          .writeHead(error.status, {
            ...storageHeaders(req),
            'content-type': 'application/xml',
            'x-ms-error-code': error.code,
          })
          .end(req.method === 'HEAD' ? undefined : storageXmlError(error.code, error.message));
      } else {
        entry.status = 500;
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  // @actions/http-client reaches the blob host through the proxy with CONNECT even for plain http:
  // accept tunnels to the blob host only and feed them back into this server as ordinary connections.
  server.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const [host] = (req.url ?? '').split(':');
    if (!blobHost || host !== blobHost) {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    server.emit('connection', socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    root,
    token,
    workflowRunBackendId,
    workflowJobRunBackendId,
    requests,
    env: () => ({
      ACTIONS_RESULTS_URL: `${url}/`,
      ACTIONS_RUNTIME_TOKEN: token,
      ACTIONS_CACHE_SERVICE_V2: 'True',
      // The v1 cache URL the runner also exports; this server does not speak v1.
      ACTIONS_CACHE_URL: `${url}/`,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'https://api.github.com',
      GITHUB_REPOSITORY: 'mkosi-ci/results-server-test',
      GITHUB_REPOSITORY_OWNER: 'mkosi-ci',
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: '0'.repeat(40),
      GITHUB_ACTIONS: 'true',
      RUNNER_TEMP: runnerTemp,
      RUNNER_OS: 'Linux',
      ...(blobHost
        ? {
            HTTP_PROXY: url,
            http_proxy: url,
            NO_PROXY: '127.0.0.1,localhost',
            no_proxy: '127.0.0.1,localhost',
          }
        : {}),
    }),
    cacheEntries: () => [...cache],
    artifacts: () => [...artifactList],
    blobs: () => [...blobMap.values()],
    blobPath: (name) => blobMap.get(name)?.file,
    fault(spec) {
      const f: Fault = { spec, kind: spec.kind, times: spec.times ?? 1, hits: 0 };
      faults.push(f);
      return f;
    },
    clearFaults() {
      faults = [];
    },
    log: (endpoint) => (endpoint ? requests.filter((r) => r.endpoint === endpoint) : [...requests]),
    async reset() {
      faults = [];
      cache = [];
      artifactList = [];
      requests.length = 0;
      blobMap.clear();
      stagedBlocks.clear();
      signatures.clear();
      await rm(blobDir, { recursive: true, force: true });
      await rm(blockDir, { recursive: true, force: true });
      await mkdir(blobDir, { recursive: true });
      await mkdir(blockDir, { recursive: true });
    },
    async close() {
      for (const socket of hanging) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
