import { Transform } from 'node:stream';
import { parsePaxRecords, parseTarHeader, type TarHeader } from './tar-header.js';

/**
 * What a restored cache archive may hold. Everything else is refused before tar sees it: tar only
 * ever gets the blocks of members that were checked, so nothing it writes can land outside the
 * directory it extracts into.
 */
export interface TarPolicy {
  /** Names allowed at the top of the archive: the cache's members, relative to its root. */
  members: ReadonlySet<string>;
  /**
   * The members are OS trees (an incremental cache, a tools tree): symlinks with absolute targets
   * (which mean the tree's own root to whoever uses the tree) and set-user/group-ID bits are allowed.
   */
  osTree: boolean;
  /** Most bytes of content the archive may unpack to (a file of zeros compresses to almost nothing). */
  maxBytes: number;
}

export class ArchiveRefused extends Error {}

/** The stream ended inside the archive: a damaged download as often as a planted one. */
export class ArchiveTruncated extends ArchiveRefused {}

const BLOCK = 512;
const MAX_EXTENSION_BYTES = 1024 * 1024;
/** PAX keys tar either ignores here (no --xattrs, --acls, --selinux) or that only set metadata. */
const HARMLESS_PAX = new Set([
  'mtime',
  'atime',
  'ctime',
  'uid',
  'gid',
  'uname',
  'gname',
  'comment',
  'charset',
  'hdrcharset',
]);
const HARMLESS_PAX_PREFIXES = ['SCHILY.xattr.', 'LIBARCHIVE.xattr.', 'SCHILY.acl.', 'RHT.security.'];

type Kind = 'file' | 'directory' | 'symlink' | 'hardlink';

const KINDS: Readonly<Record<string, Kind>> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '5': 'directory',
};
const REFUSED_TYPES: Readonly<Record<string, string>> = {
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a FIFO',
  S: 'a sparse file',
  D: 'a GNU dump directory',
  M: 'a multi-volume continuation',
  V: 'a volume label',
  N: 'an old GNU long-name record',
};

interface Extension {
  type: string;
  size: number;
  chunks: Buffer[];
  left: number;
}

/**
 * Checks a tar stream block by block and hands on only what it has checked: the header of each member
 * (with the extension headers that apply to it) once its name, type and link target are safe, then its
 * data. Names are compared as bytes (latin1 strings), the way tar uses them.
 */
export class TarGuard {
  private partial: Buffer = Buffer.alloc(0);
  private dataLeft = 0;
  private done = false;
  private extension: Extension | undefined;
  /** Extension headers and their data, held back until the member they apply to is checked. */
  private held: Buffer[] = [];
  private pax = new Map<string, string>();
  private longName: string | undefined;
  private longLink: string | undefined;
  private readonly seen = new Map<string, Kind>();
  private readonly symlinks = new Set<string>();
  private readonly members: ReadonlySet<string>;
  private total = 0;

  constructor(private readonly policy: TarPolicy) {
    this.members = new Set([...policy.members].map((m) => Buffer.from(m, 'utf8').toString('latin1')));
  }

  /** Bytes of content of the members checked so far: what the archive unpacks to. */
  get unpackedBytes(): number {
    return this.total;
  }

  /** The checked bytes of `chunk` that may go on to tar; throws ArchiveRefused. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length && !this.done) {
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, chunk.length - offset);
        out.push(chunk.subarray(offset, offset + n));
        offset += n;
        this.dataLeft -= n;
        continue;
      }
      const take = Math.min(BLOCK - this.partial.length, chunk.length - offset);
      this.partial = Buffer.concat([this.partial, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (this.partial.length < BLOCK) break;
      const block = this.partial;
      this.partial = Buffer.alloc(0);
      out.push(...this.block(block));
    }
    return out;
  }

  /** Throws unless the stream ended exactly at the end-of-archive marker. */
  finish(): void {
    if (!this.done) throw new ArchiveTruncated('the archive is truncated (it ends before its end marker)');
  }

  private block(block: Buffer): Buffer[] {
    if (this.extension) return this.extensionBlock(block);
    if (block.every((b) => b === 0)) {
      if (this.held.length > 0) throw new ArchiveRefused('an extension header applies to no member');
      this.done = true;
      // Whatever follows the end marker is never handed on.
      return [Buffer.alloc(2 * BLOCK)];
    }
    const header = parseTarHeader(block);
    if (typeof header === 'string') throw new ArchiveRefused(header);
    if (['x', 'g', 'L', 'K'].includes(header.type)) {
      if (header.size > MAX_EXTENSION_BYTES) {
        throw new ArchiveRefused(`an extension header of ${header.size} bytes is too large`);
      }
      this.held.push(block);
      this.extension = { type: header.type, size: header.size, chunks: [], left: padded(header.size) };
      if (header.size === 0) this.endExtension();
      return [];
    }
    const checked = this.member(header);
    const out = [...this.held, block];
    this.held = [];
    this.dataLeft = checked.kind === 'file' ? padded(checked.size) : 0;
    return out;
  }

  private extensionBlock(block: Buffer): Buffer[] {
    const extension = this.extension!;
    this.held.push(block);
    extension.chunks.push(block);
    extension.left -= BLOCK;
    if (extension.left === 0) this.endExtension();
    return [];
  }

  private endExtension(): void {
    const { type, size, chunks } = this.extension!;
    this.extension = undefined;
    const data = Buffer.concat(chunks).subarray(0, size);
    if (type === 'L' || type === 'K') {
      const end = data.indexOf(0);
      const value = data.subarray(0, end === -1 ? data.length : end).toString('latin1');
      if (type === 'L') this.longName = value;
      else this.longLink = value;
      return;
    }
    const records = parsePaxRecords(data);
    if (typeof records === 'string') throw new ArchiveRefused(records);
    for (const [key, value] of records) {
      const overrides = key === 'path' || key === 'linkpath' || key === 'size';
      if (overrides && type === 'x') this.pax.set(key, value);
      else if (!HARMLESS_PAX.has(key) && !HARMLESS_PAX_PREFIXES.some((p) => key.startsWith(p))) {
        throw new ArchiveRefused(`the archive uses the ${type === 'g' ? 'global ' : ''}PAX keyword ${key}`);
      }
    }
  }

  /** Checks one member; records it so later members can be checked against it. */
  private member(header: TarHeader): { kind: Kind; size: number } {
    const rawName = this.pax.get('path') ?? this.longName ?? header.name;
    const rawLink = this.pax.get('linkpath') ?? this.longLink ?? header.linkName;
    const sizeText = this.pax.get('size');
    this.pax.clear();
    this.longName = this.longLink = undefined;
    const size = sizeText === undefined ? header.size : Number(sizeText);
    if (sizeText !== undefined && !/^[0-9]{1,18}$/.test(sizeText)) {
      throw new ArchiveRefused(`${show(rawName)}: the PAX size '${sizeText}' is not a number`);
    }
    const refused = REFUSED_TYPES[header.type];
    if (refused) throw new ArchiveRefused(`${show(rawName)} is ${refused}`);
    const kind = KINDS[header.type];
    if (!kind) throw new ArchiveRefused(`${show(rawName)} has the unknown tar type '${header.type}'`);
    const name = this.checkedPath(rawName, rawName);
    if (kind !== 'file' && size !== 0) throw new ArchiveRefused(`${show(rawName)}: a ${kind} with content`);
    if (kind === 'file' && rawName.endsWith('/'))
      throw new ArchiveRefused(`${show(rawName)}: a file named like a directory`);
    const top = !name.includes('/');
    if (top && kind !== 'file' && kind !== 'directory') {
      throw new ArchiveRefused(
        `${show(rawName)}: a cache member must be a file or a directory, not a ${kind}`,
      );
    }
    if (!this.policy.osTree && kind === 'file' && (header.mode & 0o6000) !== 0) {
      throw new ArchiveRefused(`${show(rawName)} is set-user-ID or set-group-ID`);
    }
    if (kind === 'symlink') this.checkSymlink(name, rawLink);
    if (kind === 'hardlink') {
      const target = this.checkedPath(rawLink, rawName);
      if (this.seen.get(target) !== 'file') {
        throw new ArchiveRefused(
          `${show(rawName)}: a hard link to ${show(rawLink)}, which is no file of this archive`,
        );
      }
    }
    const previous = this.seen.get(name);
    if (previous !== undefined && !(previous === 'directory' && kind === 'directory')) {
      throw new ArchiveRefused(`${show(rawName)} appears twice`);
    }
    this.record(name, kind);
    this.total += size;
    if (this.total > this.policy.maxBytes) {
      throw new ArchiveRefused(
        `the archive unpacks to more than ${this.policy.maxBytes} bytes (the free space this restore may use)`,
      );
    }
    return { kind, size };
  }

  /** A relative name below one of the members, through no symlink of this archive; normalized. */
  private checkedPath(raw: string, member: string): string {
    if (raw.includes('\0')) throw new ArchiveRefused(`${show(member)}: a name with a NUL byte`);
    if (raw.startsWith('/')) throw new ArchiveRefused(`${show(member)}: an absolute name ${show(raw)}`);
    const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..'))
      throw new ArchiveRefused(`${show(member)}: the name ${show(raw)} contains '..'`);
    if (parts.length === 0 || !this.members.has(parts[0]!)) {
      throw new ArchiveRefused(`${show(member)}: ${show(raw)} is outside the cache's members`);
    }
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (this.symlinks.has(parent)) {
        throw new ArchiveRefused(`${show(member)}: ${show(raw)} goes through the symlink ${show(parent)}`);
      }
      const kind = this.seen.get(parent);
      if (kind !== undefined && kind !== 'directory') {
        throw new ArchiveRefused(`${show(member)}: ${show(raw)} goes through the ${kind} ${show(parent)}`);
      }
    }
    return parts.join('/');
  }

  /**
   * A relative target may climb only with leading '..' (through real directories, so the climb is the
   * same whether counted by name or followed on disk) and never out of its member; an absolute target
   * only in an OS tree.
   */
  private checkSymlink(name: string, target: string): void {
    if (target === '' || target.includes('\0'))
      throw new ArchiveRefused(`${show(name)}: an empty symlink target`);
    if (target.startsWith('/')) {
      if (this.policy.osTree) return;
      throw new ArchiveRefused(`${show(name)}: a symlink out of the cache, to ${show(target)}`);
    }
    const parts = target.split('/').filter((p) => p !== '' && p !== '.');
    const climb = parts.findIndex((p) => p !== '..');
    const ups = climb === -1 ? parts.length : climb;
    if (parts.slice(ups).includes('..')) {
      throw new ArchiveRefused(`${show(name)}: the symlink target ${show(target)} has '..' after a name`);
    }
    // name = <member>/<dirs...>/<link>: it may climb as many levels as there are <dirs>.
    if (ups > name.split('/').length - 2) {
      throw new ArchiveRefused(`${show(name)}: a symlink out of the cache, to ${show(target)}`);
    }
  }

  private record(name: string, kind: Kind): void {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (!this.seen.has(parent)) this.seen.set(parent, 'directory');
    }
    this.seen.set(name, kind);
    if (kind === 'symlink') this.symlinks.add(name);
  }
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** A name as bytes were read (latin1), shown as UTF-8 with control characters escaped. */
function show(name: string): string {
  const text = Buffer.from(name, 'latin1').toString('utf8');
  const escaped = [...text]
    .map((c) =>
      c.charCodeAt(0) < 0x20 || c === '\x7f' ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c,
    )
    .join('');
  return `'${escaped}'`;
}

/** The guard as a stream between a decompressor and `tar --extract`; it counts what it let through. */
export function tarGuardStream(policy: TarPolicy): Transform & { readonly unpackedBytes: () => number } {
  const guard = new TarGuard(policy);
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        for (const piece of guard.push(chunk)) this.push(piece);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      try {
        guard.finish();
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  return Object.assign(stream, { unpackedBytes: () => guard.unpackedBytes });
}
