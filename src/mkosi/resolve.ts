import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Log, Runner } from '../ports.js';
import { baseInvocation, type Invocation } from './args.js';
import type { MkosiConfig } from './config.js';
import type { Mkosi } from './install.js';
import { mirrorSandboxTrees, withSandboxTrees } from './mirror.js';
import type { MkosiOptions } from './options.js';
import { readSummary } from './summary.js';

/** The configuration mkosi resolved, the invocation that resolves it, and where it was saved. */
export interface Resolved {
  invocation: Invocation;
  config: MkosiConfig;
  configFile: string;
}

/** Resolves the configuration once, with the mirror's apt sources in place, and saves it in `workDir`. */
export async function resolveConfig(
  ctx: { runner: Runner; log: Log; workDir: string },
  options: MkosiOptions,
  mkosi: Mkosi,
): Promise<Resolved> {
  let invocation = baseInvocation(options);
  const resolved = await readSummary(ctx.runner, mkosi.command, invocation);
  const trees = await mirrorSandboxTrees(ctx.workDir, options.mirror, resolved.config);
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
