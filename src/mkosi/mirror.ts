/**
 * The `mirror` input, turned into what mkosi needs. mkosi's Mirror= for Debian and Ubuntu is the host
 * part only (it appends /debian itself) and its generated apt sources still point at the upstream
 * debug and security archives, which most mirrors do not carry. So for those distributions mkosi-ci
 * also writes the apt sources itself, into a sandbox tree as etc/apt/sources.list.d/mkosi.sources,
 * which mkosi then uses instead of generating its own.
 */

export interface AptArchive {
  /** The archive URL as given: http://host/debian. */
  archive: string;
  /** The same URL without the distribution's path: what mkosi's Mirror= wants. */
  base: string;
  /** Where the security updates are: http://host/debian-security for Debian, the archive for Ubuntu. */
  security: string;
}

const APT_DISTRIBUTIONS: Readonly<Record<string, { path: string; keyring: string }>> = {
  debian: { path: 'debian', keyring: '/usr/share/keyrings/debian-archive-keyring.gpg' },
  ubuntu: { path: 'ubuntu', keyring: '/usr/share/keyrings/ubuntu-archive-keyring.gpg' },
};

export function isAptDistribution(distribution: string): boolean {
  return distribution in APT_DISTRIBUTIONS;
}

/** Splits a mirror URL for an apt distribution; a URL without /debian (or /ubuntu) is taken as the base. */
export function aptArchive(mirror: string, distribution: string): AptArchive {
  const known = APT_DISTRIBUTIONS[distribution];
  const url = mirror.replace(/\/+$/, '');
  if (!known) return { archive: url, base: url, security: url };
  const suffix = `/${known.path}`;
  const base = url.endsWith(suffix) ? url.slice(0, -suffix.length) : url;
  const archive = `${base}${suffix}`;
  return { archive, base, security: distribution === 'debian' ? `${base}/debian-security` : archive };
}

/** The value for mkosi's Mirror= setting. */
export function mkosiMirror(mirror: string, distribution: string): string {
  return aptArchive(mirror, distribution).base;
}

/** Suites of a release that a mirror serves: the release, its updates and its security updates. */
export function aptSuites(distribution: string, release: string): { main: string[]; security: string[] } {
  if (distribution === 'debian' && (release === 'unstable' || release === 'sid')) {
    return { main: [release], security: [] };
  }
  if (distribution === 'ubuntu') {
    return { main: [release, `${release}-updates`], security: [`${release}-security`] };
  }
  return { main: [release, `${release}-updates`], security: [`${release}-security`] };
}

/** deb822 apt sources for one release from a mirror, as mkosi would write them minus the debug archive. */
export function aptSources(
  mirror: string,
  distribution: string,
  release: string,
  repositories: readonly string[],
): string {
  const known = APT_DISTRIBUTIONS[distribution];
  if (!known) throw new Error(`aptSources: ${distribution} is not an apt distribution`);
  const { archive, security } = aptArchive(mirror, distribution);
  const suites = aptSuites(distribution, release);
  const components = ['main', ...repositories.filter((r) => r !== 'main')].join(' ');
  const stanza = (url: string, list: string[]): string =>
    `Types: deb\nURIs: ${url}\nSuites: ${list.join(' ')}\nComponents: ${components}\nSigned-By: ${known.keyring}\n`;
  const stanzas = [stanza(archive, suites.main)];
  if (distribution === 'debian' && suites.security.length > 0) {
    stanzas.push(stanza(security, suites.security));
  } else if (suites.security.length > 0) {
    stanzas[0] = stanza(archive, [...suites.main, ...suites.security]);
  }
  return stanzas.join('\n');
}
