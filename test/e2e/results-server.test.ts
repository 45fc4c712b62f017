import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/paths.js';
import { startResultsServer, type ResultsServer } from '../support/results-server.js';

/**
 * The real @actions/cache and @actions/artifact libraries against the local results server. Each call
 * runs in a child node with a clean environment (only the server's variables), so the libraries read
 * their configuration exactly as they do on a runner and their module-level state never leaks.
 */

const MiB = 1024 * 1024;
/** Above the 128 MiB single-shot limit of the cache upload, so it takes the Put Block path. */
const BIG_SIZE = 136 * MiB;

type Op =
  | { lib: 'cache'; fn: 'save'; paths: string[]; key: string; options?: Record<string, unknown> }
  | {
      lib: 'cache';
      fn: 'restore';
      paths: string[];
      key: string;
      restoreKeys?: string[];
      options?: Record<string, unknown>;
    }
  | {
      lib: 'artifact';
      fn: 'upload';
      name: string;
      files: string[];
      root: string;
      options?: Record<string, unknown>;
    }
  | { lib: 'artifact'; fn: 'list' }
  | { lib: 'artifact'; fn: 'download'; id: number; options?: Record<string, unknown> };

interface LibRun {
  ok: boolean;
  result?: unknown;
  error?: string;
  warnings: string[];
  errors: string[];
  infos: string[];
  stdout: string;
  stderr: string;
}

const CHILD = `
const op = JSON.parse(process.env.RS_OP);
const out = (v) => process.stdout.write('\\n::rs-result::' + JSON.stringify(v) + '\\n');
try {
  let result;
  if (op.lib === 'cache') {
    const cache = await import('@actions/cache');
    result = op.fn === 'save'
      ? await cache.saveCache(op.paths, op.key, op.options)
      : (await cache.restoreCache(op.paths, op.key, op.restoreKeys, op.options)) ?? null;
  } else {
    const { DefaultArtifactClient } = await import('@actions/artifact');
    const client = new DefaultArtifactClient();
    if (op.fn === 'upload') result = await client.uploadArtifact(op.name, op.files, op.root, op.options);
    else if (op.fn === 'list') result = await client.listArtifacts();
    else result = await client.downloadArtifact(op.id, op.options);
  }
  out({ ok: true, result });
} catch (e) {
  out({ ok: false, error: String(e && e.message ? e.message : e) });
}
process.exit(0);
`;

const unescape = (s: string): string => s.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');

let server: ResultsServer;
let work: string;
let bigFile: string;
let bigHash: string;

/** Runs one library call in a child node against the server. */
function runLib(op: Op, extraEnv: Record<string, string> = {}): Promise<LibRun> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.homedir(),
    ...server.env(),
    GITHUB_WORKSPACE: work,
    RS_OP: JSON.stringify(op),
    ...extraEnv,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { cwd: REPO, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const lines = stdout.split('\n');
      const marker = lines.find((l) => l.startsWith('::rs-result::'));
      if (!marker) {
        reject(new Error(`child gave no result\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        return;
      }
      const parsed = JSON.parse(marker.slice('::rs-result::'.length)) as {
        ok: boolean;
        result?: unknown;
        error?: string;
      };
      const cmd = (name: string): string[] =>
        lines.filter((l) => l.startsWith(`::${name}`)).map((l) => unescape(l.slice(l.indexOf('::', 2) + 2)));
      resolve({
        ...parsed,
        warnings: cmd('warning'),
        errors: cmd('error'),
        infos: lines.filter((l) => l && !l.startsWith('::')),
        stdout,
        stderr,
      });
    });
  });
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A directory of a few small files with distinct content. */
async function makeTree(name: string, seed: string): Promise<string> {
  const dir = path.join(work, name);
  await mkdir(path.join(dir, 'sub'), { recursive: true });
  await writeFile(path.join(dir, 'a.txt'), `alpha ${seed}\n`);
  await writeFile(path.join(dir, 'sub/b.bin'), randomBytes(64 * 1024));
  return dir;
}

/** Relative path → sha256 of every file under dir. */
async function treeHashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, full)] = await sha256(full);
  }
  return out;
}

beforeAll(async () => {
  server = await startResultsServer();
  work = await mkdtemp(path.join(os.tmpdir(), 'mkosi-ci-results-test-'));
  // Random (incompressible) so the zstd archive stays above 128 MiB; written in 8 MiB slices.
  bigFile = path.join(work, 'big.bin');
  const fh = await open(bigFile, 'w');
  for (let written = 0; written < BIG_SIZE; written += 8 * MiB) await fh.write(randomBytes(8 * MiB));
  await fh.close();
  bigHash = await sha256(bigFile);
});

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

afterEach(() => server.clearFaults());

describe('cache service v2 with the real @actions/cache', () => {
  it('saves and restores an exact key with identical bytes', async () => {
    const dir = await makeTree('exact', 'one');
    const before = await treeHashes(dir);
    const save = await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'exact-key-1' });
    expect(save.ok, save.stdout).toBe(true);
    expect(save.result).toBeGreaterThan(0);
    const entry = server.cacheEntries().find((e) => e.key === 'exact-key-1');
    expect(entry?.finalized).toBe(true);
    expect(server.blobs().find((b) => b.name === entry?.blob)?.committedBy).toBe('put');

    await rm(dir, { recursive: true });
    const restore = await runLib({ lib: 'cache', fn: 'restore', paths: [dir], key: 'exact-key-1' });
    expect(restore.result).toBe('exact-key-1');
    expect(restore.infos).toContain('Cache hit for: exact-key-1');
    expect(await treeHashes(dir)).toEqual(before);
    expect(restore.warnings).toEqual([]);
  });

  it('falls back to the newest entry a restore key prefixes', async () => {
    const dir = await makeTree('prefix', 'old');
    await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'pfx-linux-aaa' });
    await writeFile(path.join(dir, 'a.txt'), 'newest\n');
    const newest = await treeHashes(dir);
    await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'pfx-linux-bbb' });
    // An entry for other paths (another version) must not be picked even though it is newer.
    const other = await makeTree('prefix-other', 'x');
    await runLib({ lib: 'cache', fn: 'save', paths: [other], key: 'pfx-linux-ccc' });

    await rm(dir, { recursive: true });
    const restore = await runLib({
      lib: 'cache',
      fn: 'restore',
      paths: [dir],
      key: 'pfx-macos-zzz',
      restoreKeys: ['pfx-nothing-', 'pfx-linux-'],
    });
    expect(restore.result).toBe('pfx-linux-bbb');
    expect(restore.infos).toContain('Cache hit for restore-key: pfx-linux-bbb');
    expect(await treeHashes(dir)).toEqual(newest);
    const call = server.log('GetCacheEntryDownloadURL').at(-1);
    expect(call?.body).toMatchObject({ key: 'pfx-macos-zzz', restore_keys: ['pfx-nothing-', 'pfx-linux-'] });
  });

  it('misses without warnings, also when only the version (paths) differs', async () => {
    const dir = await makeTree('miss', 'm');
    const miss = await runLib({
      lib: 'cache',
      fn: 'restore',
      paths: [dir],
      key: 'never-saved',
      restoreKeys: ['nev'],
    });
    expect(miss.ok).toBe(true);
    expect(miss.result).toBeNull();
    expect([...miss.warnings, ...miss.errors]).toEqual([]);

    await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'versioned-key' });
    const otherPaths = await runLib({
      lib: 'cache',
      fn: 'restore',
      paths: [dir, path.join(work, 'elsewhere')],
      key: 'versioned-key',
    });
    expect(otherPaths.result).toBeNull();
  });

  it('saves above 128 MiB through Put Block + Put Block List and restores it identical', async () => {
    const dir = path.join(work, 'bigcache');
    await mkdir(dir);
    const copy = path.join(dir, 'big.bin');
    await writeFile(copy, await readFile(bigFile));
    const save = await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'big-key' });
    expect(save.ok, save.stdout).toBe(true);
    expect(save.result).toBeGreaterThan(0);
    const entry = server.cacheEntries().find((e) => e.key === 'big-key');
    const blob = server.blobs().find((b) => b.name === entry?.blob);
    expect(blob?.committedBy).toBe('blocklist');
    expect(blob?.size).toBeGreaterThan(128 * MiB);
    expect(blob?.blockCount).toBe(Math.ceil((blob?.size ?? 0) / (64 * MiB)));
    expect(server.log('blob:put')).not.toContainEqual(expect.objectContaining({ blob: entry?.blob }));

    await rm(dir, { recursive: true });
    const restore = await runLib({ lib: 'cache', fn: 'restore', paths: [dir], key: 'big-key' });
    expect(restore.result).toBe('big-key');
    expect(await sha256(copy)).toBe(bigHash);
    // The SDK download path: properties first, then ranged GETs.
    const gets = server.log('blob:get').filter((r) => r.blob === entry?.blob);
    expect(gets.length).toBeGreaterThan(1);
    expect(gets.every((r) => r.status === 206)).toBe(true);
    await rm(dir, { recursive: true });
  });

  it('rejects a duplicate save of a finalized key as GitHub does; the library does not throw', async () => {
    const dir = await makeTree('dup', 'd');
    expect((await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'dup-key' })).result).toBeGreaterThan(
      0,
    );
    const again = await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'dup-key' });
    expect(again.ok).toBe(true);
    expect(again.result).toBe(-1);
    const create = server.log('CreateCacheEntry').at(-1);
    expect(create?.status).toBe(409);
    // @actions/cache 6 reports a reservation conflict at info level (ReserveCacheError), not as a warning.
    expect(again.infos.join('\n')).toContain(
      'Failed to save: Unable to reserve cache with key dup-key, another job may be creating this cache.',
    );
    expect(server.cacheEntries().filter((e) => e.key === 'dup-key')).toHaveLength(1);
  });
});

describe('cache faults', () => {
  it('retries a 500 from the Twirp service and then hits', async () => {
    const dir = await makeTree('f500once', 'x');
    await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'f500-once' });
    server.fault({ endpoint: 'GetCacheEntryDownloadURL', kind: '500', times: 1 });
    const restore = await runLib({ lib: 'cache', fn: 'restore', paths: [dir], key: 'f500-once' });
    expect(restore.result).toBe('f500-once');
    expect(restore.infos.join('\n')).toMatch(/Attempt 1 of 5 failed with error: Failed request: \(500\)/);
  });

  it('gives up after five 500s with a warning and a miss', { timeout: 90_000 }, async () => {
    const dir = await makeTree('f500all', 'x');
    await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'f500-all' });
    const fault = server.fault({ endpoint: 'GetCacheEntryDownloadURL', kind: '500', times: Infinity });
    const restore = await runLib({ lib: 'cache', fn: 'restore', paths: [dir], key: 'f500-all' });
    expect(restore.ok).toBe(true);
    expect(restore.result).toBeNull();
    expect(restore.warnings.join('\n')).toContain(
      'Failed to restore: Failed to GetCacheEntryDownloadURL: Failed to make request after 5 attempts',
    );
    expect(fault.hits).toBe(5);
    expect(server.log('GetCacheEntryDownloadURL').filter((r) => r.body?.key === 'f500-all')).toHaveLength(5);
  });

  it('does not retry a 429: warns about the rate limit and misses', async () => {
    const dir = await makeTree('f429', 'x');
    await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'f429' });
    server.fault({ endpoint: 'GetCacheEntryDownloadURL', kind: '429', retryAfterSeconds: 60 });
    const restore = await runLib({ lib: 'cache', fn: 'restore', paths: [dir], key: 'f429' });
    expect(restore.result).toBeNull();
    expect(restore.warnings).toContain("You've hit a rate limit, your rate limit will reset in 60 seconds");
    expect(restore.warnings.join('\n')).toContain(
      'Failed to restore: Failed to GetCacheEntryDownloadURL: Rate limited',
    );
  });

  it('warns when the blob upload is throttled (429) and finalizes nothing', async () => {
    const dir = await makeTree('f429blob', 'x');
    server.fault({ endpoint: 'blob:put', kind: '429' });
    const save = await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'f429-blob' });
    expect(save.ok).toBe(true);
    expect(save.result).toBe(-1);
    expect(save.warnings.join('\n')).toMatch(/Failed to save: .*/);
    expect(server.cacheEntries().find((e) => e.key === 'f429-blob')?.finalized).toBe(false);
  });

  it('aborts a hanging blob download at the segment timeout with a warning', async () => {
    const dir = await makeTree('fhang', 'x');
    await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'f-hang' });
    server.fault({ endpoint: 'blob:get', kind: 'hang', times: Infinity });
    const restore = await runLib({
      lib: 'cache',
      fn: 'restore',
      paths: [dir],
      key: 'f-hang',
      options: { segmentTimeoutInMs: 2000 },
    });
    expect(restore.result).toBeNull();
    expect(restore.warnings).toContain(
      'Failed to restore: Aborting cache download as the download time exceeded the timeout.',
    );
  });

  it('a Twirp call whose connection is dropped after hanging fails the save softly', async () => {
    const dir = await makeTree('fhangtwirp', 'x');
    server.fault({ endpoint: 'CreateCacheEntry', kind: 'hang', hangMs: 1000 });
    const save = await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'f-hang-twirp' });
    expect(save.ok).toBe(true);
    expect(save.result).toBe(-1);
    expect(save.infos.join('\n')).toContain('Failed to save: Unable to reserve cache with key f-hang-twirp');
  });

  it('a corrupt archive fails extraction with a warning and a miss', async () => {
    const dir = await makeTree('fcorrupt', 'x');
    await runLib({ lib: 'cache', fn: 'save', paths: [dir], key: 'f-corrupt' });
    await rm(dir, { recursive: true });
    server.fault({ endpoint: 'blob:get', kind: 'corrupt', times: Infinity });
    const restore = await runLib({ lib: 'cache', fn: 'restore', paths: [dir], key: 'f-corrupt' });
    expect(restore.result).toBeNull();
    expect(restore.warnings.join('\n')).toMatch(/^Failed to restore: /);
  });
});

describe('artifact service v4 with the real @actions/artifact', () => {
  it('uploads files including one above 128 MiB, lists them and downloads them back identical', async () => {
    const src = path.join(work, 'art-src');
    await mkdir(path.join(src, 'logs'), { recursive: true });
    await writeFile(path.join(src, 'image.manifest'), '{"packages":[]}\n');
    await writeFile(path.join(src, 'logs/build.log'), 'built\n'.repeat(1000));
    const big = path.join(src, 'image.raw');
    await writeFile(big, await readFile(bigFile));
    const files = [path.join(src, 'image.manifest'), path.join(src, 'logs/build.log'), big];
    const before = await treeHashes(src);

    const upload = await runLib({
      lib: 'artifact',
      fn: 'upload',
      name: 'image-set',
      files,
      root: src,
      options: { compressionLevel: 0, retentionDays: 3 },
    });
    expect(upload.ok, upload.stdout + upload.stderr).toBe(true);
    const result = upload.result as { id: number; size: number; digest: string };
    expect(result.size).toBeGreaterThan(BIG_SIZE);
    const stored = server.artifacts().find((a) => a.id === result.id);
    expect(stored).toMatchObject({ name: 'image-set', finalized: true, digest: `sha256:${result.digest}` });
    const blob = server.blobs().find((b) => b.name === stored?.blob);
    expect(blob?.contentType).toBe('application/zip');
    expect(blob?.committedBy).toBe('blocklist');
    expect(blob?.size).toBe(result.size);
    expect(await sha256(blob!.file)).toBe(result.digest);
    expect(server.log('CreateArtifact').at(-1)?.body).toMatchObject({
      workflow_run_backend_id: server.workflowRunBackendId,
      workflow_job_run_backend_id: server.workflowJobRunBackendId,
      name: 'image-set',
      version: 7,
    });

    const list = await runLib({ lib: 'artifact', fn: 'list' });
    const artifacts = (list.result as { artifacts: { id: number; name: string; size: number }[] }).artifacts;
    expect(artifacts).toContainEqual(
      expect.objectContaining({ id: result.id, name: 'image-set', size: result.size }),
    );

    const dest = path.join(work, 'art-dest');
    const download = await runLib({
      lib: 'artifact',
      fn: 'download',
      id: result.id,
      options: { path: dest, expectedHash: `sha256:${result.digest}` },
    });
    expect(download.ok, download.stdout).toBe(true);
    expect(download.result).toMatchObject({ downloadPath: dest, digestMismatch: false });
    expect(await treeHashes(dest)).toEqual(before);
    await rm(src, { recursive: true });
    await rm(dest, { recursive: true });
  });

  it('refuses a second artifact of the same name in the run', async () => {
    const src = await makeTree('art-dup', 'x');
    const files = [path.join(src, 'a.txt')];
    expect((await runLib({ lib: 'artifact', fn: 'upload', name: 'dup', files, root: src })).ok).toBe(true);
    const again = await runLib({ lib: 'artifact', fn: 'upload', name: 'dup', files, root: src });
    expect(again.ok).toBe(false);
    expect(again.error).toContain(
      'Failed to CreateArtifact: Received non-retryable error: Failed request: (409)',
    );
  });
});

describe('artifact faults', () => {
  it('retries a 500 on CreateArtifact and a 429 on FinalizeArtifact, then succeeds', async () => {
    const src = await makeTree('art-retry', 'x');
    server.fault({ endpoint: 'CreateArtifact', kind: '500' });
    server.fault({ endpoint: 'FinalizeArtifact', kind: '429' });
    const upload = await runLib({
      lib: 'artifact',
      fn: 'upload',
      name: 'retry',
      files: [path.join(src, 'a.txt')],
      root: src,
    });
    expect(upload.ok, upload.stdout).toBe(true);
    expect(upload.infos.join('\n')).toMatch(/Attempt 1 of 5 failed with error: Failed request: \(500\)/);
    expect(upload.infos.join('\n')).toMatch(/Attempt 1 of 5 failed with error: Failed request: \(429\)/);
  });

  it('retries a 500 on Put Block (storage SDK retry) and the blob is intact', async () => {
    const src = await makeTree('art-block500', 'x');
    server.fault({ endpoint: 'blob:block', kind: '500' });
    const files = [path.join(src, 'a.txt'), path.join(src, 'sub/b.bin')];
    const upload = await runLib({ lib: 'artifact', fn: 'upload', name: 'block500', files, root: src });
    expect(upload.ok, upload.stdout).toBe(true);
    const { digest } = upload.result as { digest: string };
    const stored = server.artifacts().find((a) => a.name === 'block500');
    expect(await sha256(server.blobPath(stored!.blob)!)).toBe(digest);
    expect(server.log('blob:block').some((r) => r.fault === '500')).toBe(true);
  });

  it('fails the upload when the blob upload stalls past ACTIONS_ARTIFACT_UPLOAD_TIMEOUT_MS', async () => {
    const src = await makeTree('art-hang', 'x');
    server.fault({ endpoint: 'blob:block', kind: 'hang', times: Infinity });
    const upload = await runLib(
      { lib: 'artifact', fn: 'upload', name: 'hang', files: [path.join(src, 'a.txt')], root: src },
      { ACTIONS_ARTIFACT_UPLOAD_TIMEOUT_MS: '1500' },
    );
    expect(upload.ok).toBe(false);
    expect(upload.error).toBe('Upload progress stalled.');
    expect(server.artifacts().find((a) => a.name === 'hang')?.finalized).toBe(false);
  });

  it('reports a digest mismatch when the downloaded blob is corrupt', async () => {
    const src = path.join(work, 'art-corrupt');
    await mkdir(src);
    await writeFile(path.join(src, 'data.bin'), randomBytes(2 * MiB));
    const upload = await runLib({
      lib: 'artifact',
      fn: 'upload',
      name: 'corrupt',
      files: [path.join(src, 'data.bin')],
      root: src,
      options: { compressionLevel: 0 },
    });
    const { id, digest } = upload.result as { id: number; digest: string };
    server.fault({ endpoint: 'blob:get', kind: 'corrupt' });
    const download = await runLib({
      lib: 'artifact',
      fn: 'download',
      id,
      options: { path: path.join(work, 'art-corrupt-dest'), expectedHash: `sha256:${digest}` },
    });
    expect(download.ok, download.stdout).toBe(true);
    expect(download.result).toMatchObject({ digestMismatch: true });
  });
});
