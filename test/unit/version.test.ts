import { describe, expect, it } from 'vitest';
import { compareVersions, isSupportedVersion, parseVersionOutput } from '../../src/mkosi/version.js';
import { archiveRef, expectedSha256, releaseUrl, toolCacheVersion } from '../../src/mkosi/release.js';

describe('mkosi versions', () => {
  it('reads what mkosi --version prints', () => {
    expect(parseVersionOutput('mkosi 27.1\n')).toBe('27.1');
    expect(parseVersionOutput('mkosi 28~devel')).toBe('28~devel');
    expect(parseVersionOutput('Python 3.11')).toBeUndefined();
  });

  it('compares numerically, with ~ before the release', () => {
    expect(compareVersions('27.1', 'v27.1')).toBe(0);
    expect(compareVersions('26', '25.3')).toBe(1);
    expect(compareVersions('9', '10')).toBe(-1);
    expect(compareVersions('27~devel', '27')).toBe(-1);
    expect(isSupportedVersion('25.3')).toBe(false);
    expect(isSupportedVersion('26')).toBe(true);
    expect(isSupportedVersion('27~devel')).toBe(true);
  });
});

describe('release tarballs', () => {
  const commit = '0123456789abcdef0123456789abcdef01234567';
  it('names tags and commits as GitHub archive refs', () => {
    expect(archiveRef('v27.1')).toBe('refs/tags/v27.1');
    expect(archiveRef('27.1')).toBe('refs/tags/v27.1');
    expect(archiveRef(commit)).toBe(commit);
    expect(releaseUrl('http://h/{ref}.tar.gz', 'v26')).toBe('http://h/refs/tags/v26.tar.gz');
  });

  it('knows the checksum of the pinned default and prefers the user one', () => {
    expect(expectedSha256('v27.1', undefined)).toMatch(/^[0-9a-f]{64}$/);
    expect(expectedSha256('v27.1', 'f'.repeat(64))).toBe('f'.repeat(64));
    expect(expectedSha256('v26', undefined)).toBeUndefined();
  });

  it('keeps versions in the tool cache under semver-like names', () => {
    expect(toolCacheVersion('v27.1')).toBe('27.1.0');
    expect(toolCacheVersion('v26')).toBe('26.0.0');
    expect(toolCacheVersion(commit)).toBe('0.0.0-0123456789ab');
  });
});
