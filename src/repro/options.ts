import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import {
  invalid,
  parseInteger,
  parseTristate,
  splitList,
  type InputReader,
  type Tristate,
} from '../input-parsing.js';
import { VARIATIONS, type Variation } from './variations.js';

export type ReproMode = 'no' | 'check' | 'warn';

/** The reproducibility inputs, parsed. */
export interface ReproOptions {
  /** no: one build; check: fail on a difference; warn: report it only. */
  mode: ReproMode;
  variations: Variation[];
  maxFiles: number;
  /** Bytes, for diffoscope's --max-report-size. */
  maxReportSize: number;
  diffoscope: Tristate;
}

export function parseReproMode(value: string): ReproMode {
  switch (value) {
    case 'false':
    case 'no':
      return 'no';
    case 'check':
    case 'true':
    case 'yes':
      return 'check';
    case 'warn':
      return 'warn';
  }
  throw invalid(Input.Reproducible, value, 'false, check or warn');
}

export function parseVariations(value: string): Variation[] {
  const names = splitList(value);
  if (names.length === 1 && names[0] === 'none') return [];
  if (names.includes('none')) {
    throw new ConfigurationError(
      `Input ${Input.ReproducibleVariations}: none cannot be combined with variations; give none alone or some of ${VARIATIONS.join(', ')}.`,
    );
  }
  for (const name of names) {
    if (!(VARIATIONS as readonly string[]).includes(name)) {
      throw invalid(Input.ReproducibleVariations, name, `none or some of ${VARIATIONS.join(', ')}`);
    }
  }
  return [...new Set(names)] as Variation[];
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

export function parseReportSize(value: string): number {
  const match = /^(\d+)\s*([KMG]?)i?B?$/i.exec(value.trim());
  const bytes = match ? Number(match[1]) * SIZE_UNITS[match[2]!.toUpperCase()]! : NaN;
  if (Number.isSafeInteger(bytes) && bytes >= 1024) return bytes;
  throw invalid(Input.DiffMaxReportSize, value, 'a size of at least 1K, in bytes or with K, M or G (20M)');
}

export function parseReproOptions({ value }: InputReader): ReproOptions {
  return {
    mode: parseReproMode(value(Input.Reproducible)),
    variations: parseVariations(value(Input.ReproducibleVariations)),
    maxFiles: parseInteger(Input.DiffMaxFiles, value(Input.DiffMaxFiles), 1, 100_000, 'files'),
    maxReportSize: parseReportSize(value(Input.DiffMaxReportSize)),
    diffoscope: parseTristate(Input.Diffoscope, value(Input.Diffoscope)),
  };
}
