import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCleanup } from '../process/cleanup.js';
import { smbiosCredentialStrings, type Credential } from './check-unit.js';

/**
 * The guest's credentials handed to qemu as files (`-smbios type=11,path=…`), as mkosi vm does, not
 * as `value=` on qemu's command line: a command line is readable by every local user in /proc, and a
 * project's Credentials= may hold passwords and keys. The files live in a directory only the owner can
 * read, outside the logs (which become artifacts), and are removed after the boot or when the run is
 * stopped.
 */
export interface CredentialFiles {
  /** qemu's `-smbios` arguments naming the files. */
  args: string[];
  remove(): Promise<void>;
}

/** A path inside a qemu option value: commas are qemu's separator, doubled to stand for themselves. */
export const qemuOptionPath = (file: string): string => file.replace(/,/g, ',,');

export async function writeCredentialFiles(
  credentials: readonly Credential[],
  tmpDir: string = os.tmpdir(),
): Promise<CredentialFiles> {
  const dir = await mkdtemp(path.join(tmpDir, 'mkosi-ci-credentials-'));
  const removeDir = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const forget = runCleanup.addStep({ what: `guest credentials ${dir}`, run: removeDir });
  const remove = async (): Promise<void> => {
    await removeDir();
    forget();
  };
  try {
    await chmod(dir, 0o700);
    const args: string[] = [];
    for (const [i, value] of smbiosCredentialStrings(credentials).entries()) {
      const file = path.join(dir, `credential-${i}`);
      await writeFile(file, value, { mode: 0o600 });
      args.push('-smbios', `type=11,path=${qemuOptionPath(file)}`);
    }
    return { args, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
