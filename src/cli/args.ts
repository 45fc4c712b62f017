import { ConfigurationError } from '../errors.js';
import { defaultInputs, Input, INPUT_SPECS, type RawInputs } from '../inputs.js';

export const COMMANDS = ['build', 'boot', 'diff', 'repro', 'publish'] as const;
export type Command = (typeof COMMANDS)[number];

/** Flags of the CLI that are not action inputs: they replace what the runner provides. */
export interface CliFlags {
  workDir: string | undefined;
  /** The local cache store; without it, no cache is restored or saved. */
  cacheDir: string | undefined;
  debug: boolean;
  /** Print the run's outputs as one JSON object on stdout (everything else goes to stderr). */
  json: boolean;
  /** `publish`: the directory whose files get SHA256SUMS. */
  outputDir: string | undefined;
  /** Secrets come from files, never from the command line, where every user of the machine can read them. */
  signKeyFile: string | undefined;
  signPassphraseFile: string | undefined;
}

/** Flags that are not inputs (directories and files), by name. */
const FILE_FLAGS: Readonly<
  Record<string, 'workDir' | 'outputDir' | 'signKeyFile' | 'signPassphraseFile' | 'cacheDir'>
> = {
  'work-dir': 'workDir',
  'cache-dir': 'cacheDir',
  'output-dir': 'outputDir',
  'sign-key-file': 'signKeyFile',
  'sign-passphrase-file': 'signPassphraseFile',
};

export type ParsedCommandLine =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; command: Command; inputs: RawInputs; flags: CliFlags; operands: string[] };

const INPUT_NAMES = new Set<string>(Object.values(Input));

/**
 * Inputs that are secrets: on a command line every user of the machine can read them (ps, /proc), so the
 * CLI takes them from files only; the token is GitHub's and has no use outside the action.
 */
const SECRET_FLAGS: Readonly<Record<string, string>> = {
  [Input.SignKey]: 'give the key in a file with --sign-key-file=FILE',
  [Input.SignPassphrase]: 'give the passphrase in a file with --sign-passphrase-file=FILE',
  [Input.GithubToken]: 'releases are published by the GitHub Action only',
};

/** Inputs that are GitHub's alone: the CLI publishes no release, so it has no use for them. */
const GITHUB_ONLY_FLAGS: ReadonlySet<string> = new Set([Input.ReleaseEvents]);

/**
 * Parses `mkosi-ci <command> [--<input> VALUE | --<input>=VALUE]…`. Every action input is a flag of
 * the same name; a multi-line input's flag may be repeated, each use one line.
 */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help')
    return { kind: 'help' };
  if (command === '--version') return { kind: 'version' };
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new ConfigurationError(
      `Unknown command '${command}'; valid: ${COMMANDS.join(', ')} (see mkosi-ci --help).`,
    );
  }
  const inputs = defaultInputs();
  const given = new Map<string, string[]>();
  const flags: CliFlags = {
    workDir: undefined,
    debug: false,
    json: false,
    outputDir: undefined,
    signKeyFile: undefined,
    signPassphraseFile: undefined,
    cacheDir: undefined,
  };
  const operands: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--debug' || arg === '--json') {
      flags[arg === '--debug' ? 'debug' : 'json'] = true;
      continue;
    }
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!match && command === 'diff' && !arg.startsWith('-')) {
      operands.push(arg);
      continue;
    }
    if (!match) throw new ConfigurationError(`Unexpected argument '${arg}'; flags look like --name=value.`);
    const name = match[1]!;
    let value = match[2];
    if (value === undefined) {
      value = rest[++i];
      if (value === undefined) throw new ConfigurationError(`Flag --${name} needs a value.`);
    }
    if (GITHUB_ONLY_FLAGS.has(name)) {
      throw new ConfigurationError(
        `Flag --${name} is for the GitHub Action only: the CLI publishes no release (see mkosi-ci --help).`,
      );
    } else if (name in SECRET_FLAGS) {
      throw new ConfigurationError(
        `Flag --${name} is not taken on the command line, where other users can read it: ${SECRET_FLAGS[name]}.`,
      );
    } else if (name in FILE_FLAGS) {
      if (flags[FILE_FLAGS[name]!] !== undefined) {
        throw new ConfigurationError(`Flag --${name} was given twice; it takes one value.`);
      }
      flags[FILE_FLAGS[name]!] = value;
    } else if (INPUT_NAMES.has(name)) {
      const values = given.get(name) ?? [];
      if (values.length > 0 && !INPUT_SPECS[name as Input].multiline) {
        throw new ConfigurationError(`Flag --${name} was given twice; it takes one value.`);
      }
      given.set(name, [...values, value]);
    } else {
      throw new ConfigurationError(`Unknown flag --${name}; see mkosi-ci --help for the flags.`);
    }
  }
  for (const [name, values] of given) inputs[name as Input] = values.join('\n');
  if (command === 'diff' && operands.length !== 2) {
    throw new ConfigurationError(
      `diff compares two outputs: mkosi-ci diff A B (got ${operands.length} operands).`,
    );
  }
  if (command !== 'publish' && flags.outputDir !== undefined) throw outputDirNotForCommand(command);
  if (command === 'publish' && flags.outputDir === undefined) {
    throw new ConfigurationError(
      'publish writes SHA256SUMS for a directory: mkosi-ci publish --output-dir=DIR [--sign-key-file=FILE].',
    );
  }
  return { kind: 'run', command: command as Command, inputs, flags, operands };
}

/** --output-dir names publish's directory; elsewhere it would be ignored, and the outputs land elsewhere. */
function outputDirNotForCommand(command: string): ConfigurationError {
  const instead =
    command === 'diff'
      ? 'diff compares the two outputs given as operands'
      : `for ${command}, the outputs are where the project's OutputDirectory= says, or --args=--output-directory=DIR`;
  return new ConfigurationError(`Flag --output-dir is for publish; ${instead}.`);
}

export function helpText(): string {
  const lines = [
    'Usage: mkosi-ci build [flags]   build the project (and boot-check it, see --boot)',
    '       mkosi-ci boot [flags]    boot-check the image an earlier build left in the output directory',
    '       mkosi-ci repro [flags]   build twice (the second time in a fresh copy with --reproducible-variations)',
    '                                and name the files that differ (--reproducible defaults to check here)',
    '       mkosi-ci diff A B [--tools-tree=PATH]',
    '                                name the files that differ between two outputs or output directories',
    '                                (exit status 0 when identical, 1 when not)',
    '       mkosi-ci publish --output-dir=DIR [--sign-key-file=FILE [--sign-passphrase-file=FILE]]',
    '                                write SHA256SUMS over every file in DIR, and sign it (SHA256SUMS.gpg)',
    '',
    'Does what the mkosi-ci GitHub Action does. Every flag is the action input of the same name;',
    'flags marked [repeatable] may be given more than once, one line each.',
    '',
  ];
  for (const input of Object.values(Input)) {
    if (input in SECRET_FLAGS || GITHUB_ONLY_FLAGS.has(input)) continue;
    const spec = INPUT_SPECS[input];
    lines.push(`  --${input}=${spec.placeholder}${spec.multiline ? ' [repeatable]' : ''}`);
    lines.push(`      ${spec.description}${spec.default ? ` (default: ${spec.default})` : ''}`);
  }
  lines.push(
    '  --work-dir=DIR',
    '      Where logs and the resolved configuration go (default: a new directory under the temp directory).',
    '  --sign-key-file=FILE, --sign-passphrase-file=FILE',
    '      Read sign-key and sign-passphrase from files (for build and publish); secrets never go on a command line.',
    '  --output-dir=DIR',
    '      publish: the directory whose files SHA256SUMS lists.',
    '  --cache-dir=DIR',
    '      Also keep the caches (see --cache) as archives in DIR, with the same keys as the action: restored',
    '      before the build, saved after a good one. With or without it, the package and incremental caches',
    '      stay on this machine under ~/.cache/mkosi/mkosi-ci (XDG_CACHE_HOME) between runs; --cache=false',
    "      uses none of mkosi-ci's caches.",
    '  --json',
    "      build, boot, repro: print the outputs of the run (the action's outputs) as one JSON object on",
    '      stdout, with a "failure" field when it failed; the summary and the build output go to stderr.',
    '  --debug',
    '      Show stack traces of internal errors.',
    '',
  );
  return lines.join('\n');
}
