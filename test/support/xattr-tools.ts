import { execFileSync } from 'node:child_process';
import type { Runner } from '../../src/ports.js';
import { chainToolBoxes, hostToolBox, toolsTreeToolBox, type ToolBox } from '../../src/repro/toolbox.js';
import { TOOLS_TREE } from './paths.js';

/**
 * getfattr and setfattr (Debian's attr) for the directory comparison tests: the host's, else the
 * shared test tools tree's (which has attr). The tests fail, not skip, when neither has them.
 */

export function xattrToolBox(runner: Runner): ToolBox {
  return chainToolBoxes(hostToolBox(runner), toolsTreeToolBox(TOOLS_TREE));
}

/** Whether the host itself has getfattr (else the CLI needs --tools-tree to read xattrs). */
export async function hostHasGetfattr(runner: Runner): Promise<boolean> {
  return (await runner.which('getfattr')) !== undefined;
}

/** Sets an extended attribute with the real setfattr (value as text or 0x-prefixed hex). */
export async function setfattr(runner: Runner, file: string, name: string, value: string): Promise<void> {
  const tool = await xattrToolBox(runner).find('setfattr');
  if (!tool) throw new Error('setfattr not found on the host nor in the test tools tree: install attr');
  execFileSync(tool.command, [...tool.args, '--no-dereference', '-n', name, '-v', value, file]);
}

/** Sets a file's mtime to the nanosecond with the real touch: `seconds` as "1000.000000001". */
export function touchAt(file: string, seconds: string): void {
  execFileSync('touch', ['--no-dereference', '-d', `@${seconds}`, file]);
}
