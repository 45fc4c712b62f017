import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bootDecision, shouldBoot, type BuiltImage } from '../../../src/boot/bootable.js';
import { ConfigurationError } from '../../../src/errors.js';
import { parseSummary } from '../../../src/mkosi/config.js';
import type { Artifact, OutputKind } from '../../../src/mkosi/outputs.js';
import { defaultInputs } from '../../../src/inputs.js';
import { parseOptions } from '../../../src/pipeline/options.js';

const disk: BuiltImage = {
  format: 'disk',
  bootable: 'auto',
  splitArtifacts: ['uki', 'kernel', 'initrd'],
  outputKinds: ['image', 'uki', 'kernel', 'initrd', 'manifest'],
};
const kernelless = { ...disk, outputKinds: ['image', 'manifest'] };

describe('whether to boot what the build produced', () => {
  it('boots a disk whose build split out a UKI or a kernel', () => {
    expect(bootDecision('auto', disk)).toEqual({ boot: true });
    expect(bootDecision('auto', { ...disk, outputKinds: ['image', 'kernel'] })).toEqual({ boot: true });
    expect(bootDecision('auto', { ...disk, format: 'esp', outputKinds: ['image', 'uki'] })).toEqual({
      boot: true,
    });
    expect(bootDecision('yes', disk)).toEqual({ boot: true });
  });

  it('skips a Bootable=auto disk without a kernel, with a notice saying why', () => {
    expect(bootDecision('auto', kernelless)).toEqual({
      boot: false,
      notice:
        'Not booting the Format=disk image: the build produced no kernel or UKI (Bootable=auto: mkosi installs a boot loader only when the image has a kernel).',
    });
  });

  it('refuses boot: true for a disk without a kernel, naming the input', () => {
    expect(() => bootDecision('yes', kernelless)).toThrow(ConfigurationError);
    expect(() => bootDecision('yes', kernelless)).toThrow(
      /^Input boot: the build produced no kernel or UKI \(Bootable=auto: .*\), so there is nothing to boot; add a kernel to the image or set boot to auto or false\.$/,
    );
  });

  it('boots when the build could not tell (no split kernel asked for, outputs not listed)', () => {
    expect(bootDecision('auto', { ...kernelless, splitArtifacts: ['partitions'] })).toEqual({ boot: true });
    expect(bootDecision('auto', { ...kernelless, outputKinds: undefined })).toEqual({ boot: true });
  });

  it('always boots a UKI, never boot: false, and boot: auto leaves Bootable=no and directories alone', () => {
    expect(bootDecision('auto', { ...kernelless, format: 'uki' })).toEqual({ boot: true });
    expect(bootDecision('no', disk)).toEqual({ boot: false });
    expect(bootDecision('auto', { ...disk, bootable: 'disabled' })).toEqual({ boot: false });
    expect(bootDecision('yes', { ...disk, bootable: 'disabled' })).toEqual({ boot: true });
    expect(bootDecision('auto', { ...disk, format: 'directory' })).toEqual({ boot: false });
    expect(() => bootDecision('yes', { ...disk, format: 'tar' })).toThrow(
      'Input boot: Format=tar images cannot be booted by mkosi-ci; bootable formats are disk, esp, uki.',
    );
  });
});

describe('the stage decides from the outputs when it has them', () => {
  const options = parseOptions(defaultInputs(), '/').boot;
  const summary = parseSummary(
    readFileSync(new URL('../../fixtures/summary/tools-tree-default.json', import.meta.url), 'utf8'),
  );
  const artifact = (kind: OutputKind, image = 'main') => ({ kind, image }) as Artifact;

  it('skips a Bootable=auto disk image that came out without a kernel', () => {
    expect(summary.main).toMatchObject({ format: 'disk', bootable: 'auto' });
    expect(shouldBoot(options, summary)).toBe(true);
    expect(shouldBoot(options, summary, [artifact('image'), artifact('manifest')])).toBe(false);
    expect(shouldBoot(options, summary, [artifact('image'), artifact('uki')])).toBe(true);
    // A subimage's kernel does not make the main image bootable.
    expect(shouldBoot(options, summary, [artifact('image'), artifact('uki', 'initrd')])).toBe(false);
  });
});
