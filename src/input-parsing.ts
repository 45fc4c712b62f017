import { ConfigurationError } from './errors.js';
import { Input, INPUT_SPECS, type RawInputs } from './inputs.js';

/** Three-valued switches: `auto` leaves the choice to mkosi-ci. */
export type Tristate = 'auto' | 'yes' | 'no';

/**
 * The inputs as the parsers see them: `value` is trimmed with the default filled in, `raw` is what was
 * given (empty when nothing was), for inputs whose empty value or whitespace means something.
 */
export interface InputReader {
  value(input: Input): string;
  raw(input: Input): string;
}

export function inputReader(raw: RawInputs): InputReader {
  return {
    value: (input) => (raw[input] ?? '').trim() || INPUT_SPECS[input].default,
    raw: (input) => raw[input] ?? '',
  };
}

export function invalid(input: Input, value: string, valid: string): ConfigurationError {
  return new ConfigurationError(`Input ${input}: '${value}' is not valid; expected ${valid}.`);
}

/** Non-empty, trimmed lines; lines starting with # are comments. */
export function splitLines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Items separated by commas or new lines. */
export function splitList(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** "auto, true or false": the values the input's documentation offers (its placeholder, auto|true|false). */
function documentedChoices(input: Input): string {
  const choices = INPUT_SPECS[input].placeholder.split('|');
  return choices.length < 2 ? choices.join('') : `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
}

/** auto, yes or no; true and false are yes and no. The error offers the values the input documents. */
export function parseTristate(input: Input, value: string): Tristate {
  if (value === 'auto' || value === 'yes' || value === 'no') {
    return value;
  }
  if (value === 'true') return 'yes';
  if (value === 'false') return 'no';
  throw invalid(input, value, documentedChoices(input));
}

export function parseBoolean(input: Input, value: string): boolean {
  if (value === 'true' || value === 'yes') return true;
  if (value === 'false' || value === 'no') return false;
  throw invalid(input, value, 'true or false');
}

export function parseChoice<T extends string>(input: Input, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw invalid(input, value, choices.join(', '));
}

export function parseInteger(input: Input, value: string, min: number, max: number, unit: string): number {
  const trimmed = value.trim();
  const number = Number(trimmed);
  if (/^\d+$/.test(trimmed) && number >= min && number <= max) return number;
  throw invalid(input, value, `a whole number of ${unit} from ${min} to ${max}`);
}

/** An empty secret means no secret. */
export function secret(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
