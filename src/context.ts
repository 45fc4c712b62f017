import type { ArtifactStore, CacheStore, Log, ReleaseStore, Runner, ToolCache } from './ports.js';

/** What a stage may use of the world: the ports, a work directory and facts about the host. */
export interface Context {
  runner: Runner;
  log: Log;
  toolCache: ToolCache;
  cacheStore: CacheStore;
  /** Scratch space for this run: logs, the resolved config, generated sandbox trees. Kept on failure. */
  workDir: string;
  host: HostFacts;
  /** What started the run, for choices such as upload: auto and release: true. */
  trigger: Trigger;
  /** Absent where there is no artifact service (the CLI, or a runner without the results service). */
  artifacts?: ArtifactStore;
  /** Absent outside GitHub Actions. */
  releases?: ReleaseStore;
}

/** What started the run, as the adapter judged it by its platform's rules. */
export interface Trigger {
  /** The tag the run is for (from refs/tags/…), if any. */
  tag: string | undefined;
  /** `upload: auto` uploads: the run is of a kind worth keeping (a pushed branch or tag, a release). */
  uploadByDefault: boolean;
}

export interface HostFacts {
  /** A throwaway machine mkosi-ci may reconfigure (a GitHub-hosted Linux runner). */
  disposable: boolean;
  /** Running as root: no sudo needed. */
  root: boolean;
  /** Where mkosi-ci puts mkosi's package and incremental caches when the project names none. */
  cacheHome: string;
  uid: number;
  gid: number;
}
