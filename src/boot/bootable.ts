import { ConfigurationError } from '../errors.js';
import type { MkosiConfig } from '../mkosi/config.js';
import type { Artifact } from '../mkosi/outputs.js';

/**
 * Whether a build can be booted, decided from what it produced rather than from its format alone:
 * with `Bootable=auto` mkosi makes a disk bootable only when the image has a kernel, so a kernel-less
 * `Format=disk` image boots into nothing and would end, minutes later, as a false `did-not-boot`.
 */

/** Formats mkosi-ci can boot: a disk with a boot loader, an ESP image, or a UKI. */
export const BOOTABLE_FORMATS = ['disk', 'esp', 'uki'] as const;

/** What a build says about its bootability. */
export interface BuiltImage {
  format: string;
  /** mkosi's `Bootable=` as `mkosi --json summary` prints it: enabled, disabled or auto. */
  bootable: string;
  /** `SplitArtifacts=`: which outputs mkosi writes next to the image (uki, kernel, initrd, …). */
  splitArtifacts: readonly string[];
  /** The kinds of the main image's outputs found after the build; undefined when not looked at. */
  outputKinds: readonly string[] | undefined;
}

export type BootDecision = { boot: true } | { boot: false; notice?: string };

/** The kernel mkosi split out of the image, when it was asked to and did: the proof there is one. */
function kernelEvidence(image: BuiltImage): 'found' | 'none' | 'unknown' {
  const splits = image.splitArtifacts.some((a) => a === 'uki' || a === 'kernel');
  if (!splits || image.outputKinds === undefined) return 'unknown';
  return image.outputKinds.some((k) => k === 'uki' || k === 'kernel') ? 'found' : 'none';
}

/**
 * `boot`: yes, no or auto (the input). `auto` boots what is bootable and says why it skips the rest;
 * `yes` refuses what cannot boot, naming the input ('boot' is Input.Boot's name).
 */
export function bootDecision(boot: 'yes' | 'no' | 'auto', image: BuiltImage): BootDecision {
  if (boot === 'no') return { boot: false };
  if (!(BOOTABLE_FORMATS as readonly string[]).includes(image.format)) {
    if (boot === 'auto') return { boot: false };
    throw new ConfigurationError(
      `Input boot: Format=${image.format} images cannot be booted by mkosi-ci; bootable formats are ${BOOTABLE_FORMATS.join(', ')}.`,
    );
  }
  if (image.format === 'uki') return { boot: true };
  if (kernelEvidence(image) === 'none') {
    const what = `the build produced no kernel or UKI (Bootable=${image.bootable}: mkosi installs a boot loader only when the image has a kernel)`;
    if (boot === 'yes') {
      throw new ConfigurationError(
        `Input boot: ${what}, so there is nothing to boot; add a kernel to the image or set boot to auto or false.`,
      );
    }
    return { boot: false, notice: `Not booting the Format=${image.format} image: ${what}.` };
  }
  if (boot === 'auto' && image.bootable === 'disabled') return { boot: false };
  return { boot: true };
}

/** The decision for a resolved configuration and, once the build is done, the outputs it left. */
export function decideBoot(
  boot: 'yes' | 'no' | 'auto',
  config: MkosiConfig,
  artifacts?: readonly Artifact[],
): BootDecision {
  const main = config.main;
  const outputKinds = artifacts
    ?.filter((a) => a.image === main.image || a.image === undefined)
    .map((a) => a.kind);
  return bootDecision(boot, { ...main, outputKinds });
}

/** Whether to boot at all (see bootDecision). */
export function shouldBoot(
  options: { enabled: 'yes' | 'no' | 'auto' },
  config: MkosiConfig,
  artifacts?: readonly Artifact[],
): boolean {
  return decideBoot(options.enabled, config, artifacts).boot;
}
