import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReproJsonReport } from '../../src/repro/repro-report.js';
import { annotations, runAction, runCli, type ActionRun, type CliRun } from '../support/action-harness.js';
import { debianMirror, PACKAGE_CACHE, TEST_PROJECTS, TOOLS_TREE } from '../support/paths.js';

/**
 * The reproducibility check with real builds of test-projects/debian-repro (a disk image with one ext4
 * root partition; two builds each): the planted-nondeterminism profile through the action must be
 * reported not reproducible, naming each planted file and its partition; the clean project through
 * `mkosi-ci repro` must come out bit-identical once mkosi-ci pinned Seed= and SourceDateEpoch=; and
 * with reproducible: warn and no variations, the planted faults only warn, and the build path (the
 * same for both builds then) is not among them.
 */
const PROJECT = path.join(TEST_PROJECTS, 'debian-repro');
const PARTITION = 'debian-repro.raw › partition 1 root-x86-64 ext4';
const PLANTED = ['/etc/planted/build-time', '/usr/share/planted/random', '/etc/planted/build-path'];

function readReport(dir: string): ReproJsonReport {
  return JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as ReproJsonReport;
}

describe('reproducible: check on planted nondeterminism (action)', () => {
  let run: ActionRun;
  let outputDir: string;

  beforeAll(async () => {
    outputDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'repro-planted-')), 'out');
    run = await runAction({
      inputs: {
        directory: PROJECT,
        profiles: 'planted-nondeterminism',
        mirror: debianMirror(),
        'tools-tree': TOOLS_TREE,
        args: `--output-directory=${outputDir}\n--package-cache-directory=${PACKAGE_CACHE}`,
        boot: 'false',
        reproducible: 'check',
        // umask on top of the defaults: the planted files take their modes from it.
        'reproducible-variations': 'build-path, time, timezone, locale, umask, hostname',
      },
    });
  });

  it('fails the job with one error naming the planted files and their partition', () => {
    expect(run.main.exitCode, run.main.log.slice(-5000)).toBe(1);
    const errors = annotations(run.main.log, 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Reproducibility check: the two builds differ in 5 places: /);
    for (const file of PLANTED) expect(errors[0]).toContain(`${PARTITION}: ${file}: content`);
    expect(run.post.exitCode).toBe(0);
  });

  it('sets the outputs: reproducible=no and the report directory', () => {
    expect(run.outputs.reproducible).toBe('no');
    expect(existsSync(path.join(run.outputs['diff-report']!, 'report.md'))).toBe(true);
  });

  it('names the three planted files, and the directories the umask variation changed, in the JSON report', () => {
    const report = readReport(run.outputs['diff-report']!);
    expect(report.reproducible).toBe(false);
    expect(report.differences.map((d) => d.path).sort()).toEqual(
      [...PLANTED, '/etc/planted', '/usr/share/planted'].sort(),
    );
    for (const d of report.differences) {
      expect(d.location).toEqual(['debian-repro.raw', 'partition 1 root-x86-64 ext4']);
      // The postinst creates them under the second build's umask 0002: group-writable.
      expect(d.fields).toContain('mode');
      expect(d.hint).toMatch(/umask/);
      expect(d.fields.includes('sha256')).toBe(PLANTED.includes(d.path));
    }
    // The partition table and everything but the three files are the same: the pins worked.
    const disk = report.tree.children.find((c) => c.name === 'debian-repro.raw')!;
    expect(disk.children.find((c) => c.kind === 'partition-table')?.verdict).toBe('identical');
    const root = disk.children.find((c) => c.kind === 'partition')!;
    expect(root.counts).toMatchObject({ changed: 5, added: 0, removed: 0 });
    expect(root.counts!.identical).toBeGreaterThan(1000);
  });

  it('says in the job summary what differs, what was pinned and what was varied', () => {
    expect(run.summary).toContain('## Reproducibility: ❌ not reproducible');
    for (const file of PLANTED) expect(run.summary).toContain(`| ${PARTITION} | \`${file}\` | content`);
    expect(run.summary).toMatch(/- `Seed=[0-9a-f-]{36}` \(derived from ImageId=debian-repro\)/);
    expect(run.summary).toMatch(/- `SourceDateEpoch=\d+` \(time of the last commit\)/);
    expect(run.summary).toContain('- timezone: TZ=Pacific/Kiritimati');
    expect(run.summary).toContain('- hostname: mkosi-ci-repro-b');
    expect(run.summary).toContain('diffoscope: ran on the 3 differing files');
  });

  it('explains the three files with diffoscope, in HTML and text', () => {
    const dir = run.outputs['diff-report']!;
    const html = readFileSync(path.join(dir, 'diffoscope.html'), 'utf8');
    const text = readFileSync(path.join(dir, 'diffoscope.txt'), 'utf8');
    for (const file of PLANTED) {
      expect(html).toContain(file.split('/').pop());
      expect(text).toContain(`partition 1 root-x86-64 ext4${file}`);
    }
    // The embedded build paths differ: the first build's project, the second build's copy.
    expect(text).toContain(`-${PROJECT}`);
    expect(text).toMatch(/\+\S*\/repro\/src-[^/]+\/debian-repro/);
  });
});

describe('mkosi-ci repro on the clean project', () => {
  let result: CliRun;
  let work: string;

  beforeAll(async () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'repro-clean-'));
    work = path.join(scratch, 'work');
    result = await runCli([
      'repro',
      '--directory',
      PROJECT,
      `--mirror=${debianMirror()}`,
      `--tools-tree=${TOOLS_TREE}`,
      '--mkosi-source=system',
      `--args=--output-directory=${path.join(scratch, 'out')}`,
      `--args=--package-cache-directory=${PACKAGE_CACHE}`,
      // Not about caches: no incremental cache kept in this machine's home.
      '--cache=false',
      `--work-dir=${work}`,
    ]);
  });

  it('exits 0: the two builds are bit-identical', () => {
    expect(result.status, result.stderr.slice(-3000) + result.stdout.slice(-3000)).toBe(0);
    expect(result.stdout).toContain('reproducible: yes (the two builds are bit-identical)');
    expect(result.stdout).toContain('image built and checked: reproducible');
  });

  it('reports it with the pins it needed', () => {
    const report = readReport(path.join(work, 'logs/repro'));
    expect(report.reproducible).toBe(true);
    expect(report.differences).toEqual([]);
    expect(report.conditions.pinned.map((p) => p.setting)).toEqual(['Seed', 'SourceDateEpoch']);
    expect(report.conditions.variations.length).toBe(5);
    const md = readFileSync(path.join(work, 'logs/repro/report.md'), 'utf8');
    expect(md).toContain('## Reproducibility: ✅ identical');
    expect(md).toContain('└\u00a0debian-repro.raw | identical |');
  });

  it('publishes the report with the outputs: copied next to them and listed in SHA256SUMS', () => {
    const out = path.join(path.dirname(work), 'out');
    const sums = readFileSync(path.join(out, 'SHA256SUMS'), 'utf8');
    expect(sums).toMatch(/^[0-9a-f]{64} \*debian-repro\.raw$/m);
    expect(sums).toMatch(/^[0-9a-f]{64} \*reproducibility-report\.json$/m);
    expect(sums).toMatch(/^[0-9a-f]{64} \*reproducibility-report\.md$/m);
    expect(readFileSync(path.join(out, 'reproducibility-report.json'), 'utf8')).toBe(
      readFileSync(path.join(work, 'logs/repro/report.json'), 'utf8'),
    );
  });
});

describe('reproducible: warn, no variations, no diffoscope (CLI build, planted nondeterminism)', () => {
  let result: CliRun;
  let work: string;

  beforeAll(async () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'repro-warn-'));
    work = path.join(scratch, 'work');
    result = await runCli([
      'build',
      '--directory',
      PROJECT,
      '--profiles=planted-nondeterminism',
      `--mirror=${debianMirror()}`,
      `--tools-tree=${TOOLS_TREE}`,
      '--mkosi-source=system',
      '--boot=false',
      '--reproducible=warn',
      '--reproducible-variations=none',
      '--diffoscope=no',
      `--args=--output-directory=${path.join(scratch, 'out')}`,
      `--args=--package-cache-directory=${PACKAGE_CACHE}`,
      // Not about caches: no incremental cache kept in this machine's home.
      '--cache=false',
      `--work-dir=${work}`,
    ]);
  });

  it('exits 0 and warns, naming what differs', () => {
    expect(result.status, result.stderr.slice(-3000) + result.stdout.slice(-3000)).toBe(0);
    expect(result.stderr).toMatch(/^warning: Reproducibility check: the two builds differ in 2 places: /m);
    expect(result.stdout).toContain('image built and checked: not reproducible (warn)');
    expect(result.stdout).toContain('reproducible: no (2 differences)');
  });

  it('finds the clock and the random bytes, but not the build path it did not vary, nor modes', () => {
    const report = readReport(path.join(work, 'logs/repro'));
    expect(report.differences.map((d) => d.path).sort()).toEqual([
      '/etc/planted/build-time',
      '/usr/share/planted/random',
    ]);
    expect(report.differences.every((d) => d.fields.join() === 'sha256')).toBe(true);
    expect(report.conditions.variations).toEqual([]);
    expect(report.conditions.secondDirectory).toBe(PROJECT);
    expect(report.conditions.diffoscope).toEqual({ status: 'disabled' });
    expect(existsSync(path.join(work, 'logs/repro/diffoscope.html'))).toBe(false);
  });
});
