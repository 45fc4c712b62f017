import { describe, expect, it } from 'vitest';
import { variedBuild, VARIATIONS } from '../../../src/repro/variations.js';

describe('the second build', () => {
  it('varies the second build: environment, mkosi options, and a wrapper for umask and hostname', () => {
    const all = variedBuild(VARIATIONS, { root: true });
    expect(all.env).toEqual({
      TZ: 'Pacific/Kiritimati',
      LANG: 'fr_CH.UTF-8',
      LC_ALL: 'fr_CH.UTF-8',
      HOSTNAME: 'mkosi-ci-repro-b',
    });
    expect(all.mkosiArgs).toEqual(['--environment=TZ=Pacific/Kiritimati']);
    expect(all.wrapper).toEqual([
      'unshare',
      '--uts',
      'sh',
      '-c',
      'umask 0002; hostname mkosi-ci-repro-b; exec "$@"',
      'sh',
    ]);
    expect(all.applied).toHaveLength(6);
    expect(all.skipped).toEqual([]);

    const user = variedBuild(['hostname', 'umask'], { root: false });
    expect(user.wrapper).toEqual(['sh', '-c', 'umask 0002; exec "$@"', 'sh']);
    expect(user.skipped).toEqual(['hostname: needs root for a UTS namespace of its own']);

    expect(variedBuild([], { root: true })).toEqual({
      env: {},
      mkosiArgs: [],
      wrapper: [],
      applied: [],
      skipped: [],
    });
  });
});
