import * as core from '@actions/core';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { actionsArtifactStore } from './artifact-store.js';
import { State, type MainState } from './constants.js';

export function readMainState(): MainState | undefined {
  const text = core.getState(State.Main);
  if (!text) return undefined;
  try {
    return JSON.parse(text) as MainState;
  } catch {
    return undefined;
  }
}

/** The post step: best effort, never fails the job. */
export async function runPost(): Promise<void> {
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
