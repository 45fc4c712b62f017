import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Context } from '../../../src/context.js';
import { defaultInputs } from '../../../src/inputs.js';
import { parseOptions } from '../../../src/pipeline/options.js';
import { publishDirectory } from '../../../src/publish/write-checksums.js';
import { checksumLine, parseChecksums } from '../../../src/publish/checksums.js';
import { deviceNumbers, mtreeName } from '../../../src/publish/tree-listing.js';

/**
 * SHA256SUMS and its tree listing over an OS-like tree, checked with the real `sha256sum -c` and the
 * real NetBSD `mtree` (Debian's mtree-netbsd, installed by .ci/install-host-tools), and written without
 * following what a project may have planted in its output directory.
 */

const root = process.getuid?.() === 0;
let scratch: string;
let out: string;
let infos: string[];

beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'publish-trust-'));
  out = path.join(scratch, 'out');
  mkdirSync(out);
  infos = [];
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const ctx = (): Context => ({ log: { info: (m: string) => infos.push(m) } }) as unknown as Context;
const options = () => parseOptions(defaultInputs(), '/').publish;

/** The kind of names an image tree holds: systemd's escapes, spaces, even a line break. */
const ODD_NAMES = [
  'system-systemd\\x2dmute\\x2dconsole.slice',
  'dev-disk-by\\x2dlabel-root.device',
  'with space',
  'line\nbreak',
  'carriage\rreturn',
  'hash#equals=star*',
  'ünïcode',
];

function osTree(): void {
  const units = path.join(out, 'image/usr/lib/systemd/system');
  mkdirSync(units, { recursive: true });
  for (const name of ODD_NAMES) writeFileSync(path.join(units, name), `unit ${name}\n`);
  mkdirSync(path.join(out, 'image/var/empty'), { recursive: true });
  symlinkSync('usr/lib', path.join(out, 'image/lib'));
  symlinkSync('/run/systemd/resolve/stub-resolv.conf', path.join(out, 'image/resolv.conf'));
  writeFileSync(path.join(out, 'image/usr/lib/secret'), 'x');
  chmodSync(path.join(out, 'image/usr/lib/secret'), 0o600);
  mkdirSync(path.join(out, 'image/dev'));
  if (root) execFileSync('mknod', [path.join(out, 'image/dev/null'), 'c', '1', '3']);
  writeFileSync(path.join(out, 'image.manifest'), '{}\n');
}

function run(command: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd: out, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('SHA256SUMS of names with backslashes and line breaks', () => {
  it('escapes them as GNU sha256sum does, and reads them back', () => {
    expect(checksumLine('plain name', 'a'.repeat(64))).toBe(`${'a'.repeat(64)} *plain name\n`);
    expect(checksumLine('a\\x2db\nc\rd', 'a'.repeat(64))).toBe(`\\${'a'.repeat(64)} *a\\\\x2db\\nc\\rd\n`);
    for (const name of ODD_NAMES) {
      expect(parseChecksums(checksumLine(name, 'b'.repeat(64)))).toEqual(new Map([[name, 'b'.repeat(64)]]));
    }
  });

  it('publishes a tree full of them, and the real sha256sum -c accepts every line', async () => {
    osTree();
    const result = await publishDirectory(ctx(), options(), out);
    const check = run('sha256sum', ['--check', '--strict', 'SHA256SUMS']);
    expect(check.status, check.output).toBe(0);
    const names = result.files.map((f) => f.name);
    for (const name of ODD_NAMES) expect(names).toContain(`image/usr/lib/systemd/system/${name}`);
    // Every file and the listing: the check's own count.
    expect(check.output.match(/: OK$/gm)).toHaveLength(result.files.length + 1);
    // Tampering with one of the odd names shows.
    writeFileSync(path.join(out, 'image/usr/lib/systemd/system', ODD_NAMES[0]!), 'changed\n');
    const tampered = run('sha256sum', ['--check', '--strict', 'SHA256SUMS']);
    expect(tampered.status).toBe(1);
    expect(tampered.output).toContain('system-systemd\\x2dmute\\x2dconsole.slice: FAILED');
  });
});

describe('the tree listing (SHA256SUMS.mtree)', () => {
  it('names odd bytes in octal and devices by major and minor', () => {
    expect(mtreeName('a b\\c#d=e')).toBe('a\\040b\\134c\\043d\\075e');
    expect(mtreeName('ü')).toBe('\\303\\274');
    expect(deviceNumbers((1 << 8) | 3)).toBe('native,1,3');
    // makedev(259, 65536): the minor's high bits sit above bit 20.
    expect(deviceNumbers(0x10000000 | (259 << 8) | 0)).toBe('native,259,65536');
  });

  it('is listed in SHA256SUMS and matches the tree for the real mtree; a lost entry shows', async () => {
    osTree();
    const result = await publishDirectory(ctx(), options(), out);
    expect(result.listingFile).toBe(path.join(out, 'SHA256SUMS.mtree'));
    expect(readFileSync(path.join(out, 'SHA256SUMS'), 'utf8')).toMatch(/^[0-9a-f]{64} \*SHA256SUMS\.mtree$/m);
    const listing = readFileSync(result.listingFile!, 'utf8');
    expect(listing).toContain('./image/var/empty type=dir mode=0755');
    expect(listing).toContain('./image/lib type=link uid=0 gid=0 link=usr/lib');
    expect(listing).toMatch(
      /^\.\/image\/usr\/lib\/secret type=file mode=0600 .* size=1 sha256digest=[0-9a-f]{64}$/m,
    );
    if (root) expect(listing).toContain('./image/dev/null type=char mode=0644 uid=0 gid=0 device=native,1,3');
    const intact = run('mtree', ['-f', 'SHA256SUMS.mtree', '-p', '.']);
    expect(intact, intact.output).toEqual({ status: 0, output: '' });

    // What a zip upload loses: a symlink, an empty directory, a device node, a mode.
    unlinkSync(path.join(out, 'image/lib'));
    rmdirSync(path.join(out, 'image/var/empty'));
    if (root) unlinkSync(path.join(out, 'image/dev/null'));
    chmodSync(path.join(out, 'image/usr/lib/secret'), 0o644);
    writeFileSync(path.join(out, 'planted'), 'an extra file');
    const lost = run('mtree', ['-f', 'SHA256SUMS.mtree', '-p', '.']);
    expect(lost.output).toContain('missing: ./image/lib');
    expect(lost.output).toContain('missing: ./image/var/empty');
    if (root) expect(lost.output).toContain('missing: ./image/dev/null');
    expect(lost.output).toMatch(/image\/usr\/lib\/secret:\s*\n\s*permissions \(0600, 0644\)/);
    expect(lost.output).toContain('extra: planted');
  });

  it('is not written when only regular files are published', async () => {
    writeFileSync(path.join(out, 'image.raw'), 'disk');
    const result = await publishDirectory(ctx(), options(), out);
    expect(result.listingFile).toBeUndefined();
    expect(readFileSync(path.join(out, 'SHA256SUMS'), 'utf8')).not.toContain('SHA256SUMS.mtree');
  });
});

describe('files planted in the output directory', () => {
  it.each(['SHA256SUMS', 'SHA256SUMS.mtree'])(
    'a symlink named %s is replaced, never written through',
    async (name) => {
      osTree();
      const canary = path.join(scratch, 'canary');
      writeFileSync(canary, 'precious');
      symlinkSync(canary, path.join(out, name));
      await publishDirectory(ctx(), options(), out);
      expect(readFileSync(canary, 'utf8')).toBe('precious');
      expect(lstatSync(path.join(out, name)).isFile()).toBe(true);
      expect(run('sha256sum', ['--check', '--strict', 'SHA256SUMS']).status).toBe(0);
    },
  );

  it('a stale signature of an earlier run is removed, a link to elsewhere only unlinked', async () => {
    writeFileSync(path.join(out, 'image.raw'), 'disk');
    const canary = path.join(scratch, 'canary');
    writeFileSync(canary, 'precious');
    writeFileSync(path.join(out, 'SHA256SUMS.gpg'), 'old signature');
    symlinkSync(canary, path.join(out, 'signing-key.asc'));
    await publishDirectory(ctx(), options(), out);
    expect(() => lstatSync(path.join(out, 'SHA256SUMS.gpg'))).toThrow();
    expect(() => lstatSync(path.join(out, 'signing-key.asc'))).toThrow();
    expect(readFileSync(canary, 'utf8')).toBe('precious');
  });

  it('a directory in the place of SHA256SUMS fails the run rather than being removed', async () => {
    writeFileSync(path.join(out, 'image.raw'), 'disk');
    mkdirSync(path.join(out, 'SHA256SUMS'));
    writeFileSync(path.join(out, 'SHA256SUMS/keep'), 'x');
    await expect(publishDirectory(ctx(), options(), out)).rejects.toThrow();
    expect(readFileSync(path.join(out, 'SHA256SUMS/keep'), 'utf8')).toBe('x');
  });
});
