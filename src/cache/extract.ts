import { createReadStream } from 'node:fs';
import { open, statfs } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Runner } from '../ports.js';
import { ArchiveTruncated, tarGuardStream, type TarPolicy } from './tar-guard.js';

/** Room left for the build itself when a restore decides how much an archive may unpack to. */
const RESERVED_BYTES = 1024 ** 3;
/** A backstop for a decompressor or tar that stops making progress. */
const EXTRACT_TIMEOUT_MS = 30 * 60_000;

/** The decompressor an archive needs, by its magic bytes; undefined for a plain tar. */
async function decompressor(file: string): Promise<string[] | undefined> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    const magic = buffer.subarray(0, bytesRead).toString('hex');
    // --long=30: @actions/cache compresses with a window of up to 1 GiB.
    if (magic === '28b52ffd') return ['zstd', '--decompress', '--stdout', '--long=30', '--', file];
    if (magic.startsWith('1f8b')) return ['gzip', '--decompress', '--stdout', '--', file];
    return undefined;
  } finally {
    await handle.close();
  }
}

/** Bytes an archive may unpack to in `directory`: what is free there, less room for the build. */
export async function unpackBudget(directory: string): Promise<number> {
  const fs = await statfs(directory);
  return Math.max(0, fs.bavail * fs.bsize - RESERVED_BYTES);
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

/**
 * Extracts `archive` into the empty directory `into`, with every member checked before tar sees it
 * (TarGuard). Throws ArchiveRefused for an archive that breaks the policy, Error when a tool fails.
 * tar runs without --absolute-names, so even a guard bug could not write through a leading '/'.
 * Returns the bytes of content unpacked.
 */
export async function extractArchive(
  runner: Runner,
  archive: string,
  into: string,
  policy: TarPolicy,
): Promise<{ bytes: number }> {
  const guard = tarGuardStream(policy);
  let refusal: Error | undefined;
  guard.on('error', (error: Error) => (refusal ??= error));
  const command = await decompressor(archive);
  const source = command
    ? runner.run(command[0]!, command.slice(1), {
        stdout: guard,
        stream: false,
        timeoutMs: EXTRACT_TIMEOUT_MS,
      })
    : pipeline(createReadStream(archive), guard).then(
        () => undefined,
        () => undefined,
      );
  const [unpacked, extracted] = await Promise.all([
    source,
    runner.run(
      'tar',
      ['--extract', '--file=-', `--directory=${into}`, '--no-overwrite-dir', '--warning=no-unknown-keyword'],
      { stdin: guard, stream: false, timeoutMs: EXTRACT_TIMEOUT_MS },
    ),
  ]);
  // A refusal stops the decompressor with EPIPE; a failing decompressor leaves the guard a truncated archive.
  if (refusal && !(refusal instanceof ArchiveTruncated)) throw refusal;
  if (unpacked && unpacked.exitCode !== 0) {
    throw new Error(`${command![0]} could not decompress the archive: ${lastLine(unpacked.stderr)}`);
  }
  if (refusal) throw refusal;
  if (extracted.exitCode !== 0) {
    throw new Error(
      `tar could not extract the archive (exit status ${extracted.exitCode}): ${lastLine(extracted.stderr)}`,
    );
  }
  return { bytes: guard.unpackedBytes() };
}
