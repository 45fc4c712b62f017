import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolsTreeToolBox, type ToolBox } from '../../../src/repro/toolbox.js';

describe('tool boxes', () => {
  it('runs programs of a tools tree through its own loader, else falls back', async () => {
    const fallback: ToolBox = { find: async (name) => ({ command: `/host/${name}`, args: [] }) };
    const box = toolsTreeToolBox(mkdtempSync(path.join(os.tmpdir(), 'repro-tree-')), fallback);
    expect(await box.find('mcopy')).toEqual({ command: '/host/mcopy', args: [] });
  });
});
