import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeKvm } from '../../../src/boot/kvm-probe.js';
import { ConfigurationError } from '../../../src/errors.js';
import type { Context } from '../../../src/context.js';
import { repro } from '../../../src/pipeline/repro.js';
import { claimDirectory, OWNER_MARKER } from '../../../src/process/owned-directory.js';

/** --work-dir=$HOME must never cost the user ~/repro: only what mkosi-ci made is emptied. */

let home: string;
beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'owned-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function usersOwn(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'thesis.tex');
  writeFileSync(file, 'years of work');
  return file;
}

describe('claimDirectory', () => {
  it('makes a missing directory and marks it; empties it on the next claim', async () => {
    const dir = path.join(home, 'a/b');
    await claimDirectory(dir);
    expect(readdirSync(dir)).toEqual([OWNER_MARKER]);
    writeFileSync(path.join(dir, 'old.log'), 'from the last run');
    await claimDirectory(dir);
    expect(readdirSync(dir)).toEqual([OWNER_MARKER]);
  });

  it('refuses a directory it did not make and leaves it alone, even an empty one', async () => {
    const file = usersOwn(path.join(home, 'repro'));
    await expect(claimDirectory(path.join(home, 'repro'))).rejects.toThrow(ConfigurationError);
    await expect(claimDirectory(path.join(home, 'repro'))).rejects.toThrow(/was not made by mkosi-ci/);
    expect(readFileSync(file, 'utf8')).toBe('years of work');
    mkdirSync(path.join(home, 'empty'));
    await expect(claimDirectory(path.join(home, 'empty'))).rejects.toThrow(/was not made by mkosi-ci/);
  });

  it('does not follow a symlink in its place, even to a marked directory', async () => {
    const marked = await claimDirectory(path.join(home, 'marked'));
    writeFileSync(path.join(marked, 'keep'), 'x');
    symlinkSync(marked, path.join(home, 'link'));
    await expect(claimDirectory(path.join(home, 'link'))).rejects.toThrow(/was not made by mkosi-ci/);
    expect(existsSync(path.join(marked, 'keep'))).toBe(true);
  });
});

describe('the stages that empty work-dir subdirectories', () => {
  it('repro leaves ~/repro and ~/logs/repro of the user alone', async () => {
    const mine = usersOwn(path.join(home, 'repro'));
    const ctx = { workDir: home } as Context;
    await expect(
      repro(ctx, undefined as never, undefined as never, undefined as never, undefined as never),
    ).rejects.toThrow(`${path.join(home, 'repro')} exists and was not made by mkosi-ci`);
    expect(readFileSync(mine, 'utf8')).toBe('years of work');
    rmSync(path.join(home, 'repro'), { recursive: true });
    const logs = usersOwn(path.join(home, 'logs/repro'));
    await expect(
      repro(ctx, undefined as never, undefined as never, undefined as never, undefined as never),
    ).rejects.toThrow(/logs\/repro exists and was not made by mkosi-ci/);
    expect(readFileSync(logs, 'utf8')).toBe('years of work');
  });

  it('the KVM probe leaves a kvm-probe directory of the user alone', async () => {
    const mine = usersOwn(path.join(home, 'kvm-probe'));
    const device = path.join(home, 'fake-kvm');
    writeFileSync(device, '');
    const probe = probeKvm({} as Context, {
      qemu: { command: '/bin/false', prefix: [], dataDirs: [] },
      firmware: { kind: 'bios' },
      workDir: path.join(home, 'kvm-probe'),
      device,
    });
    await expect(probe).rejects.toThrow(/kvm-probe exists and was not made by mkosi-ci/);
    expect(readFileSync(mine, 'utf8')).toBe('years of work');
  });
});
