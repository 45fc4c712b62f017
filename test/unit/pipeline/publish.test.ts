import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors.js';
import type { MkosiConfig } from '../../../src/mkosi/config.js';
import type { Artifact } from '../../../src/mkosi/outputs.js';
import type { BuildResult } from '../../../src/mkosi/build-result.js';
import type { Context, Trigger } from '../../../src/context.js';
import { defaultInputs, Input, type RawInputs } from '../../../src/inputs.js';
import { parseOptions } from '../../../src/pipeline/options.js';
import { publish } from '../../../src/pipeline/publish.js';
import { trigger as triggerOf } from '../../../src/github/events.js';
import type { ArtifactUpload, PublishedRelease, ReleaseAsset } from '../../../src/ports.js';
import { fakeContext, recordingLog } from '../../support/fake-context.js';

/**
 * The publish stage on real files, with the artifact and release services replaced at their ports (the
 * HTTP side of both is covered by the e2e tests against local servers).
 */

const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function outputs(): { dir: string; artifacts: Artifact[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stage-'));
  const zst = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(4000, 7)]);
  writeFileSync(path.join(dir, 'image.raw.zst'), zst);
  writeFileSync(path.join(dir, 'image.manifest'), '{}\n');
  mkdirSync(path.join(dir, 'image.d/etc'), { recursive: true });
  writeFileSync(path.join(dir, 'image.d/etc/hostname'), 'image\n');
  const file = (name: string, data: Buffer | string, kind: Artifact['kind']): Artifact => ({
    name,
    path: path.join(dir, name),
    image: 'main',
    kind,
    type: 'file',
    size: Buffer.byteLength(data),
    sha256: sha(data),
  });
  return {
    dir,
    artifacts: [
      file('image.raw.zst', zst, 'image'),
      file('image.manifest', '{}\n', 'manifest'),
      {
        name: 'image.d',
        path: path.join(dir, 'image.d'),
        image: 'main',
        kind: 'other',
        type: 'directory',
        size: 6,
        sha256: null,
      },
      {
        name: 'image',
        path: path.join(dir, 'image'),
        image: 'main',
        kind: 'link',
        type: 'symlink',
        size: 0,
        sha256: null,
        target: 'image.raw.zst',
      },
    ],
  };
}

function build(dir: string, artifacts: Artifact[]): BuildResult {
  const main = {
    output: 'image',
    imageId: 'image',
    imageVersion: '2.1',
    distribution: 'debian',
    release: 'trixie',
    architecture: 'x86-64',
  };
  return {
    config: { main, images: [main], tools: undefined, raw: {} } as unknown as MkosiConfig,
    configFile: '',
    outputDirectory: dir,
    image: artifacts[0],
    artifacts,
    logFile: '',
    durationMs: 1,
  };
}

function context(trigger: Partial<Trigger>) {
  const uploads: ArtifactUpload[] = [];
  const releases: { tag: string; assets: ReleaseAsset[] }[] = [];
  const infos: string[] = [];
  const ctx: Context = fakeContext({
    log: { ...recordingLog(), info: (m) => infos.push(m) },
    trigger,
    artifacts: {
      upload: (u) => {
        uploads.push(u);
        return Promise.resolve({ id: 1, size: 10, url: 'https://example.org/1' });
      },
    },
    releases: {
      publish: (tag, assets): Promise<PublishedRelease> => {
        releases.push({ tag, assets: [...assets] });
        return Promise.resolve({
          tag,
          url: 'https://example.org/r',
          created: true,
          uploaded: assets.map((a) => a.name),
          replaced: [],
        });
      },
    },
  });
  return { ctx, uploads, releases, infos };
}

const options = (overrides: Partial<RawInputs> = {}) =>
  parseOptions({ ...defaultInputs(), ...overrides }, '/').publish;
const push = triggerOf({ GITHUB_EVENT_NAME: 'push' });

describe('the publish stage', () => {
  it('uploads every listed file with SHA256SUMS, stored as the bytes are mostly compressed already', async () => {
    const { dir, artifacts } = outputs();
    const { ctx, uploads } = context(push);
    const result = await publish(
      ctx,
      options({ [Input.ArtifactName]: '{image}_{version}' }),
      build(dir, artifacts),
      [],
    );
    expect(
      readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8')
        .split('\n')
        .map((l) => l.slice(66)),
    ).toEqual(['SHA256SUMS.mtree', 'image.d/etc/hostname', 'image.manifest', 'image.raw.zst', '']);
    // A directory is published: its tree listing goes with it.
    expect(result.listingFile).toBe(path.join(dir, 'SHA256SUMS.mtree'));
    expect(uploads).toEqual([
      {
        name: 'image_2.1',
        files: [
          'image.raw.zst',
          'image.manifest',
          'image.d/etc/hostname',
          'SHA256SUMS',
          'SHA256SUMS.mtree',
        ].map((f) => path.join(dir, f)),
        rootDirectory: dir,
        retentionDays: undefined,
        compressionLevel: 0,
      },
    ]);
    expect(result.artifact).toMatchObject({ id: 1, name: 'image_2.1', files: 5, compressionLevel: 0 });
  });

  it('uploads nothing when a file changed after it was listed (planted: the image rewritten after discovery)', async () => {
    const { dir, artifacts } = outputs();
    writeFileSync(path.join(dir, 'image.manifest'), '{"changed": true}\n');
    const { ctx, uploads, releases } = context(
      triggerOf({ GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v1' }),
    );
    await expect(
      publish(ctx, options({ [Input.Release]: 'true' }), build(dir, artifacts), []),
    ).rejects.toThrow(
      'Outputs changed after SHA256SUMS was written, so nothing was uploaded: image.manifest',
    );
    expect(uploads).toEqual([]);
    expect(releases).toEqual([]);
  });

  it('leaves pull requests alone, and refuses upload: true where there is no artifact service', async () => {
    const { dir, artifacts } = outputs();
    const pr = context(triggerOf({ GITHUB_EVENT_NAME: 'pull_request' }));
    const result = await publish(pr.ctx, options(), build(dir, artifacts), []);
    expect(pr.uploads).toEqual([]);
    expect(result.artifact).toBeUndefined();
    const cli = context(triggerOf({}));
    delete cli.ctx.artifacts;
    await expect(
      publish(cli.ctx, options({ [Input.Upload]: 'true' }), build(dir, artifacts), []),
    ).rejects.toThrow(/^Input upload: true, but there is no artifact service here/);
  });

  it('notes that release: true has no tag to release, and refuses a directory image as release assets', async () => {
    const { dir, artifacts } = outputs();
    const branch = context(push);
    const result = await publish(
      branch.ctx,
      options({ [Input.Release]: 'true', [Input.Upload]: 'false' }),
      build(dir, artifacts),
      [],
    );
    expect(result.notes).toEqual(['release: true, but this run is not for a tag: no release.']);
    expect(branch.releases).toEqual([]);
    writeFileSync(path.join(dir, 'image.d/hostname'), 'clash\n');
    const tag = context(triggerOf({ GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v1' }));
    const error = await publish(
      tag.ctx,
      options({ [Input.Release]: 'true', [Input.Upload]: 'false' }),
      build(dir, artifacts),
      [],
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/two files would both be the release asset 'hostname'/);
  });

  it('copies the reports of the run next to the outputs and lists them', async () => {
    const { dir, artifacts } = outputs();
    const report = path.join(mkdtempSync(path.join(os.tmpdir(), 'report-')), 'report.md');
    writeFileSync(report, '# identical\n');
    const { ctx } = context(triggerOf({ GITHUB_EVENT_NAME: 'pull_request' }));
    const result = await publish(
      ctx,
      options(),
      build(dir, artifacts),
      [],
      [{ name: 'reproducibility-report.md', path: report }],
    );
    expect(readFileSync(path.join(dir, 'reproducibility-report.md'), 'utf8')).toBe('# identical\n');
    expect(result.files.map((f) => f.name)).toContain('reproducibility-report.md');
    expect(readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8')).toContain(
      `${sha('# identical\n')} *reproducibility-report.md\n`,
    );
  });

  it('releases the files flat under their own names, with SHA256SUMS', async () => {
    const { dir, artifacts } = outputs();
    const tag = context(triggerOf({ GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v1' }));
    await publish(
      tag.ctx,
      options({ [Input.Release]: 'true', [Input.Upload]: 'false' }),
      build(
        dir,
        artifacts.filter((a) => a.type !== 'directory'),
      ),
      [],
    );
    expect(tag.releases.map((r) => [r.tag, r.assets.map((a) => [a.name, a.size])])).toEqual([
      [
        'v1',
        [
          ['image.raw.zst', 4004],
          ['image.manifest', 3],
          ['SHA256SUMS', 2 * (64 + 2 + 1) + 'image.raw.zst'.length + 'image.manifest'.length],
        ],
      ],
    ]);
  });
});
