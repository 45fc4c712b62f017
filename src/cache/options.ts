import { Input } from '../inputs.js';
import { invalid, parseBoolean, parseInteger, type InputReader } from '../input-parsing.js';
import type { CacheName } from './keys.js';

/** The cache inputs, parsed. */
export interface CacheOptions {
  enabled: Readonly<Record<CacheName, boolean>>;
  keySuffix: string;
  maxAgeDays: number;
}

export function parseCacheOptions({ value }: InputReader): CacheOptions {
  const all = parseBoolean(Input.Cache, value(Input.Cache));
  const suffix = value(Input.CacheKeySuffix).trim();
  if (suffix !== '' && !/^[A-Za-z0-9._-]{1,64}$/.test(suffix)) {
    throw invalid(Input.CacheKeySuffix, suffix, 'up to 64 letters, digits, ".", "_" and "-"');
  }
  return {
    enabled: {
      packages: all && parseBoolean(Input.CachePackages, value(Input.CachePackages)),
      incremental: all && parseBoolean(Input.CacheIncremental, value(Input.CacheIncremental)),
      'tools-tree': all && parseBoolean(Input.CacheToolsTree, value(Input.CacheToolsTree)),
    },
    keySuffix: suffix,
    maxAgeDays: parseInteger(Input.CacheMaxAge, value(Input.CacheMaxAge), 0, 3_650, 'days'),
  };
}
