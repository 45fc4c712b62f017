import type { Context } from '../context.js';
import type { Resolved } from '../mkosi/resolve.js';
import type { ReproPins } from '../repro/pins.js';
import type { Options } from './options.js';
import type { PipelineResult } from './result.js';
import type { Timeline } from './timeline.js';

/**
 * What a run does: build (and boot-check what was built), boot-check outputs built earlier, or build
 * twice and compare (repro: the reproducibility check even when the reproducible input is false).
 */
export type PipelineCommand = 'build' | 'boot' | 'repro';

/** What the stages of one run share: the world, what was asked, and what was done so far. */
export interface RunState {
  readonly ctx: Context;
  readonly command: PipelineCommand;
  /** The options of the builds: as given, until the repro stage pins Seed= and SourceDateEpoch=. */
  options: Options;
  /** Set when both builds of a reproducibility check are pinned. */
  pins?: ReproPins;
  /** The configuration as mkosi resolved it for the build. */
  resolved?: Resolved;
  readonly result: PipelineResult;
  /** Where stages time their phases (a stage that times none is one phase). */
  readonly timeline: Timeline;
}

/**
 * One step of the pipeline. `runs` says whether it has work in this run (and may refuse an input that
 * only now can be judged); `run` records what it did in the result. An error is thrown; a negative
 * verdict (a failed boot, two builds that differ) is returned as the message that fails the run.
 */
export interface Stage {
  readonly name: StageName;
  /** What it does, in a few words: the name of its phase in the timeline when it times none itself. */
  readonly title: string;
  runs(state: RunState): boolean;
  run(state: RunState): Promise<{ verdict: string } | void>;
}

export type StageName = 'setup' | 'check' | 'build' | 'boot' | 'repro' | 'publish' | 'update';
