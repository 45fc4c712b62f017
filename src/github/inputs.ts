import * as core from '@actions/core';
import { Input, type RawInputs } from '../pipeline/inputs.js';
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
export function getInputs(cwd = process.cwd()): Options {
  return parseOptions(getRawInputs(), cwd);
}
