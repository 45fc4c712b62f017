import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MKOSI_CI_VERSION } from '../../../src/version.js';
import { helpText, parseCommandLine } from '../../../src/cli/args.js';
import { ConfigurationError } from '../../../src/errors.js';
import { defaultInputs, Input } from '../../../src/inputs.js';

describe('CLI flags', () => {
  it('mirror the action inputs one to one, in both spellings', () => {
    const parsed = parseCommandLine([
      'build',
      '--directory',
      'proj',
      '--mirror=http://m.example/debian',
      '--environment=A=1',
      '--environment',
      'B=2',
      '--work-dir=/tmp/w',
      '--cache-dir',
      '/srv/mkosi-ci-cache',
      '--cache-key-suffix=nightly',
    ]);
    expect(parsed).toEqual({
      kind: 'run',
      command: 'build',
      inputs: {
        ...defaultInputs(),
        [Input.Directory]: 'proj',
        [Input.Mirror]: 'http://m.example/debian',
        [Input.Environment]: 'A=1\nB=2',
        [Input.CacheKeySuffix]: 'nightly',
      },
      flags: { workDir: '/tmp/w', cacheDir: '/srv/mkosi-ci-cache', debug: false, json: false },
      operands: [],
    });
  });

  it('lists every input in the help, the secrets as the files they are read from', () => {
    const help = helpText();
    const secrets: string[] = [Input.SignKey, Input.SignPassphrase, Input.GithubToken, Input.ReleaseEvents];
    for (const input of Object.values(Input)) {
      if (!secrets.includes(input)) expect(help).toContain(`--${input}=`);
    }
    expect(help).toContain('--sign-key-file=FILE, --sign-passphrase-file=FILE');
    expect(help).toContain('--cache-dir=DIR');
  });

  it.each([
    [['deploy'], /Unknown command 'deploy'; valid: build/],
    [['build', '--colour=yes'], /Unknown flag --colour/],
    [['build', '--mirror'], /Flag --mirror needs a value/],
    [['build', '--force=1', '--force=2'], /Flag --force was given twice/],
    [['build', 'extra'], /Unexpected argument 'extra'/],
    [['diff', 'a'], /diff compares two outputs: mkosi-ci diff A B \(got 1 operands\)/],
    [['build', '--work-dir=a', '--work-dir=b'], /^Flag --work-dir was given twice; it takes one value\.$/],
    [['build', '--sign-key-file=a', '--sign-key-file=b'], /^Flag --sign-key-file was given twice/],
    [
      ['build', '--output-dir=out'],
      /^Flag --output-dir is for publish; for build, the outputs are where the project's OutputDirectory= says, or --args=--output-directory=DIR\.$/,
    ],
    [
      ['diff', 'a', 'b', '--output-dir=out'],
      /^Flag --output-dir is for publish; diff compares the two outputs/,
    ],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(message);
  });

  it('takes the two outputs of diff as operands', () => {
    expect(parseCommandLine(['diff', 'a.raw', '--tools-tree=/t', 'b.raw'])).toMatchObject({
      command: 'diff',
      operands: ['a.raw', 'b.raw'],
      inputs: { [Input.ToolsTree]: '/t' },
    });
  });

  it('takes publish with its output directory and the secrets as files, never as values', () => {
    const parsed = parseCommandLine([
      'publish',
      '--output-dir=out',
      '--sign-key-file',
      '/run/secrets/key.asc',
      '--sign-passphrase-file=/run/secrets/pass',
    ]);
    expect(parsed).toMatchObject({
      kind: 'run',
      command: 'publish',
      flags: {
        outputDir: 'out',
        signKeyFile: '/run/secrets/key.asc',
        signPassphraseFile: '/run/secrets/pass',
      },
    });
    expect(() => parseCommandLine(['publish'])).toThrow(
      'publish writes SHA256SUMS for a directory: mkosi-ci publish --output-dir=DIR [--sign-key-file=FILE].',
    );
  });

  it('takes --json for the outputs as one JSON object', () => {
    expect(parseCommandLine(['boot', '--json'])).toMatchObject({ kind: 'run', flags: { json: true } });
    expect(helpText()).toContain('--json');
  });

  it('answers help and version', () => {
    expect(parseCommandLine([])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['build', '--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' });
  });
});

describe('the version', () => {
  it('is the one in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(MKOSI_CI_VERSION).toBe(pkg.version);
  });
});

describe('secrets on the command line', () => {
  it.each([
    ['--sign-key=-----BEGIN PGP PRIVATE KEY BLOCK-----', /--sign-key .*--sign-key-file=FILE/],
    ['--sign-passphrase=hunter2', /--sign-passphrase .*--sign-passphrase-file=FILE/],
    ['--github-token=ghs_abc', /--github-token .*GitHub Action only/],
  ])('refuses %s with a pointer to what to use instead', (flag, message) => {
    expect(() => parseCommandLine(['build', flag])).toThrow(ConfigurationError);
    expect(() => parseCommandLine(['build', flag])).toThrow(message);
  });

  it('keeps them out of the help text', () => {
    expect(helpText()).not.toMatch(/--sign-key=|--sign-passphrase=|--github-token=/);
    expect(helpText()).toContain('--sign-key-file=FILE');
  });
});
