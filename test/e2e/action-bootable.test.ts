import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactRecord } from '../../src/report/build-summary.js';
import { annotations, runAction, runCli, type ActionRun } from '../support/action-harness.js';
import { sha256Of } from '../support/assertions.js';
import { readGptTable } from '../../src/repro/gpt.js';
import { debianMirror, PACKAGE_CACHE, TEST_PROJECTS, TOOLS_TREE } from '../support/paths.js';
import { downloadArtifact } from '../support/artifact-download.js';
import { startGitHubApiServer, type GitHubApiServer } from '../support/github-api-server.js';
import { generateKey, gpgv, leakedSecrets, secretsOf, type TestKey } from '../support/gpg-keys.js';
import { startResultsServer, type ResultsServer } from '../support/results-server.js';

const PUBLICATION_FILES = ['SHA256SUMS', 'SHA256SUMS.gpg', 'signing-key.asc'];

/**
 * debian-bootable, built once through the bundled action as the runner runs it, for a pushed tag: built,
 * booted, SHA256SUMS signed, the image set uploaded to the local results service and attached to the
 * tag's release on a local GitHub API.
 */
describe('the action builds debian-bootable', () => {
  let run: ActionRun;
  let outputDir: string;
  let artifacts: ArtifactRecord[];
  let results: ResultsServer;
  let api: GitHubApiServer;
  let key: TestKey;
  let resultsEnv: Record<string, string>;

  beforeAll(async () => {
    outputDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'bootable-')), 'out');
    // Blob URLs straight at 127.0.0.1: no proxy variables, which mkosi's apt would pick up.
    results = await startResultsServer({ blobHost: false });
    api = await startGitHubApiServer();
    api.seedRelease('v1.0', { SHA256SUMS: 'stale checksums of an earlier run\n' });
    key = generateKey(`bootable ${Date.now()} passphrase`);
    // The harness gives the action its own RUNNER_TEMP.
    const env = Object.fromEntries(Object.entries(results.env()).filter(([name]) => name !== 'RUNNER_TEMP'));
    resultsEnv = env;
    run = await runAction({
      inputs: {
        directory: path.join(TEST_PROJECTS, 'debian-bootable'),
        mirror: debianMirror(),
        'tools-tree': TOOLS_TREE,
        args: `--output-directory=${outputDir}\n--package-cache-directory=${PACKAGE_CACHE}`,
        'sign-key': key.armored,
        'sign-passphrase': key.passphrase,
        release: 'true',
        'github-token': api.token,
      },
      env: {
        ...env,
        GITHUB_EVENT_NAME: 'push',
        GITHUB_REF: 'refs/tags/v1.0',
        GITHUB_API_URL: api.url,
        GITHUB_REPOSITORY: api.repository,
      },
    });
    artifacts = JSON.parse(run.outputs.artifacts ?? '[]') as ArtifactRecord[];
  });

  afterAll(async () => {
    await results?.close();
    await api?.close();
  });

  it('succeeds without errors, main and post', () => {
    expect(run.main.exitCode, run.main.log.slice(-5000)).toBe(0);
    expect(annotations(run.main.log, 'error')).toEqual([]);
    expect(run.post.exitCode).toBe(0);
    expect(run.outputs['mkosi-version']).toBe('27.1');
  });

  it('puts the disk image in the image output, with an ESP and a root partition', async () => {
    expect(run.outputs['output-directory']).toBe(outputDir);
    expect(run.outputs.image).toBe(path.join(outputDir, 'debian-bootable.raw'));
    expect(statSync(run.outputs.image!).isFile()).toBe(true);
    const table = await readGptTable(run.outputs.image!);
    const types = table!.partitions.map((p) => p.typeGuid.toUpperCase());
    expect(types).toContain('C12A7328-F81F-11D2-BA4B-00A0C93EC93B'); // ESP
    expect(types).toContain('4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709'); // root x86-64
  });

  it('lists every output file with its real size and sha256', () => {
    const kinds = artifacts.map((a) => a.kind);
    expect(kinds).toEqual(expect.arrayContaining(['image', 'uki', 'kernel', 'initrd']));
    const onDisk = execFileSync('ls', ['-A', outputDir], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((name) => !PUBLICATION_FILES.includes(name))
      .sort();
    expect(artifacts.map((a) => a.name).sort()).toEqual(onDisk);
    for (const artifact of artifacts.filter((a) => a.type === 'file')) {
      expect(artifact.size, artifact.name).toBe(statSync(artifact.path).size);
      expect(artifact.sha256, artifact.name).toBe(sha256Of(artifact.path));
    }
  });

  it('shows every file and its sha256 in the job summary', () => {
    expect(run.summary).toContain('✅ mkosi-ci: image built and booted');
    expect(run.summary).toContain('**debian trixie** x86-64, `Format=disk`');
    for (const artifact of artifacts) {
      expect(run.summary).toContain(`\`${artifact.name}\``);
      if (artifact.sha256) expect(run.summary).toContain(artifact.sha256);
    }
  });

  it('leaves the resolved configuration, with the apt sources written from the mirror', () => {
    const config = JSON.parse(readFileSync(run.outputs.config!, 'utf8')) as {
      Images: { Format: string; Mirror: string; SandboxTrees: { Source: string }[] }[];
    };
    const main = config.Images.at(-1)!;
    expect(main.Format).toBe('disk');
    expect(debianMirror()).toBe(`${main.Mirror}/debian`);
    const sources = readFileSync(
      path.join(main.SandboxTrees[0]!.Source, 'etc/apt/sources.list.d/mkosi.sources'),
      'utf8',
    );
    expect(sources).toContain(`URIs: ${debianMirror()}\nSuites: trixie trixie-updates\n`);
    expect(sources).not.toContain('debian-debug');
  });

  it('boots the image over vsock (vhost-device-vsock is installed here) and finds no failed unit', () => {
    expect(run.outputs['boot-result']).toBe('passed');
    expect(JSON.parse(run.outputs['failed-units']!)).toEqual([]);
    expect(run.summary).toContain('### ✅ Boot check: passed');
    expect(run.summary).toContain('report over vsock');
    expect(run.summary).toMatch(/Boot time: .*kernel .* \+ userspace/);
  });

  it(
    'passes again over the serial transport, booted by the CLI from the same outputs',
    async () => {
      const cli = await runCli([
        'boot',
        `--directory=${path.join(TEST_PROJECTS, 'debian-bootable')}`,
        `--mirror=${debianMirror()}`,
        `--tools-tree=${TOOLS_TREE}`,
        '--boot-transport=serial',
        `--args=--output-directory=${outputDir}`,
      ]);
      expect(cli.status, cli.stderr.slice(-3000)).toBe(0);
      expect(cli.stdout).toContain('debian trixie x86-64, Format=disk, built earlier');
      expect(cli.stdout).toMatch(
        /boot check: passed: the system is running\n {2}(KVM|TCG), uefi, report over serial/,
      );
    },
    12 * 60_000,
  );

  it('keeps the build log', () => {
    const log = path.join(run.outputs.logs!, 'build.log');
    expect(existsSync(log)).toBe(true);
    expect(readFileSync(log, 'utf8')).toContain('debian-bootable.raw');
  });

  it('writes SHA256SUMS over every output file, signed by the key and verifiable with signing-key.asc alone', () => {
    const files = artifacts.filter((a) => a.type === 'file');
    const sums = readFileSync(path.join(outputDir, 'SHA256SUMS'), 'utf8');
    expect(sums).toBe(
      files
        .map((a) => `${a.sha256} *${a.name}\n`)
        .sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1))
        .join(''),
    );
    expect(files.map((a) => a.kind)).toEqual(expect.arrayContaining(['image', 'uki', 'kernel', 'initrd']));
    execFileSync('sha256sum', ['--check', '--strict', '--quiet', 'SHA256SUMS'], { cwd: outputDir });
    const check = gpgv(
      readFileSync(path.join(outputDir, 'signing-key.asc'), 'utf8'),
      path.join(outputDir, 'SHA256SUMS.gpg'),
      path.join(outputDir, 'SHA256SUMS'),
    );
    expect(check.ok, check.output).toBe(true);
    expect(run.outputs.checksums).toBe(path.join(outputDir, 'SHA256SUMS'));
    expect(run.outputs['signing-fingerprint']).toBe(key.fingerprint);
    expect(run.summary).toContain(`signed by \`${key.fingerprint}\``);
  });

  it(
    'uploads the image set as one artifact that downloads back identical, the raw image in blocks',
    async () => {
      const id = Number(run.outputs['artifact-id']);
      const uploaded = results.artifacts().find((a) => a.id === id)!;
      expect(uploaded).toMatchObject({ name: 'debian-bootable', finalized: true });
      expect(run.outputs['artifact-url']).toBe(
        `https://github.com/${api.repository}/actions/runs/4242/artifacts/${id}`,
      );
      // The zip is far above the 128 MiB single-shot limit, so it went up as staged blocks.
      const blob = results.blobs().find((b) => b.name === uploaded.blob)!;
      expect(blob.size).toBeGreaterThan(128 * 1024 * 1024);
      expect(blob.committedBy).toBe('blocklist');
      const into = mkdtempSync(path.join(os.tmpdir(), 'downloaded-'));
      await downloadArtifact(resultsEnv, id, into);
      const expected = [
        ...artifacts.filter((a) => a.type === 'file').map((a) => a.name),
        ...PUBLICATION_FILES,
      ].sort();
      expect(readdirSync(into).sort()).toEqual(expected);
      execFileSync('sha256sum', ['--check', '--strict', '--quiet', 'SHA256SUMS'], { cwd: into });
      for (const name of PUBLICATION_FILES) {
        expect(sha256Of(path.join(into, name)), name).toBe(sha256Of(path.join(outputDir, name)));
      }
    },
    10 * 60_000,
  );

  it('uploads the logs as a second artifact from the post step', () => {
    expect(results.artifacts().map((a) => a.name)).toContain('debian-bootable-logs');
    expect(run.post.log).toContain('logs uploaded as the artifact debian-bootable-logs');
  });

  it("attaches every file to the tag's release, replacing the stale SHA256SUMS", () => {
    const release = api.releases.find((r) => r.tag === 'v1.0')!;
    expect(run.outputs['release-url']).toBe(`https://github.com/${api.repository}/releases/tag/v1.0`);
    const files = artifacts.filter((a) => a.type === 'file');
    expect(release.assets.map((a) => a.name).sort()).toEqual(
      [...files.map((a) => a.name), ...PUBLICATION_FILES].sort(),
    );
    for (const asset of release.assets) {
      expect(asset.sha256, asset.name).toBe(sha256Of(path.join(outputDir, asset.name)));
    }
    expect(api.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
    expect(run.summary).toMatch(/release \[v1\.0\]\(.*\): \d+ assets uploaded, 1 replaced/);
  });

  it('never shows the signing key or its passphrase, in the step logs or the kept logs', () => {
    const logsDir = run.outputs.logs!;
    const keptLogs = readdirSync(logsDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'));
    const secrets = secretsOf(key);
    for (const log of [run.main.log, run.post.log, run.summary, ...keptLogs]) {
      expect(leakedSecrets(log, secrets)).toEqual([]);
    }
    // The secrets were handed to the runner to mask.
    expect(run.main.log).toContain(`::add-mask::${key.passphrase}`);
  });
});
