import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { GitHubReleaseStore } from '../../src/github/release-store.js';
import type { ReleaseAsset } from '../../src/ports.js';
import { startGitHubApiServer, type GitHubApiServer } from '../support/github-api-server.js';
import { sha256Of } from '../support/assertions.js';

/** The release calls over real HTTP against the local GitHub API server. */
describe('GitHubReleaseStore', () => {
  let api: GitHubApiServer;
  let dir: string;
  let assets: ReleaseAsset[];
  const store = (token = api.token) =>
    new GitHubReleaseStore({
      apiUrl: api.url,
      repository: api.repository,
      token,
      commit: 'c0ffee'.repeat(6) + 'c0ff',
      retryBaseMs: 20,
    });

  beforeEach(async () => {
    api = await startGitHubApiServer();
    dir = mkdtempSync(path.join(os.tmpdir(), 'assets-'));
    assets = ['image.raw', 'SHA256SUMS'].map((name, i) => {
      const file = path.join(dir, name);
      writeFileSync(file, `${name} ${i}\n`.repeat(1000 * (i + 1)));
      return { name, path: file, size: `${name} ${i}\n`.length * 1000 * (i + 1) };
    });
  });
  afterEach(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the release of a new tag at the commit and uploads every asset', async () => {
    const release = await store().publish('v2.0', assets);
    expect(release).toEqual({
      tag: 'v2.0',
      url: `https://github.com/${api.repository}/releases/tag/v2.0`,
      created: true,
      uploaded: ['image.raw', 'SHA256SUMS'],
      replaced: [],
    });
    const stored = api.releases[0]!;
    expect(stored.targetCommitish).toBe('c0ffee'.repeat(6) + 'c0ff');
    expect(stored.assets.map((a) => [a.name, a.sha256])).toEqual(
      assets.map((a) => [a.name, sha256Of(a.path)]),
    );
  });

  it('reuses an existing release, replacing assets of the same name and keeping the others', async () => {
    api.seedRelease('v2.0', { SHA256SUMS: 'old', 'notes.txt': 'kept' });
    const release = await store().publish('v2.0', assets);
    expect(release.created).toBe(false);
    expect(release.replaced).toEqual(['SHA256SUMS']);
    expect(api.releases[0]!.assets.map((a) => a.name).sort()).toEqual([
      'SHA256SUMS',
      'image.raw',
      'notes.txt',
    ]);
    expect(api.releases[0]!.assets.find((a) => a.name === 'SHA256SUMS')!.sha256).toBe(
      sha256Of(assets[1]!.path),
    );
  });

  it('pages through a release with more than 100 assets to find the one to replace', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 120; i++) many[`part-${String(i).padStart(3, '0')}`] = String(i);
    many['SHA256SUMS'] = 'old';
    api.seedRelease('v3', many);
    const release = await store().publish('v3', [assets[1]!]);
    expect(release.replaced).toEqual(['SHA256SUMS']);
    expect(api.requests.filter((r) => r.path.endsWith('/assets') && r.method === 'GET')).toHaveLength(2);
  });

  const sha256sums = () => api.releases[0]!.assets.filter((a) => a.name.startsWith('SHA256SUMS'));

  it.each(['status', 'disconnect'] as const)(
    'a failed upload (%s, every attempt) leaves the old asset in place and nothing half-uploaded',
    async (how) => {
      const seeded = api.seedRelease('v2.0', { SHA256SUMS: 'old checksums\n', 'notes.txt': 'kept' });
      const old = { ...seeded.assets[0]! };
      api.failUploads(99, how);
      const error = await store()
        .publish('v2.0', [assets[1]!])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(sha256sums()).toEqual([old]);
      expect(api.releases[0]!.assets.map((a) => a.name)).toEqual(['SHA256SUMS', 'notes.txt']);
      // Three attempts, each a fresh upload under a temporary name, none touching the old asset.
      const uploads = api.requests.filter((r) => r.path.startsWith('/uploads/'));
      expect(uploads).toHaveLength(3);
      expect(api.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith(`/${old.id}`))).toEqual([]);
    },
  );

  it('an upload that fails once is sent again, then swapped in: never a moment without the asset', async () => {
    api.seedRelease('v2.0', { SHA256SUMS: 'old checksums\n' });
    api.failUploads(1);
    const release = await store().publish('v2.0', [assets[1]!]);
    expect(release.replaced).toEqual(['SHA256SUMS']);
    expect(sha256sums().map((a) => [a.name, a.sha256, a.state])).toEqual([
      ['SHA256SUMS', sha256Of(assets[1]!.path), 'uploaded'],
    ]);
    // The order on the wire: upload (failed), upload, then delete the old, then rename the new.
    const writes = api.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.status}`);
    expect(writes).toEqual(['POST 502', 'DELETE 204', 'POST 201', 'DELETE 204', 'PATCH 200']);
  });

  it('removes the temporary uploads an earlier run left between upload and swap', async () => {
    api.seedRelease('v2.0', {
      'SHA256SUMS.mkosi-ci-upload-0123abcd': 'half',
      'notes.mkosi-ci-upload.txt': 'kept',
    });
    await store().publish('v2.0', [assets[1]!]);
    expect(api.releases[0]!.assets.map((a) => a.name).sort()).toEqual([
      'SHA256SUMS',
      'notes.mkosi-ci-upload.txt',
    ]);
  });

  it('refuses names GitHub would rename before touching the release, naming them', async () => {
    const odd = [
      { ...assets[0]!, name: 'image_1.0~rc1.raw' },
      { ...assets[1]!, name: 'my image (x64).raw' },
      { ...assets[1]!, name: '.hidden' },
    ];
    const error = await store()
      .publish('v5', [assets[0]!, ...odd])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      "Input release: GitHub would rename the release asset(s) 'image_1.0~rc1.raw' (as 'image_1.0.rc1.raw'), 'my image (x64).raw' (as 'my.image.x64.raw'), '.hidden' (as 'hidden'), and SHA256SUMS would no longer match what is downloaded; name the outputs with letters, digits, '.', '_' and '-' only (mkosi's ImageId=, ImageVersion=, Output=).",
    );
    expect(api.requests).toEqual([]);
  });

  it('rides out a 502 on the asset list and a rate limit (Octokit retry and throttling)', async () => {
    api.seedRelease('v2.0', { SHA256SUMS: 'old' });
    api.failRequests('GET', /\/assets$/, 502, 2);
    api.rateLimit(1);
    const release = await store().publish('v2.0', [assets[1]!]);
    expect(release.replaced).toEqual(['SHA256SUMS']);
    expect(api.requests.filter((r) => r.status === 502)).toHaveLength(2);
    expect(api.requests.filter((r) => r.status === 403)).toHaveLength(1);
  });

  it('says the token lacks contents: write when GitHub answers 403, naming github-token', async () => {
    api.forbid();
    const error = await store()
      .publish('v4', assets)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      `Input github-token: GitHub refused POST /repos/${api.repository}/releases (403 Resource not accessible by integration); the job needs \`permissions: contents: write\` for releases.`,
    );
  });

  it('says so when the token is refused outright', async () => {
    const error = await store('wrong')
      .publish('v4', assets)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /^Input github-token: GitHub refused GET .*\(401 Bad credentials\)/,
    );
  });
});
