import * as core from '@actions/core';
import { errorMessage } from '../errors.js';
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
  } catch (error) {
    core.warning(`mkosi-ci post: ${errorMessage(error)}`);
  }
}
