import { execFileSync } from 'node:child_process';
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import { ProcessRunner } from '../../../src/process/runner.js';
import { ESP } from '../../support/disk-images.js';
import { buildGpt } from '../../support/gpt-builder.js';
import { TOOLS_TREE } from '../../support/paths.js';
import { hostHasGetfattr, setfattr, touchAt } from '../../support/xattr-tools.js';

/** `mkosi-ci diff` (the CLI's entry, not the bundle) on planted faults: exit 1 and the reason printed. */

const runner = new ProcessRunner(() => {}, process.env);

async function diff(a: string, b: string, extra: string[] = []): Promise<{ status: number; stdout: string }> {
  const chunks: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    const work = mkdtempSync(path.join(os.tmpdir(), 'cli-diff-work-'));
    const status = await runCli(['diff', a, b, `--work-dir=${work}`, ...extra]);
    return { status, stdout: chunks.join('') };
  } finally {
    write.mockRestore();
  }
}

/** getfattr from the host, else from the test tools tree (what --tools-tree gives the CLI). */
async function xattrFlags(): Promise<string[]> {
  return (await hostHasGetfattr(runner)) ? [] : [`--tools-tree=${TOOLS_TREE}`];
}

function tree(dir: string): string {
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  writeFileSync(path.join(dir, 'etc/hostname'), 'host\n');
  for (const p of ['etc/hostname', 'etc', '.']) touchAt(path.join(dir, p), '1000');
  return dir;
}

describe('mkosi-ci diff on planted faults', () => {
  afterEach(() => vi.restoreAllMocks());

  it('fails two empty directories: nothing was compared', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-diff-'));
    mkdirSync(path.join(tmp, 'a'));
    mkdirSync(path.join(tmp, 'b'));
    const result = await diff(path.join(tmp, 'a'), path.join(tmp, 'b'));
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('❌ not reproducible');
    expect(result.stdout).toContain('both directories are empty: nothing was compared');
  });

  it('fails two disks that differ only outside their partitions', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-diff-'));
    const partitions = [
      {
        typeGuid: ESP,
        uuid: '11111111-0000-0000-0000-000000000001',
        name: 'esp',
        firstLba: 2048,
        lastLba: 4095,
      },
    ];
    for (const [name, planted] of [
      ['a.raw', false],
      ['b.raw', true],
    ] as const) {
      const fd = openSync(path.join(tmp, name), 'w');
      ftruncateSync(fd, 8192 * 512);
      writeSync(fd, buildGpt('22222222-0000-0000-0000-000000000000', 8192, partitions), 0, 34 * 512, 0);
      if (planted) writeSync(fd, Buffer.from('outside'), 0, 7, 100 * 512);
      closeSync(fd);
    }
    const result = await diff(path.join(tmp, 'a.raw'), path.join(tmp, 'b.raw'));
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('bytes outside the partitions differ');
  });

  it('fails trees that differ only in a file capability, passes a faithful copy', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-diff-'));
    const a = tree(path.join(tmp, 'a'));
    const b = path.join(tmp, 'b');
    execFileSync('cp', ['-a', a, b]);
    const flags = await xattrFlags();
    const same = await diff(a, b, flags);
    expect(same.status, same.stdout).toBe(0);
    expect(same.stdout).toContain('✅ identical');
    await setfattr(
      runner,
      path.join(b, 'etc/hostname'),
      'security.capability',
      '0x0100000200200000000000000000000000000000',
    );
    const result = await diff(a, b, flags);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/`\/etc\/hostname` \| xattrs \(security\.capability\)/);
  });

  it('fails trees that differ only in a sub-second mtime', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-diff-'));
    const a = tree(path.join(tmp, 'a'));
    const b = path.join(tmp, 'b');
    execFileSync('cp', ['-a', a, b]);
    touchAt(path.join(b, 'etc/hostname'), '1000.000000001');
    const result = await diff(a, b, await xattrFlags());
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('mtime 1970-01-01T00:16:40.000000000Z → 1970-01-01T00:16:40.000000001Z');
  });
});
