import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annotations, runAction, type ActionRun } from '../support/action-harness.js';
import { expectNoStackTrace } from '../support/assertions.js';
import { serveFiles, type LocalServer } from '../support/http-server.js';
import { makeMkosiTarball } from '../support/mkosi-tarball.js';
import { REPO } from '../support/paths.js';

/**
 * A build that fails, with mkosi from a verified release tarball: one error with the line where mkosi
 * says why, the build log kept, and the tarball taken from the tool cache the next time. (Bad inputs,
 * refused before any build, are in bad-input-action.test.ts.)
 */

const FAILING_BUILD = path.join(REPO, 'test/fixtures/projects/failing-build');

describe('a failing build, with mkosi from a verified release tarball', () => {
  let server: LocalServer;
  let tarballSha256: string;
  let run: ActionRun;
  const inputs = (): Record<string, string> => ({
    directory: FAILING_BUILD,
    'mkosi-source': 'release',
    'mkosi-release-url': `${server.url}/{ref}.tar.gz`,
    'mkosi-sha256': tarballSha256,
    'tools-tree': 'none',
  });

  beforeAll(async () => {
    const tarball = makeMkosiTarball('27.1');
    tarballSha256 = tarball.sha256;
    server = await serveFiles({ '/refs/tags/v27.1.tar.gz': tarball.file });
    run = await runAction({ inputs: inputs() });
  });
  afterAll(() => server.close());

  it('installs the tarball into the tool cache and runs that mkosi', () => {
    expect(run.outputs['mkosi-version']).toBe('27.1');
    // The tool cache keeps the checked tarball under ref and checksum; each run unpacks its own copy.
    const entry = `tool-cache/mkosi/27.1.0-sha256-${tarballSha256}/x64`;
    expect(existsSync(path.join(run.runnerDir, entry, 'mkosi.tar.gz'))).toBe(true);
    expect(existsSync(path.join(run.runnerDir, entry, 'bin'))).toBe(false);
    expect(run.main.log).toContain('mkosi 27.1 (release v27.1)');
  });

  it('fails with the line where mkosi says why, and keeps the build log', () => {
    expect(run.main.exitCode, run.main.log).toBe(1);
    const errors = annotations(run.main.log, 'error');
    expect(errors, run.main.log).toHaveLength(1);
    expect(errors[0]).toMatch(
      /mkosi build of .*failing-build failed with exit status 1: .*returned non-zero exit code 1\. \(full log: .*build\.log\)/,
    );
    expectNoStackTrace(run.main.log);
    expect(run.post.exitCode, run.post.log).toBe(0);
    const log = readFileSync(path.join(run.outputs.logs!, 'build.log'), 'utf8');
    expect(log).toContain('planted failure: this post-installation script always fails');
    expect(run.summary).toContain('build failed');
    expect(run.post.log).toContain(`logs of the failed run are kept in ${run.outputs.logs}`);
  });

  it('takes the tarball from the tool cache on the next run', async () => {
    const before = server.requests.length;
    const again = await runAction({ runnerDir: run.runnerDir, inputs: inputs() });
    expect(again.main.log).toContain('mkosi 27.1 (release v27.1 (tool cache))');
    expect(server.requests.length).toBe(before);
  });
});
