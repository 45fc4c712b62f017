/** cpio, tar and PE files for the narrowing tests, laid out as the real tools write them. */

export interface CpioMember {
  name: string;
  mode: number;
  data?: string;
  mtime?: number;
  ino?: number;
  nlink?: number;
}

/** A newc cpio archive, as `cpio -o -H newc` writes it. */
export function cpio(members: CpioMember[]): Buffer {
  const parts: Buffer[] = [];
  const pad = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  let ino = 1;
  for (const m of [...members, { name: 'TRAILER!!!', mode: 0 }]) {
    const data = Buffer.from(m.data ?? '');
    const name = Buffer.from(`${m.name}\0`);
    const header = `070701${[m.ino ?? ino++, m.mode, 0, 0, m.nlink ?? 1, m.mtime ?? 1000, data.length, 0, 0, 0, 0, name.length, 0].map(hex).join('')}`;
    parts.push(Buffer.from(header, 'latin1'), name, pad(110 + name.length), data, pad(data.length));
  }
  const archive = Buffer.concat(parts);
  return Buffer.concat([archive, Buffer.alloc((512 - (archive.length % 512)) % 512)]);
}

/** A ustar archive of regular files and symlinks. */
export function tar(members: Array<{ name: string; data?: string; link?: string }>): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const h = Buffer.alloc(512);
    const data = Buffer.from(m.data ?? '');
    h.write(m.name, 0);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000001750\0', 136);
    h.write(m.link ? '2' : '0', 156);
    if (m.link) h.write(m.link, 157);
    h.write('ustar\0' + '00', 257);
    h.write('        ', 148);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

/** A minimal PE32+ file with the given sections, laid out like ukify does (512-byte aligned). */
export function pe(sections: Array<[string, Buffer]>): Buffer {
  const peOffset = 0x80;
  const optionalSize = 240;
  const tableOffset = peOffset + 24 + optionalSize;
  let offset = Math.ceil((tableOffset + sections.length * 40) / 512) * 512;
  const head = Buffer.alloc(offset);
  head.write('MZ', 0, 'latin1');
  head.writeUInt32LE(peOffset, 0x3c);
  head.write('PE\0\0', peOffset, 'latin1');
  head.writeUInt16LE(0x8664, peOffset + 4);
  head.writeUInt16LE(sections.length, peOffset + 6);
  head.writeUInt32LE(1234, peOffset + 8);
  head.writeUInt16LE(optionalSize, peOffset + 20);
  head.writeUInt16LE(0x20b, peOffset + 24);
  const bodies: Buffer[] = [];
  sections.forEach(([name, data], i) => {
    const raw = Math.ceil(data.length / 512) * 512;
    const s = tableOffset + i * 40;
    head.write(name, s, 'latin1');
    head.writeUInt32LE(data.length, s + 8);
    head.writeUInt32LE(0x1000 * (i + 1), s + 12);
    head.writeUInt32LE(raw, s + 16);
    head.writeUInt32LE(offset, s + 20);
    bodies.push(data, Buffer.alloc(raw - data.length));
    offset += raw;
  });
  return Buffer.concat([head, ...bodies]);
}
