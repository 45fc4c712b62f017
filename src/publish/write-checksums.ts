import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { sha256File } from '../mkosi/outputs.js';
import type { Log, Runner } from '../ports.js';
import {
  CHECKSUMS_FILE,
  PUBLIC_KEY_FILE,
  SIGNATURE_FILE,
  directoryFiles,
  parseChecksums,
  renderChecksums,
  unrepresentableName,
  type PublishedFile,
} from './checksums.js';
import { maskSigningSecrets } from './check-signing-key.js';
import { ThrowawayKeyring, verifySignature, type SigningKey } from './gpg.js';
import type { PublishOptions } from './options.js';

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
  /** What SHA256SUMS lists. */
  files: PublishedFile[];
  signature?: Signature;
}

type Ports = { runner: Runner; log: Log };
type SigningOptions = Pick<PublishOptions, 'signKey' | 'signPassphrase'>;

/** Writes SHA256SUMS over `files` into `directory` and, given a key, signs it and checks the signature. */
export async function writeChecksums(
  ctx: Ports,
  options: SigningOptions,
  directory: string,
  files: PublishedFile[],
): Promise<Pick<WrittenChecksums, 'checksumsFile' | 'signature'>> {
  const odd = files.find((f) => unrepresentableName(f.name));
  if (odd) {
    throw new ConfigurationError(
      `Cannot list '${odd.name.replace(/\n/g, '\\n')}' in SHA256SUMS: names with line breaks or backslashes cannot be checked by sha256sum -c; rename the file.`,
    );
  }
  const checksumsFile = path.join(directory, CHECKSUMS_FILE);
  await writeFile(checksumsFile, renderChecksums(files));
  ctx.log.info(`SHA256SUMS: ${files.length} files, in ${checksumsFile}`);
  if (!options.signKey) return { checksumsFile };
  return { checksumsFile, signature: await sign(ctx, options, checksumsFile) };
}

async function sign(ctx: Ports, options: SigningOptions, checksumsFile: string): Promise<Signature> {
  const armoredKey = options.signKey!;
  maskSigningSecrets(ctx.log, options);
  const directory = path.dirname(checksumsFile);
  const keyring = await ThrowawayKeyring.create(ctx.runner);
  try {
    const key = await keyring.importSigningKey(armoredKey);
    const file = path.join(directory, SIGNATURE_FILE);
    await keyring.sign(checksumsFile, file, key, options.signPassphrase);
    const publicKeyFile = path.join(directory, PUBLIC_KEY_FILE);
    const publicKeyring = path.join(keyring.home, 'public.gpg');
    await keyring.exportPublicKey(key, publicKeyFile, publicKeyring);
    // Checked with the public key alone, as whoever downloads the files will check it.
    const check = await verifySignature(ctx.runner, publicKeyring, file, checksumsFile);
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
  const written = await writeChecksums(ctx, options, directory, files);
  return { directory, files, ...written };
}
