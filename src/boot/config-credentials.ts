import { access, constants, readFile } from 'node:fs/promises';
import { ConfigurationError } from '../errors.js';
import type { RuntimeCredential } from '../mkosi/config.js';
import type { Runner } from '../ports.js';
import type { Credential } from './check-unit.js';

/**
 * mkosi's [Runtime] Credentials=, resolved as `mkosi vm` resolves them: a value as it stands, a file
 * read, an executable file run (its standard output is the value). They reach the guest as SMBIOS
 * credentials next to the check's own, which keep their names (the project's come first).
 */

export const CREDENTIALS_SETTING = "Credentials= (mkosi's [Runtime])";

/** What systemd takes as a credential name and what the SMBIOS string can carry unquoted. */
const CREDENTIAL_NAME = /^[A-Za-z0-9][A-Za-z0-9._~-]*$/;
/** Names the check sets itself: a project's value would be silently shadowed or break the check. */
const RESERVED =
  /^(mkosi-ci\.|vmm\.notify_socket$|systemd\.extra-unit\.mkosi-ci|systemd\.unit-dropin\.multi-user\.target~mkosi-ci)/;

function checkName(name: string): void {
  if (!CREDENTIAL_NAME.test(name) || name.length > 255) {
    throw new ConfigurationError(
      `${CREDENTIALS_SETTING}: ${JSON.stringify(name)} is not a credential name the boot check can pass; a name starts with a letter or digit and holds only letters, digits, '.', '_', '~' and '-'.`,
    );
  }
  if (RESERVED.test(name)) {
    throw new ConfigurationError(
      `${CREDENTIALS_SETTING}: ${name} is a credential the boot check sets itself; give it another name.`,
    );
  }
}

/** Refuses, before the build, a Credentials= name the boot could not pass. */
export function checkCredentialNames(entries: readonly RuntimeCredential[]): void {
  for (const entry of entries) checkName(entry.name);
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function fileValue(name: string, file: string, runner: Runner): Promise<string> {
  if (!(await isExecutable(file))) {
    return readFile(file, 'utf8').catch((error: Error) => {
      throw new ConfigurationError(
        `${CREDENTIALS_SETTING}: ${name}: cannot read ${file} (${error.message}).`,
      );
    });
  }
  const run = await runner.run(file, [], { stream: false });
  if (run.exitCode !== 0) {
    throw new ConfigurationError(
      `${CREDENTIALS_SETTING}: ${name}: ${file} is executable, so mkosi runs it for the value, and it exited with ${run.exitCode}: ${run.stderr.trim().slice(-500)}`,
    );
  }
  return run.stdout;
}

export async function configCredentials(
  entries: readonly RuntimeCredential[],
  runner: Runner,
): Promise<Credential[]> {
  const credentials: Credential[] = [];
  for (const entry of entries) {
    checkName(entry.name);
    const value =
      entry.path !== undefined ? await fileValue(entry.name, entry.path, runner) : (entry.value ?? '');
    credentials.push({ name: entry.name, value });
  }
  return credentials;
}
