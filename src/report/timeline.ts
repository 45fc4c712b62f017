import type { Phase } from '../pipeline/timeline.js';
import { formatDuration } from './format.js';

/** Mermaid takes `:` and `;` as syntax, `#` as a comment. */
function label(text: string): string {
  return text.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * The run's phases as a mermaid gantt chart (GitHub renders it in the job summary): one section per
 * stage in the order they ran, a failed phase marked critical.
 */
export function timelineMarkdown(phases: readonly Phase[]): string[] {
  if (phases.length === 0) return [];
  const lines = [
    '```mermaid',
    'gantt',
    '    title Timeline of this run',
    '    dateFormat x',
    '    axisFormat %H:%M:%S',
  ];
  let section: string | undefined;
  for (const phase of phases) {
    if (phase.stage !== section) {
      section = phase.stage;
      lines.push(`    section ${section}`);
    }
    const end = phase.startMs + Math.max(phase.durationMs, 1);
    const tags = phase.ok ? 'done' : 'crit, done';
    lines.push(
      `    ${label(phase.name)} (${formatDuration(phase.durationMs)}) :${tags}, ${phase.startMs}, ${end}`,
    );
  }
  lines.push('```');
  return lines;
}

/** The phases as text, for the CLI: when each started, how long it took, and whether it failed. */
export function timelineText(phases: readonly Phase[]): string[] {
  if (phases.length === 0) return [];
  const width = Math.max(...phases.map((p) => `${p.stage}: ${p.name}`.length));
  return phases.map(
    (p) =>
      `  +${formatDuration(p.startMs).padStart(7)}  ${`${p.stage}: ${p.name}`.padEnd(width)}  ${formatDuration(p.durationMs).padStart(7)}${p.ok ? '' : '  failed'}`,
  );
}
