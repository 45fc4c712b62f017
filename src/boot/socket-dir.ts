import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCleanup } from '../process/cleanup.js';

/**
 * A private directory for the boot's unix sockets (vhost-user vsock, its host listeners, swtpm). A
 * socket's path must fit in sun_path (108 bytes with its NUL), which a socket beside the logs of a deep
 * work directory does not (`…/work/logs/update/boot-1/vhost-user-vsock.sock` under a runner's or CI's
 * temporary directory): vhost-device-vsock then refuses to listen, and qemu cannot connect.
 */
export interface SocketDirectory {
  dir: string;
  remove(): Promise<void>;
}

/** Room for `mkosi-ci-sock-XXXXXX/` and the longest name below it (`vsock.sock_` and a 10-digit port). */
const LONGEST_BASE = 107 - '/mkosi-ci-sock-XXXXXX/vsock.sock_4294967295'.length;

/** The temporary directory when its path leaves room for the sockets, else /tmp. */
export function socketBase(tmpDir: string = os.tmpdir()): string {
  return tmpDir.length <= LONGEST_BASE ? tmpDir : '/tmp';
}

export async function socketDirectory(tmpDir?: string): Promise<SocketDirectory> {
  const dir = await mkdtemp(path.join(socketBase(tmpDir), 'mkosi-ci-sock-'));
  const removeDir = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const forget = runCleanup.addStep({ what: `boot sockets ${dir}`, run: removeDir });
  return {
    dir,
    remove: async () => {
      await removeDir();
      forget();
    },
  };
}
