import { closeSync, mkdtempSync, openSync, writeSync, ftruncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstDifference } from '../../../src/repro/bytes.js';

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
