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
  /**
   * Kill the whole process tree, as the timeout does, when this aborts: for a process whose caller
   * learns from elsewhere (a file it writes) that it has seen enough. The result's `signal` says so.
   */
  until?: AbortSignal;
  input?: string;
  /** Piped into the process's standard input (instead of `input`). */
  stdin?: NodeJS.ReadableStream;
  /**
   * Receives the process's standard output, which is then not kept in the result. When it fails, the
   * pipe is closed and the process gets EPIPE.
   */
  stdout?: NodeJS.WritableStream;
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
 * the user's cache on a laptop. What it holds is untrusted: it keeps the downloaded file itself, which
 * is checked against its checksum on every use.
 */
export interface ToolCache {
  /** The directory of an entry, or undefined. */
  find(tool: string, version: string): Promise<string | undefined>;
  /** Downloads `url` into a new temporary file; its path. */
  download(url: string): Promise<string>;
  /** Extracts a gzipped tar into the directory `dest` (made when missing); `dest`. */
  extractTar(file: string, dest: string): Promise<string>;
  /** Keeps `file` as `name` in the entry of tool and version (replacing the entry); the entry's directory. */
  cacheFile(file: string, name: string, tool: string, version: string): Promise<string>;
}

export interface ArtifactUpload {
  name: string;
  /** Absolute paths, all below rootDirectory. */
  files: string[];
  rootDirectory: string;
  retentionDays: number | undefined;
  /** zip deflate level, 0 (store) to 9. */
  compressionLevel: number;
}

export interface UploadedArtifact {
  id: number;
  /** Bytes of the uploaded zip. */
  size: number;
  /** Where a person can download it; undefined when the run's URL is not known. */
  url: string | undefined;
}

/** Where workflow artifacts go: the results service through `@actions/artifact` on a runner. */
export interface ArtifactStore {
  upload(upload: ArtifactUpload): Promise<UploadedArtifact>;
}

export interface ReleaseAsset {
  name: string;
  path: string;
  size: number;
}

export interface PublishedRelease {
  tag: string;
  url: string;
  /** The release did not exist and was created. */
  created: boolean;
  uploaded: string[];
  /** Assets of the same name that were there before and were replaced. */
  replaced: string[];
}

/** GitHub releases: create or find the release of a tag and put assets on it. */
export interface ReleaseStore {
  publish(tag: string, assets: readonly ReleaseAsset[]): Promise<PublishedRelease>;
}

/**
 * What a cache holds: files and directories named relative to one directory, so that its archive
 * holds relative names only and can be unpacked anywhere.
 */
export interface CacheEntry {
  /** The directory the members are in. */
  root: string;
  /** Names directly below `root`; each may be missing. */
  members: string[];
}

/** The archive of a cache entry as a store hands it over, not yet extracted. */
export interface FetchedArchive {
  /** The key of the entry found. */
  key: string;
  /** A tar archive, plain or compressed with zstd or gzip, of the entry's members. */
  file: string;
}

/**
 * Where caches live between runs: GitHub's cache service through `@actions/cache` in the action, a
 * local directory in the CLI. Both take the same keys. Implementations report a failure by throwing;
 * the caller turns it into a warning.
 */
export interface CacheStore {
  /** Why this store cannot be used in this run (no cache service, no --cache-dir), or undefined. */
  unavailable(): string | undefined;
  /**
   * When unavailable, whether mkosi-ci's cache directories are still passed to mkosi and kept on this
   * machine between runs (the CLI: a laptop or a runner that stays), rather than no cache at all.
   */
  readonly keepsCachesWhenUnavailable?: boolean;
  /**
   * Finds the entry of `key`, else the newest one a restore key prefixes, and hands over its archive
   * without extracting anything: what it holds is untrusted until checked (src/cache/restore.ts).
   * `scratch` is an empty directory of this run, only for the store's use.
   */
  fetch(
    members: readonly string[],
    key: string,
    restoreKeys: readonly string[],
    scratch: string,
  ): Promise<FetchedArchive | undefined>;
  /** Saves the members of `entry` under `key`; false when the entry already exists (another job saved it first). */
  save(entry: CacheEntry, key: string): Promise<boolean>;
}
