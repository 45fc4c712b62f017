import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { environmentSecrets } from '../../../src/process/environment.js';
import { ProcessRunner } from '../../../src/process/runner.js';

const sink: Buffer[] = [];
const runner = new ProcessRunner((chunk) => sink.push(chunk), process.env);

describe('ProcessRunner', () => {
  it('passes arguments as they are (no shell) and captures output and exit status', async () => {
    const result = await runner.run('sh', ['-c', 'printf "%s|" "$@"; exit 3', 'sh', 'a b', '$HOME', ';'], {
      stream: false,
    });
    expect(result).toMatchObject({ exitCode: 3, stdout: 'a b|$HOME|;|', timedOut: false });
  });

  it('streams to the sink and copies to the log file', async () => {
    const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'runner-')), 'logs/x.log');
    sink.length = 0;
    await runner.run('sh', ['-c', 'echo out; echo err >&2'], { logFile: log });
    expect(Buffer.concat(sink).toString()).toContain('out');
    expect(readFileSync(log, 'utf8')).toMatch(/out\n[\s\S]*err\n|err\n[\s\S]*out\n/);
  });

  it('pipes streams in and out; a failing output stream ends the process with EPIPE', async () => {
    const { PassThrough, Readable, Writable } = await import('node:stream');
    const between = new PassThrough();
    const [, counted] = await Promise.all([
      runner.run('sh', ['-c', 'printf "%s" one; printf "%s" two'], { stdout: between, stream: false }),
      runner.run('wc', ['-c'], { stdin: between, stream: false }),
    ]);
    expect(counted.stdout.trim()).toBe('6');
    const failing = new Writable({ write: (_chunk, _encoding, callback) => callback(new Error('refused')) });
    const yes = await runner.run('yes', [], { stdout: failing, stream: false, timeoutMs: 10_000 });
    expect(yes.timedOut).toBe(false);
    expect(yes.exitCode !== 0 || yes.signal !== null).toBe(true);
    const fed = await runner.run('cat', [], { stdin: Readable.from([Buffer.from('in')]), stream: false });
    expect(fed.stdout).toBe('in');
  });

  it('kills the whole process tree on timeout', async () => {
    const started = Date.now();
    // The grandchild would keep the pipes open for 30 s if only the direct child were killed.
    const result = await runner.run('sh', ['-c', 'sleep 30 & sleep 30; wait'], {
      timeoutMs: 300,
      stream: false,
    });
    expect(result.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('kills the whole process tree when `until` aborts, and at once when it has already', async () => {
    const started = Date.now();
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const result = await runner.run('sh', ['-c', 'sleep 30 & sleep 30; wait'], {
      until: stop.signal,
      timeoutMs: 20_000,
      stream: false,
    });
    expect(result).toMatchObject({ timedOut: false, signal: 'SIGTERM' });
    expect(Date.now() - started).toBeLessThan(10_000);
    const early = await runner.run('sleep', ['30'], { until: stop.signal, stream: false });
    expect(early.signal).toBe('SIGTERM');
    // A signal that never aborts changes nothing.
    const untouched = await runner.run('true', [], { until: new AbortController().signal, stream: false });
    expect(untouched).toMatchObject({ exitCode: 0, signal: null });
  });

  it('sets and removes environment variables', async () => {
    const result = await runner.run('sh', ['-c', 'echo "${A:-unset} ${HOME:-unset}"'], {
      env: { A: '1', HOME: undefined },
      stream: false,
    });
    expect(result.stdout.trim()).toBe('1 unset');
  });

  it('gives children the environment without the inputs, the runner credentials and the command files', async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: '/home/builder',
      RUNNER_TEMP: '/tmp/runner',
      GITHUB_SHA: 'c0ffee',
      'INPUT_SIGN-KEY': 'armored key',
      'INPUT_SIGN-PASSPHRASE': 'passphrase',
      'INPUT_GITHUB-TOKEN': 'ghs_input',
      ACTIONS_RUNTIME_TOKEN: 'runtime',
      ACTIONS_RESULTS_URL: 'https://results/',
      ACTIONS_CACHE_URL: 'https://cache/',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc/',
      GITHUB_TOKEN: 'ghs_env',
      GITHUB_ENV: '/tmp/env',
      GITHUB_OUTPUT: '/tmp/output',
      GITHUB_PATH: '/tmp/path',
      GITHUB_STATE: '/tmp/state',
      GITHUB_STEP_SUMMARY: '/tmp/summary',
      'STATE_mkosi-ci-main': '{}',
      CI_JOB_TOKEN: 'glcbt',
      CI_REPOSITORY_URL: 'https://gitlab-ci-token:glcbt@example.org/x.git',
    };
    const own = new ProcessRunner(() => undefined, env);
    const printed = (await own.run('env', ['-0'], { stream: false })).stdout.split('\0').filter(Boolean);
    expect(printed.sort()).toEqual(
      [
        `PATH=${process.env.PATH}`,
        'HOME=/home/builder',
        'RUNNER_TEMP=/tmp/runner',
        'GITHUB_SHA=c0ffee',
      ].sort(),
    );
    expect(environmentSecrets(env).sort()).toEqual(['ghs_env', 'glcbt', 'oidc', 'runtime']);
  });

  it('finds programs on PATH', async () => {
    expect(await runner.which('sh')).toMatch(/\/sh$/);
    expect(await runner.which('no-such-program-mkosi-ci')).toBeUndefined();
  });
});
