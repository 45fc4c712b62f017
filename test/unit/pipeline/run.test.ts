import { describe, expect, it } from 'vitest';
import { STAGES } from '../../../src/pipeline/run.js';

describe('the order of the stages', () => {
  const titles = STAGES.map((s) => s.title);

  it('signs the outputs, then runs the update round trip on them, and uploads only after both', () => {
    const at = (title: string): number => titles.indexOf(title);
    expect(at('SHA256SUMS')).toBeGreaterThan(-1);
    expect(at('update round trip')).toBe(at('SHA256SUMS') + 1);
    expect(at('upload')).toBe(titles.length - 1);
  });
});
