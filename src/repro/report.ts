import { formatMode, formatTime } from './manifest.js';
import type { ComparisonNode, ComparisonResult, FileDifference, Verdict } from './comparison.js';

/** Pure rendering of a comparison: markdown for a job summary, JSON for an artifact. */

export interface MarkdownOptions {
  /** Most differences listed one line each (default 20). */
  topDifferences?: number;
  /** Heading level of the title (default 2). */
  headingLevel?: number;
  /** Labels of the two sides (default the paths compared). */
  labels?: { a: string; b: string };
}

const VERDICT_TEXT: Record<Verdict, string> = {
  identical: 'identical',
  different: 'different',
  'only-in-a': 'only in A',
  'only-in-b': 'only in B',
  unsupported: 'not readable',
  'nothing-compared': 'nothing compared',
};

/** Makes text safe inside a markdown table cell. */
export function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/`/g, "'");
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

export function formatDuration(ms: number): string {
  return ms < 1000
    ? `${ms} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 60_000)} min`;
}

interface Row {
  depth: number;
  node: ComparisonNode;
}

/** The tree in display order, depth first. */
function flattenTree(root: ComparisonNode): Row[] {
  const rows: Row[] = [];
  const walk = (node: ComparisonNode, depth: number): void => {
    rows.push({ depth, node });
    for (const child of node.children) walk(child, depth + 1);
  };
  walk(root, 0);
  return rows;
}

function levelCounts(node: ComparisonNode): [string, string, string, string] {
  const c = node.counts;
  if (!c) return ['', '', '', ''];
  return [String(c.identical), String(c.changed), String(c.removed), String(c.added)];
}

/** The location of a difference in one short string: "image.raw › partition 2 root-x86-64 ext4". */
function formatLocation(difference: FileDifference): string {
  return difference.location.join(' › ');
}

/** One line for a difference, as in the markdown table but plain. */
export function formatDifference(difference: FileDifference): string {
  const where = formatLocation(difference);
  const hint = difference.hint ? ` (${difference.hint})` : '';
  return `${where ? `${where}: ` : ''}${difference.path}: ${difference.reason}${hint}`;
}

/** The markdown summary: verdict, the levels with their counts, metadata differences, top differences. */
export function renderMarkdown(result: ComparisonResult, options: MarkdownOptions = {}): string {
  const h = '#'.repeat(options.headingLevel ?? 2);
  const top = options.topDifferences ?? 20;
  const labels = options.labels ?? { a: result.a, b: result.b };
  const lines: string[] = [];
  lines.push(
    `${h} Reproducibility: ${result.identical ? '✅ identical' : '❌ not reproducible'}`,
    '',
    `Compared ${code(labels.a)} (A) and ${code(labels.b)} (B) in ${formatDuration(result.durationMs)}.`,
  );
  if (!result.identical) {
    const timestamps = result.timestampOnly
      ? ` (${result.timestampOnly} of them only in their modification time)`
      : '';
    lines.push(
      '',
      result.totalDifferences === 1
        ? `1 difference${timestamps}.`
        : `${result.totalDifferences} differences${timestamps}.`,
    );
  }

  lines.push(
    '',
    `${h}# Levels`,
    '',
    '| level | verdict | identical | different | only in A | only in B | detail |',
    '|---|---|--:|--:|--:|--:|---|',
  );
  for (const { depth, node } of flattenTree(result.root)) {
    const indent = depth > 0 ? `${'\u00a0\u00a0'.repeat(depth - 1)}└\u00a0` : '';
    const detail = [node.detail, node.reason].filter(Boolean).join('; ');
    lines.push(
      `| ${indent}${cell(node.name)} | ${VERDICT_TEXT[node.verdict]} | ${levelCounts(node).join(' | ')} | ${cell(detail)} |`,
    );
  }

  const metadata = flattenTree(result.root).flatMap(({ node }) =>
    (node.fields ?? []).map((f) => ({ node, field: f })),
  );
  if (metadata.length > 0) {
    lines.push(
      '',
      `${h}# Metadata differences`,
      '',
      '| where | field | A | B | known cause |',
      '|---|---|---|---|---|',
    );
    for (const { node, field } of metadata) {
      lines.push(
        `| ${cell(node.name)} | ${cell(field.field)} | ${cell(String(field.a ?? '–'))} | ${cell(String(field.b ?? '–'))} | ${cell(field.hint ?? '')} |`,
      );
    }
  }

  if (result.differences.length > 0) {
    const shown = result.differences.slice(0, top);
    lines.push(
      '',
      `${h}# Top differences`,
      '',
      '| where | file | what differs | known cause |',
      '|---|---|---|---|',
    );
    for (const d of shown) {
      lines.push(
        `| ${cell(formatLocation(d))} | ${code(d.path)} | ${cell(d.reason)} | ${cell(d.hint ?? '')} |`,
      );
    }
    const more = result.totalDifferences - shown.length;
    if (more > 0) {
      lines.push(
        '',
        `… and ${more} more${result.truncated ? ` (the JSON report keeps ${result.differences.length})` : ''}.`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export interface JsonReport {
  version: 1;
  a: string;
  b: string;
  identical: boolean;
  durationMs: number;
  totalDifferences: number;
  timestampOnly: number;
  truncated: boolean;
  tree: ComparisonNode;
  differences: Array<{
    location: string[];
    path: string;
    change: FileDifference['change'];
    fields: string[];
    reason: string;
    hint?: string;
    narrowed?: boolean;
    a?: Record<string, unknown>;
    b?: Record<string, unknown>;
  }>;
}

function entryForJson(entry: FileDifference['a']): Record<string, unknown> | undefined {
  if (!entry) return undefined;
  const out: Record<string, unknown> = { ...entry };
  if (entry.mode !== undefined) out.mode = formatMode(entry.mode);
  if (entry.mtime !== undefined) out.mtime = formatTime(entry.mtime);
  return out;
}

/** The JSON report object (modes in octal, times in ISO 8601). */
export function toJsonReport(result: ComparisonResult): JsonReport {
  return {
    version: 1,
    a: result.a,
    b: result.b,
    identical: result.identical,
    durationMs: result.durationMs,
    totalDifferences: result.totalDifferences,
    timestampOnly: result.timestampOnly,
    truncated: result.truncated,
    tree: result.root,
    differences: result.differences.map((d) => {
      const out: JsonReport['differences'][number] = {
        location: d.location,
        path: d.path,
        change: d.change,
        fields: d.fields,
        reason: d.reason,
      };
      if (d.hint) out.hint = d.hint;
      if (d.narrowed) out.narrowed = true;
      const a = entryForJson(d.a);
      const b = entryForJson(d.b);
      if (a) out.a = a;
      if (b) out.b = b;
      return out;
    }),
  };
}

export function renderJson(result: ComparisonResult): string {
  return `${JSON.stringify(toJsonReport(result), null, 2)}\n`;
}
