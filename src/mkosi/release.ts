import { ConfigurationError } from '../errors.js';
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

/**
 * The name under which a verified tarball is kept in the tool cache: the exact ref and the checksum
 * (v27~rc1 and v27 are different entries, and so are two tarballs of one tag). Tool caches want
 * semver versions: 27.1.0-sha256-<hex>, 27.0.0-rc1.sha256-<hex>, 0.0.0-g<commit>.sha256-<hex>.
 */
export function toolCacheVersion(version: string, sha256: string): string {
  if (isCommit(version)) return `0.0.0-g${version}.sha256-${sha256}`;
  const [main = '', tilde] = normalizeVersion(version).split('~');
  const parts = main.split('.');
  while (parts.length < 3) parts.push('0');
  // Dotted versions beyond three numbers keep the rest as a pre-release identifier, so none is lost.
  const extra = parts.length > 3 ? [`n${parts.slice(3).join('-')}`] : [];
  const pre = [...extra, ...(tilde ? [`t${tilde}`] : []), `sha256-${sha256}`];
  return `${parts.slice(0, 3).map(Number).join('.')}-${pre.join('.')}`;
}

/**
 * Refuses a release source that cannot be verified: mkosi-ci runs what it downloads (as root in CI),
 * so plain HTTP needs a checksum to check it against, and a tag (which can be moved to other content)
 * needs one too; a full commit hash over HTTPS is taken as naming its content. Pure: the input parser
 * calls it, and the download checks again.
 */
export function checkReleaseSource(url: string, version: string, sha256: string | undefined): void {
  const pinned = expectedSha256(version, sha256) !== undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'https' && !(scheme === 'http' && pinned)) {
    throw new ConfigurationError(
      scheme === 'http'
        ? `Input mkosi-release-url: ${url} is plain HTTP, which anyone on the way can change; use https:// or give the tarball's sha256 in mkosi-sha256.`
        : `Input mkosi-release-url: '${url}' is not valid; expected an https:// URL containing {ref} (or http:// with mkosi-sha256).`,
    );
  }
  if (!pinned && !isCommit(version)) {
    throw new ConfigurationError(
      `Input mkosi-sha256: mkosi-version ${version} is a tag, which can be moved to other content, and mkosi-ci knows no checksum for it; give the sha256 of ${releaseUrl(url, version)} in mkosi-sha256, or use a full commit hash as mkosi-version.`,
    );
  }
}
