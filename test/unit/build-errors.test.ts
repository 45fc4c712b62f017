import { describe, expect, it } from 'vitest';
import { lastErrorLine, stripAnsi } from '../../src/mkosi/messages.js';

describe('quoting a failed mkosi run', () => {
  it("takes mkosi's last message, without colours, bullets or hints", () => {
    const output = [
      '‣ [main]  Running postinstall script /p/mkosi.postinst…',
      'planted failure',
      '\x1b[31;1m‣ [main] "/work/postinst final" returned non-zero exit code 1.\x1b[0m',
      '‣ [main] (sandbox command omitted, rerun with --debug to see the full sandbox command.)',
      '',
    ].join('\n');
    expect(lastErrorLine(output + '(another hint)\n')).toBe(
      '[main] "/work/postinst final" returned non-zero exit code 1.',
    );
  });

  it('handles empty output', () => {
    expect(lastErrorLine('')).toBeUndefined();
    expect(stripAnsi('\x1b[1mbold\x1b[0m')).toBe('bold');
  });
});
