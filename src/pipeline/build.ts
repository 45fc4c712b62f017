import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { buildArgs, summaryArgs, type Invocation } from '../mkosi/args.js';
import { parseSummary, type ImageConfig, type MkosiConfig } from '../mkosi/config.js';
import { aptSources, isAptDistribution, mkosiMirror } from '../mkosi/mirror.js';
import { discoverArtifacts, outputDirectory, type Artifact } from '../mkosi/outputs.js';
import type { Context } from './context.js';
import { Input } from './inputs.js';
import type { Options } from './options.js';
import type { Mkosi } from './setup.js';

export interface BuildResult {
  config: MkosiConfig;
  /** The resolved `mkosi --json summary`, as a file. */
  configFile: string;
  outputDirectory: string;
  /** The main image's main output. */
  image: Artifact | undefined;
  artifacts: Artifact[];
  logFile: string;
  /** How long mkosi build took; undefined when the outputs of an earlier build were taken as they are. */
  durationMs: number | undefined;
}

/** mkosi colours its messages; the error line quoted in the annotation should not carry escapes. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

/**
 * The line of a failed mkosi run worth quoting: its last message, which is where mkosi says why,
 * without mkosi's "‣" bullet and skipping its parenthesized hints ("(rerun with --debug …)").
 */
export function lastErrorLine(output: string): string | undefined {
  return stripAnsi(output)
    .split('\n')
    .map((l) => l.replace(/^‣\s*/, '').trim())
    .filter((l) => l !== '' && !/^(\[[^\]]*\]\s*)?\(/.test(l))
    .at(-1);
}

export function baseInvocation(options: Options): Invocation {
  return {
    directory: options.directory,
    profiles: options.profiles,
    environment: options.environment,
    mirror: options.mirror && mkosiMirror(options.mirror, isAptMirror(options.mirror) ?? ''),
    toolsTree: options.toolsTree,
    sandboxTrees: [],
    toolsTreeSandboxTrees: [],
    extraArgs: options.args,
  };
}

/** The distribution an archive URL is for, judged by its last path element (/debian, /ubuntu). */
function isAptMirror(mirror: string): string | undefined {
  const last = mirror.replace(/\/+$/, '').split('/').pop() ?? '';
  return isAptDistribution(last) ? last : undefined;
}

async function resolveConfig(
  ctx: Context,
  mkosi: Mkosi,
  invocation: Invocation,
): Promise<{ text: string; config: MkosiConfig }> {
  const result = await ctx.runner.run(mkosi.command, summaryArgs(invocation), { stream: false });
  if (result.exitCode !== 0) {
    const why = lastErrorLine(result.stderr || result.stdout) ?? `exit status ${result.exitCode}`;
    throw new ConfigurationError(
      `mkosi could not read the configuration in ${invocation.directory}: ${why}`,
      {
        file: invocation.directory,
      },
    );
  }
  return { text: result.stdout, config: parseSummary(result.stdout) };
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

/**
 * Writes apt sources from the `mirror` input for the image and for the default tools tree, where they
 * are apt distributions served by that mirror and the user has not written sources of their own.
 */
export async function mirrorSandboxTrees(
  ctx: Context,
  options: Options,
  config: MkosiConfig,
): Promise<Pick<Invocation, 'sandboxTrees' | 'toolsTreeSandboxTrees'>> {
  const trees = { sandboxTrees: [] as string[], toolsTreeSandboxTrees: [] as string[] };
  const mirror = options.mirror;
  const distribution = mirror && isAptMirror(mirror);
  if (!mirror || !distribution) return trees;
  const raw = config.raw as { Images: unknown[]; Tools: unknown };
  const main = config.main;
  if (main.distribution === distribution && !(await userProvidesAptSources(raw.Images.at(-1)))) {
    trees.sandboxTrees.push(await writeAptSandboxTree(path.join(ctx.workDir, 'sandbox/image'), mirror, main));
  }
  const tools = config.tools;
  if (tools?.distribution === distribution && !(await userProvidesAptSources(raw.Tools))) {
    trees.toolsTreeSandboxTrees.push(
      await writeAptSandboxTree(path.join(ctx.workDir, 'sandbox/tools'), mirror, tools),
    );
  }
  return trees;
}

type RawSummary = { Images: { SandboxTrees?: unknown[] }[]; Tools: { SandboxTrees?: unknown[] } | null };

/** The summary as mkosi prints it with these sandbox trees added (SandboxTrees= applies to every image). */
export function withSandboxTrees(
  raw: unknown,
  trees: Pick<Invocation, 'sandboxTrees' | 'toolsTreeSandboxTrees'>,
): unknown {
  const copy = structuredClone(raw) as RawSummary;
  const entries = (dirs: readonly string[]) => dirs.map((Source) => ({ Source, Target: null }));
  for (const image of copy.Images)
    image.SandboxTrees = [...(image.SandboxTrees ?? []), ...entries(trees.sandboxTrees)];
  if (copy.Tools) {
    copy.Tools.SandboxTrees = [...(copy.Tools.SandboxTrees ?? []), ...entries(trees.toolsTreeSandboxTrees)];
  }
  return copy;
}

/** Resolves the configuration once, with the mirror's apt sources in place. */
export async function resolve(
  ctx: Context,
  options: Options,
  mkosi: Mkosi,
): Promise<{ invocation: Invocation; config: MkosiConfig; configFile: string }> {
  let invocation = baseInvocation(options);
  const resolved = await resolveConfig(ctx, mkosi, invocation);
  const trees = await mirrorSandboxTrees(ctx, options, resolved.config);
  if (trees.sandboxTrees.length + trees.toolsTreeSandboxTrees.length > 0) {
    invocation = { ...invocation, ...trees };
    // SandboxTrees= changes nothing else in the configuration: record ours in the saved summary instead
    // of asking mkosi a second time.
    resolved.text = JSON.stringify(withSandboxTrees(resolved.config.raw, trees), null, 4);
    resolved.config = { ...resolved.config, raw: JSON.parse(resolved.text) as unknown };
  }
  const configFile = path.join(ctx.workDir, 'mkosi-summary.json');
  await mkdir(ctx.workDir, { recursive: true });
  await writeFile(configFile, resolved.text);
  const main = resolved.config.main;
  ctx.log.info(
    `${main.distribution} ${main.release} ${main.architecture}, Format=${main.format}, Output=${main.output}` +
      (resolved.config.tools
        ? `, tools tree ${resolved.config.tools.distribution} ${resolved.config.tools.release}`
        : ''),
  );
  return { invocation, config: resolved.config, configFile };
}

async function collectOutputs(
  ctx: Context,
  options: Options,
  config: MkosiConfig,
): Promise<Pick<BuildResult, 'outputDirectory' | 'image' | 'artifacts'>> {
  const dir = outputDirectory(config, options.directory);
  const artifacts = await discoverArtifacts(config, options.directory);
  if (artifacts.length === 0) {
    ctx.log.warning(`No outputs of ${config.main.output} were found in ${dir}.`);
  }
  const image = artifacts.find((a) => a.image === config.main.image && a.kind === 'image');
  return { outputDirectory: dir, image, artifacts };
}

export interface Resolved {
  invocation: Invocation;
  config: MkosiConfig;
  configFile: string;
}

/** The resolved configuration with mkosi options added before the user's own (which still win). */
export function withArgs(resolved: Resolved, args: readonly string[]): Resolved {
  if (args.length === 0) return resolved;
  return {
    ...resolved,
    invocation: { ...resolved.invocation, extraArgs: [...args, ...resolved.invocation.extraArgs] },
  };
}

export function resolveInGroup(ctx: Context, options: Options, mkosi: Mkosi): Promise<Resolved> {
  return ctx.log.group('Resolve the mkosi configuration', () => resolve(ctx, options, mkosi));
}

export async function build(
  ctx: Context,
  options: Options,
  mkosi: Mkosi,
  resolved?: Resolved,
): Promise<BuildResult> {
  const { invocation, config, configFile } = resolved ?? (await resolveInGroup(ctx, options, mkosi));
  const logFile = path.join(ctx.workDir, 'logs', 'build.log');
  const started = Date.now();
  const result = await ctx.log.group('mkosi build', () =>
    ctx.runner.run(mkosi.command, buildArgs(invocation, options.force), { logFile }),
  );
  const durationMs = Date.now() - started;
  if (result.exitCode !== 0) {
    const why = lastErrorLine(result.stderr || result.stdout) ?? '';
    throw new ConfigurationError(
      `mkosi build of ${options.directory} failed with exit status ${result.exitCode}${why ? `: ${why}` : ''} (full log: ${logFile})`,
      { file: options.directory },
    );
  }
  return { config, configFile, logFile, durationMs, ...(await collectOutputs(ctx, options, config)) };
}

/** The outputs of an earlier build, found from the configuration as a build would have made them. */
export async function existingOutputs(ctx: Context, options: Options, mkosi: Mkosi): Promise<BuildResult> {
  const { config, configFile } = await resolveInGroup(ctx, options, mkosi);
  const outputs = await collectOutputs(ctx, options, config);
  if (!outputs.image) {
    throw new ConfigurationError(
      `Input ${Input.Directory}: ${config.main.output} has not been built in ${outputs.outputDirectory}; run mkosi-ci build first.`,
      { file: options.directory },
    );
  }
  return {
    config,
    configFile,
    logFile: path.join(ctx.workDir, 'logs', 'build.log'),
    durationMs: undefined,
    ...outputs,
  };
}
