/**
 * The fields of a tar header block that decide where and what a member is, read the way GNU tar
 * reads them. Anything GNU tar would read differently, or only by resynchronizing on a later block,
 * is refused: a guard that parses the stream must see exactly the members tar will extract.
 */
export interface TarHeader {
  /** Bytes of the name as a latin1 string: the ustar prefix joined in where tar joins it. */
  name: string;
  linkName: string;
  /** The one-character type flag ('\0' for an old regular file). */
  type: string;
  mode: number;
  size: number;
}

/** A NUL-terminated field as bytes (latin1). */
function field(block: Buffer, offset: number, length: number): string {
  const slice = block.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return slice.subarray(0, end === -1 ? length : end).toString('latin1');
}

/**
 * A numeric field: octal digits after optional spaces, ended by spaces or NULs (or by the end of the
 * field), or a positive base-256 number. Undefined for anything else (GNU tar would complain and
 * possibly skip ahead, so it must not pass).
 */
function numeric(block: Buffer, offset: number, length: number): number | undefined {
  const slice = block.subarray(offset, offset + length);
  if (slice[0] === 0x80) {
    let value = 0;
    for (const byte of slice.subarray(1)) value = value * 256 + byte;
    return Number.isSafeInteger(value) ? value : undefined;
  }
  const match = /^ *([0-7]+)[ \0]*$/.exec(slice.toString('latin1'));
  return match ? Number.parseInt(match[1]!, 8) : undefined;
}

function checksumMatches(block: Buffer): boolean {
  const stored = numeric(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte >= 128 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** Parses one header block; a string says why it is refused. */
export function parseTarHeader(block: Buffer): TarHeader | string {
  if (!checksumMatches(block)) return 'a header block with a wrong checksum (not a tar archive, or damaged)';
  // strcmp(magic, "ustar"), as GNU tar decides whether the prefix field is part of the name.
  const magic = field(block, 257, 512 - 257);
  const posix = magic === 'ustar';
  const gnu = block.subarray(257, 265).toString('latin1') === 'ustar  \0';
  if (!posix && !gnu) return 'a header in an old or unknown tar format';
  let name = field(block, 0, 100);
  const prefix = posix ? field(block, 345, 155) : '';
  if (prefix !== '') name = `${prefix}/${name}`;
  const mode = numeric(block, 100, 8);
  const size = numeric(block, 124, 12);
  if (mode === undefined || size === undefined) return `${JSON.stringify(name)}: an unreadable mode or size`;
  for (const [offset, length] of [
    [108, 8],
    [116, 8],
    [136, 12],
  ] as const) {
    if (numeric(block, offset, length) === undefined) {
      return `${JSON.stringify(name)}: an unreadable owner or time`;
    }
  }
  return {
    name,
    linkName: field(block, 157, 100),
    type: String.fromCharCode(block[156]!),
    mode,
    size,
  };
}

/**
 * The records of a PAX extended header, `<length> <key>=<value>\n` each. A string says why they are
 * refused (a record GNU tar would read differently, or not at all).
 */
export function parsePaxRecords(data: Buffer): Array<[string, string]> | string {
  const records: Array<[string, string]> = [];
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const lengthText = space === -1 ? '' : data.subarray(offset, space).toString('latin1');
    const length = /^[1-9][0-9]{0,7}$/.test(lengthText) ? Number(lengthText) : 0;
    const record = data.subarray(offset, offset + length);
    if (length === 0 || record.length !== length || record[length - 1] !== 0x0a) {
      return 'a malformed PAX extended header';
    }
    const body = record.subarray(space - offset + 1, length - 1);
    const equals = body.indexOf(0x3d);
    if (equals <= 0) return 'a malformed PAX extended header';
    // Keys are ASCII; values are UTF-8 text, kept as bytes like every other name.
    records.push([body.subarray(0, equals).toString('latin1'), body.subarray(equals + 1).toString('latin1')]);
    offset += length;
  }
  return records;
}
