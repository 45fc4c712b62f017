import { mkdtempSync, writeFileSync } from 'node:fs';
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
  let assets: ReleaseAsset[];
  const store = (token = api.token) =>
    new GitHubReleaseStore({
      apiUrl: api.url,
      repository: api.repository,
      token,
      commit: 'c0ffee'.repeat(6) + 'c0ff',
    });

  beforeEach(async () => {
    api = await startGitHubApiServer();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'assets-'));
    assets = ['image.raw', 'SHA256SUMS'].map((name, i) => {
      const file = path.join(dir, name);
      writeFileSync(file, `${name} ${i}\n`.repeat(1000 * (i + 1)));
      return { name, path: file, size: `${name} ${i}\n`.length * 1000 * (i + 1) };
    });
  });
  afterEach(() => api.close());

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
