import { restoreCaches, type CachesResult } from '../cache/caches.js';
import type { Context } from '../context.js';
import { errorMessage } from '../errors.js';
import { withExtraArgs } from '../mkosi/args.js';
import { existingOutputs, runBuild } from '../mkosi/build.js';
import type { MkosiConfig } from '../mkosi/config.js';
import { resolveConfig } from '../mkosi/resolve.js';
import type { Options } from './options.js';
import type { Stage } from './stage.js';

/** The caches of this run; a cache that cannot be used is a warning and a cold build, never a failure. */
function restore(
  ctx: Context,
  options: Options,
  mkosiVersion: string,
  config: MkosiConfig,
): Promise<CachesResult> {
  return ctx.log.group('Restore caches', () =>
    restoreCaches(ctx, options, mkosiVersion, config).catch((error: unknown) => {
      ctx.log.warning(`Caches are not used in this run: ${errorMessage(error)}`);
      return { skipped: errorMessage(error), records: [], args: [] };
    }),
  );
}

/** The configuration as mkosi resolves it, with the mirror's apt sources in place. */
export const resolveStage: Stage = {
  name: 'build',
  title: 'resolve the configuration',
  runs: () => true,
  async run(state) {
    const { ctx, options, result } = state;
    state.resolved = await ctx.log.group('Resolve the mkosi configuration', () =>
      resolveConfig(ctx, options, result.setup!.mkosi),
    );
  },
};

/**
 * Restores the caches and runs mkosi build. `mkosi-ci boot` builds nothing: it takes the outputs an
 * earlier build left, found from the configuration.
 */
export const buildStage: Stage = {
  name: 'build',
  title: 'mkosi build',
  runs: () => true,
  async run({ ctx, command, options, result, resolved, timeline }) {
    const mkosi = result.setup!.mkosi;
    if (command === 'boot') {
      result.build = await existingOutputs(ctx, options.directory, resolved!);
      return;
    }
    const caches = await timeline.time('build', 'restore caches', () =>
      restore(ctx, options, mkosi.version, resolved!.config),
    );
    result.caches = caches;
    const invocation = withExtraArgs(resolved!.invocation, caches.args);
    result.build = await timeline.time('build', 'mkosi build', () =>
      runBuild(ctx, options, mkosi, { ...resolved!, invocation }),
    );
  },
};
