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

export { startResultsServer } from './results-server/server.js';
export * from './results-server/types.js';
