import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../support/action-harness.js';
import { serveFiles, type LocalServer } from '../support/http-server.js';
import { makeMkosiTarball } from '../support/mkosi-tarball.js';
import { installPackedCli } from '../support/packed-cli.js';
import { debianMirror, PACKAGE_CACHE, TEST_PROJECTS, TOOLS_TREE } from '../support/paths.js';

/**
 * debian-minimal, built once through the CLI as the registry would give it (the packed tarball installed
 * into an empty directory), with mkosi from a release tarball over HTTP.
 */
describe('the CLI builds debian-minimal', () => {
  let packed: ReturnType<typeof installPackedCli>;
  let server: LocalServer;
  let outputDir: string;
  let cacheHome: string;
  let result: CliRun;
  let tarballSha256: string;

  beforeAll(async () => {
    packed = installPackedCli();
    const tarball = makeMkosiTarball('27.1');
    tarballSha256 = tarball.sha256;
    server = await serveFiles({ '/refs/tags/v27.1.tar.gz': tarball.file });
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'minimal-'));
    outputDir = path.join(scratch, 'out');
    cacheHome = path.join(scratch, 'cache');
    result = await runCli(
      [
        'build',
        '--directory',
        path.join(TEST_PROJECTS, 'debian-minimal'),
        `--mirror=${debianMirror()}`,
        `--tools-tree=${TOOLS_TREE}`,
        '--mkosi-source=release',
        `--mkosi-release-url=${server.url}/{ref}.tar.gz`,
        `--mkosi-sha256=${tarball.sha256}`,
        `--args=--output-directory=${outputDir}`,
        `--args=--package-cache-directory=${PACKAGE_CACHE}`,
        `--work-dir=${path.join(scratch, 'work')}`,
      ],
      { ...process.env, XDG_CACHE_HOME: cacheHome },
      packed.bin,
    );
  });
  afterAll(() => server?.close());

  it('is installed from the packed tarball with nothing but its bundle', async () => {
    expect(realpathSync(packed.bin)).toBe(
      path.join(packed.prefix, 'node_modules/mkosi-ci/dist/cli/index.js'),
    );
    const help = await runCli(['--help'], process.env, packed.bin);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: mkosi-ci build/);
  });

  it('exits 0', () => {
    expect(result.status, result.stderr.slice(-3000) + result.stdout.slice(-3000)).toBe(0);
  });

  it('downloads mkosi once into its own tool cache', () => {
    expect(server.requests).toEqual(['/refs/tags/v27.1.tar.gz']);
    // The tool cache keeps the checked tarball under its ref and checksum; each run unpacks its own copy.
    const entry = path.join(cacheHome, `mkosi-ci/tools/mkosi/27.1.0-sha256-${tarballSha256}`);
    expect(existsSync(path.join(entry, 'mkosi.tar.gz'))).toBe(true);
    expect(existsSync(path.join(entry, 'bin'))).toBe(false);
  });

  it('without --cache-dir keeps the package and incremental caches in the cache home, and says so', () => {
    const home = path.join(cacheHome, 'mkosi/mkosi-ci');
    expect(readdirSync(path.join(home, 'incremental')).length).toBeGreaterThan(0);
    expect(result.stdout).toContain('caches: not stored: no --cache-dir given; kept on this machine only');
  });

  it('builds the Debian tree', () => {
    const osRelease = readFileSync(path.join(outputDir, 'debian-minimal/usr/lib/os-release'), 'utf8');
    expect(osRelease).toMatch(/VERSION_CODENAME=trixie/);
    expect(existsSync(path.join(outputDir, 'debian-minimal/usr/bin/bash'))).toBe(true);
  });

  it('prints the summary as text', () => {
    expect(result.stdout).toContain('mkosi-ci: image built');
    expect(result.stdout).toContain('mkosi 27.1 (release v27.1)');
    expect(result.stdout).toMatch(/debian trixie x86-64, Format=directory, built in/);
    expect(result.stdout).toMatch(/\ndebian-minimal\s+image\s+[\d.]+ MiB\s+directory\n/);
    expect(result.stdout).toContain(`output directory: ${outputDir}`);
  });

  it('keeps the build log in the work directory', () => {
    expect(readFileSync(path.join(outputDir, '../work/logs/build.log'), 'utf8')).toContain('debian-minimal');
  });

  it('diffs the tree: identical to a copy, and a planted file named (mkosi-ci diff)', async () => {
    const built = path.join(outputDir, 'debian-minimal');
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'diff-'));
    const copy = path.join(scratch, 'copy');
    // cp -a keeps directory mtimes, which Node's cpSync does not.
    execFileSync('cp', ['-a', built, copy]);
    const same = await runCli(['diff', built, copy, `--work-dir=${path.join(scratch, 'w1')}`]);
    expect(same.status, same.stderr).toBe(0);
    expect(same.stdout).toContain('✅ identical');

    writeFileSync(path.join(copy, 'etc/planted-difference'), 'not in the build\n');
    const different = await runCli(['diff', built, copy, `--work-dir=${path.join(scratch, 'w2')}`]);
    expect(different.status).toBe(1);
    expect(different.stdout).toContain('❌ not reproducible');
    expect(different.stdout).toMatch(/`\/etc\/planted-difference` \| only in b/);
    const json = JSON.parse(readFileSync(path.join(scratch, 'w2/diff/diff-report.json'), 'utf8')) as {
      identical: boolean;
    };
    expect(json.identical).toBe(false);
  });
});
