import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * The output directory comes from the project (a checkout can hold a `mkosi.output/SHA256SUMS` that is
 * a symlink to any file), so nothing is written there by opening a name: each file is written to a new
 * name beside it (created exclusively, never following a link) and renamed over the name, which
 * replaces whatever was there instead of writing through it.
 */
async function replacing(file: string, write: (temporary: string) => Promise<void>): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    await write(temporary);
    await rename(temporary, file);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Writes `content` as `file`, replacing (never following) what is there. */
export async function writeFileReplacing(file: string, content: string | Uint8Array): Promise<void> {
  await replacing(file, async (temporary) => {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const handle = await open(temporary, flags, 0o644);
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
  });
}

/** Copies `source` to `file`, replacing (never following) what is there. */
export async function copyFileReplacing(source: string, file: string): Promise<void> {
  await replacing(file, (temporary) => copyFile(source, temporary, constants.COPYFILE_EXCL));
}
