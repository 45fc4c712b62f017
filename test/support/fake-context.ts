import type { Context, HostFacts, Trigger } from '../../src/context.js';
import type { CacheStore, Log, Runner, ToolCache } from '../../src/ports.js';

/** A Log that keeps what it was told, for assertions. */
export function recordingLog(): Log & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const record = (level: string) => (message: string) => {
    lines.push({ level, message });
  };
  return {
    lines,
    info: record('info'),
    warning: record('warning'),
    error: record('error'),
    debug: record('debug'),
    group: (_, fn) => fn(),
    mask: () => {},
  };
}

/** A Runner for stages that must not start any process. */
export const noProcessRunner: Runner = {
  run: () => Promise.reject(new Error('no process expected')),
  which: () => Promise.resolve(undefined),
};

const unusedToolCache: ToolCache = {
  find: () => Promise.reject(new Error('no tool cache expected')),
  download: () => Promise.reject(new Error('no tool cache expected')),
  extractTar: () => Promise.reject(new Error('no tool cache expected')),
  cacheFile: () => Promise.reject(new Error('no tool cache expected')),
};

const noCacheStore: CacheStore = {
  unavailable: () => 'no cache store in this test',
  fetch: () => Promise.reject(new Error('no cache store expected')),
  save: () => Promise.reject(new Error('no cache store expected')),
};

export interface FakeContextOptions extends Partial<Omit<Context, 'host' | 'trigger'>> {
  host?: Partial<HostFacts>;
  trigger?: Partial<Trigger>;
}

/**
 * The one fake Context of the tests: every port refuses to be used unless the test gives its own, the
 * host is a root non-disposable machine, and the run is for no tag and uploads nothing by default.
 */
export function fakeContext(overrides: FakeContextOptions = {}): Context {
  const { host, trigger, ...ports } = overrides;
  return {
    runner: noProcessRunner,
    log: recordingLog(),
    toolCache: unusedToolCache,
    cacheStore: noCacheStore,
    workDir: '/nonexistent',
    ...ports,
    host: { disposable: false, root: true, cacheHome: '/nonexistent', uid: 0, gid: 0, ...host },
    trigger: { tag: undefined, uploadByDefault: false, ...trigger },
  };
}
