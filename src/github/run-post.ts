import * as core from '@actions/core';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { actionsArtifactStore } from './artifact-store.js';
import { saveCaches } from '../cache/caches.js';
import { cacheMarkdown } from '../report/cache-summary.js';
import { State, type MainState } from './constants.js';
import { actionContext } from './context.js';
import { removeLeftovers } from './temporary-state.js';
import { maskStepSecrets, readRawInputs } from './inputs.js';
import { maskFile, runSecrets } from '../process/mask.js';

export function readMainState(): MainState | undefined {
  const text = core.getState(State.Main);
  if (!text) return undefined;
  try {
    return JSON.parse(text) as MainState;
  } catch {
    return undefined;
  }
}

/** The post step: saves the caches of a successful build; best effort, never fails the job. */
export async function runPost(): Promise<void> {
  maskStepSecrets(readRawInputs(), process.env);
  await removeLeftovers().then(
    (homes) =>
      homes.forEach((h) => core.info(`mkosi-ci: removed ${h} (a keyring and its agent) that main left.`)),
    (error: unknown) =>
      core.warning(`mkosi-ci post: could not remove main's keyrings: ${errorMessage(error)}`),
  );
  try {
    const state = readMainState();
    if (!state) {
      core.info('mkosi-ci: main did not get far enough to leave anything for post.');
      return;
    }
    if (!state.succeeded) {
      core.info(`mkosi-ci: the logs of the failed run are kept in ${state.logsDir}.`);
    }
    if (state.logsArtifact) await uploadLogs(state.logsDir, state.logsArtifact);
    const records = state.caches ?? [];
    if (records.length > 0) {
      if (!state.buildSucceeded) core.info('mkosi-ci: the build failed, so no cache is saved.');
      const ctx = actionContext();
      const saved = await ctx.log.group('Save caches', () =>
        saveCaches(ctx, records, {
          succeeded: state.buildSucceeded,
          secretFiles: state.secretFiles ?? [],
          directory: state.directory,
        }),
      );
      await core.summary.addRaw(cacheMarkdown(saved).join('\n')).write();
    } else if (state.cachesSkipped) {
      await core.summary.addRaw(cacheMarkdown([], state.cachesSkipped).join('\n')).write();
    }
  } catch (error) {
    core.warning(`mkosi-ci post: ${errorMessage(error)}`);
  }
}

/** The logs and reports of the run as one artifact: text, so deflate's default level pays. */
async function uploadLogs(logsDir: string, artifact: NonNullable<MainState['logsArtifact']>): Promise<void> {
  const store = actionsArtifactStore();
  if (!store) return;
  const entries = await readdir(logsDir, { withFileTypes: true, recursive: true }).catch(() => []);
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  if (files.length === 0) return;
  try {
    // Files qemu or a report wrote hold what the guest and the scripts printed: masked like build.log.
    for (const file of files) await maskFile(file, runSecrets);
    const uploaded = await store.upload({
      name: artifact.name,
      files,
      rootDirectory: logsDir,
      retentionDays: artifact.retentionDays,
      compressionLevel: 6,
    });
    core.info(`mkosi-ci: logs uploaded as the artifact ${artifact.name} (id ${uploaded.id}).`);
  } catch (error) {
    core.warning(`mkosi-ci post: could not upload the logs as ${artifact.name}: ${errorMessage(error)}`);
  }
}
