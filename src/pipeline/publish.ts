import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.js';
import { Input } from '../inputs.js';
import type { BuildResult } from '../mkosi/build-result.js';
import { sha256File } from '../mkosi/outputs.js';
import type { PublishedRelease } from '../ports.js';
import { artifactNameFields, renderArtifactName } from '../publish/artifact-name.js';
import { listedNames, publishedFiles, type PublishedFile } from '../publish/checksums.js';
import { copyFileReplacing } from '../publish/safe-write.js';
import { releaseTag, shouldUpload } from '../publish/destinations.js';
import type { PublishOptions } from '../publish/options.js';
import { noArtifactService, noReleaseStore } from '../publish/prerequisites.js';
import { publishRelease, uploadArtifact, type ArtifactUploadResult } from '../publish/upload.js';
import { verifyChecksums, writeChecksums, type WrittenChecksums } from '../publish/write-checksums.js';
import { reproReportFiles } from './repro.js';
import type { TimePhase } from './timeline.js';
import type { Stage } from './stage.js';

export interface PublishResult extends WrittenChecksums {
  artifact?: ArtifactUploadResult;
  release?: PublishedRelease;
  /** Why an upload or release that could have happened did not, one line each. */
  notes: string[];
}

/** A report of this run (the reproducibility report) that is published with the outputs. */
export interface ReportFile {
  /** Its name in the output directory. */
  name: string;
  path: string;
}

/** Copies the reports next to the outputs, so SHA256SUMS, the artifact and the release carry them too. */
async function reportFiles(directory: string, reports: readonly ReportFile[]): Promise<PublishedFile[]> {
  const files: PublishedFile[] = [];
  for (const report of reports) {
    const file = path.join(directory, report.name);
    await copyFileReplacing(report.path, file);
    files.push({
      name: report.name,
      path: file,
      size: (await lstat(file)).size,
      sha256: await sha256File(file),
    });
  }
  return files;
}

/**
 * The first half of publishing: SHA256SUMS (signed when a key is given) over every output file and the
 * reports. Nothing leaves the machine yet: the update round trip runs on the signed outputs first.
 */
export async function signOutputs(
  ctx: Context,
  options: PublishOptions,
  build: BuildResult,
  reports: readonly ReportFile[] = [],
  time: TimePhase = (_, fn) => fn(),
): Promise<PublishResult> {
  const directory = build.outputDirectory;
  const files = [...(await publishedFiles(build.artifacts)), ...(await reportFiles(directory, reports))];
  const listed = listedNames(
    build.artifacts,
    reports.map((r) => r.name),
  );
  const written = await time(options.signKey ? 'SHA256SUMS, signed' : 'SHA256SUMS', () =>
    writeChecksums(ctx, options, directory, files, listed),
  );
  return { directory, files, notes: [], ...written };
}

/** The second half: the image set as a workflow artifact and the assets of a release, each when asked for. */
export async function uploadOutputs(
  ctx: Context,
  options: PublishOptions,
  build: BuildResult,
  profiles: readonly string[],
  result: PublishResult,
  time: TimePhase = (_, fn) => fn(),
): Promise<void> {
  const { directory, files } = result;
  const ownFiles = [
    result.checksumsFile,
    result.listingFile,
    result.signature?.file,
    result.signature?.publicKeyFile,
  ].filter((f): f is string => f !== undefined);

  const upload = shouldUpload(options.upload, ctx.trigger);
  const { tag, note } = releaseTag(options, ctx.trigger);
  if (note) result.notes.push(note);
  if (!upload && !tag) return;

  await verifyChecksums(result.checksumsFile);
  if (upload && !ctx.artifacts) {
    if (options.upload === 'yes') {
      throw noArtifactService(directory);
    }
    result.notes.push(`${Input.Upload}: no artifact service here; nothing uploaded.`);
  } else if (upload && ctx.artifacts) {
    const name = renderArtifactName(options.artifactName, artifactNameFields(build.config, profiles));
    const store = ctx.artifacts;
    result.artifact = await time('artifact upload', () =>
      uploadArtifact(store, { name, retentionDays: options.retentionDays }, files, ownFiles),
    );
  }
  if (tag) {
    if (!ctx.releases) {
      throw noReleaseStore();
    }
    const store = ctx.releases;
    result.release = await time('release assets', () => publishRelease(store, tag, files, ownFiles));
  }
}

/** Both halves at once, for a run with nothing to check between them. */
export async function publish(
  ctx: Context,
  options: PublishOptions,
  build: BuildResult,
  profiles: readonly string[],
  reports: readonly ReportFile[] = [],
  time: TimePhase = (_, fn) => fn(),
): Promise<PublishResult> {
  const result = await signOutputs(ctx, options, build, reports, time);
  await uploadOutputs(ctx, options, build, profiles, result, time);
  return result;
}

/** Only what was built here is published: `boot` checks outputs that were published when built. */
export const publishStage: Stage = {
  name: 'publish',
  title: 'SHA256SUMS',
  runs: ({ command }) => command !== 'boot',
  async run({ ctx, options, result, timeline }) {
    const reports = result.repro ? await reproReportFiles(result.repro) : [];
    result.publish = await ctx.log.group('SHA256SUMS', () =>
      signOutputs(ctx, options.publish, result.build!, reports, (name, fn) =>
        timeline.time('publish', name, fn),
      ),
    );
  },
};

/**
 * Uploads after everything that can fail the run (the update round trip included), so a release never
 * carries outputs that failed a check.
 */
export const uploadStage: Stage = {
  name: 'publish',
  title: 'upload',
  runs: ({ command, result }) => command !== 'boot' && result.publish !== undefined,
  async run({ ctx, options, result, timeline }) {
    await ctx.log.group('Publish', () =>
      uploadOutputs(ctx, options.publish, result.build!, options.profiles, result.publish!, (name, fn) =>
        timeline.time('publish', name, fn),
      ),
    );
  },
};
