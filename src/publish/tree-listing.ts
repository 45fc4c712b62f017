import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../mkosi/outputs.js';

/**
 * What `sha256sum -c` cannot see: symlinks, empty directories, device nodes, modes and owners. A
 * published directory (an OS tree holds all of them) is therefore also described entry by entry in an
 * mtree specification next to SHA256SUMS, which lists it, so the signature covers it too. A download that
 * lost an entry (a zip keeps no symlinks, empty directories or devices) shows in
 * `mtree -f SHA256SUMS.mtree -p DIR` (NetBSD mtree, Debian's mtree-netbsd) or libarchive's readers.
 */
export const LISTING_FILE = 'SHA256SUMS.mtree';

const TYPES: ReadonlyArray<[(s: Stats) => boolean, string]> = [
  [(s) => s.isFile(), 'file'],
  [(s) => s.isDirectory(), 'dir'],
  [(s) => s.isSymbolicLink(), 'link'],
  [(s) => s.isCharacterDevice(), 'char'],
  [(s) => s.isBlockDevice(), 'block'],
  [(s) => s.isFIFO(), 'fifo'],
  [(s) => s.isSocket(), 'socket'],
];

/**
 * A name the way mtree readers decode it: every byte but printable ASCII as a three-digit octal escape,
 * and so are the characters the format itself uses (space, '#', '=', '\') and glob characters.
 */
export function mtreeName(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    const plain = byte > 0x20 && byte < 0x7f && !'#=\\*?[]'.includes(c);
    out += plain ? c : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/** Linux's encoding of major and minor in a device number (glibc's gnu_dev_major and gnu_dev_minor). */
export function deviceNumbers(rdev: number): string {
  const dev = BigInt(rdev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
  return `native,${major},${minor}`;
}

/** One specification line for `name` (relative to the listing's root, '.' for the root itself). */
async function line(file: string, name: string, known: ReadonlyMap<string, string>): Promise<string> {
  const info = await lstat(file);
  const type = TYPES.find(([is]) => is(info))![1];
  const words = [`./${mtreeName(name)}`, `type=${type}`];
  if (type !== 'link') words.push(`mode=0${(info.mode & 0o7777).toString(8).padStart(3, '0')}`);
  words.push(`uid=${info.uid}`, `gid=${info.gid}`);
  if (type === 'file') {
    words.push(`size=${info.size}`, `sha256digest=${known.get(name) ?? (await sha256File(file))}`);
  }
  if (type === 'link') words.push(`link=${mtreeName(await readlink(file))}`);
  if (type === 'char' || type === 'block') words.push(`device=${deviceNumbers(info.rdev)}`);
  return words.join(' ');
}

async function walk(
  root: string,
  name: string,
  known: ReadonlyMap<string, string>,
  skip: ReadonlySet<string>,
  out: string[],
): Promise<void> {
  const file = name === '.' ? root : path.join(root, name);
  if (name !== '.') out.push(await line(file, name, known));
  if (!(await lstat(file)).isDirectory()) return;
  const children = (await readdir(file)).sort();
  for (const child of children) {
    const childName = name === '.' ? child : `${name}/${child}`;
    if (!skip.has(childName)) await walk(root, childName, known, skip, out);
  }
}

export interface ListingInputs {
  /** The directory the listing describes (the output directory). */
  root: string;
  /** Names below `root` that are published, each a file or a whole tree; '.' for all of `root`. */
  published: readonly string[];
  /** sha256 of files already hashed for SHA256SUMS, by name: not read twice. */
  known: ReadonlyMap<string, string>;
  /** Files next to the listing that are published but cannot be in it (SHA256SUMS, the signature, itself). */
  companions: readonly string[];
}

/**
 * The mtree specification of everything published below `root`: parents before children, names
 * sorted, no times (two builds of one image are the same), the companions marked optional.
 */
export async function renderListing(inputs: ListingInputs): Promise<string> {
  const lines = ['#mtree', '. type=dir'];
  for (const name of [...inputs.companions].sort()) lines.push(`./${mtreeName(name)} type=file optional`);
  const skip = new Set(inputs.companions);
  const entries: string[] = [];
  for (const name of [...new Set(inputs.published)].sort()) {
    await walk(inputs.root, name, inputs.known, skip, entries);
  }
  return [...lines, ...entries, ''].join('\n');
}
