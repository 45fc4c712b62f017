import type { Log, Runner, ToolCache } from '../ports.js';

/** What a stage may use of the world: the ports, a work directory and facts about the host. */
export interface Context {
  runner: Runner;
  log: Log;
  toolCache: ToolCache;
  /** Scratch space for this run: logs, the resolved config, generated sandbox trees. Kept on failure. */
  workDir: string;
  host: HostFacts;
}

export interface HostFacts {
  /** A GitHub-hosted Linux runner (a throwaway VM mkosi-ci may reconfigure). */
  githubHostedLinux: boolean;
  /** Running as root: no sudo needed. */
  root: boolean;
}
