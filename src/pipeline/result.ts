import type { BootImageResult } from '../boot/boot-image.js';
import type { UpdateRoundTrip } from '../boot/update-round-trip.js';
import type { CachesResult } from '../cache/caches.js';
import type { BuildResult } from '../mkosi/build-result.js';
import type { PublishResult } from './publish.js';
import type { ReproResult } from './repro.js';
import type { SetupResult } from './setup.js';
import type { StageName } from './stage.js';
import type { Phase } from './timeline.js';

export interface StageFailure {
  stage: StageName;
  message: string;
  /** A user error (bad input, broken project, failed build) rather than a bug in mkosi-ci. */
  userError: boolean;
  error: unknown;
  file?: string;
}

/** What the pipeline got done; stages after a failure are absent. */
export interface PipelineResult {
  setup?: SetupResult;
  /** The caches restored before the build, for the save after it. */
  caches?: CachesResult;
  build?: BuildResult;
  boot?: BootImageResult;
  repro?: ReproResult;
  publish?: PublishResult;
  /** The update round trip (`update-from`). */
  update?: UpdateRoundTrip;
  failure?: StageFailure;
  /** What ran when, for the timeline; absent in results made by hand. */
  phases?: Phase[];
}
