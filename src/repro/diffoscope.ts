import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { FileDifference } from './comparison.js';

/**
 * diffoscope on the narrowed files only: it reads a whole disk image as one blob (and runs out of
 * memory on it), but explains a differing config file, binary or archive well.
 */

export type DiffoscopeRun =
  | { status: 'disabled' }
  | { status: 'unavailable' }
  | { status: 'nothing-to-explain' }
  | { status: 'ran'; durationMs: number; files: number; html: string; text: string }
  | { status: 'timed-out'; durationMs: number; files: number }
  | { status: 'failed'; durationMs: number; files: number; reason: string };

export interface DiffoscopeCommand {
  command: string;
  args: string[];
}

const LOADER = 'lib64/ld-linux-x86-64.so.2';

/**
 * diffoscope from the tools tree (run by the tree's own loader and python3, so no chroot is needed;
 * the programs it starts come from the host's PATH), else the host's.
 */
export async function findDiffoscope(
  toolsTree: string | undefined,
  which: (command: string) => Promise<string | undefined>,
): Promise<DiffoscopeCommand | undefined> {
  if (toolsTree) {
    const loader = path.join(toolsTree, LOADER);
    const python = path.join(toolsTree, 'usr/bin/python3');
    const script = path.join(toolsTree, 'usr/bin/diffoscope');
    if ([loader, python, script].every((f) => existsSync(f))) {
      return {
        command: loader,
        args: ['--library-path', path.dirname(realpathSync(loader)), python, script],
      };
    }
  }
  const host = await which('diffoscope');
  return host ? { command: host, args: [] } : undefined;
}

export interface DiffoscopeArgsOptions {
  html: string;
  text: string;
  maxReportSize: number;
  timeoutSeconds: number;
  a: string;
  b: string;
}

/** diffoscope's arguments: both reports, bounded in size, and no noise from the copies' own metadata. */
export function diffoscopeArgs(o: DiffoscopeArgsOptions): string[] {
  return [
    '--html',
    o.html,
    '--text',
    o.text,
    '--max-report-size',
    String(o.maxReportSize),
    '--max-text-report-size',
    String(o.maxReportSize),
    // The copies were made for diffoscope: their directories' metadata says nothing.
    '--exclude-directory-metadata=yes',
    '--timeout',
    String(o.timeoutSeconds),
    '--no-progress',
    o.a,
    o.b,
  ];
}

/**
 * Where a differing file is put for diffoscope, the same on both sides: its location then its path,
 * so the HTML report's headings say where each file came from. Never leaves the narrowed directory.
 */
export function narrowedPath(difference: Pick<FileDifference, 'location' | 'path'>): string {
  const parts = [...difference.location, difference.path]
    .flatMap((p) => p.split('/'))
    .map((p) => p.replace(/[\0]/g, ''))
    .filter((p) => p !== '' && p !== '.' && p !== '..');
  return parts.join('/');
}
