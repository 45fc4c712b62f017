import { createHash } from 'node:crypto';
import path from 'node:path';
import { baseInvocation } from '../mkosi/args.js';
import type { Mkosi } from '../mkosi/install.js';
import type { MkosiOptions } from '../mkosi/options.js';
import { readSummary } from '../mkosi/summary.js';
import type { Runner } from '../ports.js';

export interface Pin {
  setting: 'Seed' | 'SourceDateEpoch';
  value: string;
  /** Why this value: "derived from ImageId", "time of the last commit". */
  source: string;
}

export interface ReproPins {
  /** What mkosi-ci pinned because the project left it unset (empty when the project pins both). */
  pinned: Pin[];
  /** mkosi options for both builds. */
  args: string[];
}

/** A stable UUID for an image, so two runs of the check on the same project pin the same Seed=. */
export function derivedSeed(imageId: string): string {
  const h = createHash('sha256').update(`mkosi-ci repro seed\0${imageId}`).digest('hex');
  // A version 4 / variant 1 layout, so tools that check the UUID's shape accept it.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface SummaryFacts {
  seed: unknown;
  sourceDateEpoch: unknown;
  imageId: string;
}

async function summaryFacts(runner: Runner, mkosi: Mkosi, options: MkosiOptions): Promise<SummaryFacts> {
  const { config } = await readSummary(runner, mkosi.command, baseInvocation(options));
  const raw = config.raw as { Images: Array<Record<string, unknown>> };
  const main = raw.Images.at(-1) ?? {};
  return {
    seed: main.Seed,
    sourceDateEpoch: main.SourceDateEpoch,
    imageId: typeof main.ImageId === 'string' ? main.ImageId : path.basename(options.directory),
  };
}

/** The time of the project's last commit, when it is in git: the usual SOURCE_DATE_EPOCH. */
async function lastCommitTime(runner: Runner, directory: string): Promise<number | undefined> {
  const result = await runner
    .run('git', ['-C', directory, 'log', '-1', '--format=%ct'], { stream: false })
    .catch(() => undefined);
  const value = Number(result?.stdout.trim());
  return result?.exitCode === 0 && Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * Seed= and SourceDateEpoch= for both builds. mkosi draws a new random seed for every run when
 * Seed= is unset (two summaries differ), and takes SourceDateEpoch= from the environment when unset
 * (null in the summary): those are pinned, everything the project pins is left alone.
 */
export async function reproPins(runner: Runner, options: MkosiOptions, mkosi: Mkosi): Promise<ReproPins> {
  const first = await summaryFacts(runner, mkosi, options);
  const second = await summaryFacts(runner, mkosi, options);
  const pins: ReproPins = { pinned: [], args: [] };
  if (first.seed !== second.seed || first.seed === null || first.seed === undefined) {
    const seed = derivedSeed(first.imageId);
    pins.pinned.push({ setting: 'Seed', value: seed, source: `derived from ImageId=${first.imageId}` });
    pins.args.push(`--seed=${seed}`);
  }
  if (first.sourceDateEpoch === null || first.sourceDateEpoch === undefined) {
    const commit = await lastCommitTime(runner, options.directory);
    const epoch = commit ?? Math.floor(Date.now() / 1000);
    pins.pinned.push({
      setting: 'SourceDateEpoch',
      value: String(epoch),
      source: commit ? 'time of the last commit' : 'start of this run (the project is not in git)',
    });
    pins.args.push(`--source-date-epoch=${epoch}`);
  }
  return pins;
}
