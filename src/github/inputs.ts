import * as core from '@actions/core';
import { Input, type RawInputs } from '../inputs.js';
import { parseOptions, type Options } from '../pipeline/options.js';

export function getRawInputs(): RawInputs {
  return Object.fromEntries(
    Object.values(Input).map((name) => [
      name,
      // A passphrase may begin or end with spaces: take it as given.
      core.getInput(name, { trimWhitespace: name !== Input.SignPassphrase }),
    ]),
  ) as RawInputs;
}

/** The action's inputs, read and validated once. */
export function getInputs(cwd = process.cwd()): { options: Options; githubToken: string | undefined } {
  const raw = getRawInputs();
  return { options: parseOptions(raw, cwd), githubToken: githubToken(raw) };
}

/** The token for the release calls: GitHub's own notion, so it never reaches the core as an option. */
export function githubToken(raw: RawInputs): string | undefined {
  const token = raw[Input.GithubToken].trim();
  return token === '' ? undefined : token;
}
