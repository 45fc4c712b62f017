import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { consoleLog } from '../../../src/cli/log.js';
import { maskFile, maskText, MaskingStream, SecretSet } from '../../../src/process/mask.js';
import { ProcessRunner } from '../../../src/process/runner.js';

const KEY = [
  '-----BEGIN PGP PRIVATE KEY BLOCK-----',
  '',
  'lFgEZzabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456',
  'AQCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz98765432==',
  '=AbCd',
  '-----END PGP PRIVATE KEY BLOCK-----',
  '',
].join('\n');

function streamed(secrets: SecretSet, chunks: readonly string[]): string {
  const mask = new MaskingStream(secrets);
  const out = chunks.map((c) => mask.push(Buffer.from(c)));
  return Buffer.concat([...out, mask.end()]).toString();
}

describe('masking', () => {
  it('hides every occurrence, the longest secret first, and leaves other text alone', () => {
    const secrets = new SecretSet();
    secrets.add('hunter2');
    secrets.add('hunter2-and-more');
    secrets.add('   ');
    expect(maskText('a hunter2 b hunter2-and-more c hunter', secrets)).toBe('a *** b *** c hunter');
  });

  it('hides a multi-line key whole and each line of its body, not the armor lines', () => {
    const secrets = new SecretSet();
    secrets.add(KEY);
    const bodyLine = KEY.split('\n')[2]!;
    expect(maskText(`whole:\n${KEY}`, secrets)).toBe('whole:\n***\n');
    expect(maskText(`line: ${bodyLine}!`, secrets)).toBe('line: ***!');
    expect(maskText('-----BEGIN PGP PRIVATE KEY BLOCK-----', secrets)).toBe(
      '-----BEGIN PGP PRIVATE KEY BLOCK-----',
    );
  });

  it('hides a secret split across chunks at every possible boundary', () => {
    const secrets = new SecretSet();
    secrets.add('correct horse battery staple');
    const text = 'say: correct horse battery staple, twice: correct horse battery staple.\n';
    for (let cut = 0; cut <= text.length; cut++) {
      for (const second of [cut, Math.min(text.length, cut + 7)]) {
        const out = streamed(secrets, [text.slice(0, cut), text.slice(cut, second), text.slice(second)]);
        expect(out, `cut at ${cut}/${second}`).toBe('say: ***, twice: ***.\n');
      }
    }
  });

  it('one byte at a time, and a prefix that turns out not to be a secret comes out as it was', () => {
    const secrets = new SecretSet();
    secrets.add('s3cr3t-token');
    const text = 'not s3cr3t-tok but s3cr3t-token and s3cr3';
    expect(streamed(secrets, [...text])).toBe('not s3cr3t-tok but *** and s3cr3');
  });

  it('sees a secret added while a stream is running', () => {
    const secrets = new SecretSet();
    const mask = new MaskingStream(secrets);
    const first = mask.push(Buffer.from('before ghs_abc\n'));
    secrets.add('ghs_abc');
    const second = mask.push(Buffer.from('after ghs_abc\n'));
    expect(Buffer.concat([first, second, mask.end()]).toString()).toBe('before ghs_abc\nafter ***\n');
  });

  it('masks a file in place, keeping its mode', async () => {
    const secrets = new SecretSet();
    secrets.add('p4ss');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mask-')), 'console.log');
    writeFileSync(file, 'x'.repeat(70_000) + 'p4ss\n' + 'p4'.repeat(40_000) + 'ss', { mode: 0o640 });
    await maskFile(file, secrets);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('p4ss');
    expect(text.endsWith('p4***')).toBe(true);
    expect(text).toBe('x'.repeat(70_000) + '***\n' + 'p4'.repeat(39_999) + '***');
  });

  it('the Log and the runner share the secrets: what mask() was given is hidden in the stream and the log file', async () => {
    const secrets = new SecretSet();
    const lines: string[] = [];
    const log = consoleLog(
      () => false,
      (t) => void lines.push(t),
      secrets,
    );
    const sink: Buffer[] = [];
    const runner = new ProcessRunner((c) => sink.push(c), process.env, { secrets });
    log.mask('swordfish');
    const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'mask-')), 'build.log');
    // Split across two writes with a pause, so it arrives in two chunks.
    const result = await runner.run(
      'sh',
      ['-c', 'printf "pass=swo"; sleep 0.2; printf "rdfish\\n" >&1; echo swordfish >&2'],
      {
        logFile,
      },
    );
    log.info('said swordfish');
    expect(Buffer.concat(sink).toString().split('\n').sort()).toEqual(['', '***', 'pass=***']);
    expect(readFileSync(logFile, 'utf8').split('\n').sort()).toEqual(['', '***', 'pass=***']);
    expect(lines).toEqual(['said ***\n']);
    // What the caller parses stays as printed.
    expect(result.stdout).toBe('pass=swordfish\n');
  });
});
