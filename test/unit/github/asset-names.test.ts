import { describe, expect, it } from 'vitest';
import { githubAssetName, githubKeepsName } from '../../../src/github/asset-names.js';

describe('release asset names', () => {
  it.each(['debian-bootable_1.0_x86-64.raw', 'SHA256SUMS.gpg', 'image.efi', 'a', '_x-'])(
    'keeps %s',
    (name) => {
      expect(githubKeepsName(name)).toBe(true);
      expect(githubAssetName(name)).toBe(name);
    },
  );

  it.each([
    ['image 1.raw', 'image.1.raw'],
    ['appName(x64)_1.0.0.xx.msi', 'appName.x64._1.0.0.xx.msi'],
    ['image_1.0~rc1.raw', 'image_1.0.rc1.raw'],
    ['image_1.0+git.raw', 'image_1.0.git.raw'],
    ['.hidden', 'hidden'],
    ['trailing.', 'trailing'],
    ['two..dots', 'two.dots'],
    ['ünïcode.raw', 'n.code.raw'],
  ])('does not trust %s to stay (GitHub stores something like %s)', (name, renamed) => {
    expect(githubKeepsName(name)).toBe(false);
    expect(githubAssetName(name)).toBe(renamed);
  });
});
