/**
 * What differs between the two builds of a reproducibility check, after reprotest's variations: each
 * one turns into the second build's process environment, extra mkosi options or a wrapper around
 * mkosi. Pure: the pipeline runs what this describes.
 */

export const VARIATIONS = ['build-path', 'time', 'timezone', 'locale', 'umask', 'hostname'] as const;
export type Variation = (typeof VARIATIONS)[number];

/** Far from UTC on both sides, so a date written in local time changes its day. */
const VARIED_TIMEZONE = 'Pacific/Kiritimati';
const VARIED_LOCALE = 'fr_CH.UTF-8';
/** Group-writable files instead of the usual 022: catches modes taken from the umask. */
const VARIED_UMASK = '0002';
const VARIED_HOSTNAME = 'mkosi-ci-repro-b';

export interface VariedBuild {
  /** Added to mkosi's own environment. */
  env: Record<string, string>;
  /** mkosi options for the second build (Environment= reaches build scripts, mkosi's env does not). */
  mkosiArgs: string[];
  /** A command that runs the rest of its arguments (`sh -c '…; exec "$@"' sh mkosi …`), or none. */
  wrapper: string[];
  /** What was varied, one line each, for the report. */
  applied: string[];
  /** What could not be varied here, and why. */
  skipped: string[];
}

export interface VariationHost {
  /** Root can give the build a hostname of its own (a new UTS namespace). */
  root: boolean;
}

/**
 * The second build's variations. The build path is varied by the caller (a copy of the project at
 * another path); mkosi itself resets LANG and LC_* for every tool it runs, so the locale reaches mkosi
 * but not the package manager or scripts.
 */
export function variedBuild(variations: readonly Variation[], host: VariationHost): VariedBuild {
  const build: VariedBuild = { env: {}, mkosiArgs: [], wrapper: [], applied: [], skipped: [] };
  const shell: string[] = [];
  const has = (v: Variation): boolean => variations.includes(v);
  if (has('build-path')) build.applied.push('build path: a fresh copy of the project at another path');
  if (has('time')) {
    // Faking the clock (libfaketime) does not reach into mkosi's sandboxes; the second build simply
    // runs later, so anything that records the time differs.
    build.applied.push('time: the second build runs later (the clock is not faked)');
  }
  if (has('timezone')) {
    build.env.TZ = VARIED_TIMEZONE;
    build.mkosiArgs.push(`--environment=TZ=${VARIED_TIMEZONE}`);
    build.applied.push(`timezone: TZ=${VARIED_TIMEZONE} (mkosi and build scripts)`);
  }
  if (has('locale')) {
    build.env.LANG = VARIED_LOCALE;
    build.env.LC_ALL = VARIED_LOCALE;
    build.applied.push(
      `locale: LANG=LC_ALL=${VARIED_LOCALE} (mkosi only: it runs every tool with LANG=C.UTF-8)`,
    );
  }
  if (has('umask')) {
    shell.push(`umask ${VARIED_UMASK}`);
    build.applied.push(`umask: ${VARIED_UMASK}`);
  }
  let unshare: string[] = [];
  if (has('hostname')) {
    if (host.root) {
      unshare = ['unshare', '--uts'];
      shell.push(`hostname ${VARIED_HOSTNAME}`);
      build.env.HOSTNAME = VARIED_HOSTNAME;
      build.applied.push(`hostname: ${VARIED_HOSTNAME} (a UTS namespace of its own)`);
    } else {
      build.skipped.push('hostname: needs root for a UTS namespace of its own');
    }
  }
  if (shell.length > 0) {
    build.wrapper = [...unshare, 'sh', '-c', `${shell.join('; ')}; exec "$@"`, 'sh'];
  }
  return build;
}
