import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Invocation } from './args.js';
import type { ImageConfig, MkosiConfig } from './config.js';

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

/** The distribution an archive URL is for, judged by its last path element (/debian, /ubuntu). */
export function mirrorDistribution(mirror: string): string | undefined {
  const last = mirror.replace(/\/+$/, '').split('/').pop() ?? '';
  return isAptDistribution(last) ? last : undefined;
}

/** Mirror= for mkosi from the `mirror` input: for Debian and Ubuntu without the distribution's path. */
export function mkosiMirrorSetting(mirror: string): string {
  return mkosiMirror(mirror, mirrorDistribution(mirror) ?? '');
}

async function hasAptSources(tree: unknown): Promise<boolean> {
  const source = (tree as { Source?: unknown } | null)?.Source;
  if (typeof source !== 'string') return false;
  return access(path.join(source, 'etc/apt/sources.list.d/mkosi.sources')).then(
    () => true,
    () => false,
  );
}

/** Whether the user already gives apt its sources through a sandbox tree of their own. */
async function userProvidesAptSources(rawImage: unknown): Promise<boolean> {
  const trees = (rawImage as { SandboxTrees?: unknown } | null)?.SandboxTrees;
  if (!Array.isArray(trees)) return false;
  for (const tree of trees) if (await hasAptSources(tree)) return true;
  return false;
}

/** Translations are never used in a build and cost megabytes per metadata sync. */
const APT_CONF = 'Acquire::Languages "none";\n';

async function writeAptSandboxTree(dir: string, mirror: string, image: ImageConfig): Promise<string> {
  const sources = path.join(dir, 'etc/apt/sources.list.d/mkosi.sources');
  const conf = path.join(dir, 'etc/apt/apt.conf.d/50mkosi-ci.conf');
  await mkdir(path.dirname(sources), { recursive: true });
  await mkdir(path.dirname(conf), { recursive: true });
  await writeFile(sources, aptSources(mirror, image.distribution, image.release, image.repositories));
  await writeFile(conf, APT_CONF);
  return dir;
}

export type SandboxTrees = Pick<Invocation, 'sandboxTrees' | 'toolsTreeSandboxTrees'>;

/**
 * Writes apt sources from the `mirror` input (under `workDir`) for the image and for the default tools
 * tree, where they are apt distributions served by that mirror and the user has not written sources of
 * their own.
 */
export async function mirrorSandboxTrees(
  workDir: string,
  mirror: string | undefined,
  config: MkosiConfig,
): Promise<SandboxTrees> {
  const trees = { sandboxTrees: [] as string[], toolsTreeSandboxTrees: [] as string[] };
  const distribution = mirror && mirrorDistribution(mirror);
  if (!mirror || !distribution) return trees;
  const raw = config.raw as { Images: unknown[]; Tools: unknown };
  const main = config.main;
  if (main.distribution === distribution && !(await userProvidesAptSources(raw.Images.at(-1)))) {
    trees.sandboxTrees.push(await writeAptSandboxTree(path.join(workDir, 'sandbox/image'), mirror, main));
  }
  const tools = config.tools;
  if (tools?.distribution === distribution && !(await userProvidesAptSources(raw.Tools))) {
    trees.toolsTreeSandboxTrees.push(
      await writeAptSandboxTree(path.join(workDir, 'sandbox/tools'), mirror, tools),
    );
  }
  return trees;
}

type RawSummary = { Images: { SandboxTrees?: unknown[] }[]; Tools: { SandboxTrees?: unknown[] } | null };

/** The summary as mkosi prints it with these sandbox trees added (SandboxTrees= applies to every image). */
export function withSandboxTrees(raw: unknown, trees: SandboxTrees): unknown {
  const copy = structuredClone(raw) as RawSummary;
  const entries = (dirs: readonly string[]) => dirs.map((Source) => ({ Source, Target: null }));
  for (const image of copy.Images)
    image.SandboxTrees = [...(image.SandboxTrees ?? []), ...entries(trees.sandboxTrees)];
  if (copy.Tools) {
    copy.Tools.SandboxTrees = [...(copy.Tools.SandboxTrees ?? []), ...entries(trees.toolsTreeSandboxTrees)];
  }
  return copy;
}
