import type { PipelineResult } from '../pipeline/result.js';
import { formatDuration } from './format.js';

/** One verdict of the run: what a reader looks for first. */
export interface VerdictCell {
  what: 'build' | 'boot' | 'reproducible' | 'published' | 'updated';
  ok: boolean | undefined;
  text: string;
}

function failedAt(result: PipelineResult, ...stages: string[]): boolean {
  return result.failure !== undefined && stages.includes(result.failure.stage);
}

function buildVerdict(result: PipelineResult): VerdictCell {
  const build = result.build;
  if (build) {
    const text =
      build.durationMs === undefined ? 'built earlier' : `built in ${formatDuration(build.durationMs)}`;
    return { what: 'build', ok: true, text };
  }
  if (result.failure) return { what: 'build', ok: false, text: `failed (${result.failure.stage})` };
  return { what: 'build', ok: undefined, text: 'not reached' };
}

function bootVerdict(result: PipelineResult): VerdictCell {
  const verdict = result.boot?.check.verdict;
  if (verdict) return { what: 'boot', ok: verdict.result === 'passed', text: verdict.result };
  if (failedAt(result, 'boot')) return { what: 'boot', ok: false, text: 'error' };
  return { what: 'boot', ok: undefined, text: result.build ? 'skipped' : 'not reached' };
}

function reproVerdict(result: PipelineResult): VerdictCell {
  const repro = result.repro;
  if (repro) {
    const n = repro.comparison.totalDifferences;
    return {
      what: 'reproducible',
      ok: repro.reproducible,
      text: repro.reproducible ? 'yes' : `no (${n} ${n === 1 ? 'difference' : 'differences'})`,
    };
  }
  if (failedAt(result, 'repro')) return { what: 'reproducible', ok: false, text: 'error' };
  return { what: 'reproducible', ok: undefined, text: 'not checked' };
}

function publishVerdict(result: PipelineResult): VerdictCell {
  const published = result.publish;
  if (published) {
    const parts = [published.signature ? 'SHA256SUMS signed' : 'SHA256SUMS'];
    if (published.artifact) parts.push(`artifact ${published.artifact.name}`);
    if (published.release) parts.push(`release ${published.release.tag}`);
    return { what: 'published', ok: true, text: parts.join(', ') };
  }
  if (failedAt(result, 'publish')) return { what: 'published', ok: false, text: 'failed' };
  return { what: 'published', ok: undefined, text: 'no' };
}

/** The update round trip (update-from): only in runs that asked for one. */
function updateVerdict(result: PipelineResult): VerdictCell | undefined {
  const update = result.update;
  if (update) {
    const versions = update.versions.join(' → ');
    const text =
      update.result === 'passed' ? versions : `${update.result}${versions ? ` (${versions})` : ''}`;
    return { what: 'updated', ok: update.result === 'passed', text };
  }
  if (failedAt(result, 'update')) return { what: 'updated', ok: false, text: 'error' };
  return undefined;
}

/** The four verdicts of a run (five with update-from), in the order the pipeline reaches them. */
export function verdictCells(result: PipelineResult): VerdictCell[] {
  const update = updateVerdict(result);
  return [
    buildVerdict(result),
    bootVerdict(result),
    reproVerdict(result),
    publishVerdict(result),
    ...(update ? [update] : []),
  ];
}

const ICONS = { true: '✅', false: '❌', undefined: '➖' } as const;

export function verdictMarkdown(result: PipelineResult): string[] {
  const cells = verdictCells(result);
  return [
    `| ${cells.map((c) => c.what[0]!.toUpperCase() + c.what.slice(1)).join(' | ')} |`,
    `| ${cells.map(() => '---').join(' | ')} |`,
    `| ${cells.map((c) => `${ICONS[String(c.ok) as keyof typeof ICONS]} ${c.text.replace(/\|/g, '\\|')}`).join(' | ')} |`,
  ];
}

export function verdictText(result: PipelineResult): string[] {
  return verdictCells(result).map(
    (c) => `${c.what.padEnd(12)}  ${c.ok === false ? 'FAILED: ' : ''}${c.text}`,
  );
}
