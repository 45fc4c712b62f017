import { ConfigurationError } from '../errors.js';

/** The part of one image's resolved configuration mkosi-ci acts on, from `mkosi --json summary`. */
export interface ImageConfig {
  /** "main" for the main image, else the subimage's name (mkosi.images/NAME). */
  image: string;
  distribution: string;
  release: string;
  architecture: string;
  format: string;
  outputDirectory: string | undefined;
  /** The output name without extension (ImageId_ImageVersion by default). */
  output: string;
  outputExtension: string;
  compressOutput: string;
  imageId: string | undefined;
  imageVersion: string | undefined;
  splitArtifacts: string[];
  bootable: string;
  /** BiosBootloader=: none, or grub for images that also boot through a BIOS. */
  biosBootloader: string;
  toolsTree: string | undefined;
  cacheDirectory: string | undefined;
  packageCacheDirectory: string | undefined;
  incremental: string;
  mirror: string | undefined;
  repositories: string[];
  /** Kernel command line additions for booting the image (not built into it), as mkosi vm uses them. */
  kernelCommandLineExtra: string[];
  /** [Runtime] RAM= in bytes and CPUs=, as mkosi vm uses them (mkosi 27 always prints them: 2G and 1 by default). */
  ram: number | undefined;
  cpus: number | undefined;
  /** [Runtime] Firmware= as mkosi prints it (auto, linux, linux-noinitrd, uefi, uefi-secure-boot; bios in old mkosi). */
  firmware: string;
  /** [Runtime] FirmwareVariables=: a path, or one of mkosi's special values (microsoft, microsoft-mok, custom). */
  firmwareVariables: string | undefined;
  /** [Runtime] Credentials=: a value, or a file mkosi reads (or runs, when executable) at boot. */
  credentials: RuntimeCredential[];
  /** [Runtime] QemuArgs=, one argument each, as mkosi appends them to qemu's. */
  qemuArgs: string[];
  /** [Runtime] TPM=: auto, enabled or disabled. */
  tpm: string;
  seed: string | undefined;
  sourceDateEpoch: number | undefined;
  packages: string[];
  buildPackages: string[];
  packageDirectories: string[];
  prepareScripts: string[];
  profiles: string[];
  /** The configuration files mkosi read for this image. */
  files: string[];
  /** Paths of private keys and passphrases the configuration names (never to be cached). */
  secretFiles: string[];
}

/** One Credentials= entry: mkosi prints `{"Name", "Value", "Path"}` with one of the last two set. */
export interface RuntimeCredential {
  name: string;
  value: string | undefined;
  path: string | undefined;
}

export interface MkosiConfig {
  /** Every image, subimages first, the main image last (mkosi's own order). */
  images: ImageConfig[];
  main: ImageConfig;
  /** The default tools tree mkosi builds (ToolsTree=default), or undefined when none is built. */
  tools: ImageConfig | undefined;
  /** The summary exactly as mkosi printed it, for the `config` output. */
  raw: unknown;
}

/** Formats whose output is compressed as a whole file when CompressOutput= is set. */
const OUTER_COMPRESSION_FORMATS = new Set(['tar', 'cpio', 'disk', 'sysext', 'confext', 'portable']);
const FORMAT_EXTENSIONS: Readonly<Record<string, string>> = {
  confext: 'raw',
  cpio: 'cpio',
  disk: 'raw',
  esp: 'raw',
  portable: 'raw',
  sysext: 'raw',
  tar: 'tar',
  uki: 'efi',
  addon: 'efi',
};

/** mkosi names zstd's extension zst; the others are named as the setting. */
export function compressionExtension(compression: string): string {
  return compression === 'zstd' ? 'zst' : compression;
}

export function defaultOutputExtension(format: string): string {
  return FORMAT_EXTENSIONS[format] ?? '';
}

/** The file name of the main output, as mkosi's `output_with_compression`. */
export function outputFileName(image: ImageConfig): string {
  let name = image.outputExtension ? `${image.output}.${image.outputExtension}` : image.output;
  if (
    image.compressOutput &&
    image.compressOutput !== 'none' &&
    OUTER_COMPRESSION_FORMATS.has(image.format)
  ) {
    name += `.${compressionExtension(image.compressOutput)}`;
  }
  return name;
}

type Json = Record<string, unknown>;

function field<T>(object: Json, key: string, check: (v: unknown) => v is T, fallback?: T): T {
  const value = object[key];
  if (check(value)) return value;
  if (fallback !== undefined && (value === undefined || value === null)) return fallback;
  throw new ConfigurationError(
    `mkosi --json summary: field ${key} is ${JSON.stringify(value)}; this mkosi is not one mkosi-ci understands.`,
  );
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringOrNull = (v: unknown): v is string | null => typeof v === 'string' || v === null;
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

function optionalString(object: Json, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Settings that were booleans in some versions and enums in others; kept as mkosi prints them. */
function loose(object: Json, key: string): string {
  const value = object[key];
  if (value === undefined || value === null) return '';
  return String(value);
}

function strings(object: Json, key: string): string[] {
  return field(object, key, isArray, []).map(String);
}

function runtimeCredentials(object: Json): RuntimeCredential[] {
  return field(object, 'Credentials', isArray, []).map((raw) => {
    const entry = (raw ?? {}) as Json;
    return {
      name: String(entry['Name'] ?? ''),
      value: typeof entry['Value'] === 'string' ? entry['Value'] : undefined,
      path: optionalString(entry, 'Path'),
    };
  });
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** Settings that name a private key or passphrase file. */
const SECRET_FIELDS = [
  'SecureBootKey',
  'VerityKey',
  'SignExpectedPcrKey',
  'ProxyClientKey',
  'Passphrase',
  'SshKey',
];

export function parseImage(object: Json): ImageConfig {
  const format = field(object, 'Format', isString);
  const sourceDateEpoch = object['SourceDateEpoch'];
  return {
    image: optionalString(object, 'Image') ?? 'main',
    distribution: field(object, 'Distribution', isString),
    release: field(object, 'Release', isString),
    architecture: field(object, 'Architecture', isString),
    format,
    outputDirectory: optionalString(object, 'OutputDirectory'),
    output: field(object, 'Output', isString),
    outputExtension: field(object, 'OutputExtension', isStringOrNull, null) ?? defaultOutputExtension(format),
    compressOutput: loose(object, 'CompressOutput'),
    imageId: optionalString(object, 'ImageId'),
    imageVersion: optionalString(object, 'ImageVersion'),
    splitArtifacts: field(object, 'SplitArtifacts', isArray, []).map(String),
    bootable: loose(object, 'Bootable'),
    biosBootloader: loose(object, 'BiosBootloader') || 'none',
    toolsTree: optionalString(object, 'ToolsTree'),
    cacheDirectory: optionalString(object, 'CacheDirectory'),
    packageCacheDirectory: optionalString(object, 'PackageCacheDirectory'),
    incremental: loose(object, 'Incremental'),
    mirror: optionalString(object, 'Mirror'),
    repositories: field(object, 'Repositories', isArray, []).map(String),
    kernelCommandLineExtra: field(object, 'KernelCommandLineExtra', isArray, []).map(String),
    ram: positiveInteger(object['RAM']),
    cpus: positiveInteger(object['CPUs']),
    firmware: loose(object, 'Firmware') || 'auto',
    firmwareVariables: optionalString(object, 'FirmwareVariables'),
    credentials: runtimeCredentials(object),
    qemuArgs: strings(object, 'QemuArgs'),
    tpm: loose(object, 'TPM') || 'auto',
    seed: optionalString(object, 'Seed'),
    sourceDateEpoch: typeof sourceDateEpoch === 'number' ? sourceDateEpoch : undefined,
    packages: strings(object, 'Packages'),
    buildPackages: strings(object, 'BuildPackages'),
    packageDirectories: strings(object, 'PackageDirectories'),
    prepareScripts: strings(object, 'PrepareScripts'),
    profiles: strings(object, 'Profiles'),
    files: strings(object, 'Files'),
    secretFiles: SECRET_FIELDS.map((key) => optionalString(object, key)).filter(
      (v): v is string => v !== undefined,
    ),
  };
}

/** Parses the output of `mkosi --json summary`: `{"Images": [...]}` with the main image last. */
export function parseSummary(text: string, source = 'mkosi --json summary'): MkosiConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`${source}: the output is not JSON (${(error as Error).message}).`);
  }
  const images = (raw as Json | null)?.['Images'];
  if (!Array.isArray(images) || images.length === 0) {
    throw new ConfigurationError(
      `${source}: no "Images" list in the output; this mkosi is too old or too new.`,
    );
  }
  const parsed = images.map((image) => parseImage(image as Json));
  const tools = (raw as Json)['Tools'];
  return {
    images: parsed,
    main: parsed[parsed.length - 1]!,
    tools: tools && typeof tools === 'object' ? parseImage(tools as Json) : undefined,
    raw,
  };
}

/** Every key and passphrase file the configuration names, of every image and the tools tree. */
export function secretFilesOf(config: MkosiConfig): string[] {
  return [...config.images, ...(config.tools ? [config.tools] : [])].flatMap((i) => i.secretFiles);
}
