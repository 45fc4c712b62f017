import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors.js';
import type { Artifact } from '../../../src/mkosi/outputs.js';
import { renderArtifactName, type ArtifactNameFields } from '../../../src/publish/artifact-name.js';
import {
  directoryFiles,
  listedNames,
  parseChecksums,
  publishedFiles,
  renderChecksums,
  writeTreeListing,
} from '../../../src/publish/checksums.js';
import { compressionLevel, looksCompressed } from '../../../src/publish/compression.js';
import { assertArmoredPrivateKey, parseSecretKeys, secretLines } from '../../../src/publish/gpg.js';

const sha = (c: string) => c.repeat(64);

describe('SHA256SUMS', () => {
  it('is `<sha256> *<name>` lines sorted by name, which sha256sum -c reads back', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sums-'));
    writeFileSync(path.join(dir, 'b.raw'), 'disk');
    mkdirSync(path.join(dir, 'tree/etc'), { recursive: true });
    writeFileSync(path.join(dir, 'tree/etc/hostname'), 'host\n');
    const hash = (f: string) =>
      execFileSync('sha256sum', [path.join(dir, f)], { encoding: 'utf8' }).slice(0, 64);
    const text = renderChecksums([
      { name: 'tree/etc/hostname', sha256: hash('tree/etc/hostname') },
      { name: 'b.raw', sha256: hash('b.raw') },
    ]);
    expect(text).toBe(`${hash('b.raw')} *b.raw\n${hash('tree/etc/hostname')} *tree/etc/hostname\n`);
    writeFileSync(path.join(dir, 'SHA256SUMS'), text);
    expect(
      execFileSync('sha256sum', ['--check', '--strict', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' }),
    ).toBe('b.raw: OK\ntree/etc/hostname: OK\n');
    expect(parseChecksums(text)).toEqual(
      new Map([
        ['b.raw', hash('b.raw')],
        ['tree/etc/hostname', hash('tree/etc/hostname')],
      ]),
    );
  });

  it('covers files, and each file below a directory output, but not symlinks or its own files', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'published-'));
    mkdirSync(path.join(dir, 'image/usr/lib'), { recursive: true });
    writeFileSync(path.join(dir, 'image/usr/lib/os-release'), 'ID=debian\n');
    symlinkSync('usr/lib/os-release', path.join(dir, 'image/os-release'));
    const base = { image: 'main', size: 4, target: undefined };
    const artifacts: Artifact[] = [
      {
        ...base,
        name: 'image.efi',
        path: path.join(dir, 'image.efi'),
        kind: 'uki',
        type: 'file',
        sha256: sha('a'),
      },
      {
        ...base,
        name: 'image',
        path: path.join(dir, 'image'),
        kind: 'image',
        type: 'directory',
        sha256: null,
      },
      { ...base, name: 'link', path: path.join(dir, 'link'), kind: 'link', type: 'symlink', sha256: null },
      {
        ...base,
        name: 'SHA256SUMS',
        path: path.join(dir, 'SHA256SUMS'),
        kind: 'other',
        type: 'file',
        sha256: sha('b'),
      },
    ];
    const files = await publishedFiles(artifacts);
    expect(files.map((f) => [f.name, f.sha256])).toEqual([
      ['image.efi', sha('a')],
      [
        'image/usr/lib/os-release',
        execFileSync('sha256sum', { input: 'ID=debian\n', encoding: 'utf8' }).slice(0, 64),
      ],
    ]);
  });

  it('sorts by name whatever order the files come in', () => {
    const names = ['usr/lib/b', 'B.raw', 'a.raw', 'usr/lib/a', 'a.raw.zst', '_empty'];
    const text = renderChecksums(names.map((name, i) => ({ name, sha256: sha(String(i)) })));
    expect(text.split('\n').map((l) => l.slice(66))).toEqual([
      'B.raw',
      '_empty',
      'a.raw',
      'a.raw.zst',
      'usr/lib/a',
      'usr/lib/b',
      '',
    ]);
  });

  it('reads back only whole lines of a hash and a name, nothing around them', () => {
    const good = `${sha('c')} *good.raw`;
    expect(
      parseChecksums(
        [`# ${sha('a')} *commented.raw`, `${sha('b')} *cr.raw\rjunk`, good, `x${sha('d')} *x.raw`].join('\n'),
      ),
    ).toEqual(new Map([['good.raw', sha('c')]]));
  });

  it('hashes a file output that came without its hash', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'published-'));
    writeFileSync(path.join(dir, 'image.raw'), 'disk');
    const files = await publishedFiles([
      {
        name: 'image.raw',
        path: path.join(dir, 'image.raw'),
        image: 'main',
        kind: 'image',
        type: 'file',
        size: 4,
        sha256: null,
      },
    ]);
    expect(files.map((f) => [f.name, f.sha256])).toEqual([
      ['image.raw', execFileSync('sha256sum', { input: 'disk', encoding: 'utf8' }).slice(0, 64)],
    ]);
  });

  it('has a tree listing only when a directory is published: then of every output and report', () => {
    const base = { image: 'main', size: 4, path: '/nonexistent', kind: 'image' as const };
    const file = { ...base, name: 'image.efi', type: 'file' as const, sha256: sha('a') };
    const unhashed = { ...base, name: 'image.raw', type: 'file' as const, sha256: null };
    const directory = { ...base, name: 'image', type: 'directory' as const, sha256: null };
    const link = { ...base, name: 'link', type: 'symlink' as const, sha256: null };
    const sums = { ...base, name: 'SHA256SUMS', type: 'file' as const, sha256: sha('b') };
    expect(listedNames([file, unhashed, link, sums], ['report.md'])).toBeUndefined();
    expect(listedNames([file, unhashed, directory, link, sums], ['report.md'])).toEqual([
      'image.efi',
      'image.raw',
      'image',
      'report.md',
    ]);
  });

  it('lists in the tree listing the hashes SHA256SUMS has, so the two cannot disagree', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'published-'));
    mkdirSync(path.join(dir, 'image/etc'), { recursive: true });
    writeFileSync(path.join(dir, 'image/etc/hostname'), 'host\n');
    const listing = await writeTreeListing(
      dir,
      [{ name: 'image/etc/hostname', path: path.join(dir, 'image/etc/hostname'), size: 5, sha256: sha('e') }],
      ['image'],
    );
    expect(readFileSync(listing.path, 'utf8')).toContain(`sha256digest=${sha('e')}`);
  });

  it('lists every file of a directory for mkosi-ci publish, leaving out SHA256SUMS and its signature', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'publish-dir-'));
    for (const name of ['a', 'SHA256SUMS', 'SHA256SUMS.gpg', 'signing-key.asc'])
      writeFileSync(path.join(dir, name), name);
    expect((await directoryFiles(dir)).map((f) => f.name)).toEqual(['a']);
  });
});

describe('artifact names', () => {
  const fields: ArtifactNameFields = {
    image: 'rescue',
    version: '',
    distribution: 'debian',
    release: 'trixie',
    architecture: 'x86-64',
    profiles: '',
  };

  it('fills the fields in and drops the separator before an empty one', () => {
    expect(renderArtifactName('{image}', fields)).toBe('rescue');
    expect(renderArtifactName('{image}-{version}', fields)).toBe('rescue');
    expect(renderArtifactName('{image}_{version}', { ...fields, version: '1.2' })).toBe('rescue_1.2');
    expect(renderArtifactName('{distribution}-{release}-{architecture}.{profiles}', fields)).toBe(
      'debian-trixie-x86-64',
    );
  });

  it('names the unknown field and the valid ones', () => {
    expect(() => renderArtifactName('{name}', fields)).toThrow(ConfigurationError);
    expect(() => renderArtifactName('{name}', fields)).toThrow(
      'Input artifact-name: unknown field {name}; valid: {image}, {version}, {distribution}, {release}, {architecture}, {profiles}.',
    );
    expect(() => renderArtifactName('{version}', fields)).toThrow(/gives an empty name/);
  });

  it('refuses a brace without its partner, which would end up in the name', () => {
    expect(() => renderArtifactName('{image}-{version', fields)).toThrow(
      "Input artifact-name: '{image}-{version' has a { without its }; fields are written {image}, {version},",
    );
    expect(() => renderArtifactName('image}', fields)).toThrow(/'image\}' has a \} without its \{/);
    expect(() => renderArtifactName('{{image}}', fields)).toThrow(/has a \{ without its \}/);
  });
});

describe('compression of the artifact zip', () => {
  it('recognises compressed data and PE files by their magic numbers', () => {
    expect(looksCompressed(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0))).toBe(true);
    expect(looksCompressed(Uint8Array.of(0x4d, 0x5a, 0x90, 0))).toBe(true);
    expect(looksCompressed(Uint8Array.of(0x1f, 0x8b, 8))).toBe(true);
    expect(looksCompressed(Uint8Array.of(0xeb, 0x63, 0x90))).toBe(false); // an MBR boot sector
    expect(looksCompressed(new Uint8Array(0))).toBe(false);
  });

  it('stores when most bytes are compressed already, else deflates fast', () => {
    expect(
      compressionLevel([
        { size: 900, compressed: false },
        { size: 100, compressed: true },
      ]),
    ).toBe(1);
    expect(
      compressionLevel([
        { size: 400, compressed: false },
        { size: 600, compressed: true },
      ]),
    ).toBe(0);
    expect(compressionLevel([])).toBe(1);
  });
});

describe('the signing key', () => {
  it('refuses a public key and anything that is not an armored private key, without quoting it', () => {
    expect(() => assertArmoredPrivateKey('-----BEGIN PGP PUBLIC KEY BLOCK-----\nsecretish')).toThrow(
      /sign-key: this is a public key/,
    );
    expect(() => assertArmoredPrivateKey('hunter2-not-a-key')).toThrow(/sign-key: not an ASCII-armored/);
    expect(() => assertArmoredPrivateKey('hunter2-not-a-key')).not.toThrow(/hunter2/);
  });

  it('masks the base64 body of the key, not its armor lines', () => {
    const key = [
      '-----BEGIN PGP PRIVATE KEY BLOCK-----',
      'Comment: test',
      '',
      'lQdGBGdtestlinewithbase64content',
      '=AbCd',
      '-----END PGP PRIVATE KEY BLOCK-----',
    ].join('\n');
    expect(secretLines(key)).toEqual(['lQdGBGdtestlinewithbase64content']);
  });

  it('takes the first secret key that can sign, with its primary fingerprint and user id', () => {
    const colons = [
      'sec:u:255:22:AAAA:1700000000:::u:::cC:::+:::23::0:',
      'fpr:::::::::1111111111111111111111111111111111111111:',
      'grp:::::::::0000:',
      'uid:u::::1700000000::HASH::Encrypt Only:::::::::0:',
      'sec:u:255:22:BBBB:1700000000:::u:::scESC:::+:::23::0:',
      'fpr:::::::::2222222222222222222222222222222222222222:',
      'uid:u::::1700000000::HASH::Image Builder \\x3cimages@example.org\\x3e:::::::::0:',
      'ssb:u:255:18:CCCC:1700000000::::::e:::+:::cv25519::',
      'fpr:::::::::3333333333333333333333333333333333333333:',
    ].join('\n');
    expect(parseSecretKeys(colons)).toEqual([
      {
        fingerprint: '2222222222222222222222222222222222222222',
        userId: 'Image Builder <images@example.org>',
      },
    ]);
  });
});
