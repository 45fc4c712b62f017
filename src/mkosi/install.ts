import { access, constants, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { DEFAULT_MKOSI_RELEASE_URL, Input } from '../inputs.js';
import type { Log, Runner, ToolCache } from '../ports.js';
import type { MkosiOptions } from './options.js';
import { sha256File } from './outputs.js';
import { expectedSha256, isCommit, releaseUrl, toolCacheVersion } from './release.js';
import { MINIMUM_MKOSI_VERSION, compareVersions, isSupportedVersion, parseVersionOutput } from './version.js';

/** What installing mkosi uses of the world. */
export interface InstallPorts {
  runner: Runner;
  log: Log;
  toolCache: ToolCache;
  /** Running as root: apt needs no sudo. */
  root: boolean;
}

type InstallOptions = Pick<MkosiOptions, 'mkosiVersion' | 'mkosiSource' | 'mkosiReleaseUrl' | 'mkosiSha256'>;

/** How to run mkosi once it is installed. */
export interface Mkosi {
  /** The mkosi program (a script of a release or checkout, or the one on PATH). */
  command: string;
  version: string;
  /** Where it came from, for the summary: "release v27.1 (tool cache)", "system /usr/bin/mkosi". */
  origin: string;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const TOOL_NAME = 'mkosi';

/** From GitHub the version is what can be wrong; from a mirror given in mkosi-release-url, the mirror too. */
function downloadError(options: InstallOptions, url: string, error: unknown): ConfigurationError {
  const reason = (error as Error).message;
  const version = options.mkosiVersion;
  const message =
    options.mkosiReleaseUrl === DEFAULT_MKOSI_RELEASE_URL
      ? `Input ${Input.MkosiVersion}: could not download ${url} (${reason}); check that ${version} is an mkosi release tag or commit.`
      : `Input ${Input.MkosiReleaseUrl}: could not download ${url} (${reason}); check that ${options.mkosiReleaseUrl} serves mkosi's source tarballs ({ref} becomes refs/tags/<tag> or the commit) and has ${version}.`;
  return new ConfigurationError(message, { cause: error });
}

/** Downloads the release tarball once per tool cache, verifies it, and returns its bin/mkosi. */
async function installRelease(
  ctx: InstallPorts,
  options: InstallOptions,
): Promise<{ command: string; origin: string }> {
  const version = options.mkosiVersion;
  const cacheVersion = toolCacheVersion(version);
  const cached = await ctx.toolCache.find(TOOL_NAME, cacheVersion);
  if (cached) {
    return { command: path.join(cached, 'bin', 'mkosi'), origin: `release ${version} (tool cache)` };
  }
  const url = releaseUrl(options.mkosiReleaseUrl, version);
  ctx.log.info(`Downloading mkosi ${version} from ${url}`);
  let tarball: string;
  try {
    tarball = await ctx.toolCache.download(url);
  } catch (error) {
    throw downloadError(options, url, error);
  }
  const expected = expectedSha256(version, options.mkosiSha256);
  const actual = await sha256File(tarball);
  if (expected && actual !== expected) {
    throw new ConfigurationError(
      `Input ${options.mkosiSha256 ? Input.MkosiSha256 : Input.MkosiVersion}: the tarball from ${url} has sha256 ${actual}, expected ${expected}; refusing to run it.`,
    );
  }
  if (!expected && !isCommit(version)) {
    ctx.log.warning(
      `mkosi ${version}: no checksum is known for this tag (sha256 ${actual}); set ${Input.MkosiSha256} to pin it.`,
    );
  }
  const extracted = await ctx.toolCache.extractTar(tarball);
  // GitHub's archives hold one top-level directory, mkosi-<version>/.
  const [top, ...rest] = (await readdir(extracted, { withFileTypes: true })).filter((e) => e.isDirectory());
  const root = top && rest.length === 0 ? path.join(extracted, top.name) : extracted;
  if (!(await isExecutable(path.join(root, 'bin', 'mkosi')))) {
    throw new ConfigurationError(
      `Input ${Input.MkosiReleaseUrl}: ${url} is not an mkosi source tarball (no bin/mkosi).`,
    );
  }
  const dir = await ctx.toolCache.cacheDir(root, TOOL_NAME, cacheVersion);
  return { command: path.join(dir, 'bin', 'mkosi'), origin: `release ${version}` };
}

async function installApt(ctx: InstallPorts): Promise<{ command: string; origin: string }> {
  const sudo = ctx.root ? [] : ['sudo', '-n'];
  await ctx.log.group('Install mkosi from the distribution', async () => {
    for (const args of [
      ['apt-get', 'update', '-q'],
      ['apt-get', 'install', '-q', '-y', '--no-install-recommends', 'mkosi'],
    ]) {
      const [command, ...rest] = [...sudo, ...args];
      const result = await ctx.runner.run(command!, rest);
      if (result.exitCode !== 0) {
        throw new ConfigurationError(
          `Input ${Input.MkosiSource}: apt: '${args.join(' ')}' failed with exit status ${result.exitCode}; use mkosi-source: release where the distribution has no mkosi package.`,
        );
      }
    }
  });
  const command = await ctx.runner.which('mkosi');
  if (!command)
    throw new ConfigurationError(`Input ${Input.MkosiSource}: apt installed mkosi but it is not on PATH.`);
  return { command, origin: 'apt' };
}

/** Where mkosi was found, and its version when finding it already asked. */
interface Located {
  command: string;
  origin: string;
  version?: string;
}

/** The mkosi on PATH, when it is exactly the pinned version (so auto never loosens the pin). */
async function pinnedOnPath(ctx: InstallPorts, options: InstallOptions): Promise<Located | undefined> {
  const command = await ctx.runner.which('mkosi');
  if (!command || isCommit(options.mkosiVersion)) return undefined;
  const result = await ctx.runner.run(command, ['--version'], { stream: false }).catch(() => undefined);
  const version = result?.exitCode === 0 ? parseVersionOutput(result.stdout) : undefined;
  if (version && compareVersions(version, options.mkosiVersion) === 0) {
    return { command, origin: `system ${command}`, version };
  }
  ctx.log.info(
    `mkosi on PATH is ${version ?? 'unknown'}, not ${options.mkosiVersion}: installing the release.`,
  );
  return undefined;
}

async function locate(ctx: InstallPorts, options: InstallOptions): Promise<Located> {
  const source = options.mkosiSource;
  switch (source.kind) {
    case 'auto':
      return (await pinnedOnPath(ctx, options)) ?? installRelease(ctx, options);
    case 'release':
      return installRelease(ctx, options);
    case 'apt':
      return installApt(ctx);
    case 'system': {
      const command = await ctx.runner.which('mkosi');
      if (!command) {
        throw new ConfigurationError(
          `Input ${Input.MkosiSource}: system: there is no mkosi on PATH; install it first or use release, apt or a path to a checkout.`,
        );
      }
      return { command, origin: `system ${command}` };
    }
    case 'checkout': {
      const command = path.join(source.path, 'bin', 'mkosi');
      if (!(await isExecutable(command))) {
        throw new ConfigurationError(
          `Input ${Input.MkosiSource}: ${source.path} is not an mkosi checkout (no executable bin/mkosi).`,
          { file: source.path },
        );
      }
      return { command, origin: `checkout ${source.path}` };
    }
  }
}

/** Finds out which mkosi a command is and refuses one that is too old. */
export async function probeMkosi(
  ctx: { runner: Runner },
  { command, origin, version: known }: Located,
): Promise<Mkosi> {
  const result = known ? undefined : await ctx.runner.run(command, ['--version'], { stream: false });
  const version = known ?? (result?.exitCode === 0 ? parseVersionOutput(result.stdout) : undefined);
  if (!version) {
    throw new ConfigurationError(
      `Input ${Input.MkosiSource}: '${command} --version' failed (exit status ${result?.exitCode}): ${(result?.stderr || result?.stdout || '').trim().split('\n').pop() ?? ''}`,
    );
  }
  if (!isSupportedVersion(version)) {
    throw new ConfigurationError(
      `Input ${Input.MkosiSource}: mkosi ${version} (${origin}) is older than ${MINIMUM_MKOSI_VERSION}, the oldest mkosi-ci supports; use mkosi-source: release with mkosi-version v${MINIMUM_MKOSI_VERSION} or newer.`,
    );
  }
  return { command, version, origin };
}

/** Finds or installs the mkosi the options ask for and checks that mkosi-ci can drive it. */
export async function installMkosi(ctx: InstallPorts, options: InstallOptions): Promise<Mkosi> {
  const mkosi = await probeMkosi(ctx, await locate(ctx, options));
  ctx.log.info(`mkosi ${mkosi.version} (${mkosi.origin})`);
  return mkosi;
}
