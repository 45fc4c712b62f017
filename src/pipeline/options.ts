import { parseBootOptions, type BootOptions } from '../boot/options.js';
import { parseCacheOptions, type CacheOptions } from '../cache/options.js';
import { inputReader } from '../input-parsing.js';
import type { RawInputs } from '../inputs.js';
import { parseMkosiOptions, type MkosiOptions } from '../mkosi/options.js';
import { parsePublishOptions, type PublishOptions } from '../publish/options.js';
import { parseReproOptions, type ReproOptions } from '../repro/options.js';

/** The inputs, parsed and validated once. Paths are absolute. */
export interface Options extends MkosiOptions {
  boot: BootOptions;
  publish: PublishOptions;
  repro: ReproOptions;
  cache: CacheOptions;
}

/** Validates every input and returns the typed options; `cwd` resolves relative paths. */
export function parseOptions(raw: RawInputs, cwd: string): Options {
  const inputs = inputReader(raw);
  return {
    ...parseMkosiOptions(inputs, cwd),
    boot: parseBootOptions(inputs, cwd),
    publish: parsePublishOptions(inputs),
    repro: parseReproOptions(inputs),
    cache: parseCacheOptions(inputs),
  };
}
