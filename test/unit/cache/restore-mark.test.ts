import {
  chmodSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  changedSinceMark,
  markRestore,
  RESTORE_MARK_SETTLE_MS,
  settleAfterMarks,
  type RestoreMark,
} from '../../../src/cache/restore-mark.js';

/**
 * The change check after an exact hit: the restore's mark against the cache after the build. Every
 * change a build can make must show, whatever it did to the timestamps it can set.
 */

let root: string;
let cache: string;
let manifest: string;
let mark: RestoreMark;
const file = (name: string) => path.join(cache, name);

async function restoreAndMark(): Promise<void> {
  mkdirSync(path.join(cache, 'sub'), { recursive: true });
  writeFileSync(file('a.deb'), 'aaaa');
  writeFileSync(file('sub/b.deb'), 'bbbbbb');
  symlinkSync('a.deb', file('link'));
  mark = markRestore([cache, manifest]);
  await settleAfterMarks([mark]);
}

beforeEach(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'restore-mark-'));
  cache = path.join(root, 'mkosi.tools');
  manifest = path.join(root, 'mkosi.tools.manifest');
  await restoreAndMark();
});

describe('changedSinceMark', () => {
  it('finds nothing touched in a cache only looked at, and counts what is there', async () => {
    const since = await changedSinceMark([cache, manifest], mark);
    expect(since).toEqual({ touched: undefined, entries: 5, bytes: 10 });
  });

  it('records each path as the inode it is, or as missing', () => {
    expect(mark.inodes).toEqual([`${statSync(cache).dev}:${statSync(cache).ino}`, null]);
    expect(BigInt(mark.atNs)).toBeGreaterThan(BigInt(statSync(file('a.deb'), { bigint: true }).ctimeNs));
  });

  /** A change, and the path that must be named for it (below the cache, or MANIFEST: its second path). */
  const changes: [string, () => void, string][] = [
    [
      'a file rewritten with the same size and its times put back',
      () => {
        const { atime, mtime } = statSync(file('a.deb'));
        writeFileSync(file('a.deb'), 'AAAA');
        utimesSync(file('a.deb'), atime, mtime);
      },
      'a.deb',
    ],
    ['a file added', () => writeFileSync(file('sub/new.deb'), ''), 'sub'],
    ['a file deleted', () => unlinkSync(file('sub/b.deb')), 'sub'],
    ['a mode changed', () => chmodSync(file('sub/b.deb'), 0o600), 'sub/b.deb'],
    ['a file renamed in its directory', () => renameSync(file('a.deb'), file('z.deb')), ''],
    [
      'a link pointed elsewhere',
      () => {
        unlinkSync(file('link'));
        symlinkSync('sub/b.deb', file('link'));
      },
      '',
    ],
    [
      'the tree replaced by a copy with the same times',
      () => {
        cpSync(cache, `${cache}.copy`, { recursive: true, preserveTimestamps: true });
        rmSync(cache, { recursive: true });
        renameSync(`${cache}.copy`, cache);
      },
      '',
    ],
    ['the tree removed', () => rmSync(cache, { recursive: true }), ''],
    ['a path that was not there made', () => writeFileSync(manifest, '{}'), 'MANIFEST'],
  ];

  it.each(changes)('finds %s', async (_, change, where) => {
    change();
    const since = await changedSinceMark([cache, manifest], mark);
    expect(since.touched).toBeDefined();
    expect(since.touched).toBe(where === 'MANIFEST' ? manifest : path.join(cache, where));
  });

  it('finds a write made the moment the settle ends (it outruns no clock tick)', async () => {
    const marks = [markRestore([cache])];
    await settleAfterMarks(marks);
    writeFileSync(file('sub/b.deb'), 'cccccc');
    expect((await changedSinceMark([cache], marks[0]!)).touched).toBe(file('sub/b.deb'));
  });

  it("counts a ctime at the mark as the restore's own, and one a nanosecond later as a change", async () => {
    const ctimes = ['', 'a.deb', 'sub', 'sub/b.deb', 'link'].map(
      (name) => lstatSync(path.join(cache, name), { bigint: true }).ctimeNs,
    );
    const newest = ctimes.reduce((max, t) => (t > max ? t : max));
    expect((await changedSinceMark([cache], { ...mark, atNs: String(newest) })).touched).toBeUndefined();
    expect((await changedSinceMark([cache], { ...mark, atNs: String(newest - 1n) })).touched).toBeDefined();
  });

  it("counts a write the moment before the mark as the restore's own", async () => {
    // Looking at a file makes the kernel give its next change a fine-grained ctime (multigrain
    // timestamps): within the millisecond that Date.now() rounds down.
    writeFileSync(file('a.deb'), 'aaaa');
    lstatSync(file('a.deb'));
    writeFileSync(file('a.deb'), 'aaaa');
    const marks = [markRestore([cache])];
    await settleAfterMarks(marks);
    expect((await changedSinceMark([cache], marks[0]!)).touched).toBeUndefined();
  });

  it('takes a mark with fewer paths than the cache (forged state) as touched', async () => {
    const since = await changedSinceMark([cache], { ...mark, inodes: [] });
    expect(since.touched).toBe(cache);
  });
});

describe('settleAfterMarks', () => {
  it('returns once the latest mark is the settle time old', async () => {
    const early = { atNs: String(BigInt(Date.now() - 10_000) * 1_000_000n), inodes: [] };
    const late = markRestore([]);
    await settleAfterMarks([late, early]);
    expect(Date.now()).toBeGreaterThanOrEqual(
      Number(BigInt(late.atNs) / 1_000_000n) + RESTORE_MARK_SETTLE_MS,
    );
  });

  it('does not wait for old marks, nor without any', async () => {
    const started = Date.now();
    await settleAfterMarks([]);
    await settleAfterMarks([{ atNs: String(BigInt(started - 1_000) * 1_000_000n), inodes: [] }]);
    expect(Date.now() - started).toBeLessThan(RESTORE_MARK_SETTLE_MS);
  });
});
