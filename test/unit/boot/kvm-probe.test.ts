import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { probeKvm } from '../../../src/boot/kvm-probe.js';
import { consoleLog } from '../../../src/cli/log.js';
import { ProcessRunner } from '../../../src/process/runner.js';

/**
 * The probe end to end with a stand-in for qemu (a shell script: no KVM that works is reachable here),
 * which writes what OVMF would to the console file and then runs on, as a booted firmware does.
 */

let dir: string;
const runner = new ProcessRunner(() => {}, process.env);
const log = consoleLog(
  () => false,
  () => true,
);

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kvm-probe-'));
  writeFileSync(path.join(dir, 'kvm'), '');
});

/** A qemu that runs `body` (a shell script) with $CONSOLE set to the probe's console file. */
function fakeQemu(body: string): string {
  const script = path.join(dir, 'qemu');
  writeFileSync(script, `#!/bin/sh\nCONSOLE='${path.join(dir, 'work', 'console.log')}'\n${body}\n`);
  chmodSync(script, 0o755);
  return script;
}

async function probe(body: string, timeoutMs = 8_000) {
  const started = Date.now();
  const verdict = await probeKvm(
    { runner, log },
    {
      qemu: { command: fakeQemu(body), prefix: [], dataDirs: [] },
      firmware: { kind: 'bios' },
      workDir: path.join(dir, 'work'),
      device: path.join(dir, 'kvm'),
      timeoutMs,
    },
  );
  return { verdict, ms: Date.now() - started };
}

const SHELL = `printf 'BdsDxe: loading Boot0001 "EFI Internal Shell"\\r\\nBdsDxe: starting Boot0001 "EFI Internal Shell"\\r\\n' >> "$CONSOLE"`;
const PXE = `printf '\\033[2J\\033[01;01H\\r\\n>>Start PXE over IPv4.\\r\\n' >> "$CONSOLE"`;

describe('probeKvm', () => {
  it.each([
    ['the EFI shell', SHELL],
    ['a network boot', PXE],
  ])('ends soon after the firmware hands over to %s, and calls KVM usable', async (_, booted) => {
    const { verdict, ms } = await probe(`sleep 0.3; ${booted}; sleep 30`);
    expect(verdict).toEqual({ usable: true, detail: 'the firmware ran under KVM' });
    // 0.3 s to boot, a poll, the grace: well under the 8 s timeout it waited for before.
    expect(ms).toBeGreaterThanOrEqual(800);
    expect(ms).toBeLessThan(4_000);
  });

  it('still sees a KVM failure that comes within the grace after the firmware booted', async () => {
    const { verdict } = await probe(
      `${SHELL}; sleep 0.2; echo 'KVM internal error. Suberror: 1' >&2; sleep 30`,
    );
    expect(verdict).toEqual({ usable: false, reason: 'KVM internal error. Suberror: 1' });
  });

  it('waits for the timeout when the firmware never says it booted', async () => {
    const { verdict, ms } = await probe(
      `printf 'SeaBIOS (version 1.16)\\r\\n' >> "$CONSOLE"; sleep 30`,
      1_500,
    );
    expect(verdict).toEqual({ usable: true, detail: 'the firmware ran under KVM' });
    expect(ms).toBeGreaterThanOrEqual(1_500);
  });

  it('calls a guest that printed nothing unusable, and a qemu that failed at once', async () => {
    expect((await probe('sleep 30', 1_000)).verdict).toEqual({
      usable: false,
      reason: 'the probe guest printed nothing under KVM',
    });
    const failed = await probe(`echo 'qemu: kvm_init_vcpu failed: Invalid argument' >&2; exit 1`);
    expect(failed.verdict).toEqual({
      usable: false,
      reason: 'qemu: kvm_init_vcpu failed: Invalid argument',
    });
    expect(failed.ms).toBeLessThan(2_000);
  });
});
