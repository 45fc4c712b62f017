import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandFile } from '../support/action-harness.js';
import { generateKey, type TestKey } from '../support/gpg-keys.js';
import { REPO, actionNode } from '../support/paths.js';
import { leftovers, waitFor } from '../support/processes.js';

/**
 * A real stop: node running src code through tsx (what the entry points install), a real gpg signing
 * with its agent, a long child with a grandchild in its own process group; then a signal, and a scan
 * of /proc and the temp directory for whatever the run left.
 */

interface Target {
  child: ChildProcess;
  home: string;
  groups: number[];
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Target[] = [];

function startTarget(key: TestKey, env: NodeJS.ProcessEnv = process.env): Promise<Target> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'signals-')), 'SHA256SUMS');
  writeFileSync(file, 'data\n');
  const child = spawn(
    actionNode(),
    [
      '--import',
      'tsx',
      path.join(REPO, 'test/support/signal-target.ts'),
      key.keyFile,
      key.passphrase ? key.passphraseFile : '',
      file,
    ],
    { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => chunks.push(c));
  child.stderr!.on('data', (c: Buffer) => chunks.push(c));
  const output = (): string => Buffer.concat(chunks).toString('utf8');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      const text = output();
      const ready = /^\{"home":.*\}$/m.exec(text);
      const group = /^GROUP (\d+)$/m.exec(text);
      if (ready && group) {
        clearInterval(poll);
        const { home } = JSON.parse(ready[0]) as { home: string };
        const target: Target = { child, home, groups: [Number(group[1])], output, exited };
        started.push(target);
        resolve(target);
      }
    }, 50);
    void exited.then(() => {
      clearInterval(poll);
      reject(new Error(`the target ended before it was ready:\n${output()}`));
    });
  });
}

describe('a signal during a run', () => {
  let key: TestKey;
  beforeAll(() => {
    key = generateKey(`pass ${Math.random().toString(36).slice(2)}`);
  });
  afterEach(() => {
    // Whatever a failed test left: never leave sleeps and agents on the shared machine.
    for (const target of started.splice(0)) {
      for (const p of leftovers(target.groups, target.home)) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // Gone.
        }
      }
      spawnSync('gpgconf', ['--homedir', target.home, '--kill', 'all']);
      spawnSync('rm', ['-rf', target.home]);
    }
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)(
    '%s ends every process group and the agent, removes the keyring and exits %d',
    async (signal, status) => {
      const target = await startTarget(key);
      // The test would prove nothing if these were not there before the signal.
      const sleeps = () => leftovers(target.groups).filter((p) => p.cmdline.startsWith('sleep 300'));
      expect(await waitFor(() => sleeps().length === 2, 5_000)).toBe(true);
      const before = leftovers(target.groups, target.home);
      expect(before.map((p) => p.cmdline).join('\n')).toMatch(/gpg-agent/);
      expect(before.filter((p) => p.cmdline.startsWith('sleep 300'))).toHaveLength(2);
      expect(existsSync(path.join(target.home, 'private-keys-v1.d'))).toBe(true);

      const sent = Date.now();
      target.child.kill(signal);
      const result = await target.exited;
      const elapsed = Date.now() - sent;

      expect(result, target.output()).toEqual({ code: status, signal: null });
      expect(elapsed).toBeLessThan(10_000);
      expect(leftovers(target.groups, target.home)).toEqual([]);
      expect(existsSync(target.home)).toBe(false);
      expect(target.output()).toContain(`mkosi-ci: ${signal}: stopping 1 process group(s)`);
    },
    30_000,
  );

  it('a second signal (GitHub cancels with SIGINT, then SIGTERM) still removes everything', async () => {
    const target = await startTarget(key);
    target.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 100));
    target.child.kill('SIGTERM');
    const result = await target.exited;
    expect(result.code).toBe(130);
    expect(leftovers(target.groups, target.home)).toEqual([]);
    expect(existsSync(target.home)).toBe(false);
  }, 30_000);

  it("the CLI entry (src/cli/index.ts) stopped by SIGTERM while mkosi runs ends mkosi's group and exits 143", async () => {
    // A stand-in mkosi that never answers, with a grandchild: whatever the CLI asks it first, it hangs there.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'signals-mkosi-'));
    writeFileSync(path.join(bin, 'mkosi'), '#!/bin/sh\nsleep 300 & sleep 300\nwait\n', { mode: 0o755 });
    const tmp = path.join(bin, 'tmp');
    mkdirSync(tmp);
    const cli = spawn(
      actionNode(),
      [
        '--import',
        'tsx',
        path.join(REPO, 'src/cli/index.ts'),
        'build',
        '--directory',
        path.join(REPO, 'test-projects/debian-minimal'),
      ],
      {
        cwd: REPO,
        // No --work-dir: the CLI makes its own in TMPDIR, and its scratch must go with the run.
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, TMPDIR: tmp },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const output: Buffer[] = [];
    cli.stdout.on('data', (c: Buffer) => output.push(c));
    cli.stderr.on('data', (c: Buffer) => output.push(c));
    const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
    const mkosi = () => leftovers([], `${bin}/mkosi`);
    expect(await waitFor(() => mkosi().length > 0, 20_000), Buffer.concat(output).toString()).toBe(true);
    const groups = [mkosi()[0]!.pgid];
    started.push({
      child: cli,
      home: path.join(bin, 'no-keyring'),
      groups,
      output: () => '',
      exited: exited.then((code) => ({ code, signal: null })),
    });
    expect(await waitFor(() => leftovers(groups).length === 3, 5_000)).toBe(true);
    expect(readdirSync(tmp).filter((n) => n.startsWith('mkosi-ci-'))).toHaveLength(1);
    cli.kill('SIGTERM');
    expect(await exited, Buffer.concat(output).toString()).toBe(143);
    expect(leftovers(groups)).toEqual([]);
    expect(Buffer.concat(output).toString()).toContain('mkosi-ci: SIGTERM: stopping 1 process group(s)');
    // What is left in TMPDIR is the work directory's logs, or nothing.
    for (const dir of readdirSync(tmp).filter((n) => !n.startsWith('tsx-'))) {
      expect(dir).toMatch(/^mkosi-ci-/);
      expect(readdirSync(path.join(tmp, dir))).toEqual(['logs']);
    }
  }, 60_000);

  it('when main is killed outright, post removes the keyring and its agent from the recorded state', async () => {
    const runnerDir = mkdtempSync(path.join(os.tmpdir(), 'signals-runner-'));
    const stateFile = path.join(runnerDir, 'state');
    writeFileSync(stateFile, '');
    const target = await startTarget(key, { ...process.env, GITHUB_STATE: stateFile });
    target.child.kill('SIGKILL');
    await target.exited;
    // SIGKILL leaves everything: the keyring, the agent, the sleeps.
    expect(existsSync(target.home)).toBe(true);
    const state = parseCommandFile(readFileSync(stateFile, 'utf8'));
    expect(JSON.parse(state['mkosi-ci-temporary']!)).toEqual([target.home]);

    const post = spawnSync(actionNode(), ['--import', 'tsx', path.join(REPO, 'src/github/post.ts')], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        // As on a runner, post has main's environment: its keyrings are in the same temporary directory.
        ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
        GITHUB_ACTIONS: 'true',
        'STATE_mkosi-ci-temporary': state['mkosi-ci-temporary'],
      },
      encoding: 'utf8',
    });
    expect(post.status, post.stderr).toBe(0);
    expect(post.stdout).toContain(
      `mkosi-ci: removed ${target.home} (a keyring and its agent) that main left.`,
    );
    expect(existsSync(target.home)).toBe(false);
    expect(await waitFor(() => leftovers([], target.home).length === 0, 5_000)).toBe(true);
  }, 30_000);

  it('post removes nothing but GnuPG homes mkosi-ci makes, whatever the state says', () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'not-mkosi-ci-'));
    const post = spawnSync(actionNode(), ['--import', 'tsx', path.join(REPO, 'src/github/post.ts')], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        'STATE_mkosi-ci-temporary': JSON.stringify([elsewhere, REPO, '/tmp/mkosi-ci-gnupg-x/../../etc']),
      },
      encoding: 'utf8',
    });
    expect(post.status, post.stderr).toBe(0);
    expect(existsSync(elsewhere)).toBe(true);
    expect(existsSync(REPO)).toBe(true);
    expect(post.stdout).not.toContain('removed');
  });
});
