import type { CacheRecord } from '../cache/caches.js';
import { cell, formatBytes, formatDuration } from './format.js';

function saveCell(record: CacheRecord): string {
  const save = record.save;
  if (!save) return 'not run';
  const time = save.ms !== undefined ? ` in ${formatDuration(save.ms)}` : '';
  return `${save.outcome}${time}${save.reason ? ` (${save.reason})` : ''}`;
}

function hitCell(record: CacheRecord): string {
  return record.hit === 'partial' && record.matchedKey ? `partial: \`${record.matchedKey}\`` : record.hit;
}

/** The caches of a run as a markdown table: key, hit kind, size, restore and save. */
export function cacheMarkdown(records: readonly CacheRecord[], skipped?: string): string[] {
  if (records.length === 0) return skipped ? ['### Caches', '', `Not stored: ${cell(skipped)}.`, ''] : [];
  return [
    '### Caches',
    '',
    '| Cache | Key | Hit | Size | Restore | Save |',
    '| --- | --- | --- | ---: | ---: | --- |',
    ...records.map(
      (r) =>
        `| ${r.name} | \`${cell(r.key)}\` | ${cell(hitCell(r))} | ${formatBytes(r.save?.sizeBytes ?? r.sizeBytes)} | ${formatDuration(r.restoreMs)} | ${cell(saveCell(r))} |`,
    ),
    '',
  ];
}

/** The same as plain text, for the CLI. */
export function cacheText(records: readonly CacheRecord[], skipped?: string): string[] {
  if (records.length === 0) return skipped ? [`caches: not stored: ${skipped}`] : [];
  return [
    'caches:',
    ...records.map(
      (r) =>
        `  ${r.name.padEnd(12)} ${r.hit.padEnd(8)} ${formatBytes(r.save?.sizeBytes ?? r.sizeBytes).padStart(10)}  restore ${formatDuration(r.restoreMs)}, save ${saveCell(r)}  ${r.key}`,
    ),
  ];
}
