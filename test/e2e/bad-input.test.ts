import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annotations, runAction, type ActionRun } from '../support/action-harness.js';
import { expectNoStackTrace } from '../support/assertions.js';
import { serveFiles, type LocalServer } from '../support/http-server.js';
import { makeMkosiCheckout, makeMkosiTarball } from '../support/mkosi-tarball.js';
import { REPO } from '../support/paths.js';

const FAILING_BUILD = path.join(REPO, 'test/fixtures/projects/failing-build');

/** Exit status 1 and exactly one error annotation, which matches `message`, and no stack trace. */
function expectOneError(run: ActionRun, message: RegExp): string {
  expect(run.main.exitCode, run.main.log).toBe(1);
  const errors = annotations(run.main.log, 'error');
  expect(errors, run.main.log).toHaveLength(1);
  expect(errors[0]).toMatch(message);
  expectNoStackTrace(run.main.log);
  expect(run.post.exitCode, run.post.log).toBe(0);
  return errors[0]!;
}

describe('bad input through the bundled action', () => {
  let server: LocalServer;
  let tarballSha256: string;

  beforeAll(async () => {
    const tarball = makeMkosiTarball('27.1');
    tarballSha256 = tarball.sha256;
    server = await serveFiles({ '/refs/tags/v27.1.tar.gz': tarball.file });
  });
  afterAll(() => server.close());

  it('names an unknown mkosi-source and the valid ones', async () => {
    const run = await runAction({ inputs: { 'mkosi-source': 'pip' } });
    expectOneError(run, /Input mkosi-source: 'pip' is not valid; expected auto\|release\|system\|apt\|PATH/);
  });

  it('names a directory without mkosi configuration', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'not-a-project-'));
    const run = await runAction({ inputs: { directory: dir } });
    expectOneError(
      run,
      new RegExp(`Input directory: ${dir} has no mkosi configuration \\(expected mkosi.conf`),
    );
  });

  it('names a malformed environment line', async () => {
    const run = await runAction({ inputs: { directory: FAILING_BUILD, environment: 'GOOD=1\nBAD LINE' } });
    expectOneError(run, /Input environment: line 2 'BAD LINE' is not KEY=VALUE/);
  });

  it('names an unknown reproducible variation and the valid ones', async () => {
    const run = await runAction({
      inputs: { reproducible: 'check', 'reproducible-variations': 'umask, moon-phase' },
    });
    expectOneError(
      run,
      /Input reproducible-variations: 'moon-phase' is not valid; expected none or some of build-path, time, timezone, locale, umask, hostname/,
    );
  });

  it('refuses an mkosi older than the minimum, naming its version', async () => {
    const checkout = makeMkosiCheckout('25.3', mkdtempSync(path.join(os.tmpdir(), 'mkosi-25.3-')));
    const run = await runAction({ inputs: { directory: FAILING_BUILD, 'mkosi-source': checkout } });
    expectOneError(run, /mkosi 25\.3 \(checkout .*\) is older than 26, the oldest mkosi-ci supports/);
  });

  it('refuses a release tarball whose checksum is not the pinned one', async () => {
    // The served tarball is not GitHub's v27.1 archive, so the checksum shipped for v27.1 must refuse it.
    const run = await runAction({
      inputs: {
        directory: FAILING_BUILD,
        'mkosi-source': 'release',
        'mkosi-release-url': `${server.url}/{ref}.tar.gz`,
      },
    });
    const error = expectOneError(
      run,
      /Input mkosi-version: the tarball from http:\/\/127\.0\.0\.1:\d+\/refs\/tags\/v27\.1\.tar\.gz has sha256 [0-9a-f]{64}, expected 33520d66/,
    );
    expect(error).toContain(tarballSha256);
    expect(existsSync(path.join(run.runnerDir, 'tool-cache/mkosi'))).toBe(false);
  });

  it('refuses a tarball that does not match mkosi-sha256', async () => {
    const run = await runAction({
      inputs: {
        directory: FAILING_BUILD,
        'mkosi-source': 'release',
        'mkosi-release-url': `${server.url}/{ref}.tar.gz`,
        'mkosi-sha256': '0'.repeat(64),
      },
    });
    expectOneError(
      run,
      /Input mkosi-sha256: the tarball .* has sha256 [0-9a-f]{64}, expected 0{64}; refusing to run it/,
    );
  });

  describe('a failing build, with mkosi from a verified release tarball', () => {
    let run: ActionRun;
    beforeAll(async () => {
      run = await runAction({
        inputs: {
          directory: FAILING_BUILD,
          'mkosi-source': 'release',
          'mkosi-release-url': `${server.url}/{ref}.tar.gz`,
          'mkosi-sha256': tarballSha256,
          'tools-tree': 'none',
        },
      });
    });

    it('installs the tarball into the tool cache and runs that mkosi', () => {
      expect(run.outputs['mkosi-version']).toBe('27.1');
      // The tool cache keeps the checked tarball under ref and checksum; each run unpacks its own copy.
      const entry = `tool-cache/mkosi/27.1.0-sha256-${tarballSha256}/x64`;
      expect(existsSync(path.join(run.runnerDir, entry, 'mkosi.tar.gz'))).toBe(true);
      expect(existsSync(path.join(run.runnerDir, entry, 'bin'))).toBe(false);
      expect(run.main.log).toContain('mkosi 27.1 (release v27.1)');
    });

    it('fails with the line where mkosi says why, and keeps the build log', () => {
      expectOneError(
        run,
        /mkosi build of .*failing-build failed with exit status 1: .*returned non-zero exit code 1\. \(full log: .*build\.log\)/,
      );
      const log = readFileSync(path.join(run.outputs.logs!, 'build.log'), 'utf8');
      expect(log).toContain('planted failure: this post-installation script always fails');
      expect(run.summary).toContain('build failed');
      expect(run.post.log).toContain(`logs of the failed run are kept in ${run.outputs.logs}`);
    });

    it('takes the tarball from the tool cache on the next run', async () => {
      const before = server.requests.length;
      const again = await runAction({
        runnerDir: run.runnerDir,
        inputs: {
          directory: FAILING_BUILD,
          'mkosi-source': 'release',
          'mkosi-release-url': `${server.url}/{ref}.tar.gz`,
          'mkosi-sha256': tarballSha256,
          'tools-tree': 'none',
        },
      });
      expect(again.main.log).toContain('mkosi 27.1 (release v27.1 (tool cache))');
      expect(server.requests.length).toBe(before);
    });
  });
});
