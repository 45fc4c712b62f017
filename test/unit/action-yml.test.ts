import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Output } from '../../src/github/constants.js';
import { Input, INPUT_SPECS } from '../../src/inputs.js';

const action = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as {
  inputs: Record<string, { description: string; default: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string; post: string };
};

describe('action.yml', () => {
  it('declares exactly the inputs the code reads, with the same defaults and descriptions', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.values(Input).sort());
    for (const input of Object.values(Input)) {
      expect(action.inputs[input]?.default, input).toBe(INPUT_SPECS[input].default);
      expect(action.inputs[input]?.description, input).toBe(INPUT_SPECS[input].description);
    }
  });

  it('declares exactly the outputs the code sets', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(Object.values(Output).sort());
  });

  it('runs the bundles on node24 with a post step', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/main/index.js', post: 'dist/post/index.js' });
  });
});
