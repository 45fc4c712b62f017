/**
 * The small ports through which the pipeline reaches the world. The GitHub adapter and the CLI
 * implement them; stages never touch `process.env`, `@actions/*` or the console directly.
 */

export interface Annotation {
  file?: string;
  line?: number;
  title?: string;
}

export interface Log {
  info(message: string): void;
  warning(message: string, annotation?: Annotation): void;
  error(message: string, annotation?: Annotation): void;
  debug(message: string): void;
  /** Runs `fn` inside a collapsible log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Hides a secret in everything logged from now on. */
  mask(secret: string): void;
}

export interface RunOptions {
  cwd?: string;
  /** Variables added to (or, when undefined, removed from) the inherited environment. */
  env?: Record<string, string | undefined>;
  /** Copy of everything the process prints, kept when the stage fails. */
  logFile?: string;
  /** Print the process output to the log as it comes (default true). */
  stream?: boolean;
  /** Kill the whole process tree after this many milliseconds. */
  timeoutMs?: number;
  input?: string;
}

export interface RunResult {
  exitCode: number;
  /** Set when the process was killed by a signal or by the timeout. */
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface Runner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** The absolute path of `command` on PATH, or undefined. */
  which(command: string): Promise<string | undefined>;
}

/**
 * Where downloaded tools are kept between runs: `@actions/tool-cache` on a runner, a directory under
 * the user's cache on a laptop.
 */
export interface ToolCache {
  find(tool: string, version: string): Promise<string | undefined>;
  download(url: string): Promise<string>;
  extractTar(file: string): Promise<string>;
  cacheDir(source: string, tool: string, version: string): Promise<string>;
}

/**
 * Where caches live between runs: GitHub's cache service through `@actions/cache` in the action, a
 * local directory in the CLI. Both take the same keys. Implementations report a failure by throwing;
 * the caller turns it into a warning.
 */
export interface CacheStore {
  /** Why this store cannot be used in this run (no cache service, no --cache-dir), or undefined. */
  unavailable(): string | undefined;
  /** Restores `paths` from `key` or the newest entry a restore key prefixes; the key it found or undefined. */
  restore(paths: readonly string[], key: string, restoreKeys: readonly string[]): Promise<string | undefined>;
  /** Saves `paths` under `key`; false when the entry already exists (another job saved it first). */
  save(paths: readonly string[], key: string): Promise<boolean>;
}
