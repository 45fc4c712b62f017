import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { socketBase, socketDirectory } from '../../../src/boot/socket-dir.js';

describe("the boot's socket directory", () => {
  it('stays in the temporary directory while the longest socket path fits in sun_path, else goes to /tmp', () => {
    const fits = '/' + 'a'.repeat(63);
    expect(socketBase(fits)).toBe(fits);
    // One byte more and `<base>/mkosi-ci-sock-XXXXXX/vsock.sock_4294967295` would be 108 bytes.
    expect(socketBase(fits + 'a')).toBe('/tmp');
    expect(`${fits}/mkosi-ci-sock-XXXXXX/vsock.sock_4294967295`.length).toBe(107);
  });

  it('makes a private directory whose sockets fit, and removes it', async () => {
    const sockets = await socketDirectory(
      '/var/tmp/mkosi-ci-test-scratch-with-a-long-name/example-immutable-Mk4ptE',
    );
    expect(path.dirname(sockets.dir)).toBe('/tmp');
    expect(statSync(sockets.dir).isDirectory()).toBe(true);
    expect(path.join(sockets.dir, 'vhost-user-vsock.sock').length).toBeLessThan(108);
    await sockets.remove();
    expect(existsSync(sockets.dir)).toBe(false);
  });
});
