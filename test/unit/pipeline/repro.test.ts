import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors.js';
import { defaultInputs, Input, type RawInputs } from '../../../src/inputs.js';
import { parseOptions } from '../../../src/pipeline/options.js';
import { reproBuildOptions } from '../../../src/pipeline/repro.js';
import { parseReportSize, parseVariations } from '../../../src/repro/options.js';
import { derivedSeed } from '../../../src/repro/pins.js';
import { variedRunner } from '../../../src/repro/second-build.js';
import { reproFailureMessage } from '../../../src/pipeline/repro.js';
import type { Runner, RunOptions } from '../../../src/ports.js';
import { mergeComparisons } from '../../../src/repro/merge.js';
import { variedBuild } from '../../../src/repro/variations.js';
import { different } from '../../support/comparisons.js';

const inputs = (overrides: Partial<RawInputs>): RawInputs => ({ ...defaultInputs(), ...overrides });

describe('reproducibility inputs', () => {
  it('reads mode, variations, limits and diffoscope', () => {
    const { repro } = parseOptions(
      inputs({
        [Input.Reproducible]: 'warn',
        [Input.ReproducibleVariations]: 'umask\ntimezone, umask',
        [Input.DiffMaxFiles]: '7',
        [Input.DiffMaxReportSize]: '512K',
        [Input.Diffoscope]: 'no',
      }),
      '/src',
    );
    expect(repro).toEqual({
      mode: 'warn',
      variations: ['umask', 'timezone'],
      maxFiles: 7,
      maxReportSize: 512 * 1024,
      diffoscope: 'no',
    });
    expect(parseOptions(inputs({ [Input.Reproducible]: 'check' }), '/').repro.mode).toBe('check');
    expect(parseVariations('none')).toEqual([]);
    expect(parseReportSize('2G')).toBe(2 * 1024 ** 3);
    expect(parseReportSize('4096')).toBe(4096);
  });

  it.each([
    [
      Input.Reproducible,
      'sometimes',
      /Input reproducible: 'sometimes' is not valid; expected false, check or warn/,
    ],
    [
      Input.ReproducibleVariations,
      'moon-phase',
      /Input reproducible-variations: 'moon-phase'.*build-path, time/,
    ],
    [
      Input.ReproducibleVariations,
      'none, time',
      /^Input reproducible-variations: none cannot be combined with variations; give none alone or some of build-path, time/,
    ],
    [Input.DiffMaxFiles, '0', /Input diff-max-files: '0'/],
    [Input.DiffMaxReportSize, '20 parsecs', /Input diff-max-report-size: '20 parsecs'/],
    [Input.Diffoscope, 'maybe', /Input diffoscope: 'maybe'/],
  ])('rejects %s=%s with one clear error', (input, value, message) => {
    expect(() => parseOptions(inputs({ [input]: value }), '/')).toThrow(ConfigurationError);
    expect(() => parseOptions(inputs({ [input]: value }), '/')).toThrow(message);
  });
});

describe('the two builds', () => {
  it('pins before the user options and turns incremental images off after them', () => {
    const options = parseOptions(inputs({ [Input.Args]: '--incremental=yes\n--image-version=2' }), '/p');
    const pinned = reproBuildOptions(options, { pinned: [], args: ['--seed=x', '--source-date-epoch=1'] });
    expect(pinned.args).toEqual([
      '--seed=x',
      '--source-date-epoch=1',
      '--incremental=yes',
      '--image-version=2',
      '--incremental=no',
    ]);
  });

  it('derives a stable, well-formed seed per image', () => {
    const seed = derivedSeed('debian-repro');
    expect(seed).toBe(derivedSeed('debian-repro'));
    expect(seed).not.toBe(derivedSeed('other'));
    expect(seed).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('starts only mkosi through the wrapper, with the varied environment', async () => {
    const calls: Array<{ command: string; args: readonly string[]; options?: RunOptions }> = [];
    const runner: Runner = {
      which: () => Promise.resolve(undefined),
      run: (command, args, options) => {
        calls.push({ command, args, options });
        return Promise.resolve({ exitCode: 0, signal: null, timedOut: false, stdout: '', stderr: '' });
      },
    };
    const varied = variedRunner(runner, '/opt/mkosi', variedBuild(['umask', 'timezone'], { root: false }));
    await varied.run('/opt/mkosi', ['build'], { env: { A: '1' }, logFile: '/l' });
    await varied.run('git', ['log']);
    expect(calls).toEqual([
      {
        command: 'sh',
        args: ['-c', 'umask 0002; exec "$@"', 'sh', '/opt/mkosi', 'build'],
        options: { env: { A: '1', TZ: 'Pacific/Kiritimati' }, logFile: '/l' },
      },
      { command: 'git', args: ['log'], options: {} },
    ]);
  });
});

describe('the reproducibility failure', () => {
  it('gives the job a one-line failure naming the files', () => {
    const result = mergeComparisons('A', 'B', [different('image.raw', '/etc/planted/build-time')], 10);
    const message = reproFailureMessage({
      reproducible: false,
      comparison: result,
      reportDir: '/w/logs/repro',
    } as Parameters<typeof reproFailureMessage>[0]);
    expect(message).toBe(
      'Reproducibility check: the two builds differ in 1 place: image.raw › partition 1 root-x86-64 ext4: /etc/planted/build-time: content (report: /w/logs/repro)',
    );
  });
});
