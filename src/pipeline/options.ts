import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { VARIATIONS, type Variation } from '../repro/variations.js';
import type { CacheOptions } from '../cache/plan.js';
import { Input, INPUT_SPECS, type RawInputs } from './inputs.js';

export type MkosiSource =
  | { kind: 'auto' }
  | { kind: 'release' }
  | { kind: 'system' }
  | { kind: 'apt' }
  | { kind: 'checkout'; path: string };

export type ToolsTree = { kind: 'default' } | { kind: 'none' } | { kind: 'path'; path: string };

export type Tristate = 'auto' | 'yes' | 'no';

/** The inputs, parsed and validated once. Paths are absolute. */
export interface Options {
  directory: string;
  mkosiVersion: string;
  mkosiSource: MkosiSource;
  mkosiReleaseUrl: string;
  mkosiSha256: string | undefined;
  prepareHost: Tristate;
  profiles: string[];
  environment: [string, string][];
  args: string[];
  mirror: string | undefined;
  toolsTree: ToolsTree;
  force: number;
  boot: BootOptions;
  publish: PublishOptions;
  repro: ReproOptions;
  cache: CacheOptions;
}

export type BootFirmwareChoice = 'auto' | 'uefi' | 'bios' | 'linux';

export interface BootOptions {
  enabled: Tristate;
  /** Seconds; undefined: scaled to whether KVM works. */
  timeoutSeconds: number | undefined;
  transport: 'auto' | 'vsock' | 'serial';
  kvm: Tristate;
  memoryMiB: number;
  cpus: number;
  firmware: BootFirmwareChoice;
  allowFailed: string[];
  watchSeconds: number;
}

/** Which GitHub release, if any, gets the outputs as assets. */
export type ReleaseChoice = { kind: 'none' } | { kind: 'current-tag' } | { kind: 'tag'; tag: string };

export interface PublishOptions {
  /** The armored private key; undefined: SHA256SUMS is written but not signed. */
  signKey: string | undefined;
  signPassphrase: string | undefined;
  upload: Tristate;
  artifactName: string;
  retentionDays: number | undefined;
  release: ReleaseChoice;
  githubToken: string | undefined;
}

/** Non-empty, trimmed lines; lines starting with # are comments. */
export function splitLines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function invalid(input: Input, value: string, valid: string): ConfigurationError {
  return new ConfigurationError(`Input ${input}: '${value}' is not valid; expected ${valid}.`);
}

export function parseMkosiSource(value: string, cwd: string): MkosiSource {
  switch (value) {
    case 'auto':
    case 'release':
    case 'system':
    case 'apt':
      return { kind: value };
  }
  if (value.includes('/') || value.startsWith('.') || value.startsWith('~')) {
    return { kind: 'checkout', path: path.resolve(cwd, value) };
  }
  throw invalid(
    Input.MkosiSource,
    value,
    INPUT_SPECS[Input.MkosiSource].placeholder + ' (a path must contain a /)',
  );
}

export function parseMkosiVersion(value: string): string {
  if (/^v?\d+(\.\d+)*(~[a-z0-9]+)?$/.test(value) || /^[0-9a-f]{40}$/.test(value)) {
    return value;
  }
  throw invalid(Input.MkosiVersion, value, 'a release tag such as v27.1 or a full 40-character commit hash');
}

export function parseTristate(input: Input, value: string): Tristate {
  if (value === 'auto' || value === 'yes' || value === 'no') {
    return value;
  }
  if (value === 'true') return 'yes';
  if (value === 'false') return 'no';
  throw invalid(input, value, 'auto, yes or no');
}

export function parseEnvironment(value: string): [string, string][] {
  return splitLines(value).map((line, index) => {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(line);
    if (!match) {
      throw new ConfigurationError(
        `Input ${Input.Environment}: line ${index + 1} '${line}' is not KEY=VALUE (KEY of letters, digits and _, not starting with a digit).`,
      );
    }
    return [match[1]!, match[2]!];
  });
}

export function parseProfiles(value: string): string[] {
  const profiles = value
    .split(/[,\n]/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const profile of profiles) {
    if (!/^[A-Za-z0-9_.-]+$/.test(profile)) {
      throw invalid(Input.Profiles, profile, 'profile names of letters, digits, ".", "_" and "-"');
    }
  }
  return profiles;
}

export function parseArgs(value: string): string[] {
  const args = splitLines(value);
  for (const arg of args) {
    if (!arg.startsWith('-')) {
      throw invalid(
        Input.Args,
        arg,
        'mkosi options starting with - (one per line, e.g. --image-version=1.2); the verb is chosen by mkosi-ci',
      );
    }
  }
  return args;
}

export function parseMirror(value: string): string | undefined {
  const mirror = value.trim();
  if (mirror === '') {
    return undefined;
  }
  if (!/^(https?|file):\/\/\S+$/.test(mirror)) {
    throw invalid(Input.Mirror, mirror, 'an http://, https:// or file:// URL');
  }
  return mirror.replace(/\/+$/, '');
}

export function parseToolsTree(value: string, cwd: string): ToolsTree {
  if (value === 'default' || value === 'none') {
    return { kind: value };
  }
  if (value.includes('/') || value.startsWith('.')) {
    return { kind: 'path', path: path.resolve(cwd, value) };
  }
  throw invalid(Input.ToolsTree, value, 'default, none or a path to a tools tree');
}

export function parseForce(value: string): number {
  if (/^[0-3]$/.test(value.trim())) {
    return Number(value.trim());
  }
  throw invalid(Input.Force, value, 'a number from 0 to 3');
}

export function parseSha256(value: string): string | undefined {
  const sha = value.trim().toLowerCase();
  if (sha === '') return undefined;
  if (/^[0-9a-f]{64}$/.test(sha)) return sha;
  throw invalid(Input.MkosiSha256, value, 'a 64-character hexadecimal sha256');
}

export function parseReleaseUrl(value: string): string {
  if (!/^(https?|file):\/\/\S+$/.test(value) || !value.includes('{ref}')) {
    throw invalid(Input.MkosiReleaseUrl, value, 'an http(s) URL containing {ref}');
  }
  return value;
}

function parseChoice<T extends string>(input: Input, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw invalid(input, value, choices.join(', '));
}

function parseInteger(input: Input, value: string, min: number, max: number, unit: string): number {
  const trimmed = value.trim();
  const number = Number(trimmed);
  if (/^\d+$/.test(trimmed) && number >= min && number <= max) return number;
  throw invalid(input, value, `a whole number of ${unit} from ${min} to ${max}`);
}

export function parseAllowFailed(value: string): string[] {
  const patterns = splitLines(value);
  for (const pattern of patterns) {
    if (!/^[A-Za-z0-9:_.\\@*?[\]-]+$/.test(pattern)) {
      throw invalid(Input.BootAllowFailed, pattern, 'unit names or globs such as foo.service or systemd-*');
    }
  }
  return patterns;
}

export function parseBootOptions(value: (input: Input) => string, raw: RawInputs): BootOptions {
  const timeout = value(Input.BootTimeout);
  return {
    enabled: parseTristate(Input.Boot, value(Input.Boot)),
    timeoutSeconds:
      timeout === 'auto' ? undefined : parseInteger(Input.BootTimeout, timeout, 30, 86_400, 'seconds'),
    transport: parseChoice(Input.BootTransport, value(Input.BootTransport), [
      'auto',
      'vsock',
      'serial',
    ] as const),
    kvm: parseTristate(Input.Kvm, value(Input.Kvm)),
    memoryMiB: parseInteger(Input.BootRam, value(Input.BootRam), 256, 1_048_576, 'MiB'),
    cpus: parseInteger(Input.BootCpus, value(Input.BootCpus), 1, 256, 'CPUs'),
    firmware: parseChoice(Input.BootFirmware, value(Input.BootFirmware), [
      'auto',
      'uefi',
      'bios',
      'linux',
    ] as const),
    allowFailed: parseAllowFailed(raw[Input.BootAllowFailed] ?? ''),
    watchSeconds: parseInteger(Input.BootWatch, value(Input.BootWatch), 0, 3_600, 'seconds'),
  };
}

export function parseRelease(value: string): ReleaseChoice {
  const release = value.trim();
  if (release === '' || release === 'false' || release === 'no') return { kind: 'none' };
  if (release === 'true' || release === 'yes') return { kind: 'current-tag' };
  // git check-ref-format's rules, as far as a tag name given in a workflow can break them.
  if (
    /^[^\s~^:?*[\\]+$/.test(release) &&
    !release.startsWith('-') &&
    !release.startsWith('/') &&
    !release.endsWith('/') &&
    !release.endsWith('.') &&
    !release.endsWith('.lock') &&
    !release.includes('..') &&
    !release.includes('@{') &&
    !release.includes('//')
  ) {
    return { kind: 'tag', tag: release.replace(/^refs\/tags\//, '') };
  }
  throw invalid(
    Input.Release,
    release,
    'false, true (the tag the workflow runs for) or a tag name such as v1.2',
  );
}

export function parseArtifactName(value: string): string {
  const name = value.trim();
  // What the artifact service refuses in a name; the template's {fields} are checked again once filled.
  if (/[":<>|*?\r\n\\/]/.test(name)) {
    throw invalid(Input.ArtifactName, name, 'a name without " : < > | * ? \\ / or line breaks');
  }
  return name;
}

/** An empty secret means no secret; an unexpanded `${{ … }}` (the action.yml default seen by the CLI) too. */
function secret(value: string | undefined): string | undefined {
  if (value === undefined || value === '' || /^\$\{\{.*\}\}$/.test(value.trim())) return undefined;
  return value;
}

export function parsePublishOptions(value: (input: Input) => string, raw: RawInputs): PublishOptions {
  const retention = (raw[Input.RetentionDays] ?? '').trim();
  return {
    signKey: secret(raw[Input.SignKey]?.trim()),
    // A passphrase may legitimately start or end with spaces: taken as given.
    signPassphrase: secret(raw[Input.SignPassphrase]),
    upload: parseTristate(Input.Upload, value(Input.Upload)),
    artifactName: parseArtifactName(value(Input.ArtifactName)),
    retentionDays: retention === '' ? undefined : parseInteger(Input.RetentionDays, retention, 1, 90, 'days'),
    release: parseRelease(raw[Input.Release] ?? ''),
    githubToken: secret(raw[Input.GithubToken]?.trim()),
  };
}

export function parseBoolean(input: Input, value: string): boolean {
  if (value === 'true' || value === 'yes') return true;
  if (value === 'false' || value === 'no') return false;
  throw invalid(input, value, 'true or false');
}

export function parseCacheOptions(value: (input: Input) => string): CacheOptions {
  const all = parseBoolean(Input.Cache, value(Input.Cache));
  const suffix = value(Input.CacheKeySuffix).trim();
  if (suffix !== '' && !/^[A-Za-z0-9._-]{1,64}$/.test(suffix)) {
    throw invalid(Input.CacheKeySuffix, suffix, 'up to 64 letters, digits, ".", "_" and "-"');
  }
  return {
    enabled: {
      packages: all && parseBoolean(Input.CachePackages, value(Input.CachePackages)),
      incremental: all && parseBoolean(Input.CacheIncremental, value(Input.CacheIncremental)),
      'tools-tree': all && parseBoolean(Input.CacheToolsTree, value(Input.CacheToolsTree)),
    },
    keySuffix: suffix,
    maxAgeDays: parseInteger(Input.CacheMaxAge, value(Input.CacheMaxAge), 0, 3_650, 'days'),
  };
}

/** Validates every input and returns the typed options; `cwd` resolves relative paths. */
export function parseOptions(raw: RawInputs, cwd: string): Options {
  const value = (input: Input): string => (raw[input] ?? '').trim() || INPUT_SPECS[input].default;
  return {
    directory: path.resolve(cwd, value(Input.Directory)),
    mkosiVersion: parseMkosiVersion(value(Input.MkosiVersion)),
    mkosiSource: parseMkosiSource(value(Input.MkosiSource), cwd),
    mkosiReleaseUrl: parseReleaseUrl(value(Input.MkosiReleaseUrl)),
    mkosiSha256: parseSha256(raw[Input.MkosiSha256] ?? ''),
    prepareHost: parseTristate(Input.PrepareHost, value(Input.PrepareHost)),
    profiles: parseProfiles(raw[Input.Profiles] ?? ''),
    environment: parseEnvironment(raw[Input.Environment] ?? ''),
    args: parseArgs(raw[Input.Args] ?? ''),
    mirror: parseMirror(raw[Input.Mirror] ?? ''),
    toolsTree: parseToolsTree(value(Input.ToolsTree), cwd),
    force: parseForce(value(Input.Force)),
    boot: parseBootOptions(value, raw),
    publish: parsePublishOptions(value, raw),
    repro: parseReproOptions(value),
    cache: parseCacheOptions(value),
  };
}

export type ReproMode = 'no' | 'check' | 'warn';

export interface ReproOptions {
  /** no: one build; check: fail on a difference; warn: report it only. */
  mode: ReproMode;
  variations: Variation[];
  maxFiles: number;
  /** Bytes, for diffoscope's --max-report-size. */
  maxReportSize: number;
  diffoscope: Tristate;
}

export function parseReproMode(value: string): ReproMode {
  switch (value) {
    case 'false':
    case 'no':
      return 'no';
    case 'check':
    case 'true':
    case 'yes':
      return 'check';
    case 'warn':
      return 'warn';
  }
  throw invalid(Input.Reproducible, value, 'false, check or warn');
}

export function parseVariations(value: string): Variation[] {
  const names = value
    .split(/[,\n]/)
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (names.length === 1 && names[0] === 'none') return [];
  for (const name of names) {
    if (!(VARIATIONS as readonly string[]).includes(name)) {
      throw invalid(Input.ReproducibleVariations, name, `none or some of ${VARIATIONS.join(', ')}`);
    }
  }
  return [...new Set(names)] as Variation[];
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

export function parseReportSize(value: string): number {
  const match = /^(\d+)\s*([KMG]?)i?B?$/i.exec(value.trim());
  const bytes = match ? Number(match[1]) * SIZE_UNITS[match[2]!.toUpperCase()]! : NaN;
  if (Number.isSafeInteger(bytes) && bytes >= 1024) return bytes;
  throw invalid(Input.DiffMaxReportSize, value, 'a size of at least 1K, in bytes or with K, M or G (20M)');
}

export function parseReproOptions(value: (input: Input) => string): ReproOptions {
  return {
    mode: parseReproMode(value(Input.Reproducible)),
    variations: parseVariations(value(Input.ReproducibleVariations)),
    maxFiles: parseInteger(Input.DiffMaxFiles, value(Input.DiffMaxFiles), 1, 100_000, 'files'),
    maxReportSize: parseReportSize(value(Input.DiffMaxReportSize)),
    diffoscope: parseTristate(Input.Diffoscope, value(Input.Diffoscope)),
  };
}
