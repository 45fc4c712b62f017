#!/usr/bin/env node
import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 486:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _main_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(326);

process.exitCode = await (0,_main_js__WEBPACK_IMPORTED_MODULE_0__/* .runCli */ .a)(process.argv.slice(2));

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 326:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  a: () => (/* binding */ runCli)
});

;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
var external_node_os_default = /*#__PURE__*/__nccwpck_require__.n(external_node_os_namespaceObject);
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
var external_node_path_default = /*#__PURE__*/__nccwpck_require__.n(external_node_path_namespaceObject);
;// CONCATENATED MODULE: ./src/errors.ts
/**
 * A problem the user can fix: a bad input, a broken project, a failing build. Its message is shown as
 * the one error line of the run (an annotation in the action), without a stack trace.
 * Anything else that is thrown is a bug in mkosi-ci and keeps its stack in the debug log.
 */
class ConfigurationError extends Error {
    /** A file the error is about, for an annotation that points at it. */
    file;
    constructor(message, options = {}) {
        super(message, { cause: options.cause });
        this.name = 'ConfigurationError';
        this.file = options.file;
    }
}
function isConfigurationError(error) {
    return error instanceof ConfigurationError;
}
function errorMessage(error) {
    return error instanceof Error ? error.message : String(error);
}

;// CONCATENATED MODULE: ./src/pipeline/inputs.ts
/**
 * The inputs of the action, which are also the flags of the CLI (`--<name>`), one to one.
 * action.yml is checked against this table by a unit test, so the two cannot drift apart.
 */
var Input;
(function (Input) {
    Input["Directory"] = "directory";
    Input["MkosiVersion"] = "mkosi-version";
    Input["MkosiSource"] = "mkosi-source";
    Input["MkosiReleaseUrl"] = "mkosi-release-url";
    Input["MkosiSha256"] = "mkosi-sha256";
    Input["PrepareHost"] = "prepare-host";
    Input["Profiles"] = "profiles";
    Input["Environment"] = "environment";
    Input["Args"] = "args";
    Input["Mirror"] = "mirror";
    Input["ToolsTree"] = "tools-tree";
    Input["Force"] = "force";
})(Input || (Input = {}));
const DEFAULT_MKOSI_VERSION = 'v27.1';
const DEFAULT_MKOSI_RELEASE_URL = 'https://github.com/systemd/mkosi/archive/{ref}.tar.gz';
const INPUT_SPECS = {
    [Input.Directory]: {
        default: '.',
        placeholder: 'DIR',
        description: 'The mkosi project: a directory with mkosi.conf or mkosi.conf.d/.',
    },
    [Input.MkosiVersion]: {
        default: DEFAULT_MKOSI_VERSION,
        placeholder: 'TAG|COMMIT',
        description: 'The mkosi release tag (v27.1) or full commit to install when mkosi-source is release. The default is pinned and its tarball checksum is verified.',
    },
    [Input.MkosiSource]: {
        default: 'auto',
        placeholder: 'auto|release|system|apt|PATH',
        description: 'Where mkosi comes from: release (the tarball of mkosi-version, kept in the tool cache), system (mkosi on PATH), apt (the distribution package), a path to an mkosi checkout (runs its bin/mkosi), or auto: the mkosi on PATH when it is mkosi-version, else release.',
    },
    [Input.MkosiReleaseUrl]: {
        default: DEFAULT_MKOSI_RELEASE_URL,
        placeholder: 'URL',
        description: 'Where release tarballs are downloaded from; {ref} becomes refs/tags/<tag> or the commit. For mirrors and GitHub Enterprise.',
    },
    [Input.MkosiSha256]: {
        default: '',
        placeholder: 'SHA256',
        description: 'The expected sha256 of the release tarball, for versions other than the pinned default (whose checksum ships with mkosi-ci).',
    },
    [Input.PrepareHost]: {
        default: 'auto',
        placeholder: 'auto|yes|no',
        description: 'Prepare the host as mkosi needs it (KVM and vhost-vsock access, AppArmor user namespaces, host packages) with sudo. auto does it on GitHub-hosted Linux runners only.',
    },
    [Input.Profiles]: {
        default: '',
        placeholder: 'PROFILE',
        multiline: true,
        description: 'mkosi profiles to enable, separated by commas or new lines.',
    },
    [Input.Environment]: {
        default: '',
        placeholder: 'KEY=VALUE',
        multiline: true,
        description: "Variables for mkosi's Environment= (scripts and tools), one KEY=VALUE per line.",
    },
    [Input.Args]: {
        default: '',
        placeholder: 'ARG',
        multiline: true,
        description: 'Extra mkosi options, one per line (for example --image-version=1.2).',
    },
    [Input.Mirror]: {
        default: '',
        placeholder: 'URL',
        description: "The distribution mirror, e.g. http://host/debian. For Debian and Ubuntu mkosi-ci also writes the image's and the tools tree's apt sources from it, so a mirror without the debug or security archive still builds.",
    },
    [Input.ToolsTree]: {
        default: 'default',
        placeholder: 'default|none|PATH',
        description: "The tools tree mkosi builds with: default (mkosi builds one), none (use the host's tools) or the path of a prepared tree.",
    },
    [Input.Force]: {
        default: '1',
        placeholder: 'N',
        description: 'How many -f to pass to mkosi build (0 to 3): 1 rebuilds the image, 2 also the incremental cache, 3 also the package cache.',
    },
};
function defaultInputs() {
    return Object.fromEntries(Object.entries(INPUT_SPECS).map(([name, spec]) => [name, spec.default]));
}

;// CONCATENATED MODULE: ./src/pipeline/options.ts



/** Non-empty, trimmed lines; lines starting with # are comments. */
function splitLines(value) {
    return value
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'));
}
function invalid(input, value, valid) {
    return new ConfigurationError(`Input ${input}: '${value}' is not valid; expected ${valid}.`);
}
function parseMkosiSource(value, cwd) {
    switch (value) {
        case 'auto':
        case 'release':
        case 'system':
        case 'apt':
            return { kind: value };
    }
    if (value.includes('/') || value.startsWith('.') || value.startsWith('~')) {
        return { kind: 'checkout', path: external_node_path_default().resolve(cwd, value) };
    }
    throw invalid(Input.MkosiSource, value, INPUT_SPECS[Input.MkosiSource].placeholder + ' (a path must contain a /)');
}
function parseMkosiVersion(value) {
    if (/^v?\d+(\.\d+)*(~[a-z0-9]+)?$/.test(value) || /^[0-9a-f]{40}$/.test(value)) {
        return value;
    }
    throw invalid(Input.MkosiVersion, value, 'a release tag such as v27.1 or a full 40-character commit hash');
}
function parseTristate(input, value) {
    if (value === 'auto' || value === 'yes' || value === 'no') {
        return value;
    }
    if (value === 'true')
        return 'yes';
    if (value === 'false')
        return 'no';
    throw invalid(input, value, 'auto, yes or no');
}
function parseEnvironment(value) {
    return splitLines(value).map((line, index) => {
        const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(line);
        if (!match) {
            throw new ConfigurationError(`Input ${Input.Environment}: line ${index + 1} '${line}' is not KEY=VALUE (KEY of letters, digits and _, not starting with a digit).`);
        }
        return [match[1], match[2]];
    });
}
function parseProfiles(value) {
    const profiles = value
        .split(/[,\n]/)
        .map((p) => p.trim())
        .filter((p) => p !== '');
    for (const profile of profiles) {
        if (!/^[A-Za-z0-9_.-]+$/.test(profile)) {
            throw invalid(Input.Profiles, profile, 'profile names of letters, digits, ".", "_" and "-"');
        }
    }
    return profiles;
}
function parseArgs(value) {
    const args = splitLines(value);
    for (const arg of args) {
        if (!arg.startsWith('-')) {
            throw invalid(Input.Args, arg, 'mkosi options starting with - (one per line, e.g. --image-version=1.2); the verb is chosen by mkosi-ci');
        }
    }
    return args;
}
function parseMirror(value) {
    const mirror = value.trim();
    if (mirror === '') {
        return undefined;
    }
    if (!/^(https?|file):\/\/\S+$/.test(mirror)) {
        throw invalid(Input.Mirror, mirror, 'an http://, https:// or file:// URL');
    }
    return mirror.replace(/\/+$/, '');
}
function parseToolsTree(value, cwd) {
    if (value === 'default' || value === 'none') {
        return { kind: value };
    }
    if (value.includes('/') || value.startsWith('.')) {
        return { kind: 'path', path: external_node_path_default().resolve(cwd, value) };
    }
    throw invalid(Input.ToolsTree, value, 'default, none or a path to a tools tree');
}
function parseForce(value) {
    if (/^[0-3]$/.test(value.trim())) {
        return Number(value.trim());
    }
    throw invalid(Input.Force, value, 'a number from 0 to 3');
}
function parseSha256(value) {
    const sha = value.trim().toLowerCase();
    if (sha === '')
        return undefined;
    if (/^[0-9a-f]{64}$/.test(sha))
        return sha;
    throw invalid(Input.MkosiSha256, value, 'a 64-character hexadecimal sha256');
}
function parseReleaseUrl(value) {
    if (!/^(https?|file):\/\/\S+$/.test(value) || !value.includes('{ref}')) {
        throw invalid(Input.MkosiReleaseUrl, value, 'an http(s) URL containing {ref}');
    }
    return value;
}
/** Validates every input and returns the typed options; `cwd` resolves relative paths. */
function parseOptions(raw, cwd) {
    const value = (input) => (raw[input] ?? '').trim() || INPUT_SPECS[input].default;
    return {
        directory: external_node_path_default().resolve(cwd, value(Input.Directory)),
        mkosiVersion: parseMkosiVersion(value(Input.MkosiVersion)),
        mkosiSource: parseMkosiSource(value(Input.MkosiSource), cwd),
        mkosiReleaseUrl: parseReleaseUrl(value(Input.MkosiReleaseUrl)),
        mkosiSha256: parseSha256(raw[Input.MkosiSha256] ?? ''),
        prepareHost: parseTristate(Input.PrepareHost, value(Input.PrepareHost)),
        profiles: parseProfiles(raw[Input.Profiles] ?? ''),
        environment: parseEnvironment(raw[Input.Environment] ?? ''),
        args: parseArgs(raw[Input.Args] ?? ''),
        mirror: parseMirror(raw[Input.Mirror] ?? ''),
        toolsTree: parseToolsTree(value(Input.ToolsTree), cwd),
        force: parseForce(value(Input.Force)),
    };
}

;// CONCATENATED MODULE: ./src/mkosi/args.ts
function toolsTreeArg(toolsTree) {
    switch (toolsTree.kind) {
        case 'default':
            return 'default';
        case 'none':
            return 'no';
        case 'path':
            return toolsTree.path;
    }
}
/** The options shared by every verb, in the order mkosi documents them (options before the verb). */
function commonArgs(invocation) {
    const args = ['--directory', invocation.directory];
    if (invocation.profiles.length > 0) {
        args.push(`--profile=${invocation.profiles.join(',')}`);
    }
    for (const [key, value] of invocation.environment) {
        args.push(`--environment=${key}=${value}`);
    }
    if (invocation.mirror) {
        args.push(`--mirror=${invocation.mirror}`);
    }
    args.push(`--tools-tree=${toolsTreeArg(invocation.toolsTree)}`);
    for (const tree of invocation.sandboxTrees) {
        args.push(`--sandbox-tree=${tree}`);
    }
    for (const tree of invocation.toolsTreeSandboxTrees) {
        args.push(`--tools-tree-sandbox-tree=${tree}`);
    }
    args.push(...invocation.extraArgs);
    return args;
}
function summaryArgs(invocation) {
    return [...commonArgs(invocation), '--json', 'summary'];
}
function buildArgs(invocation, force) {
    return [...commonArgs(invocation), ...Array(force).fill('-f'), 'build'];
}

;// CONCATENATED MODULE: ./src/mkosi/config.ts

/** Formats whose output is compressed as a whole file when CompressOutput= is set. */
const OUTER_COMPRESSION_FORMATS = new Set(['tar', 'cpio', 'disk', 'sysext', 'confext', 'portable']);
const FORMAT_EXTENSIONS = {
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
function compressionExtension(compression) {
    return compression === 'zstd' ? 'zst' : compression;
}
function defaultOutputExtension(format) {
    return FORMAT_EXTENSIONS[format] ?? '';
}
/** The file name of the main output, as mkosi's `output_with_compression`. */
function outputFileName(image) {
    let name = image.outputExtension ? `${image.output}.${image.outputExtension}` : image.output;
    if (image.compressOutput &&
        image.compressOutput !== 'none' &&
        OUTER_COMPRESSION_FORMATS.has(image.format)) {
        name += `.${compressionExtension(image.compressOutput)}`;
    }
    return name;
}
function field(object, key, check, fallback) {
    const value = object[key];
    if (check(value))
        return value;
    if (fallback !== undefined && (value === undefined || value === null))
        return fallback;
    throw new ConfigurationError(`mkosi --json summary: field ${key} is ${JSON.stringify(value)}; this mkosi is not one mkosi-ci understands.`);
}
const isString = (v) => typeof v === 'string';
const isStringOrNull = (v) => typeof v === 'string' || v === null;
const isArray = (v) => Array.isArray(v);
function optionalString(object, key) {
    const value = object[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
}
/** Settings that were booleans in some versions and enums in others; kept as mkosi prints them. */
function loose(object, key) {
    const value = object[key];
    if (value === undefined || value === null)
        return '';
    return String(value);
}
function parseImage(object) {
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
        toolsTree: optionalString(object, 'ToolsTree'),
        cacheDirectory: optionalString(object, 'CacheDirectory'),
        packageCacheDirectory: optionalString(object, 'PackageCacheDirectory'),
        incremental: loose(object, 'Incremental'),
        mirror: optionalString(object, 'Mirror'),
        repositories: field(object, 'Repositories', isArray, []).map(String),
        seed: optionalString(object, 'Seed'),
        sourceDateEpoch: typeof sourceDateEpoch === 'number' ? sourceDateEpoch : undefined,
    };
}
/** Parses the output of `mkosi --json summary`: `{"Images": [...]}` with the main image last. */
function parseSummary(text, source = 'mkosi --json summary') {
    let raw;
    try {
        raw = JSON.parse(text);
    }
    catch (error) {
        throw new ConfigurationError(`${source}: the output is not JSON (${error.message}).`);
    }
    const images = raw?.['Images'];
    if (!Array.isArray(images) || images.length === 0) {
        throw new ConfigurationError(`${source}: no "Images" list in the output; this mkosi is too old or too new.`);
    }
    const parsed = images.map((image) => parseImage(image));
    const tools = raw['Tools'];
    return {
        images: parsed,
        main: parsed[parsed.length - 1],
        tools: tools && typeof tools === 'object' ? parseImage(tools) : undefined,
        raw,
    };
}

;// CONCATENATED MODULE: ./src/mkosi/mirror.ts
/**
 * The `mirror` input, turned into what mkosi needs. mkosi's Mirror= for Debian and Ubuntu is the host
 * part only (it appends /debian itself) and its generated apt sources still point at the upstream
 * debug and security archives, which most mirrors do not carry. So for those distributions mkosi-ci
 * also writes the apt sources itself, into a sandbox tree as etc/apt/sources.list.d/mkosi.sources,
 * which mkosi then uses instead of generating its own.
 */
const APT_DISTRIBUTIONS = {
    debian: { path: 'debian', keyring: '/usr/share/keyrings/debian-archive-keyring.gpg' },
    ubuntu: { path: 'ubuntu', keyring: '/usr/share/keyrings/ubuntu-archive-keyring.gpg' },
};
function isAptDistribution(distribution) {
    return distribution in APT_DISTRIBUTIONS;
}
/** Splits a mirror URL for an apt distribution; a URL without /debian (or /ubuntu) is taken as the base. */
function aptArchive(mirror, distribution) {
    const known = APT_DISTRIBUTIONS[distribution];
    const url = mirror.replace(/\/+$/, '');
    if (!known)
        return { archive: url, base: url, security: url };
    const suffix = `/${known.path}`;
    const base = url.endsWith(suffix) ? url.slice(0, -suffix.length) : url;
    const archive = `${base}${suffix}`;
    return { archive, base, security: distribution === 'debian' ? `${base}/debian-security` : archive };
}
/** The value for mkosi's Mirror= setting. */
function mkosiMirror(mirror, distribution) {
    return aptArchive(mirror, distribution).base;
}
/** Suites of a release that a mirror serves: the release, its updates and its security updates. */
function aptSuites(distribution, release) {
    if (distribution === 'debian' && (release === 'unstable' || release === 'sid')) {
        return { main: [release], security: [] };
    }
    if (distribution === 'ubuntu') {
        return { main: [release, `${release}-updates`], security: [`${release}-security`] };
    }
    return { main: [release, `${release}-updates`], security: [`${release}-security`] };
}
/** deb822 apt sources for one release from a mirror, as mkosi would write them minus the debug archive. */
function aptSources(mirror, distribution, release, repositories) {
    const known = APT_DISTRIBUTIONS[distribution];
    if (!known)
        throw new Error(`aptSources: ${distribution} is not an apt distribution`);
    const { archive, security } = aptArchive(mirror, distribution);
    const suites = aptSuites(distribution, release);
    const components = ['main', ...repositories.filter((r) => r !== 'main')].join(' ');
    const stanza = (url, list) => `Types: deb\nURIs: ${url}\nSuites: ${list.join(' ')}\nComponents: ${components}\nSigned-By: ${known.keyring}\n`;
    const stanzas = [stanza(archive, suites.main)];
    if (distribution === 'debian' && suites.security.length > 0) {
        stanzas.push(stanza(security, suites.security));
    }
    else if (suites.security.length > 0) {
        stanzas[0] = stanza(archive, [...suites.main, ...suites.security]);
    }
    return stanzas.join('\n');
}

;// CONCATENATED MODULE: external "node:crypto"
const external_node_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");
;// CONCATENATED MODULE: ./src/mkosi/outputs.ts





/** Suffixes after "<Output>." that mkosi gives its extra outputs (see mkosi's Config.output_* names). */
const SUFFIX_KINDS = [
    ['SHA256SUMS.gpg', 'signature'],
    ['SHA256SUMS', 'checksum'],
    ['efi', 'uki'],
    ['vmlinuz', 'kernel'],
    ['initrd', 'initrd'],
    ['manifest', 'manifest'],
    ['changelog', 'changelog'],
    ['roothash', 'roothash'],
    ['usrhash', 'roothash'],
    ['pcrs', 'pcrs'],
    ['osrelease', 'os-release'],
    ['nspawn', 'nspawn-settings'],
    ['repart.d', 'repart-definitions'],
    ['kernel-modules-initrd', 'kernel-modules-initrd'],
];
const COMPRESSION_SUFFIXES = ['zst', 'xz', 'gz', 'bz2', 'lz4', 'lzma'];
function stripCompression(suffix) {
    for (const ext of COMPRESSION_SUFFIXES) {
        if (suffix.endsWith(`.${ext}`))
            return suffix.slice(0, -ext.length - 1);
    }
    return suffix;
}
/**
 * Picks one image's outputs out of a directory listing and says what each is. Only names mkosi
 * derives from the image's Output= are taken, so other files in a shared directory are left out.
 */
function classifyOutputs(image, entries) {
    const main = outputFileName(image);
    const prefix = `${image.output}.`;
    const result = [];
    for (const entry of entries) {
        let kind;
        if (entry.name === main) {
            kind = 'image';
        }
        else if (entry.name === image.output) {
            // mkosi links <Output> to the main output (image -> image.raw); a directory output is <Output> itself.
            kind = entry.type === 'symlink' ? 'link' : 'image';
        }
        else if (entry.name.startsWith(prefix)) {
            const suffix = entry.name.slice(prefix.length);
            const bare = stripCompression(suffix);
            kind = SUFFIX_KINDS.find(([s]) => s === suffix || s === bare)?.[1];
            if (!kind && bare === 'tar')
                kind = 'tar';
            // Split partitions from systemd-repart: <Output>.<partition-type>.raw, e.g. image.root-x86-64.raw.
            if (!kind && /^[a-z0-9-]+(\.[a-z0-9-]+)?\.raw$/.test(bare))
                kind = 'partition';
            kind ??= 'other';
        }
        if (kind)
            result.push({ ...entry, image: image.image, kind });
    }
    const order = (e) => (e.kind === 'image' ? 0 : 1);
    return result.sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
}
async function sha256File(file) {
    const hash = (0,external_node_crypto_namespaceObject.createHash)('sha256');
    for await (const chunk of (0,external_node_fs_namespaceObject.createReadStream)(file, { highWaterMark: 4 * 1024 * 1024 })) {
        hash.update(chunk);
    }
    return hash.digest('hex');
}
async function directorySize(dir) {
    let total = 0;
    for (const entry of await (0,promises_namespaceObject.readdir)(dir, { withFileTypes: true, recursive: true })) {
        if (entry.isFile()) {
            total += (await (0,promises_namespaceObject.lstat)(external_node_path_default().join(entry.parentPath, entry.name))).size;
        }
    }
    return total;
}
async function listDirectory(dir) {
    const entries = await (0,promises_namespaceObject.readdir)(dir, { withFileTypes: true });
    return entries.map((e) => ({
        name: e.name,
        type: e.isSymbolicLink() ? 'symlink' : e.isDirectory() ? 'directory' : 'file',
    }));
}
/** The directory mkosi writes outputs to: OutputDirectory=, else the project directory. */
function outputDirectory(config, projectDirectory) {
    const dir = config.main.outputDirectory;
    return dir ? external_node_path_default().resolve(projectDirectory, dir) : projectDirectory;
}
/** Every output of every image, with size and sha256, main image first. */
async function discoverArtifacts(config, projectDirectory) {
    const listings = new Map();
    const artifacts = [];
    for (const image of [...config.images].reverse()) {
        const dir = image.outputDirectory
            ? external_node_path_default().resolve(projectDirectory, image.outputDirectory)
            : projectDirectory;
        if (!listings.has(dir))
            listings.set(dir, await listDirectory(dir).catch(() => []));
        for (const entry of classifyOutputs(image, listings.get(dir))) {
            const file = external_node_path_default().join(dir, entry.name);
            const artifact = {
                name: entry.name,
                path: file,
                image: entry.image,
                kind: entry.kind,
                type: entry.type,
                size: 0,
                sha256: null,
            };
            if (entry.type === 'symlink') {
                artifact.target = await (0,promises_namespaceObject.readlink)(file);
            }
            else if (entry.type === 'directory') {
                artifact.size = await directorySize(file);
            }
            else {
                artifact.size = (await (0,promises_namespaceObject.lstat)(file)).size;
                artifact.sha256 = await sha256File(file);
            }
            artifacts.push(artifact);
        }
    }
    return artifacts;
}

;// CONCATENATED MODULE: ./src/pipeline/build.ts







/** mkosi colours its messages; the error line quoted in the annotation should not carry escapes. */
function stripAnsi(text) {
    // eslint-disable-next-line no-control-regex
    return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}
/**
 * The line of a failed mkosi run worth quoting: its last message, which is where mkosi says why,
 * without mkosi's "‣" bullet and skipping its parenthesized hints ("(rerun with --debug …)").
 */
function lastErrorLine(output) {
    return stripAnsi(output)
        .split('\n')
        .map((l) => l.replace(/^‣\s*/, '').trim())
        .filter((l) => l !== '' && !/^(\[[^\]]*\]\s*)?\(/.test(l))
        .at(-1);
}
function baseInvocation(options) {
    return {
        directory: options.directory,
        profiles: options.profiles,
        environment: options.environment,
        mirror: options.mirror && mkosiMirror(options.mirror, isAptMirror(options.mirror) ?? ''),
        toolsTree: options.toolsTree,
        sandboxTrees: [],
        toolsTreeSandboxTrees: [],
        extraArgs: options.args,
    };
}
/** The distribution an archive URL is for, judged by its last path element (/debian, /ubuntu). */
function isAptMirror(mirror) {
    const last = mirror.replace(/\/+$/, '').split('/').pop() ?? '';
    return isAptDistribution(last) ? last : undefined;
}
async function resolveConfig(ctx, mkosi, invocation) {
    const result = await ctx.runner.run(mkosi.command, summaryArgs(invocation), { stream: false });
    if (result.exitCode !== 0) {
        const why = lastErrorLine(result.stderr || result.stdout) ?? `exit status ${result.exitCode}`;
        throw new ConfigurationError(`mkosi could not read the configuration in ${invocation.directory}: ${why}`, {
            file: invocation.directory,
        });
    }
    return { text: result.stdout, config: parseSummary(result.stdout) };
}
async function hasAptSources(tree) {
    const source = tree?.Source;
    if (typeof source !== 'string')
        return false;
    return (0,promises_namespaceObject.access)(external_node_path_default().join(source, 'etc/apt/sources.list.d/mkosi.sources')).then(() => true, () => false);
}
/** Whether the user already gives apt its sources through a sandbox tree of their own. */
async function userProvidesAptSources(rawImage) {
    const trees = rawImage?.SandboxTrees;
    if (!Array.isArray(trees))
        return false;
    for (const tree of trees)
        if (await hasAptSources(tree))
            return true;
    return false;
}
/** Translations are never used in a build and cost megabytes per metadata sync. */
const APT_CONF = 'Acquire::Languages "none";\n';
async function writeAptSandboxTree(dir, mirror, image) {
    const sources = external_node_path_default().join(dir, 'etc/apt/sources.list.d/mkosi.sources');
    const conf = external_node_path_default().join(dir, 'etc/apt/apt.conf.d/50mkosi-ci.conf');
    await (0,promises_namespaceObject.mkdir)(external_node_path_default().dirname(sources), { recursive: true });
    await (0,promises_namespaceObject.mkdir)(external_node_path_default().dirname(conf), { recursive: true });
    await (0,promises_namespaceObject.writeFile)(sources, aptSources(mirror, image.distribution, image.release, image.repositories));
    await (0,promises_namespaceObject.writeFile)(conf, APT_CONF);
    return dir;
}
/**
 * Writes apt sources from the `mirror` input for the image and for the default tools tree, where they
 * are apt distributions served by that mirror and the user has not written sources of their own.
 */
async function mirrorSandboxTrees(ctx, options, config) {
    const trees = { sandboxTrees: [], toolsTreeSandboxTrees: [] };
    const mirror = options.mirror;
    const distribution = mirror && isAptMirror(mirror);
    if (!mirror || !distribution)
        return trees;
    const raw = config.raw;
    const main = config.main;
    if (main.distribution === distribution && !(await userProvidesAptSources(raw.Images.at(-1)))) {
        trees.sandboxTrees.push(await writeAptSandboxTree(external_node_path_default().join(ctx.workDir, 'sandbox/image'), mirror, main));
    }
    const tools = config.tools;
    if (tools?.distribution === distribution && !(await userProvidesAptSources(raw.Tools))) {
        trees.toolsTreeSandboxTrees.push(await writeAptSandboxTree(external_node_path_default().join(ctx.workDir, 'sandbox/tools'), mirror, tools));
    }
    return trees;
}
/** Resolves the configuration once, with the mirror's apt sources in place. */
async function resolve(ctx, options, mkosi) {
    let invocation = baseInvocation(options);
    let resolved = await resolveConfig(ctx, mkosi, invocation);
    const trees = await mirrorSandboxTrees(ctx, options, resolved.config);
    if (trees.sandboxTrees.length + trees.toolsTreeSandboxTrees.length > 0) {
        invocation = { ...invocation, ...trees };
        resolved = await resolveConfig(ctx, mkosi, invocation);
    }
    const configFile = external_node_path_default().join(ctx.workDir, 'mkosi-summary.json');
    await (0,promises_namespaceObject.mkdir)(ctx.workDir, { recursive: true });
    await (0,promises_namespaceObject.writeFile)(configFile, resolved.text);
    const main = resolved.config.main;
    ctx.log.info(`${main.distribution} ${main.release} ${main.architecture}, Format=${main.format}, Output=${main.output}` +
        (resolved.config.tools
            ? `, tools tree ${resolved.config.tools.distribution} ${resolved.config.tools.release}`
            : ''));
    return { invocation, config: resolved.config, configFile };
}
async function build(ctx, options, mkosi) {
    const { invocation, config, configFile } = await ctx.log.group('Resolve the mkosi configuration', () => resolve(ctx, options, mkosi));
    const logFile = external_node_path_default().join(ctx.workDir, 'logs', 'build.log');
    const started = Date.now();
    const result = await ctx.log.group('mkosi build', () => ctx.runner.run(mkosi.command, buildArgs(invocation, options.force), { logFile }));
    const durationMs = Date.now() - started;
    if (result.exitCode !== 0) {
        const why = lastErrorLine(result.stderr || result.stdout) ?? '';
        throw new ConfigurationError(`mkosi build of ${options.directory} failed with exit status ${result.exitCode}${why ? `: ${why}` : ''} (full log: ${logFile})`, { file: options.directory });
    }
    const dir = outputDirectory(config, options.directory);
    const artifacts = await discoverArtifacts(config, options.directory);
    if (artifacts.length === 0) {
        ctx.log.warning(`mkosi build succeeded but no outputs of ${config.main.output} were found in ${dir}.`);
    }
    const image = artifacts.find((a) => a.image === config.main.image && a.kind === 'image');
    return { config, configFile, outputDirectory: dir, image, artifacts, logFile, durationMs };
}

;// CONCATENATED MODULE: ./src/pipeline/project.ts




/** Files and directories whose presence makes a directory an mkosi project. */
const PROJECT_MARKERS = ['mkosi.conf', 'mkosi.conf.d', 'mkosi.images'];
async function exists(file) {
    return (0,promises_namespaceObject.stat)(file).then(() => true, () => false);
}
/** Refuses a directory that is not an mkosi project before mkosi gets to build its defaults there. */
async function assertProject(directory) {
    const info = await (0,promises_namespaceObject.stat)(directory).catch(() => undefined);
    if (!info?.isDirectory()) {
        throw new ConfigurationError(`Input ${Input.Directory}: ${directory} is not a directory.`, {
            file: directory,
        });
    }
    for (const marker of PROJECT_MARKERS) {
        if (await exists(external_node_path_default().join(directory, marker)))
            return;
    }
    throw new ConfigurationError(`Input ${Input.Directory}: ${directory} has no mkosi configuration (expected ${PROJECT_MARKERS.join(', ')}).`, { file: directory });
}

;// CONCATENATED MODULE: ./src/mkosi/version.ts
/** The oldest mkosi mkosi-ci drives: v26 settled the CLI dialect it speaks (options before the verb,
 * wrapped-command options after `--`, booleans with explicit values, ToolsTree=default). */
const MINIMUM_MKOSI_VERSION = '26';
/** Parses the output of `mkosi --version` ("mkosi 27.1", "mkosi 28~devel") into a version string. */
function parseVersionOutput(output) {
    const match = /^mkosi\s+(\d+(?:\.\d+)*(?:~\w+)?)/m.exec(output.trim());
    return match?.[1];
}
/** Release tags are v27.1; mkosi reports 27.1. */
function normalizeVersion(version) {
    return version.replace(/^v/, '');
}
/** Compares dotted versions numerically; "28~devel" sorts before "28", as dpkg would. */
function compareVersions(a, b) {
    const split = (v) => {
        const [main = '', pre] = normalizeVersion(v).split('~');
        return { parts: main.split('.').map((p) => Number.parseInt(p, 10) || 0), tilde: pre !== undefined };
    };
    const x = split(a);
    const y = split(b);
    for (let i = 0; i < Math.max(x.parts.length, y.parts.length); i++) {
        const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
        if (d !== 0)
            return Math.sign(d);
    }
    if (x.tilde !== y.tilde)
        return x.tilde ? -1 : 1;
    return 0;
}
function isSupportedVersion(version) {
    return compareVersions(version, MINIMUM_MKOSI_VERSION) >= 0;
}

;// CONCATENATED MODULE: ./src/mkosi/release.ts

/**
 * sha256 of the release tarballs mkosi-ci knows, as downloaded from the default release URL.
 * Only versions listed here are verified without an explicit `mkosi-sha256`.
 */
const RELEASE_SHA256 = {
    // The GitHub tag archive as Debian's orig tarball of 27.1 records it (mkosi_27.1.orig.tar.gz, 473148
    // bytes, in sid's Sources index): Debian takes it unchanged from the tag.
    'v27.1': '33520d662e151d6c43e910c3840ac971fd6023e4488d9c10599e199a07f77d8b',
};
/** A full commit hash names its content already; a tag must be pinned by checksum. */
function isCommit(ref) {
    return /^[0-9a-f]{40}$/.test(ref);
}
/** The git ref a version stands for in an archive URL: refs/tags/v27.1 or the commit itself. */
function archiveRef(version) {
    return isCommit(version) ? version : `refs/tags/v${normalizeVersion(version)}`;
}
function releaseUrl(template, version) {
    return template.replaceAll('{ref}', archiveRef(version));
}
/** The checksum a tarball must have: the user's, else the shipped one, else none (commits only). */
function expectedSha256(version, userSha256) {
    return userSha256 ?? RELEASE_SHA256[`v${normalizeVersion(version)}`];
}
/** The name under which a version is kept in the tool cache (tool caches want semver-like versions). */
function toolCacheVersion(version) {
    if (isCommit(version)) {
        return `0.0.0-${version.slice(0, 12)}`;
    }
    const parts = normalizeVersion(version).split('~')[0].split('.');
    while (parts.length < 3)
        parts.push('0');
    return parts.join('.');
}

;// CONCATENATED MODULE: ./src/pipeline/host-preparation.ts

/** The packages mkosi needs on an Ubuntu runner besides what the image's tools tree brings. */
const HOST_PACKAGES = [
    'uidmap',
    'debian-archive-keyring',
    'systemd-container',
    'zstd',
    'xz-utils',
    'cpio',
];
const UDEV_RULES = [
    'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"',
    'KERNEL=="vhost-vsock", GROUP="kvm", MODE="0666", OPTIONS+="static_node=vhost-vsock"',
    'KERNEL=="vhost-net", GROUP="kvm", MODE="0666", OPTIONS+="static_node=vhost-net"',
].join('\n');
/**
 * What mkosi's own action does to a GitHub runner, as argument arrays: open KVM, vhost-vsock and
 * vhost-net to the runner user, lift AppArmor's unprivileged user namespace restriction (Ubuntu 24.04),
 * and install the host packages that are missing.
 */
function hostPreparationSteps(missingPackages) {
    const steps = [
        {
            title: 'udev rules giving everyone KVM, vhost-vsock and vhost-net',
            command: [
                'sh',
                '-c',
                'printf "%s\\n" "$1" > /etc/udev/rules.d/99-mkosi-ci-kvm.rules',
                'sh',
                UDEV_RULES,
            ],
        },
        { title: 'reload udev rules', command: ['udevadm', 'control', '--reload-rules'], optional: true },
        { title: 'load kvm', command: ['modprobe', '-a', 'kvm', 'vhost_vsock', 'vhost_net'], optional: true },
        {
            title: 'apply the device permissions',
            command: [
                'sh',
                '-c',
                'for d in /dev/kvm /dev/vhost-vsock /dev/vhost-net; do [ -e "$d" ] && chmod 666 "$d"; done; true',
            ],
        },
        {
            title: 'allow unprivileged user namespaces under AppArmor',
            command: [
                'sysctl',
                '--ignore',
                '--write',
                'kernel.apparmor_restrict_unprivileged_unconfined=0',
                'kernel.apparmor_restrict_unprivileged_userns=0',
            ],
            optional: true,
        },
    ];
    if (missingPackages.length > 0) {
        steps.push({ title: 'refresh the package lists', command: ['apt-get', 'update', '-q'] }, {
            title: `install ${missingPackages.join(' ')}`,
            command: ['apt-get', 'install', '-q', '-y', '--no-install-recommends', ...missingPackages],
        });
    }
    return steps;
}
function shouldPrepareHost(mode, githubHostedLinux) {
    return mode === 'yes' || (mode === 'auto' && githubHostedLinux);
}
async function missingPackages(ctx) {
    const missing = [];
    for (const pkg of HOST_PACKAGES) {
        const result = await ctx.runner.run('dpkg-query', ['-W', '-f=${Status}', pkg], { stream: false });
        if (result.exitCode !== 0 || !result.stdout.includes('install ok installed'))
            missing.push(pkg);
    }
    return missing;
}
/** Runs the host preparation with `sudo -n` (or directly as root); idempotent. */
async function prepareHost(ctx, mode) {
    if (!shouldPrepareHost(mode, ctx.host.githubHostedLinux)) {
        return false;
    }
    const sudo = ctx.host.root ? [] : ['sudo', '-n'];
    if (!ctx.host.root) {
        const probe = await ctx.runner.run('sudo', ['-n', 'true'], { stream: false }).catch(() => undefined);
        if (probe?.exitCode !== 0) {
            const message = 'prepare-host: passwordless sudo is not available, so the host was left as it is.';
            if (mode === 'yes')
                ctx.log.warning(message);
            else
                ctx.log.info(message);
            return false;
        }
    }
    await ctx.log.group('Prepare the host', async () => {
        const dpkg = await ctx.runner.which('dpkg-query');
        for (const step of hostPreparationSteps(dpkg ? await missingPackages(ctx) : [])) {
            const [command, ...args] = [...sudo, ...step.command];
            ctx.log.info(`• ${step.title}`);
            const result = await ctx.runner.run(command, args).catch((error) => ({
                exitCode: 127,
                stderr: errorMessage(error),
            }));
            if (result.exitCode !== 0) {
                const message = `prepare-host: '${step.title}' failed (exit status ${result.exitCode}).`;
                if (step.optional)
                    ctx.log.warning(message);
                else
                    throw new Error(message);
            }
        }
    });
    return true;
}

;// CONCATENATED MODULE: ./src/pipeline/setup.ts








async function isExecutable(file) {
    try {
        await (0,promises_namespaceObject.access)(file, promises_namespaceObject.constants.X_OK);
        return true;
    }
    catch {
        return false;
    }
}
const TOOL_NAME = 'mkosi';
/** Downloads the release tarball once per tool cache, verifies it, and returns its bin/mkosi. */
async function installRelease(ctx, options) {
    const version = options.mkosiVersion;
    const cacheVersion = toolCacheVersion(version);
    const cached = await ctx.toolCache.find(TOOL_NAME, cacheVersion);
    if (cached) {
        return { command: external_node_path_default().join(cached, 'bin', 'mkosi'), origin: `release ${version} (tool cache)` };
    }
    const url = releaseUrl(options.mkosiReleaseUrl, version);
    ctx.log.info(`Downloading mkosi ${version} from ${url}`);
    let tarball;
    try {
        tarball = await ctx.toolCache.download(url);
    }
    catch (error) {
        throw new ConfigurationError(`Input ${Input.MkosiVersion}: could not download ${url} (${error.message}); check that ${version} is an mkosi release tag or commit.`, { cause: error });
    }
    const expected = expectedSha256(version, options.mkosiSha256);
    const actual = await sha256File(tarball);
    if (expected && actual !== expected) {
        throw new ConfigurationError(`Input ${options.mkosiSha256 ? Input.MkosiSha256 : Input.MkosiVersion}: the tarball from ${url} has sha256 ${actual}, expected ${expected}; refusing to run it.`);
    }
    if (!expected && !isCommit(version)) {
        ctx.log.warning(`mkosi ${version}: no checksum is known for this tag (sha256 ${actual}); set ${Input.MkosiSha256} to pin it.`);
    }
    const extracted = await ctx.toolCache.extractTar(tarball);
    // GitHub's archives hold one top-level directory, mkosi-<version>/.
    const [top, ...rest] = (await (0,promises_namespaceObject.readdir)(extracted, { withFileTypes: true })).filter((e) => e.isDirectory());
    const root = top && rest.length === 0 ? external_node_path_default().join(extracted, top.name) : extracted;
    if (!(await isExecutable(external_node_path_default().join(root, 'bin', 'mkosi')))) {
        throw new ConfigurationError(`Input ${Input.MkosiReleaseUrl}: ${url} is not an mkosi source tarball (no bin/mkosi).`);
    }
    const dir = await ctx.toolCache.cacheDir(root, TOOL_NAME, cacheVersion);
    return { command: external_node_path_default().join(dir, 'bin', 'mkosi'), origin: `release ${version}` };
}
async function installApt(ctx) {
    const sudo = ctx.host.root ? [] : ['sudo', '-n'];
    await ctx.log.group('Install mkosi from the distribution', async () => {
        for (const args of [
            ['apt-get', 'update', '-q'],
            ['apt-get', 'install', '-q', '-y', '--no-install-recommends', 'mkosi'],
        ]) {
            const [command, ...rest] = [...sudo, ...args];
            const result = await ctx.runner.run(command, rest);
            if (result.exitCode !== 0) {
                throw new ConfigurationError(`Input ${Input.MkosiSource}: apt: '${args.join(' ')}' failed with exit status ${result.exitCode}; use mkosi-source: release where the distribution has no mkosi package.`);
            }
        }
    });
    const command = await ctx.runner.which('mkosi');
    if (!command)
        throw new ConfigurationError(`Input ${Input.MkosiSource}: apt installed mkosi but it is not on PATH.`);
    return { command, origin: 'apt' };
}
/** The mkosi on PATH, when it is exactly the pinned version (so auto never loosens the pin). */
async function pinnedOnPath(ctx, options) {
    const command = await ctx.runner.which('mkosi');
    if (!command || isCommit(options.mkosiVersion))
        return undefined;
    const result = await ctx.runner.run(command, ['--version'], { stream: false }).catch(() => undefined);
    const version = result?.exitCode === 0 ? parseVersionOutput(result.stdout) : undefined;
    if (version && compareVersions(version, options.mkosiVersion) === 0) {
        return { command, origin: `system ${command}` };
    }
    ctx.log.info(`mkosi on PATH is ${version ?? 'unknown'}, not ${options.mkosiVersion}: installing the release.`);
    return undefined;
}
async function locate(ctx, options) {
    const source = options.mkosiSource;
    switch (source.kind) {
        case 'auto':
            return (await pinnedOnPath(ctx, options)) ?? installRelease(ctx, options);
        case 'release':
            return installRelease(ctx, options);
        case 'apt':
            return installApt(ctx);
        case 'system': {
            const command = await ctx.runner.which('mkosi');
            if (!command) {
                throw new ConfigurationError(`Input ${Input.MkosiSource}: system: there is no mkosi on PATH; install it first or use release, apt or a path to a checkout.`);
            }
            return { command, origin: `system ${command}` };
        }
        case 'checkout': {
            const command = external_node_path_default().join(source.path, 'bin', 'mkosi');
            if (!(await isExecutable(command))) {
                throw new ConfigurationError(`Input ${Input.MkosiSource}: ${source.path} is not an mkosi checkout (no executable bin/mkosi).`, { file: source.path });
            }
            return { command, origin: `checkout ${source.path}` };
        }
    }
}
/** Finds out which mkosi a command is and refuses one that is too old. */
async function probeMkosi(ctx, command, origin) {
    const result = await ctx.runner.run(command, ['--version'], { stream: false });
    const version = parseVersionOutput(result.stdout);
    if (result.exitCode !== 0 || !version) {
        throw new ConfigurationError(`Input ${Input.MkosiSource}: '${command} --version' failed (exit status ${result.exitCode}): ${(result.stderr || result.stdout).trim().split('\n').pop() ?? ''}`);
    }
    if (!isSupportedVersion(version)) {
        throw new ConfigurationError(`Input ${Input.MkosiSource}: mkosi ${version} (${origin}) is older than ${MINIMUM_MKOSI_VERSION}, the oldest mkosi-ci supports; use mkosi-source: release with mkosi-version v${MINIMUM_MKOSI_VERSION} or newer.`);
    }
    return { command, version, origin };
}
async function setup(ctx, options) {
    const hostPrepared = await prepareHost(ctx, options.prepareHost);
    const { command, origin } = await locate(ctx, options);
    const mkosi = await probeMkosi(ctx, command, origin);
    ctx.log.info(`mkosi ${mkosi.version} (${mkosi.origin})`);
    return { mkosi, hostPrepared };
}

;// CONCATENATED MODULE: ./src/pipeline/run.ts




function failure(stage, error) {
    return {
        stage,
        message: errorMessage(error),
        userError: isConfigurationError(error),
        error,
        file: isConfigurationError(error) ? error.file : undefined,
    };
}
/** Runs the stages in order and stops at the first failure, returning what was done so far. */
async function runPipeline(ctx, options) {
    const result = {};
    try {
        // A wrong directory is an input error: say so before anything is downloaded or installed.
        await assertProject(options.directory);
        result.setup = await setup(ctx, options);
    }
    catch (error) {
        result.failure = failure('setup', error);
        return result;
    }
    try {
        result.build = await build(ctx, options, result.setup.mkosi);
    }
    catch (error) {
        result.failure = failure('build', error);
    }
    return result;
}

;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
;// CONCATENATED MODULE: ./src/process/runner.ts




/** What is kept of a streamed process's output in memory: enough to quote its last error lines. */
const STREAMED_TAIL_BYTES = 64 * 1024;
const KILL_GRACE_MS = 5_000;
class OutputBuffer {
    limit;
    chunks = [];
    size = 0;
    constructor(limit) {
        this.limit = limit;
    }
    push(chunk) {
        this.chunks.push(chunk);
        this.size += chunk.length;
        while (this.size - (this.chunks[0]?.length ?? 0) > this.limit && this.chunks.length > 1) {
            this.size -= this.chunks.shift().length;
        }
    }
    toString() {
        return Buffer.concat(this.chunks).toString('utf8');
    }
}
function killTree(pid, signal) {
    try {
        // The child leads its own process group (detached), so this reaches everything it started.
        process.kill(-pid, signal);
    }
    catch {
        // Already gone.
    }
}
/**
 * Runs processes with an argument array (never a shell string), streams their output to `sink`,
 * copies it to a log file, and kills the whole process tree on timeout or when mkosi-ci is stopped.
 */
class ProcessRunner {
    sink;
    baseEnv;
    constructor(sink, baseEnv) {
        this.sink = sink;
        this.baseEnv = baseEnv;
    }
    async run(command, args, options = {}) {
        const env = { ...this.baseEnv };
        for (const [key, value] of Object.entries(options.env ?? {})) {
            if (value === undefined)
                delete env[key];
            else
                env[key] = value;
        }
        const stream = options.stream ?? true;
        let logFile;
        if (options.logFile) {
            await (0,promises_namespaceObject.mkdir)(external_node_path_default().dirname(options.logFile), { recursive: true });
            logFile = (0,external_node_fs_namespaceObject.createWriteStream)(options.logFile, { flags: 'a' });
        }
        const limit = stream ? STREAMED_TAIL_BYTES : Number.MAX_SAFE_INTEGER;
        const stdout = new OutputBuffer(limit);
        const stderr = new OutputBuffer(limit);
        return await new Promise((resolve, reject) => {
            const child = (0,external_node_child_process_namespaceObject.spawn)(command, args, {
                cwd: options.cwd,
                env,
                detached: true,
                stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
            });
            let timedOut = false;
            let timer;
            let killTimer;
            const onExit = () => {
                if (child.pid)
                    killTree(child.pid, 'SIGKILL');
            };
            process.once('exit', onExit);
            if (options.timeoutMs) {
                timer = setTimeout(() => {
                    timedOut = true;
                    if (child.pid)
                        killTree(child.pid, 'SIGTERM');
                    killTimer = setTimeout(() => child.pid && killTree(child.pid, 'SIGKILL'), KILL_GRACE_MS);
                }, options.timeoutMs);
            }
            const handle = (buffer) => (chunk) => {
                buffer.push(chunk);
                logFile?.write(chunk);
                if (stream)
                    this.sink(chunk);
            };
            child.stdout?.on('data', handle(stdout));
            child.stderr?.on('data', handle(stderr));
            if (options.input !== undefined) {
                child.stdin?.end(options.input);
            }
            child.on('error', (error) => {
                clearTimeout(timer);
                process.removeListener('exit', onExit);
                logFile?.end();
                reject(error);
            });
            child.on('close', (code, signal) => {
                clearTimeout(timer);
                clearTimeout(killTimer);
                process.removeListener('exit', onExit);
                const result = {
                    exitCode: code ?? 128,
                    signal: signal ?? null,
                    timedOut,
                    stdout: stdout.toString(),
                    stderr: stderr.toString(),
                };
                if (logFile)
                    logFile.end(() => resolve(result));
                else
                    resolve(result);
            });
        });
    }
    async which(command) {
        if (command.includes('/'))
            return command;
        for (const dir of (this.baseEnv.PATH ?? '').split(':')) {
            if (!dir)
                continue;
            const candidate = external_node_path_default().join(dir, command);
            try {
                await (0,promises_namespaceObject.access)(candidate, promises_namespaceObject.constants.X_OK);
                return candidate;
            }
            catch {
                // Not here.
            }
        }
        return undefined;
    }
}

;// CONCATENATED MODULE: ./src/report/format.ts
/** 1536 → "1.5 KiB"; exact bytes below 1 KiB. */
function format_formatBytes(bytes) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
/** 83_400 → "1m 23s"; 4_200 → "4.2s". */
function format_formatDuration(ms) {
    if (ms < 60_000)
        return `${(ms / 1000).toFixed(1)}s`;
    const minutes = Math.floor(ms / 60_000);
    const seconds = Math.round((ms % 60_000) / 1000);
    return `${minutes}m ${seconds}s`;
}
/** Escapes what would break a markdown table cell. */
function format_cell(text) {
    return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

;// CONCATENATED MODULE: ./src/report/build-summary.ts

/** The `artifacts` output: every output file with its size and sha256, as JSON-ready records. */
function artifactRecords(artifacts) {
    return artifacts.map(({ name, path, image, kind, type, size, sha256, target }) => ({
        name,
        path,
        image,
        kind,
        type,
        size,
        sha256,
        ...(target === undefined ? {} : { target }),
    }));
}
function describe(artifact) {
    if (artifact.type === 'symlink')
        return `→ ${artifact.target ?? ''}`;
    if (artifact.type === 'directory')
        return 'directory';
    return artifact.sha256 ?? '';
}
function headline(result) {
    if (result.failure)
        return `❌ mkosi-ci: ${result.failure.stage} failed`;
    return '✅ mkosi-ci: image built';
}
/** The job summary of a run, as markdown. */
function renderMarkdown(result) {
    const lines = [`## ${headline(result)}`, ''];
    const mkosi = result.setup?.mkosi;
    const build = result.build;
    if (mkosi)
        lines.push(`mkosi ${mkosi.version} (${mkosi.origin})`, '');
    if (build) {
        const main = build.config.main;
        lines.push(`**${main.distribution} ${main.release}** ${main.architecture}, \`Format=${main.format}\`, built in ${formatDuration(build.durationMs)} into \`${build.outputDirectory}\``, '', '| File | Kind | Size | sha256 |', '| --- | --- | ---: | --- |', ...build.artifacts.map((a) => `| \`${cell(a.name)}\` | ${a.kind} | ${a.type === 'symlink' ? '' : formatBytes(a.size)} | ${a.sha256 ? `\`${a.sha256}\`` : cell(describe(a))} |`), '');
    }
    if (result.failure) {
        lines.push('> [!CAUTION]', `> ${cell(result.failure.message)}`, '');
    }
    return lines.join('\n');
}
/** The same summary as plain text, for the CLI. */
function renderText(result) {
    const lines = [headline(result).replace(/^\S+ /, '')];
    const mkosi = result.setup?.mkosi;
    const build = result.build;
    if (mkosi)
        lines.push(`mkosi ${mkosi.version} (${mkosi.origin})`);
    if (build) {
        const main = build.config.main;
        lines.push(`${main.distribution} ${main.release} ${main.architecture}, Format=${main.format}, built in ${format_formatDuration(build.durationMs)}`, `output directory: ${build.outputDirectory}`, '');
        const width = Math.max(4, ...build.artifacts.map((a) => a.name.length));
        lines.push(`${'file'.padEnd(width)}  ${'kind'.padEnd(18)}  ${'size'.padStart(10)}  sha256`);
        for (const a of build.artifacts) {
            lines.push(`${a.name.padEnd(width)}  ${a.kind.padEnd(18)}  ${(a.type === 'symlink' ? '' : format_formatBytes(a.size)).padStart(10)}  ${describe(a)}`);
        }
    }
    return lines.join('\n') + '\n';
}

;// CONCATENATED MODULE: ./src/cli/args.ts


const COMMANDS = ['build'];
const INPUT_NAMES = new Set(Object.values(Input));
/**
 * Parses `mkosi-ci <command> [--<input> VALUE | --<input>=VALUE]…`. Every action input is a flag of
 * the same name; a multi-line input's flag may be repeated, each use one line.
 */
function parseCommandLine(argv) {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === '-h' || command === 'help')
        return { kind: 'help' };
    if (command === '--version')
        return { kind: 'version' };
    if (!COMMANDS.includes(command)) {
        throw new ConfigurationError(`Unknown command '${command}'; valid: ${COMMANDS.join(', ')} (see mkosi-ci --help).`);
    }
    const inputs = defaultInputs();
    const given = new Map();
    const flags = { workDir: undefined, debug: false };
    for (let i = 0; i < rest.length; i++) {
        const arg = rest[i];
        if (arg === '--help' || arg === '-h')
            return { kind: 'help' };
        if (arg === '--debug') {
            flags.debug = true;
            continue;
        }
        const match = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
        if (!match)
            throw new ConfigurationError(`Unexpected argument '${arg}'; flags look like --name=value.`);
        const name = match[1];
        let value = match[2];
        if (value === undefined) {
            value = rest[++i];
            if (value === undefined)
                throw new ConfigurationError(`Flag --${name} needs a value.`);
        }
        if (name === 'work-dir') {
            flags.workDir = value;
        }
        else if (INPUT_NAMES.has(name)) {
            const values = given.get(name) ?? [];
            if (values.length > 0 && !INPUT_SPECS[name].multiline) {
                throw new ConfigurationError(`Flag --${name} was given twice; it takes one value.`);
            }
            given.set(name, [...values, value]);
        }
        else {
            throw new ConfigurationError(`Unknown flag --${name}; see mkosi-ci --help for the flags.`);
        }
    }
    for (const [name, values] of given)
        inputs[name] = values.join('\n');
    return { kind: 'run', command: command, inputs, flags };
}
function helpText() {
    const lines = [
        'Usage: mkosi-ci build [flags]',
        '',
        'Builds an mkosi project the way the mkosi-ci GitHub Action does. Every flag is the action input',
        'of the same name; flags marked [repeatable] may be given more than once, one line each.',
        '',
    ];
    for (const input of Object.values(Input)) {
        const spec = INPUT_SPECS[input];
        lines.push(`  --${input}=${spec.placeholder}${spec.multiline ? ' [repeatable]' : ''}`);
        lines.push(`      ${spec.description}${spec.default ? ` (default: ${spec.default})` : ''}`);
    }
    lines.push('  --work-dir=DIR', '      Where logs and the resolved configuration go (default: a new directory under the temp directory).', '  --debug', '      Show stack traces of internal errors.', '');
    return lines.join('\n');
}

;// CONCATENATED MODULE: ./src/cli/log.ts
/** The Log port on a terminal or another CI: plain lines, groups as headings. */
function consoleLog(debugEnabled, write = (text) => process.stderr.write(text)) {
    const secrets = [];
    const scrub = (message) => secrets.reduce((m, s) => m.split(s).join('***'), message);
    const where = (a) => a?.file ? ` (${a.file}${a.line ? `:${a.line}` : ''})` : '';
    return {
        info: (message) => write(`${scrub(message)}\n`),
        warning: (message, annotation) => write(`warning: ${scrub(message)}${where(annotation)}\n`),
        error: (message, annotation) => write(`error: ${scrub(message)}${where(annotation)}\n`),
        debug: (message) => {
            if (debugEnabled())
                write(`debug: ${scrub(message)}\n`);
        },
        group: async (name, fn) => {
            write(`▶ ${name}\n`);
            return await fn();
        },
        mask: (secret) => {
            if (secret)
                secrets.push(secret);
        },
    };
}

;// CONCATENATED MODULE: external "node:stream"
const external_node_stream_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");
;// CONCATENATED MODULE: external "node:stream/promises"
const external_node_stream_promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream/promises");
;// CONCATENATED MODULE: ./src/cli/tool-cache.ts







/** The ToolCache port off the runner: $XDG_CACHE_HOME/mkosi-ci/tools/<tool>/<version>. */
function directoryToolCache(root, runner) {
    const scratch = () => (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(external_node_os_default().tmpdir(), 'mkosi-ci-'));
    return {
        async find(tool, version) {
            const dir = external_node_path_default().join(root, tool, version);
            return (await (0,promises_namespaceObject.stat)(external_node_path_default().join(dir, '.complete')).catch(() => undefined)) ? dir : undefined;
        },
        async download(url) {
            const response = await fetch(url);
            if (!response.ok || !response.body)
                throw new Error(`HTTP ${response.status} ${response.statusText}`);
            const file = external_node_path_default().join(await scratch(), (0,external_node_crypto_namespaceObject.randomUUID)());
            await (0,external_node_stream_promises_namespaceObject.pipeline)(external_node_stream_namespaceObject.Readable.fromWeb(response.body), (0,external_node_fs_namespaceObject.createWriteStream)(file));
            return file;
        },
        async extractTar(file) {
            const dir = await scratch();
            const result = await runner.run('tar', ['-xzf', file, '-C', dir], { stream: false });
            if (result.exitCode !== 0)
                throw new Error(`tar could not extract ${file}: ${result.stderr.trim()}`);
            return dir;
        },
        async cacheDir(source, tool, version) {
            const dir = external_node_path_default().join(root, tool, version);
            await (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true });
            await (0,promises_namespaceObject.mkdir)(external_node_path_default().dirname(dir), { recursive: true });
            await (0,promises_namespaceObject.rename)(source, dir).catch(async () => {
                const copy = await runner.run('cp', ['-a', source, dir], { stream: false });
                if (copy.exitCode !== 0)
                    throw new Error(`could not copy ${source} to ${dir}`);
            });
            await (0,promises_namespaceObject.writeFile)(external_node_path_default().join(dir, '.complete'), '');
            return dir;
        },
    };
}

;// CONCATENATED MODULE: ./src/cli/main.ts












function cacheRoot(env) {
    return external_node_path_default().join(env.XDG_CACHE_HOME || external_node_path_default().join(external_node_os_default().homedir(), '.cache'), 'mkosi-ci');
}
/** The CLI: same pipeline as the action, summary printed as text; resolves to the exit status. */
async function runCli(argv, env = process.env) {
    let debug = false;
    const log = consoleLog(() => debug);
    try {
        const parsed = parseCommandLine(argv);
        if (parsed.kind === 'help') {
            process.stdout.write(helpText());
            return 0;
        }
        if (parsed.kind === 'version') {
            const { version } = JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(__nccwpck_require__.ab + "package.json", 'utf8'));
            process.stdout.write(`mkosi-ci ${version}\n`);
            return 0;
        }
        debug = parsed.flags.debug;
        const options = parseOptions(parsed.inputs, process.cwd());
        const runner = new ProcessRunner((chunk) => process.stdout.write(chunk), env);
        const ctx = {
            runner,
            log,
            toolCache: directoryToolCache(external_node_path_default().join(cacheRoot(env), 'tools'), runner),
            workDir: parsed.flags.workDir
                ? external_node_path_default().resolve(parsed.flags.workDir)
                : await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(external_node_os_default().tmpdir(), 'mkosi-ci-')),
            host: { githubHostedLinux: false, root: process.getuid?.() === 0 },
        };
        const result = await runPipeline(ctx, options);
        process.stdout.write('\n' + renderText(result));
        if (result.failure) {
            if (!result.failure.userError && result.failure.error instanceof Error)
                log.debug(result.failure.error.stack ?? '');
            log.error(result.failure.message, { file: result.failure.file });
            return 1;
        }
        return 0;
    }
    catch (error) {
        if (!isConfigurationError(error) && error instanceof Error)
            log.debug(error.stack ?? '');
        log.error(errorMessage(error));
        return 1;
    }
}


/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(486);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
