import { describe, expect, it } from 'vitest';
import { sniff } from '../../../../src/repro/content/kinds.js';

describe('content kinds', () => {
  it('tells content kinds apart by their first bytes', () => {
    const gpt = Buffer.alloc(1024);
    gpt.write('EFI PART', 512, 'latin1');
    expect(sniff(gpt)).toBe('gpt');
    expect(sniff(Buffer.from('070701000000', 'latin1'))).toBe('initrd');
    expect(sniff(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]))).toBe('initrd');
    expect(sniff(Buffer.from('hello'))).toBe('blob');
  });
});

describe('content kinds: the edges of each signature', () => {
  it('finds a GPT of 4096-byte sectors, and none in a head too short to hold one', () => {
    const big = Buffer.alloc(8192);
    big.write('EFI PART', 4096, 'latin1');
    expect(sniff(big)).toBe('gpt');
    const short = Buffer.alloc(519);
    short.write('EFI PAR', 512, 'latin1');
    expect(sniff(short)).toBe('blob');
    const exact = Buffer.alloc(520);
    exact.write('EFI PART', 512, 'latin1');
    expect(sniff(exact)).toBe('gpt');
    const exact4k = Buffer.alloc(4104);
    exact4k.write('EFI PART', 4096, 'latin1');
    expect(sniff(exact4k)).toBe('gpt');
    expect(sniff(exact4k.subarray(0, 4103))).toBe('blob');
  });

  it('tells PE, tar and filesystems apart', () => {
    const pe = Buffer.alloc(256);
    pe.write('MZ', 0, 'latin1');
    pe.writeUInt32LE(128, 0x3c);
    pe.write('PE\0\0', 128, 'latin1');
    expect(sniff(pe)).toBe('pe');
    const tar = Buffer.alloc(512);
    tar.write('ustar', 257, 'latin1');
    expect(sniff(tar)).toBe('tar');
    const squashfs = Buffer.alloc(4096);
    squashfs.write('hsqs', 0, 'latin1');
    expect(sniff(squashfs)).toBe('filesystem');
    expect(sniff(Buffer.alloc(70_000))).toBe('blob');
  });
});
