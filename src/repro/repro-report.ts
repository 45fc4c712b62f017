import type { DiffoscopeRun } from './diffoscope.js';
import type { ComparisonResult } from './comparison.js';
import {
  cell,
  formatDifference,
  formatDuration,
  renderMarkdown,
  toJsonReport,
  type JsonReport,
} from './report.js';

/** How the two builds of a reproducibility check were made, for the report. */
export interface ReproConditions {
  /** Settings mkosi-ci pinned for both builds because the project left them unset. */
  pinned: Array<{ setting: string; value: string; source: string }>;
  /** What differed in the second build. */
  variations: string[];
  /** Variations asked for that could not be applied, with why. */
  notVaried: string[];
  secondDirectory: string;
  durations: { first: number | undefined; second: number | undefined };
  diffoscope: DiffoscopeRun;
}

function diffoscopeLine(run: DiffoscopeRun): string {
  switch (run.status) {
    case 'disabled':
      return 'diffoscope: not run (diffoscope: no).';
    case 'unavailable':
      return 'diffoscope: not found in the tools tree or on PATH; the differences above are from the manifests only.';
    case 'nothing-to-explain':
      return 'diffoscope: nothing to explain (no differing regular file with content on both sides).';
    case 'ran':
      return `diffoscope: ran on the ${run.files} differing files in ${formatDuration(run.durationMs)}; its report is \`${run.html}\` (and \`${run.text}\`) beside this one.`;
    case 'timed-out':
      return `diffoscope: stopped after ${formatDuration(run.durationMs)} on ${run.files} files (timeout); the file list above is complete.`;
    case 'failed':
      return `diffoscope: failed on ${run.files} files (${cell(run.reason)}); the file list above is complete.`;
  }
}

/** The reproducibility report: the comparison, then how the builds were made. */
export function renderReproMarkdown(result: ComparisonResult, conditions: ReproConditions): string {
  const lines = [
    renderMarkdown(result, { labels: { a: 'first build', b: 'second build' } }).trimEnd(),
    '',
    '### How the two builds were made',
    '',
  ];
  const built = (ms: number | undefined): string => (ms === undefined ? '?' : formatDuration(ms));
  lines.push(
    `Two builds with \`Incremental=no\` sharing only the package cache (${built(conditions.durations.first)} and ${built(conditions.durations.second)}); the second in \`${conditions.secondDirectory}\`.`,
    '',
  );
  if (conditions.pinned.length > 0) {
    lines.push(
      'The project does not pin these, so mkosi-ci pinned them for both builds (without them every image differs); pin them in `mkosi.conf` to make your own builds comparable:',
      '',
    );
    for (const pin of conditions.pinned) lines.push(`- \`${pin.setting}=${pin.value}\` (${pin.source})`);
  } else {
    lines.push('The project pins `Seed=` and `SourceDateEpoch=` itself.');
  }
  lines.push('', 'Varied in the second build:', '');
  if (conditions.variations.length === 0) lines.push('- nothing');
  for (const v of conditions.variations) lines.push(`- ${cell(v)}`);
  for (const v of conditions.notVaried) lines.push(`- not varied: ${cell(v)}`);
  lines.push('', diffoscopeLine(conditions.diffoscope), '');
  return lines.join('\n');
}

export interface ReproJsonReport extends JsonReport {
  reproducible: boolean;
  conditions: ReproConditions;
}

export function renderReproJson(result: ComparisonResult, conditions: ReproConditions): string {
  const report: ReproJsonReport = { ...toJsonReport(result), reproducible: result.identical, conditions };
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** A few lines for a terminal: the verdict, the top differences, where the report is. */
export function reproText(result: ComparisonResult, reportDir: string, top = 10): string[] {
  const lines = [
    result.identical
      ? 'reproducible: yes (the two builds are bit-identical)'
      : `reproducible: no (${result.totalDifferences} ${result.totalDifferences === 1 ? 'difference' : 'differences'})`,
  ];
  for (const d of result.differences.slice(0, top)) lines.push(`  ${formatDifference(d)}`);
  if (result.totalDifferences > top && !result.identical)
    lines.push(`  … ${result.totalDifferences - Math.min(top, result.differences.length)} more`);
  lines.push(`report: ${reportDir}`);
  return lines;
}
