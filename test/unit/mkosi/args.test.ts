import { describe, expect, it } from 'vitest';
import { buildArgs, commonArgs, summaryArgs, type Invocation } from '../../../src/mkosi/args.js';

const base: Invocation = {
  directory: '/p',
  profiles: [],
  environment: [],
  toolsTree: { kind: 'default' },
  sandboxTrees: [],
  toolsTreeSandboxTrees: [],
  extraArgs: [],
};

describe('mkosi arguments', () => {
  it('puts options before the verb and the user options last', () => {
    const invocation: Invocation = {
      ...base,
      profiles: ['a', 'b'],
      environment: [
        ['K', 'v w'],
        ['E', ''],
      ],
      mirror: 'http://mirror.example',
      toolsTree: { kind: 'path', path: '/tools' },
      sandboxTrees: ['/w/sandbox/image'],
      toolsTreeSandboxTrees: ['/w/sandbox/tools'],
      extraArgs: ['--image-version=2'],
    };
    expect(buildArgs(invocation, 2)).toEqual([
      '--directory',
      '/p',
      '--profile=a,b',
      '--environment=K=v w',
      '--environment=E=',
      '--mirror=http://mirror.example',
      '--tools-tree=/tools',
      '--sandbox-tree=/w/sandbox/image',
      '--tools-tree-sandbox-tree=/w/sandbox/tools',
      '--image-version=2',
      '-f',
      '-f',
      'build',
    ]);
  });

  it('asks for the JSON summary with the same options as the build', () => {
    expect(summaryArgs(base)).toEqual([...commonArgs(base), '--json', 'summary']);
    expect(buildArgs(base, 0)).toEqual([...commonArgs(base), 'build']);
  });

  it('spells the tools tree choices as mkosi 26+ does', () => {
    expect(commonArgs({ ...base, toolsTree: { kind: 'none' } })).toContain('--tools-tree=no');
    expect(commonArgs(base)).toContain('--tools-tree=default');
  });
});
