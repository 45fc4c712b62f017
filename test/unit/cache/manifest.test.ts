import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { cacheManifest } from '../../../src/cache/manifest.js';

/** The change check with the restore-time manifest: what it reads, what it still catches. */

let dir: string;
const file = (name: string) => path.join(dir, name);
/** Longer than the window in which a file's ctime counts as racy (100 ms). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

beforeEach(async () => {
  dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'manifest-')), 'cache');
  mkdirSync(path.join(dir, 'sub'), { recursive: true });
  writeFileSync(file('a.deb'), 'aaaa');
  writeFileSync(file('sub/b.deb'), 'bbbb');
  writeFileSync(file('sub/c.deb'), 'cccc');
  await settle();
});

describe('cacheManifest with the restore-time manifest', () => {
  it('reads no file that is as it was, and gives the same digest as reading them all', async () => {
    const restored = await cacheManifest([dir]);
    expect(restored.hashed).toBe(3);
    const check = await cacheManifest([dir], restored.hashes);
    expect(check.hashed).toBe(0);
    expect(check.digest).toBe(restored.digest);
  });

  it('reads only the files whose stat changed: touched but equal is no change, a new byte is', async () => {
    const restored = await cacheManifest([dir]);
    utimesSync(file('a.deb'), new Date(1_000), new Date(1_000));
    writeFileSync(file('sub/b.deb'), 'bbbB');
    const check = await cacheManifest([dir], restored.hashes);
    expect(check.hashed).toBe(2);
    expect(check.digest).not.toBe(restored.digest);
    expect(check.digest).toBe((await cacheManifest([dir])).digest);
  });

  it('catches a file rewritten with the same size and its mtime put back (its ctime moved)', async () => {
    const restored = await cacheManifest([dir]);
    const before = statSync(file('sub/c.deb'), { bigint: true });
    execFileSync('cp', ['-p', file('sub/c.deb'), file('reference')]);
    writeFileSync(file('sub/c.deb'), 'CCCC');
    // touch -r puts the mtime back to the nanosecond, as tar, cp -p or rsync -t would.
    execFileSync('touch', ['-r', file('reference'), file('sub/c.deb')]);
    execFileSync('rm', [file('reference')]);
    const after = statSync(file('sub/c.deb'), { bigint: true });
    expect([after.size, after.mtimeNs, after.ino]).toEqual([before.size, before.mtimeNs, before.ino]);
    expect(after.ctimeNs).not.toBe(before.ctimeNs);
    // Out of the racy window: only the ctime tells this file apart from the restored one.
    await settle();
    const check = await cacheManifest([dir], restored.hashes);
    expect(check.hashed).toBe(1);
    expect(check.digest).not.toBe(restored.digest);
  });

  it('the same content written back with its mtime put back is read and found unchanged', async () => {
    const restored = await cacheManifest([dir]);
    execFileSync('cp', ['-p', file('a.deb'), file('../reference')]);
    writeFileSync(file('a.deb'), readFileSync(file('a.deb')));
    execFileSync('touch', ['-r', file('../reference'), file('a.deb')]);
    await settle();
    const check = await cacheManifest([dir], restored.hashes);
    expect(check.hashed).toBe(1);
    expect(check.digest).toBe(restored.digest);
  });

  it('a file changed in the same instant as the restore-time look is never taken on trust (racy)', async () => {
    writeFileSync(file('a.deb'), 'AAAA');
    // Looked at within the racy window of its last write: a later write in the same clock tick would
    // leave every timestamp as it is, so the next check must read it whatever the stat says.
    const restored = await cacheManifest([dir]);
    expect(restored.hashes['0/a.deb']![0]).toBe('racy');
    const check = await cacheManifest([dir], restored.hashes);
    expect(check.hashed).toBe(1);
    expect(check.digest).toBe(restored.digest);
  });

  it('a mode change, a new file and a removed one are changes, whatever the hashes say', async () => {
    const restored = await cacheManifest([dir]);
    chmodSync(file('a.deb'), 0o600);
    expect((await cacheManifest([dir], restored.hashes)).digest).not.toBe(restored.digest);
    chmodSync(file('a.deb'), statSync(file('sub/b.deb')).mode & 0o777);
    writeFileSync(file('d.deb'), 'dddd');
    expect((await cacheManifest([dir], restored.hashes)).digest).not.toBe(restored.digest);
  });

  it('a forged earlier hash is trusted only for the very stat it names', async () => {
    const restored = await cacheManifest([dir]);
    const forged = Object.fromEntries(
      Object.entries(restored.hashes).map(([name, [sig]]) => [name, [`other:${sig}`, '0'.repeat(64)]]),
    ) as typeof restored.hashes;
    const check = await cacheManifest([dir], forged);
    expect(check.hashed).toBe(3);
    expect(check.digest).toBe(restored.digest);
  });
});
