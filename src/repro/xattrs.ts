import path from 'node:path';
import { normalizeManifestPath } from './manifest.js';
import type { ReadContext } from './toolbox.js';
import { toolFailure } from './toolbox.js';

/**
 * The extended attributes of a directory tree (file capabilities, SELinux labels, ACLs, user
 * attributes), read with getfattr in one walk: Node cannot read them itself.
 */

export type XattrsByPath = Map<string, Record<string, string>>;

export type XattrDump = { ok: true; byPath: XattrsByPath } | { ok: false; reason: string };

/** getfattr writes control characters and backslashes in names as \ooo octal escapes. */
export function unescapeGetfattr(text: string): string {
  const bytes: Buffer[] = [];
  let last = 0;
  for (const m of text.matchAll(/\\([0-7]{3})/g)) {
    bytes.push(Buffer.from(text.slice(last, m.index)), Buffer.from([parseInt(m[1]!, 8)]));
    last = m.index + m[0].length;
  }
  bytes.push(Buffer.from(text.slice(last)));
  return Buffer.concat(bytes).toString('utf8');
}

/**
 * Parses `getfattr --dump --encoding=hex` run on "." in the tree's root: blocks of
 * "# file: <path>" followed by "name=0x<hex>" lines. Paths become manifest paths ("." is "/").
 */
export function parseGetfattrDump(dump: string): XattrsByPath {
  const byPath: XattrsByPath = new Map();
  let current: Record<string, string> | undefined;
  for (const line of dump.split('\n')) {
    if (line.startsWith('# file: ')) {
      current = {};
      byPath.set(normalizeManifestPath(unescapeGetfattr(line.slice('# file: '.length))), current);
    } else if (current && line !== '') {
      const eq = line.lastIndexOf('=');
      const name = unescapeGetfattr(eq === -1 ? line : line.slice(0, eq));
      current[name] = eq === -1 ? '' : line.slice(eq + 1);
    }
  }
  return byPath;
}

/** Every extended attribute of every path in the tree, symlinks' own included, never following links. */
export async function readXattrs(ctx: ReadContext, root: string): Promise<XattrDump> {
  const tool = await ctx.tools.find('getfattr');
  if (!tool)
    return { ok: false, reason: 'getfattr is not installed (attr): extended attributes cannot be read' };
  const result = await ctx.runner.run(
    tool.command,
    [
      ...tool.args,
      '--recursive',
      '--physical',
      '--no-dereference',
      '--dump',
      '--match=-',
      '--encoding=hex',
      '.',
    ],
    { stream: false, timeoutMs: ctx.timeoutMs ?? 10 * 60_000, cwd: path.resolve(root), env: { ...tool.env } },
  );
  if (result.exitCode !== 0 || result.timedOut) return { ok: false, reason: toolFailure('getfattr', result) };
  return { ok: true, byPath: parseGetfattrDump(result.stdout) };
}
