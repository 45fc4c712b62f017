import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The floor plan of shared/DESIGN.md, checked over the real import graph of src/: imports only point
 * down (or sideways within the domain floor), and only the adapters know GitHub.
 */

const SRC = path.resolve(import.meta.dirname, '../../src');

const FLOORS: Readonly<Record<string, number>> = {
  '.': 0, // vocabulary: inputs, context, ports, errors
  mkosi: 1,
  boot: 1,
  repro: 1,
  cache: 1,
  publish: 1,
  process: 1,
  pipeline: 2,
  report: 3,
  github: 4,
  cli: 4,
};

interface Edge {
  from: string;
  to: string;
}

function folderOf(file: string): string {
  const dir = path.dirname(file);
  return dir === '.' ? '.' : dir.split('/')[0]!;
}

/** What is wrong with an import edge (paths relative to src/, or a package name), or undefined. */
export function violation({ from, to }: Edge): string | undefined {
  const source = folderOf(from);
  const floor = FLOORS[source];
  if (floor === undefined) return `${from}: in a folder the floor plan does not know (${source})`;
  if (!to.endsWith('.js') && !to.startsWith('.')) {
    const packageOnlyAdapters = to.startsWith('@actions/');
    return packageOnlyAdapters && floor < 4
      ? `${from} imports ${to}: only the adapters know GitHub`
      : undefined;
  }
  const target = folderOf(to);
  const targetFloor = FLOORS[target];
  if (targetFloor === undefined) return `${from} imports ${to}: a folder the floor plan does not know`;
  if (targetFloor > floor) return `${from} imports ${to}: an import that points up`;
  if (floor === 4 && targetFloor === 4 && target !== source)
    return `${from} imports ${to}: one adapter imports another`;
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(SRC, path.join(e.parentPath, e.name)));
}

function importsOf(file: string): Edge[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  const specifiers = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
  return specifiers
    .filter((s) => !s.startsWith('node:'))
    .map((s) => ({
      from: file,
      to: s.startsWith('.') ? path.normalize(path.join(path.dirname(file), s)) : s,
    }));
}

describe('the floor plan', () => {
  it('holds for every import in src/', () => {
    const edges = sourceFiles(SRC).flatMap(importsOf);
    expect(edges.length).toBeGreaterThan(100);
    expect(edges.map(violation).filter((v) => v !== undefined)).toEqual([]);
  });

  it('refuses imports that point up, adapters in the core, and GitHub outside the adapters', () => {
    expect(violation({ from: 'boot/run-boot.ts', to: 'pipeline/context.js' })).toMatch(/points up/);
    expect(violation({ from: 'publish/gpg.ts', to: 'report/format.js' })).toMatch(/points up/);
    expect(violation({ from: 'inputs.ts', to: 'mkosi/options.js' })).toMatch(/points up/);
    expect(violation({ from: 'pipeline/run.ts', to: 'github/events.js' })).toMatch(/points up/);
    expect(violation({ from: 'report/build-summary.ts', to: 'cli/log.js' })).toMatch(/points up/);
    expect(violation({ from: 'cli/main.ts', to: 'github/events.js' })).toMatch(/one adapter/);
    expect(violation({ from: 'cache/caches.ts', to: '@actions/cache' })).toMatch(/only the adapters/);
    expect(violation({ from: 'github/cache-store.ts', to: '@actions/cache' })).toBeUndefined();
    expect(violation({ from: 'repro/pins.ts', to: 'mkosi/summary.js' })).toBeUndefined();
    expect(violation({ from: 'pipeline/boot.ts', to: 'boot/boot-image.js' })).toBeUndefined();
    expect(violation({ from: 'nowhere/x.ts', to: 'inputs.js' })).toMatch(/does not know/);
  });
});
