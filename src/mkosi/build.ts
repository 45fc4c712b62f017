import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import type { Log, Runner } from '../ports.js';
import { buildArgs } from './args.js';
import { collectOutputs, type BuildResult } from './build-result.js';
import type { Mkosi } from './install.js';
import { lastErrorLine } from './messages.js';
import type { Resolved } from './resolve.js';

type Ports = { runner: Runner; log: Log; workDir: string };

/** Runs `mkosi build` on a resolved configuration; a failed build is the user's to fix, with its log. */
export async function runBuild(
  ctx: Ports,
  options: { directory: string; force: number },
  mkosi: Mkosi,
  resolved: Resolved,
): Promise<BuildResult> {
  const { invocation, config, configFile } = resolved;
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
  return {
    config,
    configFile,
    logFile,
    durationMs,
    ...(await collectOutputs(ctx.log, options.directory, config)),
  };
}

/** The outputs of an earlier build, found from the configuration as a build would have made them. */
export async function existingOutputs(
  ctx: Ports,
  directory: string,
  resolved: Resolved,
): Promise<BuildResult> {
  const { config, configFile } = resolved;
  const outputs = await collectOutputs(ctx.log, directory, config);
  if (!outputs.image) {
    throw new ConfigurationError(
      `Input ${Input.Directory}: ${config.main.output} has not been built in ${outputs.outputDirectory}; run mkosi-ci build first.`,
      { file: directory },
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
