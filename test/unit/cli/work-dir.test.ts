import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeScratch, temporaryWorkDir } from '../../../src/cli/work-dir.js';
import { RunCleanup } from '../../../src/process/cleanup.js';

let tmp: string;
const savedTmpdir = process.env.TMPDIR;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'work-dir-'));
  process.env.TMPDIR = tmp;
});
afterEach(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  rmSync(tmp, { recursive: true, force: true });
});

/** A work directory as a run leaves it: scratch, and optionally logs and diff reports. */
function filled(dir: string, kept: { logs?: boolean; diff?: boolean }): void {
  mkdirSync(path.join(dir, 'sandbox/etc'), { recursive: true });
  mkdirSync(path.join(dir, 'repro/output'), { recursive: true });
  writeFileSync(path.join(dir, 'mkosi-summary.json'), '{}');
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  if (kept.logs) writeFileSync(path.join(dir, 'logs/build.log'), 'built\n');
  if (kept.diff) {
    mkdirSync(path.join(dir, 'diff'));
    writeFileSync(path.join(dir, 'diff/diff-report.md'), '# diff\n');
  }
}

describe('the CLI’s temporary work directory', () => {
  it('keeps the logs and diff reports and removes the scratch', async () => {
    const dir = path.join(tmp, 'w');
    mkdirSync(dir);
    filled(dir, { logs: true, diff: true });
    expect(await removeScratch(dir)).toBe(dir);
    expect(readdirSync(dir).sort()).toEqual(['diff', 'logs']);
  });

  it('keeps the diff reports alone when no log was written', async () => {
    const dir = path.join(tmp, 'w');
    mkdirSync(dir);
    filled(dir, { diff: true });
    expect(await removeScratch(dir)).toBe(dir);
    expect(readdirSync(dir).sort()).toEqual(['diff', 'logs']);
  });

  it('goes entirely when nothing worth keeping was written', async () => {
    const dir = path.join(tmp, 'w');
    mkdirSync(dir);
    filled(dir, {});
    expect(await removeScratch(dir)).toBeUndefined();
    expect(existsSync(dir)).toBe(false);
  });

  it('is made in TMPDIR, tidied when the run ends, and no longer a step to run when stopped', async () => {
    const cleanup = new RunCleanup();
    const work = await temporaryWorkDir(cleanup);
    expect(path.dirname(work.dir)).toBe(tmp);
    expect(cleanup.cancelledBy).toBeUndefined();
    filled(work.dir, { logs: true });
    expect(await work.finish()).toBe(work.dir);
    expect(readdirSync(work.dir)).toEqual(['logs']);
    // Once finished, stopping the process leaves the directory to whoever uses it next.
    filled(work.dir, {});
    await cleanup.cancel('SIGTERM');
    expect(readdirSync(work.dir)).toContain('sandbox');
  });

  it('is tidied by the stop when the run is stopped', async () => {
    const cleanup = new RunCleanup();
    const work = await temporaryWorkDir(cleanup);
    filled(work.dir, {});
    await cleanup.cancel('SIGTERM');
    expect(existsSync(work.dir)).toBe(false);
  });
});
