import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Log } from '../ports.js';

/**
 * The secrets of a run, shared by the Log (whose mask() adds to them) and the runner (which masks the
 * output of every child in its log files and stream with them), and the masking itself.
 */

export const MASK = '***';
const MASK_BYTES = Buffer.from(MASK);

/**
 * The lines of a multi-line secret worth hiding on their own (a key printed line by line): its body.
 * Armor lines (`-----BEGIN …`) and `Header: value` lines are the same for every key, and hiding them
 * would only blank out harmless text.
 */
export function secretLinesOf(secret: string): string[] {
  if (!/[\r\n]/.test(secret)) return [];
  return secret
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length >= 8 && !line.startsWith('-----') && !/^[A-Za-z-]+: /.test(line));
}

export class SecretSet {
  private readonly values = new Set<string>();
  private encoded: Buffer[] = [];

  /**
   * Adds a secret and, when it spans lines, each line of its body. Blank values are ignored, and so are
   * line breaks around a value (a key file's last newline is no part of the secret).
   */
  add(value: string | undefined): void {
    const secret = value?.replace(/^[\r\n]+|[\r\n]+$/g, '');
    if (!secret || secret.trim() === '') return;
    const before = this.values.size;
    for (const value of [secret, ...secretLinesOf(secret)]) this.values.add(value);
    if (this.values.size !== before) {
      // Longest first, so a secret containing a shorter one is hidden whole.
      this.encoded = [...this.values].map((v) => Buffer.from(v)).sort((a, b) => b.length - a.length);
    }
  }

  /** Encoded, longest first. */
  buffers(): readonly Buffer[] {
    return this.encoded;
  }

  get size(): number {
    return this.values.size;
  }
}

/** The secrets of this process: what the adapters' Log.mask() was given. */
export const runSecrets = new SecretSet();

/** Hands every secret value (as given and trimmed) to the Log, whose mask() reaches `runSecrets` too. */
export function maskSecrets(log: Pick<Log, 'mask'>, values: readonly (string | undefined)[]): void {
  for (const value of values) {
    if (!value || value.trim() === '') continue;
    log.mask(value);
    if (value.trim() !== value) log.mask(value.trim());
  }
}

/** The [start, end) ranges where any secret occurs in `data`, merged where they overlap. */
function secretRanges(data: Buffer, secrets: readonly Buffer[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const secret of secrets) {
    for (let at = data.indexOf(secret); at >= 0; at = data.indexOf(secret, at + 1)) {
      ranges.push([at, at + secret.length]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  return merged;
}

function replaceRanges(data: Buffer, ranges: ReadonlyArray<[number, number]>): Buffer {
  if (ranges.length === 0) return data;
  const parts: Buffer[] = [];
  let from = 0;
  for (const [start, end] of ranges) {
    parts.push(data.subarray(from, start), MASK_BYTES);
    from = end;
  }
  parts.push(data.subarray(from));
  return Buffer.concat(parts);
}

export function maskBuffer(data: Buffer, secrets: SecretSet): Buffer {
  return replaceRanges(data, secretRanges(data, secrets.buffers()));
}

export function maskText(text: string, secrets: SecretSet): string {
  return secrets.size === 0 ? text : maskBuffer(Buffer.from(text), secrets).toString('utf8');
}

/** How many bytes at the end of `data` (from `from` on) could be the start of a secret the next chunk completes. */
function pendingPrefixLength(data: Buffer, from: number, secrets: readonly Buffer[]): number {
  const longest = Math.min((secrets[0]?.length ?? 1) - 1, data.length - from);
  for (let length = longest; length > 0; length--) {
    const tail = data.subarray(data.length - length);
    if (secrets.some((s) => s.length > length && s.subarray(0, length).equals(tail))) return length;
  }
  return 0;
}

/**
 * Masks one output stream chunk by chunk. A secret may arrive split across chunks, so the end of a chunk
 * that could be the start of a secret is held back until the next chunk (or the end) decides.
 */
export class MaskingStream {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly secrets: SecretSet) {}

  push(chunk: Buffer): Buffer {
    const secrets = this.secrets.buffers();
    if (secrets.length === 0 && this.pending.length === 0) return chunk;
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const ranges = secretRanges(data, secrets);
    const held = pendingPrefixLength(data, ranges.at(-1)?.[1] ?? 0, secrets);
    this.pending = Buffer.from(data.subarray(data.length - held));
    return replaceRanges(data.subarray(0, data.length - held), ranges);
  }

  /** What was held back, masked: the stream has ended. */
  end(): Buffer {
    const rest = maskBuffer(this.pending, this.secrets);
    this.pending = Buffer.alloc(0);
    return rest;
  }
}

/**
 * Masks a file written by someone other than the runner (qemu's serial console, a journal) in place,
 * streaming, before it leaves the machine.
 */
export async function maskFile(file: string, secrets: SecretSet): Promise<void> {
  if (secrets.size === 0) return;
  const temporary = `${file}.masking`;
  const mask = new MaskingStream(secrets);
  try {
    await pipeline(
      createReadStream(file),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) yield mask.push(chunk);
        yield mask.end();
      },
      createWriteStream(temporary, { mode: (await stat(file)).mode & 0o777 }),
    );
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await rename(temporary, file);
}
