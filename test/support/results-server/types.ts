import type http from 'node:http';

/** The shapes the results server and its tests share: endpoints, faults, the logged requests, entries. */

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
