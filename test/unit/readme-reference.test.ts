import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without types
import { renderReference, withReference } from '../../scripts/reference.mjs';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

describe("the README's reference", () => {
  it('is what action.yml gives (run node scripts/reference.mjs after changing action.yml)', () => {
    const readme = read('README.md');
    expect(withReference(readme, renderReference(read('action.yml')))).toBe(readme);
  });

  it('changes when an input does', () => {
    const actionYml = read('action.yml').replace(/^ {2}boot-watch:$/m, '  boot-watching:');
    expect(renderReference(actionYml)).toContain('`boot-watching`');
    expect(renderReference(actionYml)).not.toBe(renderReference(read('action.yml')));
  });
});
