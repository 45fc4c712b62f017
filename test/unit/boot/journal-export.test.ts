import { describe, expect, it } from 'vitest';
import { parseReport } from '../../../src/boot/serial-report.js';
import { journalExportReading } from '../../../src/report/boot-summary.js';
import { runCheckScript, TEST_NONCE } from '../../support/fake-guest.js';

/** What `journalctl -o export` prints for a field that is not text: its name, a 64-bit length, the bytes. */
const BINARY_ENTRY = Buffer.concat([
  Buffer.from('__CURSOR=s=1\nMESSAGE\n'),
  Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]),
  Buffer.from('a\nb\0c\n\n'),
]);

describe('the journal in export format', { timeout: 40_000 }, () => {
  it('comes with the text journal, byte for byte, NUL bytes and newlines included', () => {
    // The fake journalctl prints the scenario's journal for every format: here, one binary entry.
    const scenario = { state: 'maintenance', journal: [BINARY_ENTRY.toString('latin1')] };
    const run = runCheckScript({ journal: 'on-failure' }, scenario);
    expect(run.calls).toContain('journalctl --boot --no-pager -o export');
    const result = parseReport(run.report, TEST_NONCE);
    if (!result.found) throw new Error('no report');
    expect(result.report.errors).toEqual([]);
    // The report line is one base64 line: its bytes are the export's.
    expect(Buffer.from(result.report.journalExport, 'base64')).toEqual(
      Buffer.concat([BINARY_ENTRY, Buffer.from('\n')]),
    );
  });

  it('follows the journal policy, and a failure to export is an error of the check', () => {
    const passed = runCheckScript({ journal: 'on-failure' });
    expect(passed.calls).not.toContain('journalctl --boot --no-pager -o export');
    const result = parseReport(passed.report, TEST_NONCE);
    expect(result.found && result.report.journalExport).toBe('');
    const always = parseReport(runCheckScript({ journal: 'always' }).report, TEST_NONCE);
    expect(always.found && Buffer.from(always.report.journalExport, 'base64').toString()).toBe(
      '[    1.000] kernel: Linux version\n',
    );
  });

  it('is read with systemd-journal-remote and journalctl --file', () => {
    expect(journalExportReading('logs/boot/journal.export')).toBe(
      '/usr/lib/systemd/systemd-journal-remote --output=boot.journal logs/boot/journal.export && journalctl --file=boot.journal',
    );
  });
});
