import { describe, expect, it } from 'vitest';
import { compareVersions, isSupportedVersion, parseVersionOutput } from '../../../src/mkosi/version.js';
import {
  archiveRef,
  checkReleaseSource,
  expectedSha256,
  releaseUrl,
  toolCacheVersion,
} from '../../../src/mkosi/release.js';
import { isExplicitVersion } from '@actions/tool-cache';
import { ConfigurationError } from '../../../src/errors.js';

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

  it('keeps tarballs in the tool cache under the exact ref and checksum, as valid semver', () => {
    const sha = 'ab'.repeat(32);
    const other = 'cd'.repeat(32);
    expect(toolCacheVersion('v27.1', sha)).toBe(`27.1.0-sha256-${sha}`);
    expect(toolCacheVersion('27.1', sha)).toBe(toolCacheVersion('v27.1', sha));
    expect(toolCacheVersion('v27~rc1', sha)).toBe(`27.0.0-trc1.sha256-${sha}`);
    expect(toolCacheVersion('v27~rc1', sha)).not.toBe(toolCacheVersion('v27', sha));
    expect(toolCacheVersion('v27.1', other)).not.toBe(toolCacheVersion('v27.1', sha));
    expect(toolCacheVersion('v27.1.2.3', sha)).not.toBe(toolCacheVersion('v27.1.2', sha));
    expect(toolCacheVersion(commit, sha)).toBe(`0.0.0-g${commit}.sha256-${sha}`);
    for (const version of ['v27.1', 'v27~rc1', 'v27.1.2.3', 'v028', commit, '0' + '1'.repeat(39)]) {
      const name = toolCacheVersion(version, '0'.repeat(64));
      // @actions/tool-cache looks an entry up exactly only by an explicit (semver) version.
      expect(isExplicitVersion(name), name).toBe(true);
    }
  });
});

describe('checkReleaseSource', () => {
  const commit = '0123456789abcdef0123456789abcdef01234567';
  const url = 'https://github.com/systemd/mkosi/archive/{ref}.tar.gz';
  const sha = 'f'.repeat(64);

  it('takes HTTPS for a commit or a pinned tag, and plain HTTP only with a checksum', () => {
    expect(() => checkReleaseSource(url, commit, undefined)).not.toThrow();
    expect(() => checkReleaseSource(url, 'v27.1', undefined)).not.toThrow();
    expect(() => checkReleaseSource(url, 'v26', sha)).not.toThrow();
    expect(() => checkReleaseSource('http://mirror/{ref}.tar.gz', 'v26', sha)).not.toThrow();
    // The shipped checksum of v27.1 pins it too.
    expect(() => checkReleaseSource('http://mirror/{ref}.tar.gz', 'v27.1', undefined)).not.toThrow();
  });

  it.each([
    [
      'http://mirror/{ref}.tar.gz',
      commit,
      undefined,
      /Input mkosi-release-url: .* is plain HTTP.*mkosi-sha256/,
    ],
    ['HTTP://mirror/{ref}.tar.gz', commit, undefined, /is plain HTTP/],
    [
      'file:///srv/{ref}.tar.gz',
      commit,
      sha,
      /Input mkosi-release-url: 'file:.*' is not valid; expected an https/,
    ],
    ['ftp://mirror/{ref}.tar.gz', 'v26', sha, /is not valid; expected an https/],
    [
      url,
      'v26',
      undefined,
      /Input mkosi-sha256: mkosi-version v26 is a tag.*sha256 of https:\/\/github\.com\/systemd\/mkosi\/archive\/refs\/tags\/v26\.tar\.gz/,
    ],
    [url, 'v27~rc1', undefined, /mkosi-version v27~rc1 is a tag/],
  ])('refuses %s for %s (sha256 %s)', (template, version, sha256, message) => {
    expect(() => checkReleaseSource(template, version, sha256)).toThrow(ConfigurationError);
    expect(() => checkReleaseSource(template, version, sha256)).toThrow(message);
  });
});
