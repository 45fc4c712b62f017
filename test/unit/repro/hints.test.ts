import { describe, expect, it } from 'vitest';
import { hintForModes, hintForPath } from '../../../src/repro/hints.js';

describe('hintForPath', () => {
  it('knows the usual sources of build-to-build differences', () => {
    expect(hintForPath('/var/cache/ldconfig/aux-cache')).toContain('RemoveFiles=');
    expect(hintForPath('/loader/random-seed')).toContain('random');
    expect(hintForPath('/usr/bin/true', ['mtime'])).toContain('SourceDateEpoch=');
    expect(hintForPath('/usr/bin/true', ['sha256'])).toBeUndefined();
  });
});

describe('hintForModes', () => {
  it('recognizes a mode that only follows the umask', () => {
    expect(hintForModes(0o644, 0o664)).toMatch(/umask/);
    expect(hintForModes(0o755, 0o777)).toMatch(/umask/);
    expect(hintForModes(0o600, 0o620)).toMatch(/umask/);
    expect(hintForModes(0o644, 0o755)).toBeUndefined();
    expect(hintForModes(0o644, 0o644)).toBeUndefined();
    expect(hintForModes(undefined, 0o644)).toBeUndefined();
  });
});
