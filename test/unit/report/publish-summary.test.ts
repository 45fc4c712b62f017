import { describe, expect, it } from 'vitest';
import type { PublishResult } from '../../../src/pipeline/publish.js';
import { publishMarkdown, publishText } from '../../../src/report/publish-summary.js';

const base: PublishResult = {
  directory: '/out',
  checksumsFile: '/out/SHA256SUMS',
  files: [
    { name: 'image.raw', path: '/out/image.raw', size: 3 * 1024 * 1024, sha256: 'a'.repeat(64) },
    { name: 'image.efi', path: '/out/image.efi', size: 1024 * 1024, sha256: 'b'.repeat(64) },
  ],
  notes: [],
};

describe('the publish summary', () => {
  it('says what SHA256SUMS covers and that it is not signed', () => {
    expect(publishMarkdown(base)).toEqual([
      '### Publish',
      '',
      '- `SHA256SUMS`: 2 files, 4.0 MiB',
      '- not signed (no `sign-key`)',
    ]);
  });

  it('names the signer, the artifact with its link and compression, the release and the notes', () => {
    const result: PublishResult = {
      ...base,
      signature: {
        file: '/out/SHA256SUMS.gpg',
        publicKeyFile: '/out/signing-key.asc',
        key: { fingerprint: 'F'.repeat(40), userId: 'Images | CI <ci@example.org>' },
        verification: 'gpgv: Good signature',
      },
      artifact: {
        id: 7,
        size: 2 * 1024 * 1024,
        url: 'https://example.org/a/7',
        name: 'image',
        files: 5,
        bytes: 4 * 1024 * 1024,
        compressionLevel: 1,
        durationMs: 12_300,
      },
      release: {
        tag: 'v1',
        url: 'https://example.org/r/v1',
        created: false,
        uploaded: ['a', 'b'],
        replaced: ['a'],
      },
      notes: ['upload: no artifact service here; nothing uploaded.'],
    };
    expect(publishMarkdown(result).slice(3)).toEqual([
      `- \`SHA256SUMS.gpg\`: signed by \`${'F'.repeat(40)}\` (Images \\| CI <ci@example.org>); verified with the public key alone (\`signing-key.asc\`)`,
      '- artifact [`image`](https://example.org/a/7): 5 files, 4.0 MiB zipped to 2.0 MiB (deflate level 1) in 12.3s',
      '- release [v1](https://example.org/r/v1): 2 assets uploaded, 1 replaced',
      '- upload: no artifact service here; nothing uploaded.',
    ]);
    expect(publishText(result)).toEqual([
      'SHA256SUMS: 2 files, 4.0 MiB: /out/SHA256SUMS',
      `SHA256SUMS.gpg: signed by ${'F'.repeat(40)} (Images | CI <ci@example.org>), verified: /out/SHA256SUMS.gpg`,
      'public key: /out/signing-key.asc',
      'artifact: image (id 7)',
      'release: https://example.org/r/v1',
      'upload: no artifact service here; nothing uploaded.',
    ]);
  });
});
