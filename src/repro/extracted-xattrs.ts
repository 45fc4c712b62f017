import type { ManifestEntry } from './manifest.js';
import { runTool, type ReadContext } from './toolbox.js';

/**
 * Extended attributes of an extracted filesystem, read with getfattr: Node cannot list xattrs, and the
 * extraction tools (fsck.erofs, unsquashfs) write them onto the files they extract. Builds differ in
 * them more often than one would think (overlayfs's user.overlay.origin holds an inode number).
 */

/** getfattr's escapes in names: `\ooo` (octal) for control characters and the backslash itself. */
export function unescapeGetfattr(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * `getfattr --dump --encoding=hex --absolute-names` output as xattrs per manifest path ("/" for
 * `root` itself, "/usr/bin" below it). Files without xattrs are absent.
 */
export function parseGetfattrDump(text: string, root: string): Map<string, Record<string, string>> {
  const byPath = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      const file = unescapeGetfattr(line.slice('# file: '.length));
      const relative = file === root ? '' : file.startsWith(`${root}/`) ? file.slice(root.length) : undefined;
      current = relative === undefined ? undefined : {};
      if (current) byPath.set(relative || '/', current);
    } else if (current && line !== '') {
      const eq = line.indexOf('=');
      const name = unescapeGetfattr(eq === -1 ? line : line.slice(0, eq));
      current[name] = eq === -1 ? '' : line.slice(eq + 1);
    }
  }
  for (const [key, value] of byPath) if (Object.keys(value).length === 0) byPath.delete(key);
  return byPath;
}

/**
 * Puts the xattrs of the tree at `root` into its manifest entries. False when getfattr is missing or
 * fails: then the caller must leave xattrs out of the comparison.
 */
export async function addExtractedXattrs(
  ctx: ReadContext,
  root: string,
  entries: ManifestEntry[],
): Promise<boolean> {
  const tool = await ctx.tools.find('getfattr');
  if (!tool) return false;
  const args = [
    '--recursive',
    '--physical',
    '--no-dereference',
    '--absolute-names',
    '--match=-',
    '--encoding=hex',
    '--dump',
    root,
  ];
  const result = await runTool(ctx, tool, args);
  if (result.exitCode !== 0) return false;
  const byPath = parseGetfattrDump(result.stdout, root);
  for (const entry of entries) {
    const xattrs = byPath.get(entry.path);
    if (xattrs) entry.xattrs = xattrs;
  }
  return true;
}
