import type { ContentKind } from '../comparison.js';
import { tarContent } from './archive.js';
import { diskContent } from './disk.js';
import { filesystemContent } from './filesystem.js';
import { initrdContent } from './initrd.js';
import type { ContentComparer } from './kind.js';
import { ukiContent } from './uki.js';

/**
 * The content kinds narrowing looks into, in the order they are tried on a file's first bytes: a
 * new kind is one module and one row. Anything else is a blob, compared by its bytes only.
 */
const CONTENT_KINDS: readonly ContentComparer[] = [
  diskContent,
  ukiContent,
  initrdContent,
  tarContent,
  filesystemContent,
];

/** What a file is from its first bytes (at least HEAD_BYTES of them for filesystems). */
export function sniff(head: Buffer): ContentKind {
  return CONTENT_KINDS.find((c) => c.detect(head))?.kind ?? 'blob';
}

export function contentComparer(kind: ContentKind): ContentComparer | undefined {
  return CONTENT_KINDS.find((c) => c.kind === kind);
}
