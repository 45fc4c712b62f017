import { normalizeVersion } from './version.js';

/**
 * sha256 of the release tarballs mkosi-ci knows, as downloaded from the default release URL.
 * Only versions listed here are verified without an explicit `mkosi-sha256`.
 */
export const RELEASE_SHA256: Readonly<Record<string, string>> = {
  // The GitHub tag archive as Debian's orig tarball of 27.1 records it (mkosi_27.1.orig.tar.gz, 473148
  // bytes, in sid's Sources index): Debian takes it unchanged from the tag.
  'v27.1': '33520d662e151d6c43e910c3840ac971fd6023e4488d9c10599e199a07f77d8b',
};

/** A full commit hash names its content already; a tag must be pinned by checksum. */
export function isCommit(ref: string): boolean {
  return /^[0-9a-f]{40}$/.test(ref);
}

/** The git ref a version stands for in an archive URL: refs/tags/v27.1 or the commit itself. */
export function archiveRef(version: string): string {
  return isCommit(version) ? version : `refs/tags/v${normalizeVersion(version)}`;
}

export function releaseUrl(template: string, version: string): string {
  return template.replaceAll('{ref}', archiveRef(version));
}

/** The checksum a tarball must have: the user's, else the shipped one, else none (commits only). */
export function expectedSha256(version: string, userSha256: string | undefined): string | undefined {
  return userSha256 ?? RELEASE_SHA256[`v${normalizeVersion(version)}`];
}

/** The name under which a version is kept in the tool cache (tool caches want semver-like versions). */
export function toolCacheVersion(version: string): string {
  if (isCommit(version)) {
    return `0.0.0-${version.slice(0, 12)}`;
  }
  const parts = normalizeVersion(version).split('~')[0]!.split('.');
  while (parts.length < 3) parts.push('0');
  return parts.join('.');
}
