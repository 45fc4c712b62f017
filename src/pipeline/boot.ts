import { bootImage } from '../boot/boot-image.js';
import type { BootOptions } from '../boot/options.js';
import { decideBoot, type BootDecision } from '../boot/bootable.js';
import type { BuildResult } from '../mkosi/build-result.js';
import type { RunState, Stage } from './stage.js';

/** `mkosi-ci boot` boots unless told not to; `build` boots what `boot: auto` or `true` selects. */
export function bootOptions({ command, options }: RunState): BootOptions {
  return command === 'boot' && options.boot.enabled === 'auto'
    ? { ...options.boot, enabled: 'yes' }
    : options.boot;
}

/**
 * Whether to boot, judged from the configuration and, once the build is done, from what it produced:
 * `boot: auto` skips a disk that came out without a kernel, with a notice.
 */
export function bootDecisionOf(state: RunState, build?: BuildResult): BootDecision {
  return decideBoot(bootOptions(state).enabled, (build ?? state.resolved!).config, build?.artifacts);
}

/** Boots the image with the check injected and fails the run on any verdict but `passed`. */
export const bootStage: Stage = {
  name: 'boot',
  title: 'boot check',
  runs: (state) => {
    const decision = bootDecisionOf(state, state.result.build!);
    if (!decision.boot && decision.notice) state.ctx.log.info(decision.notice);
    return decision.boot;
  },
  async run(state) {
    const { ctx, result } = state;
    const build = result.build!;
    result.boot = await ctx.log.group('Boot check', () =>
      bootImage(ctx, bootOptions(state), build.config, build.image),
    );
    const verdict = result.boot.check.verdict;
    if (verdict.result === 'passed') return;
    return {
      verdict: `Boot check of ${build.image?.name ?? 'the image'}: ${verdict.result}: ${verdict.reason} (logs: ${result.boot.logsDir})`,
    };
  },
};
