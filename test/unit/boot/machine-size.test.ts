import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeMachineSize, machineSize } from '../../../src/boot/machine-size.js';
import { parseImage, parseSummary } from '../../../src/mkosi/config.js';

const config = parseSummary(
  readFileSync(new URL('../../fixtures/summary/debian-bootable.json', import.meta.url), 'utf8'),
);

describe("the guest's memory and CPUs", () => {
  it("reads mkosi's RAM= (bytes) and CPUs= from the summary", () => {
    expect(config.main).toMatchObject({ ram: 2147483648, cpus: 1 });
    const raw = config.raw as { Images: Record<string, unknown>[] };
    const image = (extra: Record<string, unknown>) => parseImage({ ...raw.Images.at(-1)!, ...extra });
    expect(image({ RAM: 1610612736, CPUs: 4 })).toMatchObject({ ram: 1610612736, cpus: 4 });
    expect(image({ RAM: '2G', CPUs: 0 })).toMatchObject({ ram: undefined, cpus: undefined });
  });

  it("takes mkosi's values unless boot-ram or boot-cpus is given, and says where each came from", () => {
    const main = { ...config.main, ram: 1610612736, cpus: 3 };
    expect(machineSize({ memoryMiB: undefined, cpus: undefined }, main)).toEqual({
      memoryMiB: 1536,
      cpus: 3,
      memorySource: 'RAM=',
      cpusSource: 'CPUs=',
    });
    expect(machineSize({ memoryMiB: 4096, cpus: undefined }, main)).toMatchObject({
      memoryMiB: 4096,
      memorySource: 'boot-ram',
      cpus: 3,
    });
    expect(machineSize({ memoryMiB: undefined, cpus: 2 }, main)).toMatchObject({
      memoryMiB: 1536,
      cpus: 2,
      cpusSource: 'boot-cpus',
    });
    // A summary without them (older mkosi): mkosi's own defaults.
    const bare = { ...config.main, ram: undefined, cpus: undefined };
    expect(machineSize({ memoryMiB: undefined, cpus: undefined }, bare)).toEqual({
      memoryMiB: 2048,
      cpus: 1,
      memorySource: 'default',
      cpusSource: 'default',
    });
    // Part of a MiB still counts: the guest gets at least what mkosi asked for.
    expect(
      machineSize({ memoryMiB: undefined, cpus: undefined }, { ...main, ram: 1024 * 1024 + 1 }).memoryMiB,
    ).toBe(2);
  });

  it('describes the size for the log and the summary', () => {
    expect(describeMachineSize({ memoryMiB: 1536, cpus: 1, memorySource: 'RAM=', cpusSource: 'CPUs=' })).toBe(
      "1536 MiB (mkosi's RAM=), 1 CPU (mkosi's CPUs=)",
    );
    expect(
      describeMachineSize({ memoryMiB: 512, cpus: 2, memorySource: 'boot-ram', cpusSource: 'default' }),
    ).toBe("512 MiB (boot-ram), 2 CPUs (mkosi's default)");
  });
});
