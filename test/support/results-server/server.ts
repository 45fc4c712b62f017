import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { artifactService } from './artifact-service.js';
import { handleBlob } from './blob-storage.js';
import { cacheService } from './cache-service.js';
import { answerFault, takeFault } from './faults.js';
import { ACCOUNT, BLOB_PREFIX, type ServerState } from './state.js';
import { sendStorageError, StorageError } from './storage-answers.js';
import { handleTwirp, TWIRP_METHODS, type TwirpHandler } from './twirp.js';
import type {
  Endpoint,
  Fault,
  LoggedRequest,
  ResultsServer,
  ResultsServerOptions,
  TwirpMethod,
} from './types.js';

/**
 * The HTTP plumbing of the results server: one server on 127.0.0.1 that routes Twirp calls to the
 * services and blob URLs (direct, proxied or tunnelled) to the storage, logs every request and
 * applies the faults.
 */

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

interface Route {
  endpoint: Endpoint;
  blob?: string;
  twirp?: TwirpMethod;
}

function blobOperation(method: string | undefined, query: Record<string, string>): Endpoint {
  if (method === 'HEAD') return 'blob:head';
  if (method === 'GET') return 'blob:get';
  if (query.comp === 'block') return 'blob:block';
  return query.comp === 'blocklist' ? 'blob:blocklist' : 'blob:put';
}

function classify(
  state: ServerState,
  req: http.IncomingMessage,
  host: string,
  pathname: string,
  query: Record<string, string>,
): Route {
  const t = /^\/twirp\/([^/]+)\/([^/]+)$/.exec(pathname);
  if (t) {
    const method = TWIRP_METHODS[t[1]!]?.find((m) => m === t[2]);
    return method ? { endpoint: method, twirp: method } : { endpoint: 'other' };
  }
  const blobPath =
    state.blobHost && host === state.blobHost
      ? pathname.slice(1)
      : pathname.startsWith(`${BLOB_PREFIX}${ACCOUNT}/`)
        ? pathname.slice(`${BLOB_PREFIX}${ACCOUNT}/`.length)
        : undefined;
  if (blobPath === undefined) return { endpoint: 'other' };
  return { endpoint: blobOperation(req.method, query), blob: decodeURIComponent(blobPath) };
}

function answerError(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  entry: LoggedRequest,
  error: unknown,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  req.resume();
  if (error instanceof StorageError) {
    entry.status = error.status;
    sendStorageError(req, res, error.status, error.code, error.message);
  } else {
    entry.status = 500;
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
  }
}

function requestHandler(
  state: ServerState,
  twirp: Record<TwirpMethod, TwirpHandler>,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    // Proxied requests carry an absolute URL; direct ones a path.
    const parsed = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const query = Object.fromEntries(parsed.searchParams);
    const { endpoint, blob, twirp: method } = classify(state, req, parsed.hostname, parsed.pathname, query);
    const entry: LoggedRequest = {
      seq: ++state.seq,
      method: req.method ?? 'GET',
      path: parsed.pathname,
      query,
      endpoint,
      headers: req.headers,
      startedAt: Date.now(),
      ...(blob ? { blob } : {}),
    };
    state.requests.push(entry);
    res.on('close', () => {
      entry.durationMs = Date.now() - entry.startedAt;
    });
    const fault = takeFault(state.faults, entry);
    if (fault && fault.kind !== 'corrupt') return answerFault(state, req, res, entry, fault, !!method);
    const work = method
      ? handleTwirp(req, res, entry, twirp[method], state.token)
      : blob !== undefined
        ? handleBlob(state, req, res, entry, blob, fault)
        : Promise.reject(
            new StorageError(404, 'ResourceNotFound', `no route for ${req.method} ${parsed.pathname}`),
          );
    work.catch((error: unknown) => answerError(req, res, entry, error));
  };
}

/**
 * @actions/http-client reaches the blob host through the proxy with CONNECT even for plain http:
 * accept tunnels to the blob host only and feed them back into this server as ordinary connections.
 */
function acceptTunnels(state: ServerState, server: http.Server): void {
  server.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const [host] = (req.url ?? '').split(':');
    if (!state.blobHost || host !== state.blobHost) {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    server.emit('connection', socket);
  });
}

/** Environment for a process running the libraries against this server. */
function serverEnv(state: ServerState): Record<string, string> {
  const { url } = state;
  return {
    ACTIONS_RESULTS_URL: `${url}/`,
    ACTIONS_RUNTIME_TOKEN: state.token,
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
    RUNNER_TEMP: state.runnerTemp,
    RUNNER_OS: 'Linux',
    ...(state.blobHost
      ? { HTTP_PROXY: url, http_proxy: url, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' }
      : {}),
  };
}

async function newState(options: ResultsServerOptions): Promise<ServerState> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mkosi-ci-results-'));
  const [blobDir, blockDir, runnerTemp] = ['blobs', 'blocks', 'runner-temp'].map((d) =>
    path.join(root, d),
  ) as [string, string, string];
  await Promise.all([blobDir, blockDir, runnerTemp].map((d) => mkdir(d, { recursive: true })));
  const workflowRunBackendId = options.workflowRunBackendId ?? randomUUID();
  const workflowJobRunBackendId = options.workflowJobRunBackendId ?? randomUUID();
  return {
    root,
    blobDir,
    blockDir,
    runnerTemp,
    token: runtimeToken(workflowRunBackendId, workflowJobRunBackendId),
    workflowRunBackendId,
    workflowJobRunBackendId,
    blobHost: options.blobHost === undefined ? 'mkosiciresults.blob.core.windows.net' : options.blobHost,
    url: '',
    requests: [],
    faults: [],
    cache: [],
    artifacts: [],
    blobs: new Map(),
    signatures: new Map(),
    stagedBlocks: new Map(),
    hanging: new Set(),
    seq: 0,
    nextCacheId: 1000,
    nextArtifactId: 5000,
  };
}

async function resetState(state: ServerState): Promise<void> {
  state.faults = [];
  state.cache = [];
  state.artifacts = [];
  state.requests.length = 0;
  state.blobs.clear();
  state.stagedBlocks.clear();
  state.signatures.clear();
  await rm(state.blobDir, { recursive: true, force: true });
  await rm(state.blockDir, { recursive: true, force: true });
  await mkdir(state.blobDir, { recursive: true });
  await mkdir(state.blockDir, { recursive: true });
}

export async function startResultsServer(options: ResultsServerOptions = {}): Promise<ResultsServer> {
  const state = await newState(options);
  const server = http.createServer(
    requestHandler(state, { ...cacheService(state), ...artifactService(state) }),
  );
  server.keepAliveTimeout = 5_000;
  acceptTunnels(state, server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: state.url,
    root: state.root,
    token: state.token,
    workflowRunBackendId: state.workflowRunBackendId,
    workflowJobRunBackendId: state.workflowJobRunBackendId,
    requests: state.requests,
    env: () => serverEnv(state),
    cacheEntries: () => [...state.cache],
    artifacts: () => [...state.artifacts],
    blobs: () => [...state.blobs.values()],
    blobPath: (name) => state.blobs.get(name)?.file,
    fault(spec) {
      const f: Fault = { spec, kind: spec.kind, times: spec.times ?? 1, hits: 0 };
      state.faults.push(f);
      return f;
    },
    clearFaults() {
      state.faults = [];
    },
    log: (endpoint) =>
      endpoint ? state.requests.filter((r) => r.endpoint === endpoint) : [...state.requests],
    reset: () => resetState(state),
    async close() {
      for (const socket of state.hanging) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(state.root, { recursive: true, force: true });
    },
  };
}
