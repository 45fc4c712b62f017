import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactRecord } from '../../src/report/build-summary.js';
import { annotations, runAction, runCli, type ActionRun } from '../support/action-harness.js';
import { sha256Of } from '../support/assertions.js';
import { readGptTable } from '../../src/repro/gpt.js';
import { debianMirror, PACKAGE_CACHE, TEST_PROJECTS, TOOLS_TREE } from '../support/paths.js';

/** debian-bootable, built once through the bundled action as the runner runs it. */
describe('the action builds debian-bootable', () => {
  let run: ActionRun;
  let outputDir: string;
  let artifacts: ArtifactRecord[];

  beforeAll(async () => {
    outputDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'bootable-')), 'out');
    run = await runAction({
      inputs: {
        directory: path.join(TEST_PROJECTS, 'debian-bootable'),
        mirror: debianMirror(),
        'tools-tree': TOOLS_TREE,
        args: `--output-directory=${outputDir}\n--package-cache-directory=${PACKAGE_CACHE}`,
      },
    });
    artifacts = JSON.parse(run.outputs.artifacts ?? '[]') as ArtifactRecord[];
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
    const onDisk = execFileSync('ls', ['-A', outputDir], { encoding: 'utf8' }).trim().split('\n').sort();
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
});
