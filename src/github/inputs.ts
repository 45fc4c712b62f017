import * as core from '@actions/core';
import { Input, type RawInputs } from '../inputs.js';
import { parseOptions, type Options } from '../pipeline/options.js';
import { environmentSecrets } from '../process/environment.js';
import { maskSecrets } from '../process/mask.js';
import type { Log } from '../ports.js';
import { actionsLog } from './log.js';
import { parseReleaseEvents } from './release-events.js';

/** Inputs that carry secrets: masked the moment they are read, before any child runs. */
const SECRET_INPUTS: readonly Input[] = [Input.SignKey, Input.SignPassphrase, Input.GithubToken];

/**
 * The secrets of this step, masked in the job log (core.setSecret) and in every log file the runner
 * writes: the secret inputs as given and trimmed, and the runner's own credentials in the environment.
 */
export function maskStepSecrets(raw: RawInputs, env: NodeJS.ProcessEnv, log: Log = actionsLog): void {
  maskSecrets(log, [...SECRET_INPUTS.map((name) => raw[name]), ...environmentSecrets(env)]);
}

/** The inputs as given, unvalidated and unmasked. */
export function readRawInputs(): RawInputs {
  return Object.fromEntries(
    Object.values(Input).map((name) => [
      name,
      // A passphrase may begin or end with spaces: take it as given.
      core.getInput(name, { trimWhitespace: name !== Input.SignPassphrase }),
    ]),
  ) as RawInputs;
}

/** The inputs as given, their secrets masked from here on. */
export function getRawInputs(): RawInputs {
  const raw = readRawInputs();
  maskStepSecrets(raw, process.env);
  return raw;
}

/** What the action reads of its inputs: the options every adapter has, and GitHub's own. */
export interface ActionInputs {
  options: Options;
  githubToken: string | undefined;
  /** Further workflow events that may publish a release. */
  releaseEvents: string[];
}

/** The action's inputs, read and validated once. */
export function getInputs(cwd = process.cwd()): ActionInputs {
  const raw = getRawInputs();
  return {
    options: parseOptions(raw, cwd),
    githubToken: githubToken(raw),
    releaseEvents: parseReleaseEvents(raw[Input.ReleaseEvents]),
  };
}

/** The token for the release calls: GitHub's own notion, so it never reaches the core as an option. */
export function githubToken(raw: RawInputs): string | undefined {
  const token = raw[Input.GithubToken].trim();
  return token === '' ? undefined : token;
}
