import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';

/**
 * The `boot-test` input: the user's own tests, run in the booted guest. They travel as credentials, like
 * the check, so the image is never modified. Credentials reach the guest as SMBIOS type 11 strings,
 * which must all fit in one SMBIOS table (64 KiB with qemu's 32-bit entry point, OVMF's copy included)
 * next to the check itself (about 12 KiB once base64-encoded): the tests get TEST_BUDGET_BYTES of it.
 * fw_cfg would carry more, but the guest imports it only where the qemu_fw_cfg module is loaded before
 * PID 1 looks, which an unmodified image does not promise; a larger suite belongs in the image, or is
 * fetched by a small test from the host (MKOSI_CI_HOST).
 */
export type BootTestSource =
  | { kind: 'none' }
  /** A multi-line input starting with `#!`: one test named `inline`. */
  | { kind: 'inline'; script: string }
  /** An executable, or a directory whose executables are the tests, in name order. */
  | { kind: 'path'; path: string; given: string };

export interface BootTest {
  /** The file name (`inline` for an inline script): the test's name in the report and its log. */
  name: string;
  content: Buffer;
}

/** What all tests together may weigh before base64 (4/3 of it on the qemu command line). */
export const TEST_BUDGET_BYTES = 24 * 1024;

/** A name that is safe as a credential name, a file name and a word of the guest's shell script. */
const TEST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function parseBootTestSource(raw: string, cwd: string): BootTestSource {
  if (raw.trimStart().startsWith('#!')) return { kind: 'inline', script: raw.trimStart() };
  const value = raw.trim();
  if (value === '') return { kind: 'none' };
  if (value.includes('\n')) {
    throw new ConfigurationError(
      `Input ${Input.BootTest}: a multi-line value must be a script starting with #! (got one starting with ${JSON.stringify(value.split('\n')[0])}); a path is one line.`,
    );
  }
  return { kind: 'path', path: path.resolve(cwd, value), given: value };
}

function checkName(name: string, where: string): void {
  if (TEST_NAME.test(name)) return;
  throw new ConfigurationError(
    `Input ${Input.BootTest}: ${where} is named ${JSON.stringify(name)}; a test's name must start with a letter or digit and hold only letters, digits, '.', '_' and '-' (64 at most).`,
  );
}

async function executable(file: string): Promise<boolean> {
  const info = await stat(file);
  return info.isFile() && (info.mode & 0o111) !== 0;
}

/** The executables of a directory in name order (byte order, as the C locale sorts); others are left out. */
async function directoryTests(dir: string, given: string): Promise<BootTest[]> {
  const names = (await readdir(dir)).sort();
  const tests: BootTest[] = [];
  for (const name of names) {
    if (name.startsWith('.') || !(await executable(path.join(dir, name)))) continue;
    checkName(name, `${given}/${name}`);
    tests.push({ name, content: await readFile(path.join(dir, name)) });
  }
  if (tests.length === 0) {
    throw new ConfigurationError(
      `Input ${Input.BootTest}: ${given} is a directory without executable files; make the tests executable (chmod +x).`,
    );
  }
  return tests;
}

async function pathTests(source: { path: string; given: string }): Promise<BootTest[]> {
  const info = await stat(source.path).catch(() => undefined);
  if (!info) {
    throw new ConfigurationError(
      `Input ${Input.BootTest}: ${source.given} does not exist (${source.path}); give an executable, a directory of executables or an inline script starting with #!.`,
    );
  }
  if (info.isDirectory()) return directoryTests(source.path, source.given);
  if (!(await executable(source.path))) {
    throw new ConfigurationError(
      `Input ${Input.BootTest}: ${source.given} is not an executable file; make it executable (chmod +x) or give a directory of executables.`,
    );
  }
  const name = path.basename(source.path);
  checkName(name, source.given);
  return [{ name, content: await readFile(source.path) }];
}

/** The tests to carry into the guest, refused when they do not fit in the credentials. */
export async function loadBootTests(source: BootTestSource): Promise<BootTest[]> {
  const tests =
    source.kind === 'none'
      ? []
      : source.kind === 'inline'
        ? [
            {
              name: 'inline',
              content: Buffer.from(source.script.endsWith('\n') ? source.script : `${source.script}\n`),
            },
          ]
        : await pathTests(source);
  const bytes = tests.reduce((sum, t) => sum + t.content.length, 0);
  if (bytes > TEST_BUDGET_BYTES) {
    const sizes = tests.map((t) => `${t.name} ${t.content.length}`).join(', ');
    throw new ConfigurationError(
      `Input ${Input.BootTest}: the tests weigh ${bytes} bytes (${sizes}); at most ${TEST_BUDGET_BYTES} bytes fit in the SMBIOS credentials that carry them into the guest. Put the bulk in the image, or have a small test fetch it from the host (MKOSI_CI_HOST).`,
    );
  }
  return tests;
}
