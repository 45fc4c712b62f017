import type { CacheRecord } from '../cache/caches.js';
export { Input } from '../inputs.js';
export { Output } from '../outputs.js';

export enum State {
  /** JSON of MainState: what post needs to know about main's run. */
  Main = 'mkosi-ci-main',
  /** JSON list of the keyrings and temporary copies main has not removed yet, for post to remove. */
  Temporary = 'mkosi-ci-temporary',
}

export interface MainState {
  workDir: string;
  logsDir: string;
  succeeded: boolean;
  /** Set when post should upload the logs and reports as an artifact. */
  logsArtifact?: { name: string; retentionDays: number | undefined };
  /** mkosi build finished (a later boot check may still have failed). */
  buildSucceeded: boolean;
  /** The caches restored in main, for post to save. */
  caches: CacheRecord[];
  /** Why caches were not used, if so. */
  cachesSkipped?: string;
  /** Key and passphrase files the configuration names, which no cache may contain. */
  secretFiles: string[];
  directory: string;
}
