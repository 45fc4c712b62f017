import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import type { ToolsTree } from './options.js';

/** Files and directories whose presence makes a directory an mkosi project. */
const PROJECT_MARKERS = ['mkosi.conf', 'mkosi.conf.d', 'mkosi.images'];

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Refuses a directory that is not an mkosi project before mkosi gets to build its defaults there. */
export async function assertProject(directory: string): Promise<void> {
  const info = await stat(directory).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new ConfigurationError(`Input ${Input.Directory}: ${directory} is not a directory.`, {
      file: directory,
    });
  }
  for (const marker of PROJECT_MARKERS) {
    if (await exists(path.join(directory, marker))) return;
  }
  throw new ConfigurationError(
    `Input ${Input.Directory}: ${directory} has no mkosi configuration (expected ${PROJECT_MARKERS.join(', ')}).`,
    { file: directory },
  );
}

/** A tools tree given as a path must be there: mkosi's own complaint names neither the input nor the choices. */
export async function assertToolsTree(toolsTree: ToolsTree): Promise<void> {
  if (toolsTree.kind !== 'path') return;
  const info = await stat(toolsTree.path).catch(() => undefined);
  if (info?.isDirectory()) return;
  throw new ConfigurationError(
    `Input ${Input.ToolsTree}: ${toolsTree.path} ${info ? 'is not a directory' : 'does not exist'}; give default, none or the path of a prepared tools tree.`,
    { file: toolsTree.path },
  );
}
