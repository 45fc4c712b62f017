import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import path from 'node:path';
import type { ArtifactEntry, BlobInfo, CacheEntry, Fault, LoggedRequest } from './types.js';

/** What the results server holds between requests, shared by its services, its blobs and its faults. */
export interface ServerState {
  root: string;
  blobDir: string;
  blockDir: string;
  runnerTemp: string;
  token: string;
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
  /** Host name in the signed blob URLs, or false for URLs pointing straight at the server. */
  blobHost: string | false;
  /** `http://127.0.0.1:<port>`, once listening. */
  url: string;
  requests: LoggedRequest[];
  faults: Fault[];
  cache: CacheEntry[];
  artifacts: ArtifactEntry[];
  blobs: Map<string, BlobInfo>;
  /** Signature issued for each blob name; requests must carry it. */
  signatures: Map<string, string>;
  /** Uncommitted blocks per blob: block id → file. */
  stagedBlocks: Map<string, Map<string, string>>;
  hanging: Set<Socket>;
  seq: number;
  nextCacheId: number;
  nextArtifactId: number;
}

/** The storage API version we claim to speak when the client sends none. */
export const STORAGE_VERSION = '2025-01-05';
export const BLOB_PREFIX = '/blobstore/';
export const ACCOUNT = 'devstoreaccount1';

function isoNoMillis(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Where a committed blob's bytes live. */
export function blobFile(state: ServerState, name: string): string {
  return path.join(state.blobDir, createHash('sha256').update(name).digest('hex'));
}

/** A SAS-style URL for a blob, carrying the signature the blob's requests must present. */
export function signedUrl(state: ServerState, container: string, name: string, permissions: string): string {
  const blob = `${container}/${name}`;
  let sig = state.signatures.get(blob);
  if (!sig) {
    sig = randomBytes(24).toString('base64');
    state.signatures.set(blob, sig);
  }
  const query = new URLSearchParams({
    sv: STORAGE_VERSION,
    sr: 'b',
    sp: permissions,
    se: isoNoMillis(new Date(Date.now() + 6 * 3600_000)),
    sig,
  });
  const encodedName = name.split('/').map(encodeURIComponent).join('/');
  const base = state.blobHost ? `http://${state.blobHost}/` : `${state.url}${BLOB_PREFIX}${ACCOUNT}/`;
  return `${base}${container}/${encodedName}?${query}`;
}
