import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { smbiosCredentialStrings } from '../../../src/boot/check-unit.js';
import { qemuOptionPath, writeCredentialFiles } from '../../../src/boot/credential-files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'credential-files-'));
  dirs.push(d);
  return d;
}

describe('credentials handed to qemu as files', () => {
  const credentials = [
    { name: 'passwd.plaintext-password.root', value: 'hunter2, with a comma' },
    { name: 'binary', value: Buffer.from([0, 1, 2, 255]) },
  ];

  it('writes each SMBIOS string to a file only the owner reads, and names the files, not the values', async () => {
    const files = await writeCredentialFiles(credentials, tmp());
    expect(files.args).toHaveLength(4);
    expect(files.args.join(' ')).not.toContain(Buffer.from('hunter2, with a comma').toString('base64'));
    const paths = files.args.filter((_, i) => i % 2 === 1).map((a) => a.replace(/^type=11,path=/, ''));
    expect(files.args.filter((_, i) => i % 2 === 0)).toEqual(['-smbios', '-smbios']);
    expect(paths.map((p) => readFileSync(p, 'utf8'))).toEqual([
      `io.systemd.credential.binary:passwd.plaintext-password.root=${Buffer.from('hunter2, with a comma').toString('base64')}`,
      'io.systemd.credential.binary:binary=AAEC/w==',
    ]);
    expect(paths.map((p) => statSync(p).mode & 0o777)).toEqual([0o600, 0o600]);
    expect(statSync(path.dirname(paths[0]!)).mode & 0o777).toBe(0o700);
    await files.remove();
    expect(existsSync(path.dirname(paths[0]!))).toBe(false);
  });

  it('gives the same strings the command line would have carried', () => {
    expect(smbiosCredentialStrings(credentials)).toEqual([
      `io.systemd.credential.binary:passwd.plaintext-password.root=${Buffer.from('hunter2, with a comma').toString('base64')}`,
      'io.systemd.credential.binary:binary=AAEC/w==',
    ]);
  });

  it("doubles commas in a path, qemu's option separator", () => {
    expect(qemuOptionPath('/tmp/a,b,,c')).toBe('/tmp/a,,b,,,,c');
  });

  it('leaves nothing behind when a credential name is invalid', async () => {
    const dir = tmp();
    await expect(writeCredentialFiles([{ name: 'bad name', value: 'x' }], dir)).rejects.toThrow(
      'invalid credential name: bad name',
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});
