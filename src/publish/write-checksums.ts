import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { sha256File } from '../mkosi/outputs.js';
import type { Log, Runner } from '../ports.js';
import {
  CHECKSUMS_FILE,
  LISTING_FILE,
  PUBLIC_KEY_FILE,
  SIGNATURE_FILE,
  directoryFiles,
  directoryListedNames,
  parseChecksums,
  renderChecksums,
  writeTreeListing,
  type PublishedFile,
} from './checksums.js';
import { maskSigningSecrets } from './check-signing-key.js';
import { ThrowawayKeyring, verifySignature, type SigningKey } from './gpg.js';
import type { PublishOptions } from './options.js';
import { copyFileReplacing, writeFileReplacing } from './safe-write.js';

export interface Signature {
  file: string;
  publicKeyFile: string;
  key: SigningKey;
  /** gpgv's verdict on the signature, checked against the exported public key alone. */
  verification: string;
}

/** SHA256SUMS and its signature, as written into a directory. */
export interface WrittenChecksums {
  directory: string;
  checksumsFile: string;
  /** The mtree listing of a published tree (SHA256SUMS lists it too), when a directory is published. */
  listingFile?: string;
  /** What SHA256SUMS lists. */
  files: PublishedFile[];
  signature?: Signature;
}

type Ports = { runner: Runner; log: Log };
type SigningOptions = Pick<PublishOptions, 'signKey' | 'signPassphrase'>;

/**
 * Writes SHA256SUMS over `files` into `directory` (and, when `listed` names what is published and a
 * directory is among it, the tree listing, which SHA256SUMS lists too) and, given a key, signs it and
 * checks the signature. Nothing there is written through: see safe-write.ts.
 */
export async function writeChecksums(
  ctx: Ports,
  options: SigningOptions,
  directory: string,
  files: PublishedFile[],
  listed?: readonly string[],
): Promise<Pick<WrittenChecksums, 'checksumsFile' | 'listingFile' | 'signature'>> {
  // A signature or listing of an earlier run must not sit next to this run's SHA256SUMS (unlinked, never followed).
  for (const stale of [SIGNATURE_FILE, PUBLIC_KEY_FILE, LISTING_FILE])
    await rm(path.join(directory, stale), { force: true });
  const listing = listed && (await writeTreeListing(directory, files, listed));
  const checksumsFile = path.join(directory, CHECKSUMS_FILE);
  const text = renderChecksums(listing ? [...files, listing] : files);
  await writeFileReplacing(checksumsFile, text);
  ctx.log.info(
    `SHA256SUMS: ${files.length} files, in ${checksumsFile}${listing ? `; the tree in ${listing.path}` : ''}`,
  );
  const written = { checksumsFile, ...(listing ? { listingFile: listing.path } : {}) };
  if (!options.signKey) return written;
  return { ...written, signature: await sign(ctx, options, checksumsFile, text) };
}

async function sign(
  ctx: Ports,
  options: SigningOptions,
  checksumsFile: string,
  text: string,
): Promise<Signature> {
  const armoredKey = options.signKey!;
  maskSigningSecrets(ctx.log, options);
  const directory = path.dirname(checksumsFile);
  const keyring = await ThrowawayKeyring.create(ctx.runner);
  try {
    const key = await keyring.importSigningKey(armoredKey);
    // Signed and checked in the keyring's private directory, over the text just written, then copied
    // into place: what is in the output directory may have been swapped or be a planted link.
    const own = (name: string): string => path.join(keyring.home, name);
    await writeFileReplacing(own(CHECKSUMS_FILE), text);
    await keyring.sign(own(CHECKSUMS_FILE), own(SIGNATURE_FILE), key, options.signPassphrase);
    const publicKeyring = path.join(keyring.home, 'public.gpg');
    await keyring.exportPublicKey(key, own(PUBLIC_KEY_FILE), publicKeyring);
    // Checked with the public key alone, as whoever downloads the files will check it.
    const check = await verifySignature(ctx.runner, publicKeyring, own(SIGNATURE_FILE), own(CHECKSUMS_FILE));
    const file = path.join(directory, SIGNATURE_FILE);
    const publicKeyFile = path.join(directory, PUBLIC_KEY_FILE);
    await copyFileReplacing(own(SIGNATURE_FILE), file);
    await copyFileReplacing(own(PUBLIC_KEY_FILE), publicKeyFile);
    if (!check.valid) throw new Error(`The new signature of SHA256SUMS does not verify: ${check.message}`);
    ctx.log.info(
      `SHA256SUMS.gpg: signed by ${key.fingerprint}${key.userId ? ` (${key.userId})` : ''}; ${check.message}`,
    );
    return { file, publicKeyFile, key, verification: check.message };
  } finally {
    await keyring.remove();
  }
}

/**
 * What `sha256sum -c` does, over what is about to leave the machine: SHA256SUMS read back from disk and
 * every file hashed again, so nothing changed since it was listed. (OpenSSL's sha256 in node runs about
 * three times as fast here as coreutils' own.)
 */
export async function verifyChecksums(checksumsFile: string): Promise<void> {
  const listed = parseChecksums(await readFile(checksumsFile, 'utf8'));
  const changed: string[] = [];
  for (const [name, sha256] of listed) {
    const actual = await sha256File(path.join(path.dirname(checksumsFile), name)).catch(() => 'missing');
    if (actual !== sha256) changed.push(actual === 'missing' ? `${name} (missing)` : name);
  }
  if (changed.length > 0) {
    throw new Error(
      `Outputs changed after SHA256SUMS was written, so nothing was uploaded: ${changed.slice(0, 5).join(', ')}`,
    );
  }
}

/** `mkosi-ci publish`: SHA256SUMS (and its signature) over every file already in a directory. */
export async function publishDirectory(
  ctx: Ports,
  options: SigningOptions,
  directory: string,
): Promise<WrittenChecksums> {
  const files = await directoryFiles(directory).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigurationError(
      `Cannot read the output directory ${directory}: ${error.code ?? error.message}`,
    );
  });
  if (files.length === 0) {
    throw new ConfigurationError(`The output directory ${directory} holds no files to publish.`);
  }
  const written = await writeChecksums(ctx, options, directory, files, await directoryListedNames(directory));
  return { directory, files, ...written };
}
