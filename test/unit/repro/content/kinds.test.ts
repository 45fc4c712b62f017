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
