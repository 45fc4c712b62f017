import { describe, expect, it } from 'vitest';
import type { ImageConfig, MkosiConfig } from '../../../src/mkosi/config.js';
import type { Artifact } from '../../../src/mkosi/outputs.js';
import type { PipelineResult } from '../../../src/pipeline/run.js';
import { artifactRecords, renderMarkdown, renderText } from '../../../src/report/build-summary.js';
import { formatBytes, formatDuration } from '../../../src/report/format.js';

const main = {
  image: 'main',
  distribution: 'debian',
  release: 'trixie',
  architecture: 'x86-64',
  format: 'disk',
  output: 'img',
} as ImageConfig;
const config: MkosiConfig = { images: [main], main, tools: undefined, raw: {} };
const artifacts: Artifact[] = [
  {
    name: 'img.raw',
    path: '/o/img.raw',
    image: 'main',
    kind: 'image',
    type: 'file',
    size: 862969856,
    sha256: 'a'.repeat(64),
  },
  {
    name: 'img',
    path: '/o/img',
    image: 'main',
    kind: 'link',
    type: 'symlink',
    size: 0,
    sha256: null,
    target: 'img.raw',
  },
  {
    name: 'img|odd.efi',
    path: '/o/x',
    image: 'main',
    kind: 'uki',
    type: 'file',
    size: 1536,
    sha256: 'b'.repeat(64),
  },
];
const succeeded: PipelineResult = {
  setup: {
    mkosi: { command: '/usr/bin/mkosi', version: '27.1', origin: 'system /usr/bin/mkosi' },
    hostPrepared: false,
  },
  build: {
    config,
    configFile: '/w/mkosi-summary.json',
    outputDirectory: '/o',
    image: artifacts[0],
    artifacts,
    logFile: '/w/logs/build.log',
    durationMs: 83_400,
  },
};

describe('the build summary', () => {
  it('renders a markdown table of every file with size and sha256', () => {
    expect(renderMarkdown(succeeded)).toBe(
      [
        '## ✅ mkosi-ci: image built',
        '',
        '| Build | Boot | Reproducible | Published |',
        '| --- | --- | --- | --- |',
        '| ✅ built in 1m 23s | ➖ skipped | ➖ not checked | ➖ no |',
        '',
        'mkosi 27.1 (system /usr/bin/mkosi)',
        '',
        '**debian trixie** x86-64, `Format=disk`, built in 1m 23s into `/o`',
        '',
        '| File | Kind | Size | sha256 |',
        '| --- | --- | ---: | --- |',
        `| \`img.raw\` | image | 823.0 MiB | \`${'a'.repeat(64)}\` |`,
        '| `img` | link |  | → img.raw |',
        `| \`img\\|odd.efi\` | uki | 1.5 KiB | \`${'b'.repeat(64)}\` |`,
        '',
      ].join('\n'),
    );
  });

  it('renders the same as text for the CLI', () => {
    const text = renderText(succeeded);
    expect(text).toContain('mkosi-ci: image built\nmkosi 27.1 (system /usr/bin/mkosi)\n');
    expect(text).toMatch(/img\.raw\s+image\s+823\.0 MiB\s+a{64}\n/);
    expect(text).toMatch(/img\s+link\s+→ img\.raw\n/);
  });

  it('names the failed stage and quotes the error', () => {
    const failed: PipelineResult = {
      setup: succeeded.setup,
      failure: {
        stage: 'build',
        message: 'mkosi build failed | badly',
        userError: true,
        error: new Error('x'),
      },
    };
    const markdown = renderMarkdown(failed);
    expect(markdown).toContain('## ❌ mkosi-ci: build failed');
    expect(markdown).toContain('> mkosi build failed \\| badly');
    expect(renderText(failed)).toMatch(/^mkosi-ci: build failed\n/);
  });

  it('gives the artifacts output as plain records', () => {
    expect(artifactRecords(artifacts)[1]).toEqual({
      name: 'img',
      path: '/o/img',
      image: 'main',
      kind: 'link',
      type: 'symlink',
      size: 0,
      sha256: null,
      target: 'img.raw',
    });
    expect(artifactRecords(artifacts)[0]).not.toHaveProperty('target');
  });

  it('formats sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(formatDuration(4_200)).toBe('4.2s');
    expect(formatDuration(600_000)).toBe('10m 0s');
  });
});

describe('the summary of a run with the reproducibility check', () => {
  const comparison = {
    a: '/o',
    b: '/w/repro/second/output',
    identical: false,
    root: { kind: 'directory', name: 'outputs', verdict: 'different', children: [] },
    differences: [
      {
        location: ['img.raw', 'partition 1 root-x86-64 ext4'],
        path: '/etc/stamp',
        change: 'changed',
        fields: ['sha256'],
        reason: 'content',
      },
    ],
    totalDifferences: 1,
    timestampOnly: 0,
    truncated: false,
    durationMs: 5,
  } as const;
  const repro = {
    reproducible: false,
    comparison,
    reportDir: '/w/logs/repro',
    markdown: '## Reproducibility: ❌ not reproducible\n',
  } as unknown as NonNullable<PipelineResult['repro']>;

  it('adds the report to the job summary and the verdict to the headline', () => {
    const md = renderMarkdown({ ...succeeded, repro });
    expect(md).toContain('## ✅ mkosi-ci: image built and checked: not reproducible (warn)');
    expect(md).toContain('## Reproducibility: ❌ not reproducible');
  });

  it('prints the verdict and the differing files in the CLI text', () => {
    const text = renderText({ ...succeeded, repro });
    expect(text).toContain('reproducible: no (1 difference)');
    expect(text).toContain('  img.raw › partition 1 root-x86-64 ext4: /etc/stamp: content');
    expect(text).toContain('report: /w/logs/repro');
  });
});
