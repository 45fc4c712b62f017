import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { consoleLog } from '../../../src/cli/log.js';
import { directoryToolCache } from '../../../src/cli/tool-cache.js';
import { ConfigurationError } from '../../../src/errors.js';
import { actionsToolCache } from '../../../src/github/tool-cache.js';
import { installRelease, type ReleaseSource } from '../../../src/mkosi/install-release.js';
import { toolCacheVersion } from '../../../src/mkosi/release.js';
import type { ToolCache } from '../../../src/ports.js';
import { ProcessRunner } from '../../../src/process/runner.js';
import { serveFiles, type LocalServer } from '../../support/http-server.js';

/**
 * The release tarball through both tool caches (the CLI's directory and the real @actions/tool-cache)
 * and a real download from a local server: checked against its checksum on every use, kept under the
 * exact ref and checksum, and a tampered entry is never run.
 */

let scratch: string;
let server: LocalServer;
let genuine: { file: string; sha256: string };
let poisoned: { file: string; sha256: string };
let lines: string[];
const saved = { RUNNER_TOOL_CACHE: process.env.RUNNER_TOOL_CACHE, RUNNER_TEMP: process.env.RUNNER_TEMP };

/** A tarball laid out like GitHub's archive of a tag, with a bin/mkosi that says `words`. */
function tarball(dir: string, words: string): { file: string; sha256: string } {
  const top = path.join(dir, 'mkosi-26');
  mkdirSync(path.join(top, 'bin'), { recursive: true });
  writeFileSync(path.join(top, 'bin/mkosi'), `#!/bin/sh\necho ${words}\n`);
  chmodSync(path.join(top, 'bin/mkosi'), 0o755);
  const file = path.join(dir, 'v26.tar.gz');
  execFileSync('tar', ['-czf', file, '-C', dir, 'mkosi-26']);
  return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

beforeAll(async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'install-release-'));
  mkdirSync(path.join(base, 'genuine'));
  mkdirSync(path.join(base, 'poisoned'));
  genuine = tarball(path.join(base, 'genuine'), 'genuine');
  poisoned = tarball(path.join(base, 'poisoned'), 'poisoned');
  server = await serveFiles({ '/refs/tags/v26.tar.gz': genuine.file });
});
afterAll(async () => {
  await server.close();
  rmSync(path.dirname(path.dirname(genuine.file)), { recursive: true, force: true });
});

beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'install-release-'));
  lines = [];
  process.env.RUNNER_TOOL_CACHE = path.join(scratch, 'toolcache');
  process.env.RUNNER_TEMP = path.join(scratch, 'runner-temp');
});
afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(scratch, { recursive: true, force: true });
});

/** Downloaded files still lying where either tool cache downloads to. */
function downloadsLeft(): string[] {
  return [path.join(scratch, 'tools/.downloads'), path.join(scratch, 'runner-temp')].flatMap((dir) =>
    existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }) : [],
  );
}

/** The local server's v26; `null`: no mkosi-sha256. */
function source(sha256: string | null = genuine.sha256): ReleaseSource {
  return { version: 'v26', urlTemplate: `${server.url}/{ref}.tar.gz`, sha256: sha256 ?? undefined };
}

describe.each<[string, () => ToolCache]>([
  [
    'the CLI tool cache',
    () => directoryToolCache(path.join(scratch, 'tools'), new ProcessRunner(() => {}, process.env)),
  ],
  ['@actions/tool-cache', () => actionsToolCache],
])('%s', (_, toolCache) => {
  const install = (release: ReleaseSource = source(), run = 'run') =>
    installRelease(
      {
        toolCache: toolCache(),
        log: consoleLog(
          () => false,
          (t) => lines.push(t.trimEnd()) > 0,
        ),
        workDir: path.join(scratch, run),
      },
      release,
    );
  const says = (command: string): string => execFileSync(command, { encoding: 'utf8' }).trim();

  it('downloads and checks the tarball, keeps it under ref and checksum, and the next run takes it from there', async () => {
    const before = server.requests.length;
    const first = await install();
    expect(first.origin).toBe('release v26');
    expect(says(first.command)).toBe('genuine');
    // Unpacked into this run's work directory, not into the tool cache.
    expect(first.command.startsWith(path.join(scratch, 'run/mkosi-release/'))).toBe(true);
    const entry = await toolCache().find('mkosi', toolCacheVersion('v26', genuine.sha256));
    expect(entry).toBeDefined();
    expect(readdirSync(entry!).filter((n) => n !== '.complete')).toEqual(['mkosi.tar.gz']);
    const second = await install(source(), 'next');
    expect(second.origin).toBe('release v26 (tool cache)');
    expect(says(second.command)).toBe('genuine');
    expect(server.requests.length).toBe(before + 1);
    expect(downloadsLeft()).toEqual([]);
  });

  it('never runs a tampered tool cache entry: it warns and downloads again', async () => {
    await install();
    const entry = await toolCache().find('mkosi', toolCacheVersion('v26', genuine.sha256));
    writeFileSync(path.join(entry!, 'mkosi.tar.gz'), readFileSync(poisoned.file));
    const before = server.requests.length;
    const again = await install(source(), 'next');
    expect(says(again.command)).toBe('genuine');
    expect(again.origin).toBe('release v26');
    expect(server.requests.length).toBe(before + 1);
    expect(lines.join('\n')).toContain(
      `warning: mkosi v26: the tool cache entry ${entry} does not have sha256 ${genuine.sha256} (it has ${poisoned.sha256}); downloading the release again.`,
    );
    // The entry holds the genuine tarball again.
    expect(
      createHash('sha256')
        .update(readFileSync(path.join(entry!, 'mkosi.tar.gz')))
        .digest('hex'),
    ).toBe(genuine.sha256);
  });

  it('refuses a tarball that is not the pinned one and keeps nothing', async () => {
    const wrong = 'e'.repeat(64);
    const result = install(source(wrong));
    await expect(result).rejects.toThrow(ConfigurationError);
    await expect(install(source(wrong))).rejects.toThrow(
      `Input mkosi-sha256: the tarball from ${server.url}/refs/tags/v26.tar.gz has sha256 ${genuine.sha256}, expected ${wrong}; refusing to run it.`,
    );
    expect(await toolCache().find('mkosi', toolCacheVersion('v26', wrong))).toBeUndefined();
    expect(await toolCache().find('mkosi', toolCacheVersion('v26', genuine.sha256))).toBeUndefined();
    expect(downloadsLeft()).toEqual([]);
  });

  it('asks nothing of a plain-HTTP server for an unpinned tag or commit', async () => {
    const before = server.requests.length;
    await expect(install(source(null))).rejects.toThrow(/is plain HTTP/);
    await expect(
      install({ ...source(null), version: '0123456789abcdef0123456789abcdef01234567' }),
    ).rejects.toThrow(/is plain HTTP/);
    expect(server.requests.length).toBe(before);
  });
});
