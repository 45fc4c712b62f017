import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { TOOLS_TREE } from './paths.js';

/** A program of the shared tools tree, run through the tree's own loader (the host's libc may be older). */
export function toolsTreeProgram(program: string, args: readonly string[]): string {
  const lib = (p: string): string => path.join(TOOLS_TREE, p);
  return execFileSync(
    lib('usr/lib64/ld-linux-x86-64.so.2'),
    ['--library-path', `${lib('usr/lib/x86_64-linux-gnu')}:${lib('usr/lib')}`, lib(program), ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
}
