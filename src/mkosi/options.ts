import path from 'node:path';
import { Input, INPUT_SPECS } from '../inputs.js';
import {
  invalid,
  parseTristate,
  splitLines,
  splitList,
  type InputReader,
  type Tristate,
} from '../input-parsing.js';
import { ConfigurationError } from '../errors.js';
import { checkReleaseSource } from './release.js';

export type MkosiSource =
  | { kind: 'auto' }
  | { kind: 'release' }
  | { kind: 'system' }
  | { kind: 'apt' }
  | { kind: 'checkout'; path: string };

export type ToolsTree = { kind: 'default' } | { kind: 'none' } | { kind: 'path'; path: string };

/** Which mkosi, with what, on which project: the inputs that shape every mkosi invocation. */
export interface MkosiOptions {
  directory: string;
  mkosiVersion: string;
  mkosiSource: MkosiSource;
  mkosiReleaseUrl: string;
  mkosiSha256: string | undefined;
  prepareHost: Tristate;
  profiles: string[];
  environment: [string, string][];
  args: string[];
  /** The mirror URL as given, without trailing slashes. */
  mirror: string | undefined;
  toolsTree: ToolsTree;
  force: number;
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
  const profiles = splitList(value);
  for (const profile of profiles) {
    if (!/^[A-Za-z0-9_.-]+$/.test(profile)) {
      throw invalid(Input.Profiles, profile, 'profile names of letters, digits, ".", "_" and "-"');
    }
  }
  return profiles;
}

/**
 * Options that would have mkosi work on another project than the one mkosi-ci resolved, or do something
 * else than configure it, with what to do instead.
 */
const REFUSED_ARGS: readonly { matches: (arg: string) => boolean; instead: string }[] = [
  {
    matches: (arg) => /^(--directory(=|$)|-C)/.test(arg),
    instead: `the project is the ${Input.Directory} input`,
  },
  { matches: (arg) => arg === '--', instead: 'the verb and its arguments are chosen by mkosi-ci' },
  {
    matches: (arg) => ['-h', '--help', '--version'].includes(arg),
    instead: 'mkosi-ci runs mkosi to build; run mkosi itself for its help or version',
  },
];

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
    const refused = REFUSED_ARGS.find((r) => r.matches(arg));
    if (refused) {
      throw new ConfigurationError(`Input ${Input.Args}: '${arg}' is not taken here: ${refused.instead}.`);
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

export function parseMkosiOptions(inputs: InputReader, cwd: string): MkosiOptions {
  const { value, raw } = inputs;
  const options: MkosiOptions = {
    directory: path.resolve(cwd, value(Input.Directory)),
    mkosiVersion: parseMkosiVersion(value(Input.MkosiVersion)),
    mkosiSource: parseMkosiSource(value(Input.MkosiSource), cwd),
    mkosiReleaseUrl: parseReleaseUrl(value(Input.MkosiReleaseUrl)),
    mkosiSha256: parseSha256(raw(Input.MkosiSha256)),
    prepareHost: parseTristate(Input.PrepareHost, value(Input.PrepareHost)),
    profiles: parseProfiles(raw(Input.Profiles)),
    environment: parseEnvironment(raw(Input.Environment)),
    args: parseArgs(raw(Input.Args)),
    mirror: parseMirror(raw(Input.Mirror)),
    toolsTree: parseToolsTree(value(Input.ToolsTree), cwd),
    force: parseForce(value(Input.Force)),
  };
  // A release is run as the job's user: where it comes from and what it must hash to are judged now.
  // (auto takes a release only when PATH has no pinned mkosi; the download checks again then.)
  if (options.mkosiSource.kind === 'release') {
    checkReleaseSource(options.mkosiReleaseUrl, options.mkosiVersion, options.mkosiSha256);
  }
  return options;
}
