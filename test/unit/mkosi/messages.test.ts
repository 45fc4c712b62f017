import { describe, expect, it } from 'vitest';
import { lastErrorLine, stripAnsi } from '../../../src/mkosi/messages.js';
import { unknownUserOptions } from '../../../src/mkosi/summary.js';

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

describe('options mkosi does not know', () => {
  it('names the args input when every refused option is the user’s own', () => {
    const why = 'mkosi: error: unrecognized arguments: --no-such-option=1 --other';
    expect(unknownUserOptions(why, ['--image-version=1', '--no-such-option=1', '--other'])).toBe(
      '--no-such-option=1 --other',
    );
  });

  it('leaves mkosi’s own message when an option mkosi-ci added is refused, or another error', () => {
    expect(unknownUserOptions('mkosi: error: unrecognized arguments: --sandbox-tree=/x', ['--foo'])).toBe(
      undefined,
    );
    expect(unknownUserOptions("'bogus' is not a valid OutputFormat", ['--foo'])).toBe(undefined);
  });
});
