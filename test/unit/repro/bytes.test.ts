import { closeSync, mkdtempSync, openSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstDifference, HEAD_BYTES, readHead } from '../../../src/repro/bytes.js';

describe('byte ranges', () => {
  it('finds the first differing chunk of two ranges', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-gpt-'));
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    for (const [f, byte] of [
      [a, 1],
      [b, 2],
    ] as const) {
      const fd = openSync(f, 'w');
      ftruncateSync(fd, 10_000);
      writeSync(fd, Buffer.from([byte]), 0, 1, 5000);
      closeSync(fd);
    }
    expect(await firstDifference(a, 0, b, 0, 4096, 1024)).toBeUndefined();
    expect(await firstDifference(a, 0, b, 0, 10_000, 1024)).toBe(4096);
    expect(await firstDifference(a, 5001, b, 5001, 4999)).toBeUndefined();
  });
});

describe('byte ranges at the ends of files', () => {
  it('finds a range that one file cuts short, and equal ranges past both ends', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-bytes-'));
    const [a, b] = [path.join(dir, 'a'), path.join(dir, 'b')];
    writeFileSync(a, Buffer.alloc(3000, 1));
    writeFileSync(b, Buffer.alloc(2000, 1));
    expect(await firstDifference(a, 0, b, 0, 3000, 1024)).toBe(1024);
    expect(await firstDifference(a, 0, b, 0, 2000, 1024)).toBeUndefined();
    expect(await firstDifference(a, 0, a, 0, 10_000, 1024)).toBeUndefined();
    expect(await firstDifference(a, 0, b, 0, 0)).toBeUndefined();
    expect(await firstDifference(a, 1000, b, 1000, 1000, 4096)).toBeUndefined();
    expect(await firstDifference(a, 1000, b, 1000, 1001, 4096)).toBe(0);
  });

  it('reads the head of a region, shorter at the end of the file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repro-bytes-'));
    const f = path.join(dir, 'f');
    writeFileSync(f, Buffer.from('0123456789'));
    expect((await readHead(f, 2, 3)).toString()).toBe('234');
    expect((await readHead(f, 8)).toString()).toBe('89');
    expect((await readHead(f)).length).toBe(10);
    expect(HEAD_BYTES).toBe(69632);
  });
});
