import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { outputFileName, parseSummary } from '../../../src/mkosi/config.js';

/** Real `mkosi --json summary` output of mkosi 27.1 for the test projects (mirror host replaced). */
function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/summary/${name}.json`, import.meta.url), 'utf8');
}

describe('parseSummary', () => {
  it('reads the main image (last) and the default initrd of a bootable disk image', () => {
    const config = parseSummary(fixture('debian-bootable'));
    expect(config.images.map((i) => i.image)).toEqual(['default-initrd', 'main']);
    expect(config.main).toMatchObject({
      image: 'main',
      distribution: 'debian',
      release: 'trixie',
      architecture: 'x86-64',
      format: 'disk',
      output: 'debian-bootable',
      outputExtension: 'raw',
      compressOutput: 'none',
      imageId: 'debian-bootable',
      splitArtifacts: ['uki', 'kernel', 'initrd'],
      outputDirectory: '/var/cache/mkosi-ci-test/out/debian-bootable',
      toolsTree: '/var/cache/mkosi-ci-test/tools/mkosi.tools',
    });
    expect(outputFileName(config.main)).toBe('debian-bootable.raw');
    expect(outputFileName(config.images[0]!)).toBe('initrd.cpio.zst');
    expect(config.tools).toBeUndefined();
  });

  it('reads a directory image', () => {
    const config = parseSummary(fixture('debian-minimal'));
    expect(config.main.format).toBe('directory');
    expect(outputFileName(config.main)).toBe('debian-minimal');
  });

  it('does not compress a UKI as a whole file', () => {
    const config = parseSummary(fixture('debian-bootable-uki'));
    expect(config.main.format).toBe('uki');
    expect(outputFileName(config.main)).toBe('debian-bootable.efi');
  });

  it('reads the default tools tree when mkosi is to build one', () => {
    const config = parseSummary(fixture('tools-tree-default'));
    expect(config.tools).toMatchObject({ distribution: 'debian', release: 'trixie', format: 'directory' });
  });

  it('keeps the raw summary for the config output', () => {
    const text = fixture('debian-bootable');
    expect(parseSummary(text).raw).toEqual(JSON.parse(text));
  });

  it.each([
    ['not json', /mkosi --json summary: the output is not JSON/],
    ['{"Images": []}', /no "Images" list/],
    [
      '{"Images": [{"Format": "disk", "Distribution": 1}]}',
      /field Distribution is 1; this mkosi is not one mkosi-ci understands/,
    ],
  ])('refuses %j with a clear error', (text, message) => {
    expect(() => parseSummary(text)).toThrow(message);
  });
});

describe('withSandboxTrees', () => {
  it('records the sandbox trees mkosi-ci adds for every image and the tools tree', async () => {
    const { withSandboxTrees } = await import('../../../src/mkosi/mirror.js');
    const raw = JSON.parse(fixture('tools-tree-default')) as {
      Images: { SandboxTrees: unknown[] }[];
      Tools: { SandboxTrees: unknown[] };
    };
    const amended = withSandboxTrees(raw, {
      sandboxTrees: ['/w/image'],
      toolsTreeSandboxTrees: ['/w/tools'],
    }) as typeof raw;
    expect(amended.Images.at(-1)!.SandboxTrees).toEqual([{ Source: '/w/image', Target: null }]);
    expect(amended.Tools.SandboxTrees).toEqual([
      ...raw.Tools.SandboxTrees,
      { Source: '/w/tools', Target: null },
    ]);
    expect(raw.Images.at(-1)!.SandboxTrees).toEqual([]);
  });
});
