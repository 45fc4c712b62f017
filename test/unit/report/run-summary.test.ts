import { describe, expect, it } from 'vitest';
import type { PipelineResult } from '../../../src/pipeline/result.js';
import { Timeline, type Phase } from '../../../src/pipeline/timeline.js';
import { renderMarkdown, renderText } from '../../../src/report/build-summary.js';
import { runOutputs } from '../../../src/report/outputs.js';
import { timelineMarkdown, timelineText } from '../../../src/report/timeline.js';
import { verdictCells } from '../../../src/report/verdicts.js';
import { Output } from '../../../src/outputs.js';

const phases: Phase[] = [
  { stage: 'setup', name: 'install mkosi', startMs: 0, durationMs: 1_200, ok: true },
  { stage: 'build', name: 'restore caches', startMs: 1_200, durationMs: 9_000, ok: true },
  { stage: 'build', name: 'mkosi build', startMs: 10_200, durationMs: 80_000, ok: true },
  { stage: 'boot', name: 'boot check', startMs: 90_200, durationMs: 70_000, ok: false },
];

const failedBoot = {
  setup: { mkosi: { command: 'mkosi', version: '27.1', origin: 'system' }, hostPrepared: false },
  build: {
    config: {
      images: [],
      main: { distribution: 'debian', release: 'trixie', architecture: 'x86-64', format: 'disk' },
      tools: undefined,
      raw: {},
    },
    configFile: '/w/mkosi-summary.json',
    outputDirectory: '/o',
    image: undefined,
    artifacts: [],
    logFile: '/w/logs/build.log',
    durationMs: 80_000,
  },
  failure: {
    stage: 'boot',
    message: 'Boot check of img.raw: failed-units: x',
    userError: true,
    error: undefined,
  },
  phases,
} as unknown as PipelineResult;

describe('the timeline', () => {
  it('is a mermaid gantt chart with a section per stage and the failed phase marked critical', () => {
    expect(timelineMarkdown(phases)).toEqual([
      '```mermaid',
      'gantt',
      '    title Timeline of this run',
      '    dateFormat x',
      '    axisFormat %H:%M:%S',
      '    section setup',
      '    install mkosi (1.2s) :done, 0, 1200',
      '    section build',
      '    restore caches (9.0s) :done, 1200, 10200',
      '    mkosi build (1m 20s) :done, 10200, 90200',
      '    section boot',
      '    boot check (1m 10s) :crit, done, 90200, 160200',
      '```',
    ]);
  });

  it('keeps mermaid syntax out of phase names, and renders nothing for no phases', () => {
    const odd: Phase = { stage: 'build', name: 'pin Seed=: a; b #c', startMs: 0, durationMs: 0, ok: true };
    expect(timelineMarkdown([odd])[6]).toBe('    pin Seed= a b c (0.0s) :done, 0, 1');
    expect(timelineMarkdown([])).toEqual([]);
  });

  it('is a table of start, phase and duration in the CLI', () => {
    const text = timelineText(phases);
    expect(text[0]).toMatch(/^ {2}\+ {3}0\.0s {2}setup: install mkosi\s+1\.2s$/);
    expect(text[3]).toMatch(/boot: boot check\s+1m 10s {2}failed$/);
  });

  it('records phases relative to the start of the run, a throwing one as failed', async () => {
    let now = 1_000;
    const timeline = new Timeline(() => now);
    await timeline.time('build', 'mkosi build', () => {
      now += 5_000;
      return Promise.resolve();
    });
    await expect(
      timeline.time('boot', 'boot check', () => {
        now += 2_000;
        return Promise.reject(new Error('qemu'));
      }),
    ).rejects.toThrow('qemu');
    expect(timeline.phases).toEqual([
      { stage: 'build', name: 'mkosi build', startMs: 0, durationMs: 5_000, ok: true },
      { stage: 'boot', name: 'boot check', startMs: 5_000, durationMs: 2_000, ok: false },
    ]);
  });
});

describe('the verdicts', () => {
  it('come first in the job summary, with the cause right after them', () => {
    const md = renderMarkdown(failedBoot).split('\n');
    expect(md.slice(0, 8)).toEqual([
      '## ❌ mkosi-ci: boot failed',
      '',
      '| Build | Boot | Reproducible | Published |',
      '| --- | --- | --- | --- |',
      '| ✅ built in 1m 20s | ❌ error | ➖ not checked | ➖ no |',
      '',
      '> [!CAUTION]',
      '> Boot check of img.raw: failed-units: x',
    ]);
    expect(md).toContain('```mermaid');
  });

  it('end the CLI text, after the timeline', () => {
    const text = renderText(failedBoot).trimEnd().split('\n');
    expect(text.slice(-4)).toEqual([
      'build         built in 1m 20s',
      'boot          FAILED: error',
      'reproducible  not checked',
      'published     no',
    ]);
    expect(text).toContain('timeline:');
  });

  it('say not reached for what a failed setup never got to', () => {
    const cells = verdictCells({
      failure: { stage: 'setup', message: 'x', userError: true, error: undefined },
    });
    expect(cells.map((c) => [c.what, c.ok, c.text])).toEqual([
      ['build', false, 'failed (setup)'],
      ['boot', undefined, 'not reached'],
      ['reproducible', undefined, 'not checked'],
      ['published', undefined, 'no'],
    ]);
  });

  it('add the update round trip only to runs with update-from: the versions it went through, or why not', () => {
    const update = (result: 'passed' | 'update-failed', versions: string[]) =>
      verdictCells({
        update: { result, reason: 'r', versions, boots: [], requests: [], durationMs: 1 },
      }).at(-1);
    expect(update('passed', ['1.0', '2.0'])).toEqual({ what: 'updated', ok: true, text: '1.0 → 2.0' });
    expect(update('update-failed', ['1.0'])).toEqual({
      what: 'updated',
      ok: false,
      text: 'update-failed (1.0)',
    });
    const failed = verdictCells({
      failure: { stage: 'update', message: 'x', userError: true, error: undefined },
    });
    expect(failed.at(-1)).toEqual({ what: 'updated', ok: false, text: 'error' });
    expect(verdictCells({}).map((c) => c.what)).not.toContain('updated');
  });
});

describe('the outputs', () => {
  it('are what the run reached, the same for the action and the CLI', () => {
    const outputs = runOutputs(failedBoot, '/w/logs');
    expect(outputs[Output.Logs]).toBe('/w/logs');
    expect(outputs[Output.MkosiVersion]).toBe('27.1');
    expect(outputs[Output.CacheHitPackages]).toBe('miss');
    expect(outputs[Output.OutputDirectory]).toBe('/o');
    expect(outputs).not.toHaveProperty(Output.Checksums);
    expect(runOutputs({}, '/w/logs')).toEqual({
      [Output.Logs]: '/w/logs',
      [Output.CacheHitPackages]: 'miss',
      [Output.CacheHitIncremental]: 'miss',
      [Output.CacheHitToolsTree]: 'miss',
    });
  });
});
