import { createHash } from 'node:crypto';
import { signedUrl, type ServerState } from './state.js';
import { TwirpError, type TwirpHandler } from './twirp.js';
import type { CacheEntry } from './types.js';

/** The cache service (v2) as @actions/cache calls it: create an entry, upload its blob, finalize, look up. */

type CacheMethod = 'CreateCacheEntry' | 'FinalizeCacheEntryUpload' | 'GetCacheEntryDownloadURL';

function keyAndVersion(body: Record<string, unknown>): { key: string; version: string } {
  return { key: String(body.key ?? ''), version: String(body.version ?? '') };
}

function newest(list: CacheEntry[]): CacheEntry | undefined {
  return list.reduce<CacheEntry | undefined>((a, b) => (a && a.createdSeq > b.createdSeq ? a : b), undefined);
}

export function cacheService(state: ServerState): Record<CacheMethod, TwirpHandler> {
  return {
    CreateCacheEntry(body) {
      const { key, version } = keyAndVersion(body);
      if (!key || !version) throw new TwirpError('invalid_argument', 'key and version are required');
      if (state.cache.some((e) => e.key === key && e.version === version)) {
        // What GitHub answers when the key (with this version, in this scope) exists or is being written.
        throw new TwirpError(
          'already_exists',
          'cache entry with the same key, version, and scope already exists',
        );
      }
      const id = state.nextCacheId++;
      const blob = `actions-cache/${id}-${createHash('sha256').update(`${key}\0${version}`).digest('hex').slice(0, 16)}`;
      state.cache.push({
        id,
        key,
        version,
        blob,
        finalized: false,
        createdSeq: state.seq,
        createdAt: new Date(),
      });
      return { ok: true, signed_upload_url: signedUrl(state, 'actions-cache', blob.split('/')[1]!, 'rcw') };
    },
    FinalizeCacheEntryUpload(body) {
      const { key, version } = keyAndVersion(body);
      const entry = state.cache.find((e) => e.key === key && e.version === version && !e.finalized);
      if (!entry) throw new TwirpError('not_found', 'cache entry not found');
      const blob = state.blobs.get(entry.blob);
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
      const { key, version } = keyAndVersion(body);
      const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys.map(String) : [];
      const candidates = state.cache.filter((e) => e.finalized && e.version === version);
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
        signed_download_url: signedUrl(state, 'actions-cache', hit.blob.split('/')[1]!, 'r'),
        matched_key: hit.key,
      };
    },
  };
}
