import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { defaultInputs, Input, type RawInputs } from '../../src/inputs.js';
import { parseOptions } from '../../src/pipeline/options.js';
import { reproBuildOptions } from '../../src/pipeline/repro.js';
import { parseReportSize, parseVariations } from '../../src/repro/options.js';
import { derivedSeed } from '../../src/repro/pins.js';
import { variedRunner } from '../../src/repro/second-build.js';
import { reproFailureMessage } from '../../src/pipeline/repro.js';
import type { Runner, RunOptions } from '../../src/ports.js';
import { diffoscopeArgs, narrowedPath } from '../../src/repro/diffoscope.js';
import { mergeComparisons } from '../../src/repro/merge.js';
import { hintForModes, type ComparisonResult } from '../../src/repro/narrow.js';
import {
  renderReproJson,
  renderReproMarkdown,
  reproText,
  type ReproConditions,
} from '../../src/repro/repro-report.js';
import { variedBuild, VARIATIONS } from '../../src/repro/variations.js';

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

  it('varies the second build: environment, mkosi options, and a wrapper for umask and hostname', () => {
    const all = variedBuild(VARIATIONS, { root: true });
    expect(all.env).toEqual({
      TZ: 'Pacific/Kiritimati',
      LANG: 'fr_CH.UTF-8',
      LC_ALL: 'fr_CH.UTF-8',
      HOSTNAME: 'mkosi-ci-repro-b',
    });
    expect(all.mkosiArgs).toEqual(['--environment=TZ=Pacific/Kiritimati']);
    expect(all.wrapper).toEqual([
      'unshare',
      '--uts',
      'sh',
      '-c',
      'umask 0002; hostname mkosi-ci-repro-b; exec "$@"',
      'sh',
    ]);
    expect(all.applied).toHaveLength(6);
    expect(all.skipped).toEqual([]);

    const user = variedBuild(['hostname', 'umask'], { root: false });
    expect(user.wrapper).toEqual(['sh', '-c', 'umask 0002; exec "$@"', 'sh']);
    expect(user.skipped).toEqual(['hostname: needs root for a UTS namespace of its own']);

    expect(variedBuild([], { root: true })).toEqual({
      env: {},
      mkosiArgs: [],
      wrapper: [],
      applied: [],
      skipped: [],
    });
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

describe('diffoscope on the narrowed files', () => {
  it('bounds the report and ignores the copies’ directory metadata', () => {
    expect(
      diffoscopeArgs({
        html: 'r.html',
        text: 'r.txt',
        maxReportSize: 1000,
        timeoutSeconds: 60,
        a: 'A',
        b: 'B',
      }),
    ).toEqual([
      '--html',
      'r.html',
      '--text',
      'r.txt',
      '--max-report-size',
      '1000',
      '--max-text-report-size',
      '1000',
      '--exclude-directory-metadata=yes',
      '--timeout',
      '60',
      '--no-progress',
      'A',
      'B',
    ]);
  });

  it('puts each file under its location and never outside the narrowed directory', () => {
    expect(narrowedPath({ location: ['image.raw', 'partition 1 root-x86-64 ext4'], path: '/etc/a' })).toBe(
      'image.raw/partition 1 root-x86-64 ext4/etc/a',
    );
    expect(narrowedPath({ location: [], path: '/../../etc/passwd' })).toBe('etc/passwd');
  });
});

const different = (name: string, path: string): ComparisonResult => ({
  a: `a/${name}`,
  b: `b/${name}`,
  identical: false,
  root: { kind: 'disk', name, verdict: 'different', children: [] },
  differences: [
    {
      location: [name, 'partition 1 root-x86-64 ext4'],
      path,
      change: 'changed',
      fields: ['sha256'],
      reason: 'content',
    },
  ],
  totalDifferences: 1,
  timestampOnly: 0,
  truncated: false,
  durationMs: 10,
});

const identical = (name: string): ComparisonResult => ({
  ...different(name, '/x'),
  identical: true,
  root: { kind: 'file', name, verdict: 'identical', children: [] },
  differences: [],
  totalDifferences: 0,
});

describe('mergeComparisons', () => {
  it('is identical only when every output pair is', () => {
    const same = mergeComparisons('A', 'B', [identical('image.raw'), identical('image.manifest')], 10);
    expect(same.identical).toBe(true);
    expect(same.root.counts).toMatchObject({ identical: 2, changed: 0 });

    const merged = mergeComparisons('A', 'B', [different('image.raw', '/etc/x'), identical('m')], 10);
    expect(merged.identical).toBe(false);
    expect(merged.totalDifferences).toBe(1);
    expect(merged.root.counts).toMatchObject({ identical: 1, changed: 1 });
  });

  it('counts an output only one build made, and keeps at most maxFiles differences', () => {
    const only: ComparisonResult = {
      ...identical('image.initrd'),
      identical: false,
      root: { kind: 'file', name: 'image.initrd', verdict: 'only-in-b', children: [] },
    };
    const merged = mergeComparisons('A', 'B', [different('i', '/1'), different('i', '/2'), only], 2);
    expect(merged.totalDifferences).toBe(3);
    expect(merged.differences.map((d) => d.path)).toEqual(['/1', '/2']);
    expect(merged.truncated).toBe(true);
    expect(mergeComparisons('A', 'B', [only], 5).differences[0]).toMatchObject({
      path: 'image.initrd',
      change: 'added',
    });
  });
});

const conditions: ReproConditions = {
  pinned: [
    { setting: 'Seed', value: 'u-u-i-d', source: 'derived from ImageId=x' },
    { setting: 'SourceDateEpoch', value: '1700000000', source: 'time of the last commit' },
  ],
  variations: ['umask: 0002'],
  notVaried: ['hostname: needs root for a UTS namespace of its own'],
  secondDirectory: '/w/repro/src-1/p',
  durations: { first: 30_000, second: 31_000 },
  diffoscope: { status: 'ran', durationMs: 4000, files: 3, html: 'diffoscope.html', text: 'diffoscope.txt' },
};

describe('the reproducibility report', () => {
  const result = mergeComparisons('A', 'B', [different('image.raw', '/etc/planted/build-time')], 10);

  it('says the verdict, names the file and partition, what was pinned and varied, and where diffoscope is', () => {
    const md = renderReproMarkdown(result, conditions);
    expect(md).toContain('## Reproducibility: ❌ not reproducible');
    expect(md).toContain(
      '| image.raw › partition 1 root-x86-64 ext4 | `/etc/planted/build-time` | content |',
    );
    expect(md).toContain('- `Seed=u-u-i-d` (derived from ImageId=x)');
    expect(md).toContain('- `SourceDateEpoch=1700000000` (time of the last commit)');
    expect(md).toContain('- umask: 0002');
    expect(md).toContain('- not varied: hostname: needs root');
    expect(md).toContain('its report is `diffoscope.html`');
    expect(renderReproMarkdown(result, { ...conditions, pinned: [] })).toContain(
      'The project pins `Seed=` and `SourceDateEpoch=` itself.',
    );
  });

  it('keeps the conditions in the JSON report', () => {
    const json = JSON.parse(renderReproJson(result, conditions)) as Record<string, unknown>;
    expect(json.reproducible).toBe(false);
    expect(json.conditions).toEqual(conditions);
    expect((json.differences as unknown[]).length).toBe(1);
  });

  it('gives the CLI a short text and the job a one-line failure naming the files', () => {
    expect(reproText(result, '/w/logs/repro')).toEqual([
      'reproducible: no (1 difference)',
      '  image.raw › partition 1 root-x86-64 ext4: /etc/planted/build-time: content',
      'report: /w/logs/repro',
    ]);
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

describe('hintForModes', () => {
  it('recognizes a mode that only follows the umask', () => {
    expect(hintForModes(0o644, 0o664)).toMatch(/umask/);
    expect(hintForModes(0o755, 0o777)).toMatch(/umask/);
    expect(hintForModes(0o600, 0o620)).toMatch(/umask/);
    expect(hintForModes(0o644, 0o755)).toBeUndefined();
    expect(hintForModes(0o644, 0o644)).toBeUndefined();
    expect(hintForModes(undefined, 0o644)).toBeUndefined();
  });
});
