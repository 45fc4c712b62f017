import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, unlink } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { corrupter } from './faults.js';
import { blobFile, type ServerState } from './state.js';
import { StorageError, storageHeaders } from './storage-answers.js';
import { readBody } from './twirp.js';
import type { BlobInfo, Fault, LoggedRequest } from './types.js';

/**
 * The part of the Azure Blob REST API that `@azure/storage-blob` uses behind the signed URLs: Put
 * Blob, Put Block, Put Block List, Get Blob (with `x-ms-range`/`Range`) and Get Blob Properties
 * (HEAD). Blobs live in a temp directory on disk.
 */

interface BlobRequest {
  state: ServerState;
  req: http.IncomingMessage;
  res: http.ServerResponse;
  entry: LoggedRequest;
  /** `<container>/<blob name>` */
  name: string;
  headers: Record<string, string>;
}

function etagFor(): string {
  return `"0x8D${randomBytes(7).toString('hex').toUpperCase()}"`;
}

/** Block IDs from a Put Block List body, in order (Committed, Uncommitted and Latest all count). */
function parseBlockList(xml: string): string[] {
  const ids: string[] = [];
  for (const m of xml.matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)) ids.push(m[2]!.trim());
  return ids;
}

function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'invalid' | null {
  if (!header) return null;
  const m = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!m) return 'invalid';
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (start >= size || end < start) return 'invalid';
  return { start, end };
}

/** Streams the request body to `file`, returning its size and MD5 (base64). */
async function receive(req: http.IncomingMessage, file: string): Promise<{ size: number; md5: string }> {
  const md5 = createHash('md5');
  let size = 0;
  await pipeline(
    req,
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        md5.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    }),
    createWriteStream(file),
  );
  const digest = md5.digest('base64');
  const expected = req.headers['content-md5'];
  if (typeof expected === 'string' && expected !== digest) {
    await unlink(file).catch(() => undefined);
    throw new StorageError(
      400,
      'Md5Mismatch',
      'The MD5 value specified in the request did not match the MD5 value calculated by the server.',
    );
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) !== size) {
    await unlink(file).catch(() => undefined);
    throw new StorageError(
      400,
      'InvalidHeaderValue',
      `Content-Length ${declared} but received ${size} bytes.`,
    );
  }
  return { size, md5: digest };
}

function commit(
  r: BlobRequest,
  file: string,
  size: number,
  committedBy: BlobInfo['committedBy'],
  blockCount: number,
  contentMd5?: string,
): BlobInfo {
  const info: BlobInfo = {
    name: r.name,
    file,
    size,
    etag: etagFor(),
    lastModified: new Date(),
    contentType: String(r.req.headers['x-ms-blob-content-type'] ?? 'application/octet-stream'),
    committedBy,
    blockCount,
    ...(contentMd5 ? { contentMd5 } : {}),
  };
  r.state.blobs.set(r.name, info);
  return info;
}

/** A 201 with the storage headers, the write's own headers and no body. */
function created(r: BlobRequest, extra: Record<string, string>): void {
  r.entry.status = 201;
  r.res
    .writeHead(201, {
      ...r.headers,
      ...extra,
      'x-ms-request-server-encrypted': 'true',
      'content-length': '0',
    })
    .end();
}

function blockDirOf(r: BlobRequest): string {
  return path.join(r.state.blockDir, createHash('sha256').update(r.name).digest('hex'));
}

async function putBlock(r: BlobRequest): Promise<void> {
  const blockId = r.entry.query.blockid;
  if (!blockId) throw new StorageError(400, 'InvalidQueryParameterValue', 'blockid is required');
  const dir = blockDirOf(r);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, Buffer.from(blockId, 'base64').toString('hex') || 'empty');
  const { md5 } = await receive(r.req, file);
  let staged = r.state.stagedBlocks.get(r.name);
  if (!staged) r.state.stagedBlocks.set(r.name, (staged = new Map()));
  staged.set(blockId, file);
  created(r, { 'content-md5': md5 });
}

async function putBlockList(r: BlobRequest): Promise<void> {
  const ids = parseBlockList((await readBody(r.req)).toString('utf8'));
  const staged = r.state.stagedBlocks.get(r.name) ?? new Map<string, string>();
  const files = ids.map((id) => {
    const f = staged.get(id);
    if (!f)
      throw new StorageError(
        400,
        'InvalidBlockList',
        `The specified block list is invalid: unknown block ${id}`,
      );
    return f;
  });
  const target = blobFile(r.state, r.name);
  const out = await open(target, 'w');
  let size = 0;
  try {
    for (const f of files) {
      for await (const chunk of createReadStream(f)) {
        await out.write(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    }
  } finally {
    await out.close();
  }
  await rm(blockDirOf(r), { recursive: true, force: true });
  r.state.stagedBlocks.delete(r.name);
  const info = commit(r, target, size, 'blocklist', ids.length);
  created(r, { etag: info.etag, 'last-modified': info.lastModified.toUTCString() });
}

async function putBlob(r: BlobRequest): Promise<void> {
  const type = r.req.headers['x-ms-blob-type'];
  if (type !== 'BlockBlob')
    throw new StorageError(400, 'InvalidHeaderValue', `x-ms-blob-type ${String(type)} unsupported`);
  const target = blobFile(r.state, r.name);
  const { size, md5 } = await receive(r.req, target);
  const info = commit(r, target, size, 'put', 0, md5);
  created(r, { etag: info.etag, 'last-modified': info.lastModified.toUTCString(), 'content-md5': md5 });
}

function blobHeaders(r: BlobRequest, info: BlobInfo): Record<string, string> {
  return {
    ...r.headers,
    etag: info.etag,
    'last-modified': info.lastModified.toUTCString(),
    'x-ms-creation-time': info.lastModified.toUTCString(),
    'x-ms-blob-type': 'BlockBlob',
    'x-ms-lease-state': 'available',
    'x-ms-lease-status': 'unlocked',
    'x-ms-server-encrypted': 'true',
    'accept-ranges': 'bytes',
    'content-type': info.contentType,
  };
}

/** Get Blob and Get Blob Properties; a corrupt fault flips 64 bytes in the middle of the blob. */
async function getBlob(r: BlobRequest, fault: Fault | undefined): Promise<void> {
  const { req, res, entry } = r;
  const comp = entry.query.comp;
  if (comp) throw new StorageError(400, 'UnsupportedQueryParameter', `comp=${comp} is not supported here`);
  const info = r.state.blobs.get(r.name);
  if (!info) throw new StorageError(404, 'BlobNotFound', 'The specified blob does not exist.');
  const ifMatch = req.headers['if-match'];
  if (ifMatch && ifMatch !== '*' && ifMatch !== info.etag) {
    throw new StorageError(
      412,
      'ConditionNotMet',
      'The condition specified using HTTP conditional header(s) is not met.',
    );
  }
  const headers = blobHeaders(r, info);
  if (req.method === 'HEAD') {
    if (info.contentMd5) headers['content-md5'] = info.contentMd5;
    entry.status = 200;
    res.writeHead(200, { ...headers, 'content-length': String(info.size) }).end();
    return;
  }
  const rangeHeader = req.headers['x-ms-range'] ?? req.headers.range;
  const range = parseRange(typeof rangeHeader === 'string' ? rangeHeader : undefined, info.size);
  if (range === 'invalid') {
    res.setHeader('content-range', `bytes */${info.size}`);
    throw new StorageError(
      416,
      'InvalidRange',
      'The range specified is invalid for the current size of the resource.',
    );
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? info.size - 1;
  const length = info.size === 0 ? 0 : end - start + 1;
  const status = range ? 206 : 200;
  if (!range && info.contentMd5) headers['content-md5'] = info.contentMd5;
  if (range) headers['content-range'] = `bytes ${start}-${end}/${info.size}`;
  entry.status = status;
  res.writeHead(status, { ...headers, 'content-length': String(length) });
  if (length === 0) {
    res.end();
    return;
  }
  const source = createReadStream(info.file, { start, end });
  if (fault?.kind === 'corrupt') {
    entry.fault = 'corrupt';
    await pipeline(source, corrupter(start, Math.floor(info.size / 2), 64), res);
  } else {
    await pipeline(source, res);
  }
}

/** Answers a request for a blob URL; the URL must carry the signature issued for that blob. */
export async function handleBlob(
  state: ServerState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  entry: LoggedRequest,
  name: string,
  fault: Fault | undefined,
): Promise<void> {
  const r: BlobRequest = { state, req, res, entry, name, headers: storageHeaders(req) };
  const expectedSig = state.signatures.get(name);
  if (!expectedSig || entry.query.sig !== expectedSig) {
    throw new StorageError(403, 'AuthenticationFailed', 'Server failed to authenticate the request.');
  }
  const comp = entry.query.comp;
  if (req.method === 'PUT' && comp === 'block') return await putBlock(r);
  if (req.method === 'PUT' && comp === 'blocklist') return await putBlockList(r);
  if (req.method === 'PUT' && !comp) return await putBlob(r);
  if (req.method === 'GET' || req.method === 'HEAD') return await getBlob(r, fault);
  throw new StorageError(405, 'UnsupportedHttpVerb', `${req.method} is not supported`);
}
