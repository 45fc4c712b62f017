#!/usr/bin/env node
import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 486:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _process_cleanup_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(781);
/* harmony import */ var _process_signals_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(396);
/* harmony import */ var _main_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(807);



(0,_process_signals_js__WEBPACK_IMPORTED_MODULE_1__/* .stopOnSignals */ .ZI)();
process.exitCode = await (0,_main_js__WEBPACK_IMPORTED_MODULE_2__/* .runCli */ .a)(process.argv.slice(2));
// A signal's removals finish (and exit with its status) before the CLI ends.
await _process_cleanup_js__WEBPACK_IMPORTED_MODULE_0__/* .runCleanup */ .Kt.settled();

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 807:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  a: () => (/* binding */ runCli)
});

;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(161);
var external_node_os_default = /*#__PURE__*/__nccwpck_require__.n(external_node_os_);
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
var external_node_path_default = /*#__PURE__*/__nccwpck_require__.n(external_node_path_namespaceObject);
;// CONCATENATED MODULE: external "node:crypto"
const external_node_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");
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

;// CONCATENATED MODULE: ./src/cache/keys.ts

/**
 * Cache keys, derived in one pure function from the resolved configuration. A key changes exactly when
 * what the cache holds would change: the fields that decide what gets installed, mkosi's version, the
 * user's suffix and (for content that carries installed packages) the time bucket of `cache-max-age`.
 *
 *   mkosi-ci-v2-<cache>-<distribution>-<release>-<architecture>-<suffix>-<scope>-<hash>
 *
 * The readable fields are slugs without '-', so '-' only ever separates fields and every key has the
 * same number of them (the suffix field is empty without a suffix). Slugs lose information ("a-b" and
 * "a_b" are both "a_b"), so `<scope>` hashes the exact cache name, distribution, release, architecture
 * and suffix: a restore prefix (everything up to `<scope>-`) matches only keys of that very scope, never
 * the entries of another suffix.
 */
const CACHE_NAMES = (/* unused pure expression or super */ null && (['packages', 'incremental', 'tools-tree']));
const KEY_VERSION = 'mkosi-ci-v2';
const DAY_MS = 86_400_000;
/** The time bucket: the same number for every run within one `maxAgeDays` window. */
function timeBucket(now, maxAgeDays) {
    return maxAgeDays > 0 ? Math.floor(now / (maxAgeDays * DAY_MS)) : 0;
}
/** Keys allow no commas and are at most 512 characters; keep the readable parts plain. */
function slug(value) {
    return value.replace(/[^A-Za-z0-9._]+/g, '_').slice(0, 40) || '_';
}
/** Order-independent where mkosi is (package lists), order-preserving where order matters. */
function canonical(fields) {
    return {
        distribution: fields.distribution,
        release: fields.release,
        architecture: fields.architecture,
        mirror: fields.mirror ?? null,
        repositories: [...fields.repositories].sort(),
        packages: [...new Set(fields.packages)].sort(),
        buildPackages: [...new Set(fields.buildPackages)].sort(),
        packageDirectoryFiles: [...fields.packageDirectoryFiles].sort(),
        prepareScripts: [...fields.prepareScripts].sort(),
        profiles: [...fields.profiles].sort(),
    };
}
function hash(value, length = 24) {
    return (0,external_node_crypto_namespaceObject.createHash)('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length);
}
/** Everything of a key but its content hash; also the restore prefix of the package cache. */
function keyPrefix(name, fields, suffix) {
    const scope = hash([name, fields.distribution, fields.release, fields.architecture, suffix], 12);
    const parts = [
        KEY_VERSION,
        name,
        slug(fields.distribution),
        slug(fields.release),
        slug(fields.architecture),
        suffix ? slug(suffix) : '',
        scope,
    ];
    return parts.join('-') + '-';
}
/**
 * The key of each cache that applies (tools-tree only when mkosi builds its default tools tree).
 * Only the package cache falls back by prefix: mkosi throws away an incremental cache whose
 * configuration differs, and an older tools tree with the same configuration would be used as it is,
 * past `cache-max-age`, so those two are exact-only.
 */
function cacheKeys(inputs) {
    const main = inputs.images.at(-1);
    if (!main)
        throw new Error('cacheKeys: no images');
    const common = {
        mkosi: inputs.mkosiVersion,
        suffix: inputs.suffix,
        bucket: timeBucket(inputs.now, inputs.maxAgeDays),
    };
    const images = inputs.images.map(canonical);
    const packageMtimes = inputs.images.map((i) => [...(i.packageDirectoryMtimes ?? [])].sort());
    const tools = inputs.tools && canonical(inputs.tools);
    const keys = [];
    const packages = keyPrefix('packages', main, inputs.suffix);
    // The package cache also holds the tools tree's packages.
    keys.push({
        name: 'packages',
        key: packages + hash({ cache: 'packages', images, tools: tools ?? null, ...common }),
        restoreKeys: [packages],
    });
    keys.push({
        name: 'incremental',
        key: keyPrefix('incremental', main, inputs.suffix) +
            hash({
                cache: 'incremental',
                images,
                ...common,
                ...(packageMtimes.some((m) => m.length > 0) ? { packageMtimes } : {}),
            }),
        restoreKeys: [],
    });
    if (inputs.tools) {
        keys.push({
            name: 'tools-tree',
            key: keyPrefix('tools-tree', inputs.tools, inputs.suffix) +
                hash({ cache: 'tools-tree', tools, ...common }),
            restoreKeys: [],
        });
    }
    return keys;
}
function hitKind(key, matchedKey) {
    if (matchedKey === undefined)
        return 'miss';
    return matchedKey === key ? 'exact' : 'partial';
}

;// CONCATENATED MODULE: ./src/cache/kept-manifest.ts


/**
 * The restore-time manifest's file hashes, kept in the run's work directory from the restore (main) to
 * the change check (post): too large for the step's state, and only a shortcut, so anything missing
 * or malformed means reading every file again, never taking a file as unchanged. Whoever could
 * forge it could only make a changed cache look unchanged (not saved), never put anything into one.
 */
/** Writes the restore-time file hashes for the change check; undefined (a full check) when it cannot. */
async function keepManifest(workDir, name, hashes) {
    const file = external_node_path_default().join(workDir, 'cache-manifests', `${name}.json`);
    try {
        await (0,promises_namespaceObject.mkdir)(external_node_path_default().dirname(file), { recursive: true });
        await (0,promises_namespaceObject.writeFile)(file, JSON.stringify(hashes));
        return file;
    }
    catch {
        return undefined;
    }
}
/** The hashes keepManifest wrote; none (every file read again) when missing or not of that shape. */
async function keptManifest(file) {
    if (!file)
        return {};
    try {
        const parsed = JSON.parse(await (0,promises_namespaceObject.readFile)(file, 'utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
            return {};
        const hashes = Object.create(null);
        for (const [name, value] of Object.entries(parsed)) {
            if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) {
                hashes[name] = value;
            }
        }
        return hashes;
    }
    catch {
        return {};
    }
}

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(24);
;// CONCATENATED MODULE: ./src/cache/manifest.ts




/**
 * Files that change on every run without changing what the cache holds: apt rewrites its binary package
 * caches from the lists each time it runs (and would rebuild them if they were missing).
 */
const REGENERATED = new Set(['pkgcache.bin', 'srcpkgcache.bin']);
/** A ctime this close to the moment the file was looked at may share a clock tick with a later write. */
const RACY_NS = 100000000n;
async function sha256(file) {
    const hash = (0,external_node_crypto_namespaceObject.createHash)('sha256');
    for await (const chunk of (0,external_node_fs_.createReadStream)(file))
        hash.update(chunk);
    return hash.digest('hex');
}
/** Runs `fn` over `items` with at most `limit` at a time. */
async function forEachLimited(items, limit, fn) {
    let next = 0;
    const worker = async () => {
        while (next < items.length)
            await fn(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
/** What must be unchanged for a file's content to count as unchanged without reading it. */
function signature(info, lookedAtNs) {
    if (lookedAtNs - info.ctimeNs < RACY_NS)
        return 'racy';
    return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}
/** The earlier content hash when the stat is unchanged; undefined when the file must be read. */
function tokenWithoutReading(name, sig, context) {
    const known = context.earlier[name];
    if (known && sig !== 'racy' && known[0] === sig)
        return known[1];
    return undefined;
}
/**
 * The entries of one path. The stats are synchronous: tens of thousands of small lstat calls through
 * the thread pool cost several times a plain loop (the post step of a warm run is mostly this walk);
 * only the files that must be read are hashed, 8 at a time.
 */
async function entryLines(root, label, context) {
    const { into } = context;
    const top = await (0,promises_namespaceObject.lstat)(root).catch(() => undefined);
    if (!top)
        return;
    const paths = [root];
    if (top.isDirectory()) {
        for (const entry of await (0,promises_namespaceObject.readdir)(root, { recursive: true, withFileTypes: true })) {
            paths.push(external_node_path_default().join(entry.parentPath, entry.name));
        }
    }
    const toHash = [];
    for (const file of paths) {
        if (REGENERATED.has(external_node_path_default().basename(file)))
            continue;
        const info = (0,external_node_fs_.lstatSync)(file, { bigint: true });
        const rel = external_node_path_default().join(label, external_node_path_default().relative(root, file));
        const mode = (info.mode & 4095n).toString(8);
        const owner = `${info.uid}:${info.gid}`;
        if (info.isFile()) {
            into.bytes += Number(info.size);
            // ctime is wall-clock time; milliseconds are precise enough against RACY_NS.
            const sig = signature(info, BigInt(Date.now()) * 1000000n);
            const line = (token) => `f ${rel} ${mode} ${owner} ${info.size} ${token}`;
            const token = tokenWithoutReading(rel, sig, context);
            if (token === undefined) {
                toHash.push({ file, name: rel, sig, line });
                continue;
            }
            into.hashes[rel] = [sig, token];
            into.lines.push(line(token));
        }
        else if (info.isDirectory()) {
            into.lines.push(`d ${rel} ${mode} ${owner}`);
        }
        else if (info.isSymbolicLink()) {
            into.lines.push(`l ${rel} ${owner} ${(0,external_node_fs_.readlinkSync)(file)}`);
        }
        else {
            into.lines.push(`o ${rel} ${mode} ${owner} ${info.rdev}`);
        }
    }
    await forEachLimited(toHash, 8, async ({ file, name, sig, line }) => {
        const token = await sha256(file);
        into.hashed++;
        into.hashes[name] = [sig, token];
        into.lines.push(line(token));
    });
}
/**
 * The manifest of a cache made of several paths (each may be missing, a file or a directory). Given
 * the hashes of an earlier manifest of the same paths, a file whose stat signature is unchanged keeps
 * its hash unread (see CacheManifest for what that can and cannot prove). A cache restored from its
 * exact key needs no manifest: see RestoreMark.
 */
async function cacheManifest(paths, earlier = {}) {
    const into = { lines: [], bytes: 0, hashes: {}, hashed: 0 };
    for (const [index, root] of paths.entries()) {
        await entryLines(root, String(index), { earlier, into });
    }
    into.lines.sort();
    const hash = (0,external_node_crypto_namespaceObject.createHash)('sha256');
    for (const line of into.lines)
        hash.update(line + '\n');
    return {
        digest: hash.digest('hex'),
        files: into.lines.length,
        bytes: into.bytes,
        hashes: into.hashes,
        hashed: into.hashed,
    };
}

;// CONCATENATED MODULE: ./src/cache/plan.ts

/** Whether configuration text or mkosi options set Incremental= explicitly. */
function choosesIncremental(configTexts, args) {
    return (configTexts.some((text) => /^\s*Incremental\s*=/m.test(text)) ||
        args.some((arg) => /^--incremental(=|$)/.test(arg) || arg === '-i'));
}
/**
 * Where each cache is and what mkosi needs to be told so the caches are where they are restored to:
 * a package cache directory and a cache directory when the project names none, and Incremental=yes
 * when the project left it at its default.
 */
function planCaches(inputs) {
    const { config, options, cacheHome } = inputs;
    const main = config.main;
    const key = (name) => inputs.keys.find((k) => k.name === name);
    const plan = { targets: [], args: [], notes: [] };
    const packagesKey = key('packages');
    if (options.enabled.packages && packagesKey) {
        let dir = main.packageCacheDirectory;
        if (!dir) {
            dir = external_node_path_default().join(cacheHome, 'packages');
            plan.args.push(`--package-cache-directory=${dir}`);
        }
        plan.targets.push({ ...packagesKey, paths: [dir] });
    }
    const incrementalKey = key('incremental');
    if (options.enabled.incremental && incrementalKey) {
        if (main.incremental === 'no' && inputs.incrementalChosen) {
            plan.notes.push('incremental: the project sets Incremental=no, so there is no incremental cache.');
        }
        else {
            if (main.incremental === 'no')
                plan.args.push('--incremental=yes');
            let dir = main.cacheDirectory;
            if (!dir) {
                dir = external_node_path_default().join(cacheHome, 'incremental');
                plan.args.push(`--cache-directory=${dir}`);
            }
            plan.targets.push({ ...incrementalKey, paths: [dir] });
        }
    }
    const toolsKey = key('tools-tree');
    if (options.enabled['tools-tree'] && toolsKey) {
        const tree = main.toolsTree;
        if (inputs.defaultToolsTree && config.tools && tree) {
            // mkosi writes the manifest last: it marks the tree complete and tells mkosi whether it is current.
            plan.targets.push({ ...toolsKey, paths: [tree, `${tree}.manifest`] });
        }
    }
    return plan;
}
function isInside(child, parent) {
    const rel = external_node_path_default().relative(parent, child);
    return rel === '' || (!rel.startsWith('..') && !external_node_path_default().isAbsolute(rel));
}
/**
 * What a cache must not carry: the private keys and passphrases the configuration names, and the
 * project itself (which holds mkosi.key, mkosi.passphrase and the like). Returns the offenders.
 */
function secretsInside(paths, secretFiles, projectDirectory) {
    const offenders = new Set();
    for (const cachePath of paths) {
        for (const secret of secretFiles)
            if (isInside(secret, cachePath))
                offenders.add(secret);
        if (isInside(projectDirectory, cachePath))
            offenders.add(projectDirectory);
    }
    return [...offenders];
}

;// CONCATENATED MODULE: external "node:timers/promises"
const external_node_timers_promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:timers/promises");
;// CONCATENATED MODULE: ./src/cache/restore-mark.ts




/** Longer than a clock tick, so that writes after the restore's mark have a later ctime than it. */
const RESTORE_MARK_SETTLE_MS = 50;
function inodeOf(info) {
    return info ? `${info.dev}:${info.ino}` : null;
}
/** Marks the end of a restore of `paths` (call it after the restore's last write). */
function markRestore(paths) {
    const inodes = paths.map((p) => inodeOf((0,external_node_fs_.lstatSync)(p, { bigint: true, throwIfNoEntry: false })));
    // Date.now() is rounded down to the millisecond; a write just before it may have a ctime within it.
    return { atNs: String(BigInt(Date.now() + 1) * 1000000n), inodes };
}
/** Waits until every mark is RESTORE_MARK_SETTLE_MS old (nothing may touch the caches before). */
async function settleAfterMarks(marks) {
    const latestMs = Math.max(...marks.map((m) => Number(BigInt(m.atNs) / 1000000n)));
    // A wait of less than a millisecond (none to do, or no marks: -Infinity) is one tick of the loop.
    await (0,external_node_timers_promises_namespaceObject.setTimeout)(Math.max(0, latestMs + RESTORE_MARK_SETTLE_MS - Date.now()));
}
/**
 * Looks at `paths` after the build against the mark of their restore. Every entry is looked at (the
 * count and bytes are reported), but never read. Runs after the build, when nothing writes to the
 * cache: an entry removed between the listing and its look is an error, not a case.
 */
async function changedSinceMark(paths, mark) {
    const since = BigInt(mark.atNs);
    const result = { touched: undefined, entries: 0, bytes: 0 };
    const look = (file, info = (0,external_node_fs_.lstatSync)(file, { bigint: true })) => {
        result.entries++;
        if (info.isFile())
            result.bytes += Number(info.size);
        // A ctime at the mark is the restore's own (the mark is taken after its last write).
        if (info.ctimeNs > since)
            result.touched ??= file;
    };
    for (const [index, root] of paths.entries()) {
        const top = (0,external_node_fs_.lstatSync)(root, { bigint: true, throwIfNoEntry: false });
        if (inodeOf(top) !== (mark.inodes[index] ?? null))
            result.touched ??= root;
        if (!top)
            continue;
        look(root, top);
        if (!top.isDirectory())
            continue;
        for (const entry of await (0,promises_namespaceObject.readdir)(root, { recursive: true, withFileTypes: true })) {
            look(external_node_path_default().join(entry.parentPath, entry.name));
        }
    }
    return result;
}

;// CONCATENATED MODULE: external "node:stream/promises"
const external_node_stream_promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream/promises");
;// CONCATENATED MODULE: external "node:stream"
const external_node_stream_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");
;// CONCATENATED MODULE: ./src/cache/tar-header.ts
/** A NUL-terminated field as bytes (latin1). */
function field(block, offset, length) {
    const slice = block.subarray(offset, offset + length);
    const end = slice.indexOf(0);
    return slice.subarray(0, end === -1 ? length : end).toString('latin1');
}
/**
 * A numeric field: octal digits after optional spaces, ended by spaces or NULs (or by the end of the
 * field), or a positive base-256 number. Undefined for anything else (GNU tar would complain and
 * possibly skip ahead, so it must not pass).
 */
function numeric(block, offset, length) {
    const slice = block.subarray(offset, offset + length);
    if (slice[0] === 0x80) {
        let value = 0;
        for (const byte of slice.subarray(1))
            value = value * 256 + byte;
        return Number.isSafeInteger(value) ? value : undefined;
    }
    const match = /^ *([0-7]+)[ \0]*$/.exec(slice.toString('latin1'));
    return match ? Number.parseInt(match[1], 8) : undefined;
}
function checksumMatches(block) {
    const stored = numeric(block, 148, 8);
    let unsigned = 0;
    let signed = 0;
    for (let i = 0; i < 512; i++) {
        const byte = i >= 148 && i < 156 ? 0x20 : block[i];
        unsigned += byte;
        signed += byte >= 128 ? byte - 256 : byte;
    }
    return stored === unsigned || stored === signed;
}
/** Parses one header block; a string says why it is refused. */
function parseTarHeader(block) {
    if (!checksumMatches(block))
        return 'a header block with a wrong checksum (not a tar archive, or damaged)';
    // strcmp(magic, "ustar"), as GNU tar decides whether the prefix field is part of the name.
    const magic = field(block, 257, 512 - 257);
    const posix = magic === 'ustar';
    const gnu = block.subarray(257, 265).toString('latin1') === 'ustar  \0';
    if (!posix && !gnu)
        return 'a header in an old or unknown tar format';
    let name = field(block, 0, 100);
    const prefix = posix ? field(block, 345, 155) : '';
    if (prefix !== '')
        name = `${prefix}/${name}`;
    const mode = numeric(block, 100, 8);
    const size = numeric(block, 124, 12);
    if (mode === undefined || size === undefined)
        return `${JSON.stringify(name)}: an unreadable mode or size`;
    for (const [offset, length] of [
        [108, 8],
        [116, 8],
        [136, 12],
    ]) {
        if (numeric(block, offset, length) === undefined) {
            return `${JSON.stringify(name)}: an unreadable owner or time`;
        }
    }
    return {
        name,
        linkName: field(block, 157, 100),
        type: String.fromCharCode(block[156]),
        mode,
        size,
    };
}
/**
 * The records of a PAX extended header, `<length> <key>=<value>\n` each. A string says why they are
 * refused (a record GNU tar would read differently, or not at all).
 */
function parsePaxRecords(data) {
    const records = [];
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
        if (equals <= 0)
            return 'a malformed PAX extended header';
        // Keys are ASCII; values are UTF-8 text, kept as bytes like every other name.
        records.push([body.subarray(0, equals).toString('latin1'), body.subarray(equals + 1).toString('latin1')]);
        offset += length;
    }
    return records;
}

;// CONCATENATED MODULE: ./src/cache/tar-guard.ts


class ArchiveRefused extends Error {
}
/** The stream ended inside the archive: a damaged download as often as a planted one. */
class ArchiveTruncated extends ArchiveRefused {
}
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
const KINDS = {
    '0': 'file',
    '\0': 'file',
    '7': 'file',
    '1': 'hardlink',
    '2': 'symlink',
    '5': 'directory',
};
const REFUSED_TYPES = {
    '3': 'a character device',
    '4': 'a block device',
    '6': 'a FIFO',
    S: 'a sparse file',
    D: 'a GNU dump directory',
    M: 'a multi-volume continuation',
    V: 'a volume label',
    N: 'an old GNU long-name record',
};
/**
 * Checks a tar stream block by block and hands on only what it has checked: the header of each member
 * (with the extension headers that apply to it) once its name, type and link target are safe, then its
 * data. Names are compared as bytes (latin1 strings), the way tar uses them.
 */
class TarGuard {
    policy;
    partial = Buffer.alloc(0);
    dataLeft = 0;
    done = false;
    extension;
    /** Extension headers and their data, held back until the member they apply to is checked. */
    held = [];
    pax = new Map();
    longName;
    longLink;
    seen = new Map();
    symlinks = new Set();
    members;
    total = 0;
    constructor(policy) {
        this.policy = policy;
        this.members = new Set([...policy.members].map((m) => Buffer.from(m, 'utf8').toString('latin1')));
    }
    /** Bytes of content of the members checked so far: what the archive unpacks to. */
    get unpackedBytes() {
        return this.total;
    }
    /** The checked bytes of `chunk` that may go on to tar; throws ArchiveRefused. */
    push(chunk) {
        const out = [];
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
            if (this.partial.length < BLOCK)
                break;
            const block = this.partial;
            this.partial = Buffer.alloc(0);
            out.push(...this.block(block));
        }
        return out;
    }
    /** Throws unless the stream ended exactly at the end-of-archive marker. */
    finish() {
        if (!this.done)
            throw new ArchiveTruncated('the archive is truncated (it ends before its end marker)');
    }
    block(block) {
        if (this.extension)
            return this.extensionBlock(block);
        if (block.every((b) => b === 0)) {
            if (this.held.length > 0)
                throw new ArchiveRefused('an extension header applies to no member');
            this.done = true;
            // Whatever follows the end marker is never handed on.
            return [Buffer.alloc(2 * BLOCK)];
        }
        const header = parseTarHeader(block);
        if (typeof header === 'string')
            throw new ArchiveRefused(header);
        if (['x', 'g', 'L', 'K'].includes(header.type)) {
            if (header.size > MAX_EXTENSION_BYTES) {
                throw new ArchiveRefused(`an extension header of ${header.size} bytes is too large`);
            }
            this.held.push(block);
            this.extension = { type: header.type, size: header.size, chunks: [], left: padded(header.size) };
            if (header.size === 0)
                this.endExtension();
            return [];
        }
        const checked = this.member(header);
        const out = [...this.held, block];
        this.held = [];
        this.dataLeft = checked.kind === 'file' ? padded(checked.size) : 0;
        return out;
    }
    extensionBlock(block) {
        const extension = this.extension;
        this.held.push(block);
        extension.chunks.push(block);
        extension.left -= BLOCK;
        if (extension.left === 0)
            this.endExtension();
        return [];
    }
    endExtension() {
        const { type, size, chunks } = this.extension;
        this.extension = undefined;
        const data = Buffer.concat(chunks).subarray(0, size);
        if (type === 'L' || type === 'K') {
            const end = data.indexOf(0);
            const value = data.subarray(0, end === -1 ? data.length : end).toString('latin1');
            if (type === 'L')
                this.longName = value;
            else
                this.longLink = value;
            return;
        }
        const records = parsePaxRecords(data);
        if (typeof records === 'string')
            throw new ArchiveRefused(records);
        for (const [key, value] of records) {
            const overrides = key === 'path' || key === 'linkpath' || key === 'size';
            if (overrides && type === 'x')
                this.pax.set(key, value);
            else if (!HARMLESS_PAX.has(key) && !HARMLESS_PAX_PREFIXES.some((p) => key.startsWith(p))) {
                throw new ArchiveRefused(`the archive uses the ${type === 'g' ? 'global ' : ''}PAX keyword ${key}`);
            }
        }
    }
    /** Checks one member; records it so later members can be checked against it. */
    member(header) {
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
        if (refused)
            throw new ArchiveRefused(`${show(rawName)} is ${refused}`);
        const kind = KINDS[header.type];
        if (!kind)
            throw new ArchiveRefused(`${show(rawName)} has the unknown tar type '${header.type}'`);
        const name = this.checkedPath(rawName, rawName);
        if (kind !== 'file' && size !== 0)
            throw new ArchiveRefused(`${show(rawName)}: a ${kind} with content`);
        if (kind === 'file' && rawName.endsWith('/'))
            throw new ArchiveRefused(`${show(rawName)}: a file named like a directory`);
        const top = !name.includes('/');
        if (top && kind !== 'file' && kind !== 'directory') {
            throw new ArchiveRefused(`${show(rawName)}: a cache member must be a file or a directory, not a ${kind}`);
        }
        if (!this.policy.osTree && kind === 'file' && (header.mode & 0o6000) !== 0) {
            throw new ArchiveRefused(`${show(rawName)} is set-user-ID or set-group-ID`);
        }
        if (kind === 'symlink')
            this.checkSymlink(name, rawLink);
        if (kind === 'hardlink') {
            const target = this.checkedPath(rawLink, rawName);
            if (this.seen.get(target) !== 'file') {
                throw new ArchiveRefused(`${show(rawName)}: a hard link to ${show(rawLink)}, which is no file of this archive`);
            }
        }
        const previous = this.seen.get(name);
        if (previous !== undefined && !(previous === 'directory' && kind === 'directory')) {
            throw new ArchiveRefused(`${show(rawName)} appears twice`);
        }
        this.record(name, kind);
        this.total += size;
        if (this.total > this.policy.maxBytes) {
            throw new ArchiveRefused(`the archive unpacks to more than ${this.policy.maxBytes} bytes (the free space this restore may use)`);
        }
        return { kind, size };
    }
    /** A relative name below one of the members, through no symlink of this archive; normalized. */
    checkedPath(raw, member) {
        if (raw.includes('\0'))
            throw new ArchiveRefused(`${show(member)}: a name with a NUL byte`);
        if (raw.startsWith('/'))
            throw new ArchiveRefused(`${show(member)}: an absolute name ${show(raw)}`);
        const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
        if (parts.includes('..'))
            throw new ArchiveRefused(`${show(member)}: the name ${show(raw)} contains '..'`);
        if (parts.length === 0 || !this.members.has(parts[0])) {
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
    checkSymlink(name, target) {
        if (target === '' || target.includes('\0'))
            throw new ArchiveRefused(`${show(name)}: an empty symlink target`);
        if (target.startsWith('/')) {
            if (this.policy.osTree)
                return;
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
    record(name, kind) {
        const parts = name.split('/');
        for (let i = 1; i < parts.length; i++) {
            const parent = parts.slice(0, i).join('/');
            if (!this.seen.has(parent))
                this.seen.set(parent, 'directory');
        }
        this.seen.set(name, kind);
        if (kind === 'symlink')
            this.symlinks.add(name);
    }
}
function padded(size) {
    return Math.ceil(size / BLOCK) * BLOCK;
}
/** A name as bytes were read (latin1), shown as UTF-8 with control characters escaped. */
function show(name) {
    const text = Buffer.from(name, 'latin1').toString('utf8');
    const escaped = [...text]
        .map((c) => c.charCodeAt(0) < 0x20 || c === '\x7f' ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)
        .join('');
    return `'${escaped}'`;
}
/** The guard as a stream between a decompressor and `tar --extract`; it counts what it let through. */
function tarGuardStream(policy) {
    const guard = new TarGuard(policy);
    const stream = new external_node_stream_namespaceObject.Transform({
        transform(chunk, _encoding, callback) {
            try {
                for (const piece of guard.push(chunk))
                    this.push(piece);
                callback();
            }
            catch (error) {
                callback(error);
            }
        },
        flush(callback) {
            try {
                guard.finish();
                callback();
            }
            catch (error) {
                callback(error);
            }
        },
    });
    return Object.assign(stream, { unpackedBytes: () => guard.unpackedBytes });
}

;// CONCATENATED MODULE: ./src/cache/extract.ts




/** Room left for the build itself when a restore decides how much an archive may unpack to. */
const RESERVED_BYTES = 1024 ** 3;
/** A backstop for a decompressor or tar that stops making progress. */
const EXTRACT_TIMEOUT_MS = 30 * 60_000;
/** The decompressor an archive needs, by its magic bytes; undefined for a plain tar. */
async function decompressor(file) {
    const handle = await (0,promises_namespaceObject.open)(file, 'r');
    try {
        const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
        const magic = buffer.subarray(0, bytesRead).toString('hex');
        // --long=30: @actions/cache compresses with a window of up to 1 GiB.
        if (magic === '28b52ffd')
            return ['zstd', '--decompress', '--stdout', '--long=30', '--', file];
        if (magic.startsWith('1f8b'))
            return ['gzip', '--decompress', '--stdout', '--', file];
        return undefined;
    }
    finally {
        await handle.close();
    }
}
/** Bytes an archive may unpack to in `directory`: what is free there, less room for the build. */
async function unpackBudget(directory) {
    const fs = await (0,promises_namespaceObject.statfs)(directory);
    return Math.max(0, fs.bavail * fs.bsize - RESERVED_BYTES);
}
function lastLine(text) {
    return text.trim().split('\n').pop() ?? '';
}
/**
 * Extracts `archive` into the empty directory `into`, with every member checked before tar sees it
 * (TarGuard). Throws ArchiveRefused for an archive that breaks the policy, Error when a tool fails.
 * tar runs without --absolute-names, so even a guard bug could not write through a leading '/'.
 * Returns the bytes of content unpacked.
 */
async function extractArchive(runner, archive, into, policy) {
    const guard = tarGuardStream(policy);
    let refusal;
    guard.on('error', (error) => (refusal ??= error));
    const command = await decompressor(archive);
    const source = command
        ? runner.run(command[0], command.slice(1), {
            stdout: guard,
            stream: false,
            timeoutMs: EXTRACT_TIMEOUT_MS,
        })
        : (0,external_node_stream_promises_namespaceObject.pipeline)((0,external_node_fs_.createReadStream)(archive), guard).then(() => undefined, () => undefined);
    const [unpacked, extracted] = await Promise.all([
        source,
        runner.run('tar', ['--extract', '--file=-', `--directory=${into}`, '--no-overwrite-dir', '--warning=no-unknown-keyword'], { stdin: guard, stream: false, timeoutMs: EXTRACT_TIMEOUT_MS }),
    ]);
    // A refusal stops the decompressor with EPIPE; a failing decompressor leaves the guard a truncated archive.
    if (refusal && !(refusal instanceof ArchiveTruncated))
        throw refusal;
    if (unpacked && unpacked.exitCode !== 0) {
        throw new Error(`${command[0]} could not decompress the archive: ${lastLine(unpacked.stderr)}`);
    }
    if (refusal)
        throw refusal;
    if (extracted.exitCode !== 0) {
        throw new Error(`tar could not extract the archive (exit status ${extracted.exitCode}): ${lastLine(extracted.stderr)}`);
    }
    return { bytes: guard.unpackedBytes() };
}

;// CONCATENATED MODULE: ./src/cache/restore.ts





const POLICIES = {
    packages: { osTree: false, merge: true },
    incremental: { osTree: true, merge: false },
    'tools-tree': { osTree: true, merge: false },
};
/** The paths of a cache as one root and names below it (they are siblings: see planCaches). */
function cacheEntry(paths) {
    const root = external_node_path_default().dirname(paths[0]);
    const stray = paths.find((p) => external_node_path_default().dirname(p) !== root);
    if (stray)
        throw new Error(`the paths of a cache must be in one directory: ${root} and ${stray}`);
    return { root, members: paths.map((p) => external_node_path_default().basename(p)) };
}
async function lstatOrUndefined(file) {
    return (0,promises_namespaceObject.lstat)(file).catch(() => undefined);
}
/** Whether a path holds anything: a file, a link, or a directory with entries. */
async function hasContent(file) {
    const info = await lstatOrUndefined(file);
    if (!info)
        return false;
    return !info.isDirectory() || (await (0,promises_namespaceObject.readdir)(file)).length > 0;
}
/** Adds what `from` has and `to` lacks, keeping everything in `to`; never follows a link in `to`. */
async function mergeInto(from, to, placed) {
    for (const name of await (0,promises_namespaceObject.readdir)(from)) {
        const source = external_node_path_default().join(from, name);
        const target = external_node_path_default().join(to, name);
        const existing = await lstatOrUndefined(target);
        if (!existing) {
            await (0,promises_namespaceObject.rename)(source, target);
            placed.added++;
        }
        else if (existing.isDirectory() && (await (0,promises_namespaceObject.lstat)(source)).isDirectory()) {
            await mergeInto(source, target, placed);
        }
        else {
            placed.kept++;
        }
    }
}
/** Moves the checked members from the staging tree into the root: renames, within one filesystem. */
async function moveIntoPlace(tree, entry, merge) {
    const placed = { added: 0, kept: 0 };
    for (const member of entry.members) {
        const source = external_node_path_default().join(tree, member);
        if (!(await lstatOrUndefined(source)))
            continue;
        const target = external_node_path_default().join(entry.root, member);
        const existing = await lstatOrUndefined(target);
        if (existing?.isDirectory() && !(await hasContent(target)))
            await (0,promises_namespaceObject.rmdir)(target);
        if (!existing || !(await lstatOrUndefined(target))) {
            await (0,promises_namespaceObject.rename)(source, target);
            placed.added++;
        }
        else if (merge && existing.isDirectory() && (await (0,promises_namespaceObject.lstat)(source)).isDirectory()) {
            await mergeInto(source, target, placed);
        }
        else {
            placed.kept++;
        }
    }
    return placed;
}
/**
 * Restores one cache without trusting its archive: the store hands the archive over, it is extracted
 * into a fresh directory beside the cache with every member checked first (no absolute names, no
 * '..', no devices, no links out, nothing through a link, no more than the disk can take), and only
 * then moved into place. Content that is already there is never replaced. Never throws: a cache that
 * cannot be restored is a warning and a cold build. Returns what was restored, if anything.
 */
async function restoreEntry(deps, target) {
    const { log } = deps;
    const policy = POLICIES[target.name];
    const entry = cacheEntry(target.paths);
    if (!policy.merge) {
        const present = [];
        for (const file of target.paths)
            if (await hasContent(file))
                present.push(file);
        if (present.length > 0) {
            log.info(`Cache ${target.name}: ${present.join(' and ')} already there (made by the project or an earlier run): not restored over it; mkosi decides whether to use it.`);
            return undefined;
        }
    }
    let staging;
    try {
        await (0,promises_namespaceObject.mkdir)(entry.root, { recursive: true });
        staging = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(entry.root, '.mkosi-ci-restore-'));
        const scratch = external_node_path_default().join(staging, 'fetch');
        const tree = external_node_path_default().join(staging, 'tree');
        await Promise.all([(0,promises_namespaceObject.mkdir)(scratch), (0,promises_namespaceObject.mkdir)(tree)]);
        const found = await deps.store.fetch(entry.members, target.key, target.restoreKeys, scratch);
        if (!found)
            return undefined;
        let unpacked;
        try {
            unpacked = await extractArchive(deps.runner, found.file, tree, {
                members: new Set(entry.members),
                osTree: policy.osTree,
                maxBytes: await unpackBudget(staging),
            });
        }
        catch (error) {
            if (!(error instanceof ArchiveRefused))
                throw error;
            log.warning(`Cache ${target.name}: the entry ${found.key} was refused and nothing of it was used; building without it: ${error.message}`);
            return undefined;
        }
        const placed = await moveIntoPlace(tree, entry, policy.merge);
        if (placed.kept > 0) {
            log.info(`Cache ${target.name}: ${placed.kept} entries already in ${entry.root} were kept as they were; ${placed.added} were added from the cache.`);
        }
        return { key: found.key, bytes: unpacked.bytes };
    }
    catch (error) {
        log.warning(`Cache ${target.name}: restore failed, building without it: ${errorMessage(error)}`);
        return undefined;
    }
    finally {
        if (staging)
            await (0,promises_namespaceObject.rm)(staging, { recursive: true, force: true });
    }
}

;// CONCATENATED MODULE: ./src/cache/save-rule.ts
/** The reason given when secrets were found, for the caller's warning that names them. */
const SECRETS_INSIDE = 'it would contain keys or the project';
async function saveDecision(build, look) {
    if (!build.succeeded)
        return { save: false, outcome: 'skipped', reason: 'the build failed' };
    const facts = await look();
    if (facts.unchanged)
        return { save: false, outcome: 'unchanged' };
    if (facts.files === 0)
        return { save: false, outcome: 'skipped', reason: 'nothing to save' };
    // The next run restores the same key and gets what this run started from.
    if (facts.hit === 'exact')
        return { save: false, outcome: 'exists', reason: 'the exact key was restored' };
    if (facts.name === 'tools-tree' && !facts.toolsTreeComplete) {
        return { save: false, outcome: 'skipped', reason: 'the tools tree is incomplete (no manifest)' };
    }
    if (facts.secrets.length > 0) {
        return { save: false, outcome: 'skipped', reason: SECRETS_INSIDE };
    }
    return { save: true };
}

;// CONCATENATED MODULE: ./src/cache/caches.ts











async function exists(file) {
    return (0,promises_namespaceObject.stat)(file).then(() => true, () => false);
}
async function sha256Of(file) {
    return (0,external_node_crypto_namespaceObject.createHash)('sha256')
        .update(await (0,promises_namespaceObject.readFile)(file))
        .digest('hex');
}
/** "<name> <size>" and "<name> <mtime ns>" of the files in PackageDirectories=: names, never paths. */
async function packageDirectoryFiles(dirs) {
    const sizes = [];
    const mtimes = [];
    for (const dir of dirs) {
        const entries = await (0,promises_namespaceObject.readdir)(dir, { withFileTypes: true }).catch(() => []);
        for (const entry of entries) {
            if (!entry.isFile())
                continue;
            const info = await (0,promises_namespaceObject.stat)(external_node_path_default().join(dir, entry.name), { bigint: true });
            sizes.push(`${entry.name} ${info.size}`);
            mtimes.push(`${entry.name} ${info.mtimeNs}`);
        }
    }
    return { sizes, mtimes };
}
async function installFields(image) {
    const packageFiles = await packageDirectoryFiles(image.packageDirectories);
    return {
        distribution: image.distribution,
        release: image.release,
        architecture: image.architecture,
        mirror: image.mirror,
        repositories: image.repositories,
        packages: image.packages,
        buildPackages: image.buildPackages,
        packageDirectoryFiles: packageFiles.sizes,
        packageDirectoryMtimes: packageFiles.mtimes,
        // mkosi's own scripts (the tools tree's mkosi.prepare) are listed in a temporary directory that is
        // gone once mkosi exits: their content comes with mkosi's version, which is in the key already.
        prepareScripts: await Promise.all(image.prepareScripts.map((s) => sha256Of(s).catch(() => `mkosi:${external_node_path_default().basename(s)}`))),
        profiles: image.profiles,
    };
}
async function configTexts(config) {
    const files = [...new Set(config.images.flatMap((i) => i.files))];
    return Promise.all(files.map((f) => (0,promises_namespaceObject.readFile)(f, 'utf8').catch(() => '')));
}
function seconds(ms) {
    return `${(ms / 1000).toFixed(1)} s`;
}
function mib(bytes) {
    return `${(bytes / 1048576).toFixed(1)} MiB`;
}
/**
 * The caches whose exact hits are checked by their restore's mark. Not the package cache: apt rewrites
 * its binary caches (pkgcache.bin) and renames them into place on every run, which the manifest leaves
 * out and a mark would call a change; it is small, and listing it costs little.
 */
const MARKED = new Set(['tools-tree', 'incremental']);
async function restoreOne(ctx, target) {
    const started = Date.now();
    const restored = await restoreEntry({ store: ctx.cacheStore, runner: ctx.runner, log: ctx.log }, target);
    const matchedKey = restored?.key;
    const hit = hitKind(target.key, matchedKey);
    const say = (bytes, restoreMs) => ctx.log.info(`Cache ${target.name}: ${hit}${matchedKey ? ` (${matchedKey})` : ''}, ${mib(bytes)}, ${seconds(restoreMs)}; key ${target.key}`);
    if (hit === 'exact' && MARKED.has(target.name)) {
        // Never saved over: the check after the build only has to tell untouched from touched, which the
        // mark does without listing the tree now (see RestoreMark).
        const restoreMs = Date.now() - started;
        const restoreMark = markRestore(target.paths);
        say(restored.bytes, restoreMs);
        return { ...target, hit, matchedKey: matchedKey, restoreMs, sizeBytes: restored.bytes, restoreMark };
    }
    const restoreMs = Date.now() - started;
    // Anything else may be saved after the build, when its content changed: hash it as restored.
    const manifest = await cacheManifest(target.paths);
    const restoredManifest = await keepManifest(ctx.workDir, target.name, manifest.hashes);
    say(manifest.bytes, restoreMs);
    return {
        ...target,
        hit,
        ...(matchedKey ? { matchedKey } : {}),
        restoreMs,
        sizeBytes: manifest.bytes,
        restoredDigest: manifest.digest,
        ...(restoredManifest ? { restoredManifest } : {}),
    };
}
/** The larger a cache usually is, the sooner it starts: the tools tree, the image, the packages. */
const START_ORDER = ['tools-tree', 'incremental', 'packages'];
/**
 * Restores every cache at the same time, the largest first: a store that downloads one at a time
 * (GitHub's) then downloads the next while the first is being checked and extracted, and the
 * extractions share the cores. The records come back in the plan's order.
 */
async function restoreAtOnce(ctx, targets) {
    const started = [...targets].sort((a, b) => START_ORDER.indexOf(a.name) - START_ORDER.indexOf(b.name));
    const done = await Promise.all(started.map((target) => restoreOne(ctx, target)));
    return targets.map((target) => done[started.indexOf(target)]);
}
/**
 * Restores the caches before the build: derives the keys from the resolved configuration, restores
 * each cache that is switched on, and returns the mkosi options that make mkosi use them. Never
 * throws for a cache problem: a cache that cannot be restored means a cold build and a warning.
 */
async function restoreCaches(ctx, options, mkosiVersion, config, now = Date.now()) {
    const enabled = Object.values(options.cache.enabled).some(Boolean);
    if (!enabled)
        return { skipped: 'caches are switched off', records: [], args: [] };
    const unavailable = ctx.cacheStore.unavailable();
    if (unavailable && !ctx.cacheStore.keepsCachesWhenUnavailable) {
        ctx.log.info(`Caches are not used in this run: ${unavailable}.`);
        return { skipped: unavailable, records: [], args: [] };
    }
    const keys = cacheKeys({
        images: await Promise.all(config.images.map(installFields)),
        tools: config.tools && (await installFields(config.tools)),
        mkosiVersion,
        suffix: options.cache.keySuffix,
        maxAgeDays: options.cache.maxAgeDays,
        now,
    });
    const plan = planCaches({
        config,
        keys,
        options: options.cache,
        defaultToolsTree: options.toolsTree.kind === 'default',
        incrementalChosen: choosesIncremental(await configTexts(config), options.args),
        cacheHome: ctx.host.cacheHome,
    });
    for (const note of plan.notes)
        ctx.log.info(note);
    if (plan.args.length > 0)
        ctx.log.info(`mkosi options for the caches: ${plan.args.join(' ')}`);
    if (unavailable) {
        const where = plan.targets.map((t) => t.paths[0]).join(', ');
        ctx.log.info(`No cache store (${unavailable}): the caches are kept on this machine (${where}) and reused as they are; nothing is restored or saved.`);
        await makeCacheDirectories(plan.targets);
        return { skipped: `${unavailable}; kept on this machine only`, records: [], args: plan.args };
    }
    const records = await restoreAtOnce(ctx, plan.targets);
    await makeCacheDirectories(plan.targets);
    await settleAfterMarks(records.flatMap((r) => (r.restoreMark ? [r.restoreMark] : [])));
    return { records, args: plan.args };
}
/**
 * mkosi puts its workspace into <cache>/mkosi when <cache> exists and does not create it: make the
 * directories now, so that mkosi creating ours under <cache> cannot leave it half set up.
 */
async function makeCacheDirectories(targets) {
    for (const target of targets) {
        if (target.name !== 'tools-tree')
            await (0,promises_namespaceObject.mkdir)(target.paths[0], { recursive: true });
    }
}
/** Makes every file of the cache ours, so that tar can read it and the next run (another uid) can use it. */
async function fixOwnership(ctx, paths) {
    if (ctx.host.root)
        return;
    const foreign = [];
    for (const file of paths) {
        if (!(await exists(file)))
            continue;
        const found = await ctx.runner.run('find', [file, '(', '!', '-user', String(ctx.host.uid), '-o', '!', '-readable', ')', '-print', '-quit'], { stream: false });
        if (found.stdout.trim() !== '' || found.exitCode !== 0)
            foreign.push(file);
    }
    if (foreign.length === 0)
        return;
    const chown = await ctx.runner.run('sudo', ['-n', 'chown', '-R', `${ctx.host.uid}:${ctx.host.gid}`, ...foreign], { stream: false });
    if (chown.exitCode !== 0) {
        throw new Error(`files in ${foreign.join(', ')} belong to another user and sudo chown failed: ${chown.stderr.trim()}`);
    }
}
/**
 * Whether the cache is as the restore left it. After an exact hit, by the restore's mark (nothing is
 * read); else by the manifest, reading only the files whose stat moved since the restore-time one.
 */
async function changeCheck(ctx, record) {
    if (record.restoreMark) {
        const since = await changedSinceMark(record.paths, record.restoreMark);
        ctx.log.info(since.touched === undefined
            ? `Cache ${record.name}: change check looked at ${since.entries} entries, none touched since the restore.`
            : `Cache ${record.name}: change check: ${since.touched} was touched after the restore.`);
        return { unchanged: since.touched === undefined, files: since };
    }
    const manifest = await cacheManifest(record.paths, await keptManifest(record.restoredManifest));
    ctx.log.info(`Cache ${record.name}: change check read ${manifest.hashed} of ${Object.keys(manifest.hashes).length} files; the others are as they were restored.`);
    return {
        unchanged: manifest.digest === record.restoredDigest,
        files: { entries: manifest.files, bytes: manifest.bytes },
    };
}
async function saveOne(ctx, record, build) {
    let bytes;
    let secrets = [];
    const decision = await saveDecision(build, async () => {
        const { unchanged, files } = await changeCheck(ctx, record);
        bytes = files.bytes;
        secrets = secretsInside(record.paths, build.secretFiles, build.directory);
        return {
            name: record.name,
            unchanged,
            files: files.entries,
            hit: record.hit,
            toolsTreeComplete: record.name !== 'tools-tree' || (await exists(record.paths[1])),
            secrets,
        };
    });
    if (!decision.save) {
        if (decision.reason === SECRETS_INSIDE) {
            ctx.log.warning(`Cache ${record.name}: not saved, it would contain ${secrets.join(', ')}.`);
        }
        const { outcome, reason } = decision;
        // A size is shown for what is in the store (unchanged, exists), not for what was refused.
        const size = outcome === 'skipped' || bytes === undefined ? {} : { sizeBytes: bytes };
        return { outcome, ...(reason ? { reason } : {}), ...size };
    }
    const started = Date.now();
    await fixOwnership(ctx, record.paths);
    const saved = await ctx.cacheStore.save(cacheEntry(record.paths), record.key);
    return {
        outcome: saved ? 'saved' : 'exists',
        ms: Date.now() - started,
        sizeBytes: bytes,
        // @actions/cache does not say which: a reservation conflict (logged as info) or a failed upload
        // (logged as a warning just above).
        ...(saved ? {} : { reason: 'not stored: the key exists already or the upload failed' }),
    };
}
/**
 * Saves the caches after the run, only when the build succeeded and only those whose content changed
 * since the restore. Never throws: a cache that cannot be saved is a warning.
 */
async function saveCaches(ctx, records, build) {
    // All at once: the change checks share the cores; a store that uploads one at a time queues them.
    return Promise.all(records.map((record) => saveAndSay(ctx, record, build)));
}
async function saveAndSay(ctx, record, build) {
    let save;
    try {
        save = await saveOne(ctx, record, build);
    }
    catch (error) {
        ctx.log.warning(`Cache ${record.name}: save failed: ${errorMessage(error)}`);
        save = { outcome: 'failed', reason: errorMessage(error) };
    }
    ctx.log.info(`Cache ${record.name}: ${save.outcome}${save.reason ? ` (${save.reason})` : ''}${save.ms !== undefined ? ` in ${seconds(save.ms)}` : ''}; key ${record.key}`);
    return { ...record, save };
}

;// CONCATENATED MODULE: ./src/inputs.ts
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
    Input["Boot"] = "boot";
    Input["BootTimeout"] = "boot-timeout";
    Input["BootTransport"] = "boot-transport";
    Input["Kvm"] = "kvm";
    Input["BootRam"] = "boot-ram";
    Input["BootCpus"] = "boot-cpus";
    Input["BootFirmware"] = "boot-firmware";
    Input["BootAllowFailed"] = "boot-allow-failed";
    Input["BootWatch"] = "boot-watch";
    Input["BootTest"] = "boot-test";
    Input["BootTestTimeout"] = "boot-test-timeout";
    Input["UpdateFrom"] = "update-from";
    Input["SignKey"] = "sign-key";
    Input["SignPassphrase"] = "sign-passphrase";
    Input["Upload"] = "upload";
    Input["ArtifactName"] = "artifact-name";
    Input["RetentionDays"] = "retention-days";
    Input["Release"] = "release";
    Input["GithubToken"] = "github-token";
    Input["ReleaseEvents"] = "release-events";
    Input["Reproducible"] = "reproducible";
    Input["ReproducibleVariations"] = "reproducible-variations";
    Input["DiffMaxFiles"] = "diff-max-files";
    Input["DiffMaxReportSize"] = "diff-max-report-size";
    Input["Diffoscope"] = "diffoscope";
    Input["Cache"] = "cache";
    Input["CachePackages"] = "cache-packages";
    Input["CacheIncremental"] = "cache-incremental";
    Input["CacheToolsTree"] = "cache-tools-tree";
    Input["CacheKeySuffix"] = "cache-key-suffix";
    Input["CacheMaxAge"] = "cache-max-age";
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
    [Input.Boot]: {
        default: 'auto',
        placeholder: 'auto|true|false',
        description: 'Boot the image in qemu and fail when a unit failed. auto boots the bootable formats (disk, esp, uki) with a bootable configuration.',
    },
    [Input.BootTimeout]: {
        default: 'auto',
        placeholder: 'SECONDS',
        description: 'How long the guest may take to boot, settle and report; auto is 180 with KVM and 600 without.',
    },
    [Input.BootTransport]: {
        default: 'auto',
        placeholder: 'auto|vsock|serial',
        description: 'How the verdict leaves the guest: vsock (systemd notifications through vhost-device-vsock) or serial (a report between per-run nonce markers on a second serial port). auto picks vsock when vhost-device-vsock is installed.',
    },
    [Input.Kvm]: {
        default: 'auto',
        placeholder: 'auto|yes|no',
        description: 'Use KVM: auto uses it only when a short probe VM really runs under it, else software emulation.',
    },
    [Input.BootRam]: {
        default: '',
        placeholder: 'MIB',
        description: "Memory of the guest in MiB. Empty: the project's [Runtime] RAM=, as mkosi vm uses it (mkosi's default is 2G).",
    },
    [Input.BootCpus]: {
        default: '',
        placeholder: 'N',
        description: "Virtual CPUs of the guest. Empty: the project's [Runtime] CPUs=, as mkosi vm uses it (mkosi's default is 1).",
    },
    [Input.BootFirmware]: {
        default: 'auto',
        placeholder: 'auto|uefi|bios|linux',
        description: "How the guest starts: uefi (OVMF), bios, or linux (the UKI or kernel given to qemu directly). auto: the project's [Runtime] Firmware=, as mkosi vm uses it; when that is auto too, linux for Format=uki, else uefi.",
    },
    [Input.BootAllowFailed]: {
        default: '',
        placeholder: 'UNIT-GLOB',
        multiline: true,
        description: 'Units whose failure is tolerated, as systemctl globs (a bare name means NAME.service), one per line.',
    },
    [Input.BootWatch]: {
        default: '30',
        placeholder: 'SECONDS',
        description: 'How long to keep watching for units that fail after the boot settled; the check stops early at the first failure.',
    },
    [Input.BootTest]: {
        default: '',
        placeholder: 'PATH|SCRIPT',
        multiline: true,
        description: 'Tests run in the booted guest once it settled and no unit failed: the path (in the repository) of an executable or of a directory of executables, run in name order, or an inline script starting with #!. Exit 0 passes, 77 skips, anything else (or running out of boot-test-timeout) fails the boot as test-failed. They are carried in as credentials (at most 24 KiB in all) and see MKOSI_CI_IMAGE_ID, MKOSI_CI_IMAGE_VERSION, MKOSI_CI_HOST (the host, 10.0.2.2), MKOSI_CI_TEST_NAME and MKOSI_CI_TEST_RESULTS (their working directory).',
    },
    [Input.BootTestTimeout]: {
        default: '300',
        placeholder: 'SECONDS',
        description: 'How long each boot-test may run; boot-timeout auto grows by this much per test, a boot-timeout in seconds must leave room for it.',
    },
    [Input.UpdateFrom]: {
        default: '',
        placeholder: 'PATH',
        description: 'The disk image of an earlier version (a .raw file, or a directory holding one, such as the outputs of an earlier release) to update from, as a machine of a user would: a writable copy of it is booted, systemd-sysupdate in the guest installs the ImageVersion= of this build from its outputs (served to the guest at 10.0.2.2; SHA256SUMS.gpg checked with the keyring in the old image, so sign-key is needed), and the copy is booted again and must run the new version. Each boot is a full boot check. boot-test runs in both boots, before the update. The image needs systemd-sysupdate, gpg, transfer definitions in sysupdate.d/ and the signing key in /etc/systemd/import-pubring.gpg.',
    },
    [Input.SignKey]: {
        default: '',
        placeholder: 'ARMORED-KEY',
        description: 'An ASCII-armored OpenPGP private key (from a secret) to sign SHA256SUMS with: SHA256SUMS.gpg is a detached signature, verified before anything is uploaded, and the public key is written next to it as signing-key.asc. The key lives in a throwaway keyring for the run only. The CLI reads it from --sign-key-file.',
    },
    [Input.SignPassphrase]: {
        default: '',
        placeholder: 'PASSPHRASE',
        description: 'The passphrase of sign-key, if it has one (from a secret). The CLI reads it from --sign-passphrase-file.',
    },
    [Input.Upload]: {
        default: 'auto',
        placeholder: 'auto|true|false',
        description: 'Upload the outputs, SHA256SUMS and its signature as one workflow artifact, and the logs and reports as another. auto uploads on push (branches and tags) and release events.',
    },
    [Input.ArtifactName]: {
        default: '{image}',
        placeholder: 'TEMPLATE',
        description: 'Name of the image artifact; {image}, {version}, {distribution}, {release}, {architecture} and {profiles} are replaced from the configuration. The logs go to <name>-logs.',
    },
    [Input.RetentionDays]: {
        default: '',
        placeholder: 'DAYS',
        description: "How many days the artifacts are kept (1 to 90); empty: the repository's setting.",
    },
    [Input.Release]: {
        default: 'false',
        placeholder: 'false|true|TAG',
        description: 'Attach the outputs, SHA256SUMS and its signature to a GitHub release, creating it if needed and replacing assets of the same name. true: the release of the tag the workflow runs for (skipped when it does not run for a tag); a tag name: that release. Needs permissions: contents: write.',
    },
    [Input.GithubToken]: {
        default: '${{ github.token }}',
        placeholder: 'TOKEN',
        description: 'The token for creating releases and uploading their assets.',
    },
    [Input.ReleaseEvents]: {
        default: '',
        placeholder: 'EVENT',
        multiline: true,
        description: 'Workflow events besides a pushed tag, release and workflow_dispatch that may publish a release (for example schedule), separated by commas or new lines. Pull requests from forks never publish.',
    },
    [Input.Reproducible]: {
        default: 'false',
        placeholder: 'false|check|warn',
        description: 'Build the image a second time in a fresh copy of the project at another path, with the reproducible-variations, and compare the two builds file by file. check fails the job when they differ, warn only reports. Seed= and SourceDateEpoch= are pinned for both builds when the project leaves them unset; both builds run with Incremental=no.',
    },
    [Input.ReproducibleVariations]: {
        default: 'build-path, time, timezone, locale, hostname',
        placeholder: 'VARIATION',
        multiline: true,
        description: 'What differs in the second build, separated by commas or new lines: build-path, time, timezone, locale, umask, hostname (hostname needs root), or none. umask is not varied by default: mkosi 27.1 writes its own default initrd under the umask it runs with.',
    },
    [Input.DiffMaxFiles]: {
        default: '100',
        placeholder: 'N',
        description: 'Most differing files named in the report and given to diffoscope; counting goes on past it.',
    },
    [Input.DiffMaxReportSize]: {
        default: '20M',
        placeholder: 'BYTES[K|M|G]',
        description: 'Largest diffoscope report (its --max-report-size), e.g. 20M.',
    },
    [Input.Diffoscope]: {
        default: 'auto',
        placeholder: 'auto|yes|no',
        description: 'Explain the differing files with diffoscope (only those files, with a timeout). auto uses it when the tools tree or the host has it; yes fails when neither has it.',
    },
    [Input.Cache]: {
        default: 'true',
        placeholder: 'true|false',
        description: 'Restore and save the caches below (GitHub cache service in the action, --cache-dir in the CLI); false switches all of them off.',
    },
    [Input.CachePackages]: {
        default: 'true',
        placeholder: 'true|false',
        description: "Cache mkosi's package cache directory (downloaded packages).",
    },
    [Input.CacheIncremental]: {
        default: 'true',
        placeholder: 'true|false',
        description: "Cache mkosi's incremental image cache; Incremental=yes is turned on for the build unless the project sets Incremental= itself.",
    },
    [Input.CacheToolsTree]: {
        default: 'true',
        placeholder: 'true|false',
        description: 'Cache the default tools tree mkosi builds (tools-tree: default).',
    },
    [Input.CacheKeySuffix]: {
        default: '',
        placeholder: 'TEXT',
        description: 'Added to every cache key, to keep caches of different jobs or branches apart; entries with another suffix are never restored.',
    },
    [Input.CacheMaxAge]: {
        default: '7',
        placeholder: 'DAYS',
        description: 'Days after which the cache keys roll over, so security updates reach the packages, the incremental cache and the tools tree; 0 never.',
    },
};
function defaultInputs() {
    return Object.fromEntries(Object.entries(INPUT_SPECS).map(([name, spec]) => [name, spec.default]));
}

;// CONCATENATED MODULE: ./src/cache/home.ts

/**
 * Where mkosi-ci keeps mkosi's package and incremental caches when the project names none: under
 * mkosi's own `<cache>/mkosi` (XDG_CACHE_HOME, else ~/.cache), so that creating them also creates the
 * workspace directory mkosi expects there. The same path on every run: an entry restores where it was
 * saved.
 */
function mkosiCacheHome(env, home) {
    return external_node_path_default().join(env.XDG_CACHE_HOME || external_node_path_default().join(env.HOME || home, '.cache'), 'mkosi', 'mkosi-ci');
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
function config_field(object, key, check, fallback) {
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
function strings(object, key) {
    return config_field(object, key, isArray, []).map(String);
}
function runtimeCredentials(object) {
    return config_field(object, 'Credentials', isArray, []).map((raw) => {
        const entry = (raw ?? {});
        return {
            name: String(entry['Name'] ?? ''),
            value: typeof entry['Value'] === 'string' ? entry['Value'] : undefined,
            path: optionalString(entry, 'Path'),
        };
    });
}
function positiveInteger(value) {
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
function parseImage(object) {
    const format = config_field(object, 'Format', isString);
    const sourceDateEpoch = object['SourceDateEpoch'];
    return {
        image: optionalString(object, 'Image') ?? 'main',
        distribution: config_field(object, 'Distribution', isString),
        release: config_field(object, 'Release', isString),
        architecture: config_field(object, 'Architecture', isString),
        format,
        outputDirectory: optionalString(object, 'OutputDirectory'),
        output: config_field(object, 'Output', isString),
        outputExtension: config_field(object, 'OutputExtension', isStringOrNull, null) ?? defaultOutputExtension(format),
        compressOutput: loose(object, 'CompressOutput'),
        imageId: optionalString(object, 'ImageId'),
        imageVersion: optionalString(object, 'ImageVersion'),
        splitArtifacts: config_field(object, 'SplitArtifacts', isArray, []).map(String),
        bootable: loose(object, 'Bootable'),
        biosBootloader: loose(object, 'BiosBootloader') || 'none',
        toolsTree: optionalString(object, 'ToolsTree'),
        cacheDirectory: optionalString(object, 'CacheDirectory'),
        packageCacheDirectory: optionalString(object, 'PackageCacheDirectory'),
        incremental: loose(object, 'Incremental'),
        mirror: optionalString(object, 'Mirror'),
        repositories: config_field(object, 'Repositories', isArray, []).map(String),
        kernelCommandLineExtra: config_field(object, 'KernelCommandLineExtra', isArray, []).map(String),
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
        secretFiles: SECRET_FIELDS.map((key) => optionalString(object, key)).filter((v) => v !== undefined),
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
/** Every key and passphrase file the configuration names, of every image and the tools tree. */
function secretFilesOf(config) {
    return [...config.images, ...(config.tools ? [config.tools] : [])].flatMap((i) => i.secretFiles);
}

;// CONCATENATED MODULE: ./src/pipeline/adapter-support.ts



/**
 * What every adapter needs of the pipeline in the same words: the host's facts, how a failure is
 * reported, and what the cache save after the run needs to know.
 */
/** The facts of the machine the run is on; `disposable` is the adapter's judgement of its platform. */
function hostFacts(env, home, disposable) {
    return {
        disposable,
        root: process.getuid?.() === 0,
        // Outside any per-run directory, whose path may change between runs: a cache restores to where it was saved.
        cacheHome: mkosiCacheHome(env, home),
        uid: process.getuid?.() ?? 0,
        gid: process.getgid?.() ?? 0,
    };
}
/**
 * Reports a failure as one error line (naming the file it is about); a bug in mkosi-ci, unlike a user
 * error, also leaves its stack trace in the debug log.
 */
function reportFailure(log, error, message = errorMessage(error), file) {
    if (!isConfigurationError(error) && error instanceof Error && error.stack)
        log.debug(error.stack);
    log.error(message, file ? { file } : undefined);
}
/** What saving the caches after the run needs: whether the build succeeded, what they must not contain. */
function cacheSaveInputs(result, options) {
    return {
        succeeded: result.build !== undefined,
        secretFiles: result.build ? secretFilesOf(result.build.config) : [],
        directory: options.directory,
    };
}

;// CONCATENATED MODULE: ./src/repro/toolbox.ts


/** Programs on the host's PATH. */
function hostToolBox(runner) {
    return {
        async find(name) {
            const found = await runner.which(name);
            return found ? { command: found, args: [] } : undefined;
        },
    };
}
const LOADERS = [
    'lib64/ld-linux-x86-64.so.2',
    'lib/ld-linux-aarch64.so.1',
    'lib/ld-linux-riscv64-lp64d.so.1',
    'lib/ld-linux.so.2',
];
/**
 * Programs of an mkosi tools tree (a directory holding a distribution), run on the host through the
 * tree's own dynamic loader and libraries so that no chroot or mount is needed. Falls back to
 * `fallback` (e.g. the host) for what the tree does not have. Good for self-contained programs
 * (mtools, squashfs-tools, erofs-utils, cpio), not for programs that start others.
 */
function toolsTreeToolBox(tree, fallback) {
    const loader = LOADERS.map((l) => external_node_path_default().join(tree, l)).find((l) => (0,external_node_fs_.existsSync)(l));
    const libraryPath = loader ? external_node_path_default().dirname((0,external_node_fs_.realpathSync)(loader)) : undefined;
    return {
        async find(name) {
            if (loader && libraryPath) {
                for (const dir of ['usr/bin', 'usr/sbin', 'bin', 'sbin']) {
                    const program = external_node_path_default().join(tree, dir, name);
                    if ((0,external_node_fs_.existsSync)(program)) {
                        return { command: loader, args: ['--library-path', libraryPath, program] };
                    }
                }
            }
            return await fallback?.find(name);
        },
    };
}
/** The first ToolBox that has the program. */
function chainToolBoxes(...boxes) {
    return {
        async find(name) {
            for (const box of boxes) {
                const found = await box.find(name);
                if (found)
                    return found;
            }
            return undefined;
        },
    };
}
async function runTool(ctx, tool, args, env = {}) {
    return await ctx.runner.run(tool.command, [...tool.args, ...args], {
        stream: false,
        timeoutMs: ctx.timeoutMs ?? 10 * 60_000,
        env: { ...tool.env, ...env },
    });
}
/** One line on why a tool run failed: its exit status and the last lines it wrote. */
function toolFailure(tool, result) {
    if (result.timedOut)
        return `${tool} timed out`;
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' / ');
    return `${tool} exited with ${result.signal ?? result.exitCode}${tail ? `: ${tail}` : ''}`;
}

;// CONCATENATED MODULE: ./src/repro/bytes.ts

/** Reading byte ranges of images without loading them: the first bytes, and a side-by-side compare. */
/** Enough of the start of a partition to find every superblock (btrfs' is at 64 KiB). */
const HEAD_BYTES = 65536 + 4096;
/** Reads the first bytes of a region of a file (a partition) for detection and superblock fields. */
async function readHead(file, offset = 0, length = HEAD_BYTES) {
    const handle = await (0,promises_namespaceObject.open)(file, 'r');
    try {
        const buf = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buf, 0, length, offset);
        return buf.subarray(0, bytesRead);
    }
    finally {
        await handle.close();
    }
}
/**
 * Whether two byte ranges are equal, read side by side in chunks; stops at the first difference.
 * Returns the offset (relative to the range) of the first differing chunk, or undefined when equal.
 */
async function firstDifference(fileA, offsetA, fileB, offsetB, size, chunkSize = 4 * 1024 * 1024) {
    const [ha, hb] = await Promise.all([(0,promises_namespaceObject.open)(fileA, 'r'), (0,promises_namespaceObject.open)(fileB, 'r')]);
    try {
        const ba = Buffer.alloc(chunkSize);
        const bb = Buffer.alloc(chunkSize);
        for (let done = 0; done < size; done += chunkSize) {
            const n = Math.min(chunkSize, size - done);
            const [ra, rb] = await Promise.all([
                ha.read(ba, 0, n, offsetA + done),
                hb.read(bb, 0, n, offsetB + done),
            ]);
            // Ranges cut short by the end of one file differ in length, and buffers of two lengths differ.
            if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead)))
                return done;
            // Both files ended at the same place: nothing more to read.
            if (ra.bytesRead < n)
                return undefined;
        }
        return undefined;
    }
    finally {
        await Promise.all([ha.close(), hb.close()]);
    }
}

;// CONCATENATED MODULE: ./src/repro/comparison.ts
/**
 * The difference a level stands for when it is not identical but recorded no differing file of its
 * own (an output only one build made, an unreadable format, nothing to compare), so that a verdict
 * that is not identical always comes with at least one difference that says why.
 */
function levelDifference(node, location = []) {
    const only = node.verdict === 'only-in-a' ? 'a' : node.verdict === 'only-in-b' ? 'b' : undefined;
    return {
        location,
        path: node.name,
        change: only === 'a' ? 'removed' : only === 'b' ? 'added' : 'changed',
        fields: [],
        reason: node.reason ?? (only ? `only in ${only}` : node.verdict),
    };
}
/** A level is identical when its manifest diff found nothing added, removed or changed. */
function verdictOf(diff) {
    return diff.counts.added + diff.counts.removed + diff.counts.changed === 0 ? 'identical' : 'different';
}

;// CONCATENATED MODULE: ./src/repro/manifest.ts

const MANIFEST_FIELDS = [
    'type',
    'sha256',
    'size',
    'target',
    'mode',
    'uid',
    'gid',
    'rdev',
    'xattrs',
    'mtime',
];
/** "/a/b", never a trailing slash, "." and ".." resolved, leading "./" dropped. */
function normalizeManifestPath(p) {
    const normalized = external_node_path_default().posix.normalize(`/${p.replace(/^\.\/?/, '')}`);
    return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}
function comparePaths(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
function sameXattrs(a, b) {
    if (a === undefined || b === undefined)
        return a === b;
    const keys = Object.keys(a).sort();
    const other = Object.keys(b).sort();
    return keys.length === other.length && keys.every((k, i) => k === other[i] && a[k] === b[k]);
}
/** The fields in which two entries for the same path differ. */
function changedFields(a, b, ignore = []) {
    const fields = [];
    for (const field of MANIFEST_FIELDS) {
        if (ignore.includes(field))
            continue;
        const same = field === 'xattrs'
            ? sameXattrs(a.xattrs, b.xattrs)
            : field === 'mtime'
                ? a.mtime === b.mtime && a.mtimeNs === b.mtimeNs
                : a[field] === b[field];
        if (!same)
            fields.push(field);
    }
    return fields;
}
/**
 * Compares two manifests by path: what was added (in b only), removed (in a only) and changed, with
 * the changed fields. Duplicate paths keep the last entry. Results are sorted by path.
 */
function diffManifests(a, b, options = {}) {
    const left = new Map(a.map((e) => [e.path, e]));
    const right = new Map(b.map((e) => [e.path, e]));
    const added = [];
    const removed = [];
    const changed = [];
    let identical = 0;
    for (const [p, entry] of left) {
        const other = right.get(p);
        if (!other) {
            removed.push(entry);
            continue;
        }
        const fields = changedFields(entry, other, options.ignore);
        if (fields.length === 0)
            identical++;
        else
            changed.push({ path: p, fields, a: entry, b: other });
    }
    for (const [p, entry] of right)
        if (!left.has(p))
            added.push(entry);
    added.sort((x, y) => comparePaths(x.path, y.path));
    removed.sort((x, y) => comparePaths(x.path, y.path));
    changed.sort((x, y) => comparePaths(x.path, y.path));
    return {
        added,
        removed,
        changed,
        counts: {
            a: left.size,
            b: right.size,
            identical,
            added: added.length,
            removed: removed.length,
            changed: changed.length,
        },
    };
}
/** One line for a mode: 0644. */
function formatMode(mode) {
    return mode === undefined ? '?' : mode.toString(8).padStart(4, '0');
}
/** "hard link to /usr/bin/a", or "separate file" for an entry that is not a hard link. */
function linkText(entry) {
    return entry.type === 'hardlink' ? `hard link to ${entry.target ?? '?'}` : `separate ${entry.type}`;
}
/** The names of the extended attributes that differ (present on one side only, or another value). */
function xattrNames(a, b) {
    const names = [...new Set([...Object.keys(a.xattrs ?? {}), ...Object.keys(b.xattrs ?? {})])].sort();
    return names.filter((n) => a.xattrs?.[n] !== b.xattrs?.[n]);
}
function describeField(field, a, b) {
    switch (field) {
        case 'type':
            return `type ${a.type} → ${b.type}`;
        case 'sha256':
            return 'content';
        case 'size':
            return `size ${a.size ?? '?'} → ${b.size ?? '?'}`;
        case 'target':
            return `target ${a.target ?? '?'} → ${b.target ?? '?'}`;
        case 'mode':
            return `mode ${formatMode(a.mode)} → ${formatMode(b.mode)}`;
        case 'uid':
            return `uid ${a.uid ?? '?'} → ${b.uid ?? '?'}`;
        case 'gid':
            return `gid ${a.gid ?? '?'} → ${b.gid ?? '?'}`;
        case 'rdev':
            return `device ${a.rdev ?? '?'} → ${b.rdev ?? '?'}`;
        case 'xattrs':
            return `xattrs (${xattrNames(a, b).join(', ')})`;
        case 'mtime':
            return `mtime ${formatEntryTime(a)} → ${formatEntryTime(b)}`;
    }
}
/** What a hard link stands for is the link itself: its content, size and type are the file's. */
const LINK_FIELDS = ['type', 'sha256', 'size', 'target'];
/** A short human explanation of one changed entry, e.g. "content (sha256), size 10 → 12". */
function describeChange(change) {
    const { a, b, fields } = change;
    if ((a.type === 'hardlink' || b.type === 'hardlink') && fields.some((f) => LINK_FIELDS.includes(f))) {
        const rest = fields.filter((f) => !LINK_FIELDS.includes(f)).map((f) => describeField(f, a, b));
        return [`${linkText(a)} → ${linkText(b)}`, ...rest].join(', ');
    }
    return fields.map((f) => describeField(f, a, b)).join(', ');
}
function formatTime(seconds) {
    if (seconds === undefined)
        return '?';
    const date = new Date(seconds * 1000);
    return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString().replace('.000Z', 'Z');
}
/** An entry's mtime, to the nanosecond when the reader kept them: 2023-11-14T22:13:20.000000001Z. */
function formatEntryTime(entry) {
    if (entry.mtimeNs === undefined)
        return formatTime(entry.mtime);
    const ns = BigInt(entry.mtimeNs);
    const seconds = ns / 1000000000n - (ns % 1000000000n < 0n ? 1n : 0n);
    const fraction = ns - seconds * 1000000000n;
    const whole = new Date(Number(seconds) * 1000).toISOString().replace('.000Z', '');
    return `${whole}.${fraction.toString().padStart(9, '0')}Z`;
}

;// CONCATENATED MODULE: ./src/repro/directory-manifest.ts





/** Manifests of directory trees on disk (an OS tree, an output directory, an extracted filesystem). */
const SMALL_FILE = 1024 * 1024;
const HASH_CONCURRENCY = 8;
/** sha256 of a file or of `length` bytes of it from `start`, read in 4 MiB chunks (bounded memory). */
async function directory_manifest_sha256Of(file, start = 0, length) {
    const hash = (0,external_node_crypto_namespaceObject.createHash)('sha256');
    if (length === 0)
        return hash.digest('hex');
    if (start === 0 && length === undefined) {
        // Small files in one read: a stream per file costs more than the hashing itself.
        const handle = await (0,promises_namespaceObject.open)(file, 'r');
        try {
            const size = (await handle.stat()).size;
            if (size <= SMALL_FILE) {
                const buf = Buffer.alloc(size);
                let got = 0;
                while (got < size) {
                    const { bytesRead } = await handle.read(buf, got, size - got, got);
                    if (bytesRead === 0)
                        break;
                    got += bytesRead;
                }
                return hash.update(buf.subarray(0, got)).digest('hex');
            }
        }
        finally {
            await handle.close();
        }
    }
    const end = length === undefined ? undefined : start + length - 1;
    for await (const chunk of (0,external_node_fs_.createReadStream)(file, { start, end, highWaterMark: 4 * 1024 * 1024 })) {
        hash.update(chunk);
    }
    return hash.digest('hex');
}
function typeOfStats(stats) {
    if (stats.isFile())
        return 'file';
    if (stats.isDirectory())
        return 'directory';
    if (stats.isSymbolicLink())
        return 'symlink';
    if (stats.isCharacterDevice())
        return 'char';
    if (stats.isBlockDevice())
        return 'block';
    if (stats.isFIFO())
        return 'fifo';
    if (stats.isSocket())
        return 'socket';
    return 'other';
}
/** The metadata every entry has, whatever its type, as far as the options keep it. */
function metadataOf(stats, type, options) {
    const entry = {};
    if (options.modes !== false)
        entry.mode = Number(stats.mode) & 0o7777;
    if (options.owners !== false) {
        entry.uid = Number(stats.uid);
        entry.gid = Number(stats.gid);
    }
    const keepMtime = (type !== 'symlink' || options.symlinkMtime !== false) &&
        (type !== 'directory' || options.directoryMtime !== false);
    if (keepMtime) {
        entry.mtime = Math.floor(Number(stats.mtimeMs) / 1000);
        if (options.nanoseconds)
            entry.mtimeNs = stats.mtimeNs.toString();
    }
    return entry;
}
function deviceNumber(rdev) {
    return `${Math.floor(rdev / 256) & 0xfff}:${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}`;
}
/**
 * The manifest of a directory tree read with lstat, every regular file hashed as a stream. Entries
 * are produced in sorted order; the root itself is "/". Memory grows with the number of entries only.
 */
async function manifestFromDirectory(root, options = {}) {
    const entries = [];
    const toHash = [];
    /** The first path of each multiply linked inode. */
    const firstLinks = new Map();
    /** The path this inode was first seen at, or undefined when `rel` is the first. */
    const firstLink = (stats, rel) => {
        const inode = `${stats.dev}:${stats.ino}`;
        const first = firstLinks.get(inode);
        if (first === undefined)
            firstLinks.set(inode, rel);
        return first;
    };
    const visit = async (abs, rel) => {
        const stats = await (0,promises_namespaceObject.lstat)(abs, { bigint: true });
        const type = typeOfStats(stats);
        const entry = { path: rel, type, ...metadataOf(stats, type, options) };
        const linkedTo = options.hardlinks && type !== 'directory' && stats.nlink > 1n ? firstLink(stats, rel) : undefined;
        if (linkedTo !== undefined) {
            entry.type = 'hardlink';
            entry.target = linkedTo;
        }
        else if (type === 'file') {
            entry.size = Number(stats.size);
            toHash.push([entry, abs]);
        }
        else if (type === 'symlink') {
            entry.target = await (0,promises_namespaceObject.readlink)(abs);
        }
        else if (type === 'char' || type === 'block') {
            entry.rdev = deviceNumber(Number(stats.rdev));
        }
        entries.push(entry);
        if (type === 'directory') {
            const names = [];
            const dir = await (0,promises_namespaceObject.opendir)(abs);
            for await (const dirent of dir)
                names.push(dirent.name);
            names.sort((x, y) => comparePaths(x, y));
            for (const name of names)
                await visit(external_node_path_default().join(abs, name), rel === '/' ? `/${name}` : `${rel}/${name}`);
        }
    };
    await visit(root, '/');
    // Hash a few files at a time: most are small and the cost is in the system calls.
    let next = 0;
    const worker = async () => {
        while (next < toHash.length) {
            const [entry, abs] = toHash[next++];
            entry.sha256 = await directory_manifest_sha256Of(abs);
        }
    };
    await Promise.all(Array.from({ length: HASH_CONCURRENCY }, worker));
    return entries;
}

;// CONCATENATED MODULE: ./src/repro/xattrs.ts



/** getfattr writes control characters and backslashes in names as \ooo octal escapes. */
function unescapeGetfattr(text) {
    const bytes = [];
    let last = 0;
    for (const m of text.matchAll(/\\([0-7]{3})/g)) {
        bytes.push(Buffer.from(text.slice(last, m.index)), Buffer.from([parseInt(m[1], 8)]));
        last = m.index + m[0].length;
    }
    bytes.push(Buffer.from(text.slice(last)));
    return Buffer.concat(bytes).toString('utf8');
}
/**
 * Parses `getfattr --dump --encoding=hex` run on "." in the tree's root: blocks of
 * "# file: <path>" followed by "name=0x<hex>" lines. Paths become manifest paths ("." is "/").
 */
function parseGetfattrDump(dump) {
    const byPath = new Map();
    let current;
    for (const line of dump.split('\n')) {
        if (line.startsWith('# file: ')) {
            current = {};
            byPath.set(normalizeManifestPath(unescapeGetfattr(line.slice('# file: '.length))), current);
        }
        else if (current && line !== '') {
            const eq = line.lastIndexOf('=');
            const name = unescapeGetfattr(eq === -1 ? line : line.slice(0, eq));
            current[name] = eq === -1 ? '' : line.slice(eq + 1);
        }
    }
    return byPath;
}
/** Every extended attribute of every path in the tree, symlinks' own included, never following links. */
async function readXattrs(ctx, root) {
    const tool = await ctx.tools.find('getfattr');
    if (!tool)
        return { ok: false, reason: 'getfattr is not installed (attr): extended attributes cannot be read' };
    const result = await ctx.runner.run(tool.command, [
        ...tool.args,
        '--recursive',
        '--physical',
        '--no-dereference',
        '--dump',
        '--match=-',
        '--encoding=hex',
        '.',
    ], { stream: false, timeoutMs: ctx.timeoutMs ?? 10 * 60_000, cwd: external_node_path_default().resolve(root), env: { ...tool.env } });
    if (result.exitCode !== 0 || result.timedOut)
        return { ok: false, reason: toolFailure('getfattr', result) };
    return { ok: true, byPath: parseGetfattrDump(result.stdout) };
}

;// CONCATENATED MODULE: ./src/repro/content/directory.ts






/**
 * Two directories: an OS tree (a directory image) or a directory of outputs, compared by what the
 * filesystem holds: every file's bytes, owners, modes, nanosecond mtimes, extended attributes
 * (capabilities, SELinux labels, ACLs) and hard-link structure. Each changed regular file is
 * narrowed further.
 */
/** An OS tree (a directory image) as opposed to a directory holding output files. */
function isOsTree(a, b) {
    return ['usr', 'etc'].some((d) => (0,external_node_fs_.existsSync)(external_node_path_default().join(a, d)) || (0,external_node_fs_.existsSync)(external_node_path_default().join(b, d)));
}
/**
 * A directory's manifest with its extended attributes. An output directory's own entries (its root
 * and the outputs in it) have new mtimes every build, which say nothing about reproducibility; below
 * them (a directory image inside) mtimes count.
 */
async function treeManifest(narrowing, root, osTree) {
    const [entries, xattrs] = await Promise.all([
        manifestFromDirectory(root, { nanoseconds: true, hardlinks: true }),
        readXattrs(narrowing.options, root),
    ]);
    for (const entry of entries) {
        if (!osTree && entry.path.lastIndexOf('/') === 0) {
            delete entry.mtime;
            delete entry.mtimeNs;
        }
        // A hard link's attributes are its inode's, read on the first path like its content.
        const found = xattrs.ok && entry.type !== 'hardlink' ? xattrs.byPath.get(entry.path) : undefined;
        if (found)
            entry.xattrs = found;
    }
    return [entries, xattrs];
}
async function compareDirectories(narrowing, a, b, name, depth) {
    const osTree = isOsTree(a, b);
    const [[ma, xa], [mb, xb]] = await Promise.all([
        treeManifest(narrowing, a, osTree),
        treeManifest(narrowing, b, osTree),
    ]);
    const diff = diffManifests(ma, mb, { ignore: narrowing.ignore() });
    // The compared directories are the root: paths inside them are locations enough.
    const children = await narrowing.recordDiff(diff, [], { a, b }, depth);
    const node = {
        kind: 'directory',
        name,
        verdict: verdictOf(diff),
        detail: osTree ? 'directory tree' : 'output directory',
        counts: diff.counts,
        children,
    };
    if (ma.length <= 1 && mb.length <= 1) {
        node.verdict = 'nothing-compared';
        node.reason = 'both directories are empty: nothing was compared';
        return node;
    }
    // Without the extended attributes two trees are not known to be identical, only not seen to differ.
    const unread = !xa.ok ? xa.reason : !xb.ok ? xb.reason : undefined;
    if (unread) {
        node.reason = unread;
        if (node.verdict === 'identical')
            node.verdict = 'unsupported';
    }
    return node;
}

;// CONCATENATED MODULE: ./src/repro/archives.ts



/**
 * Streaming readers for cpio (newc) and tar archives: each member's metadata and the sha256 of its
 * content, read in chunks, so memory stays bounded whatever the archive size.
 */
const CHUNK = 1024 * 1024;
/** Reads a byte range of a file front to back, with a small buffer. */
class SequentialReader {
    handle;
    end;
    buffer = Buffer.alloc(0);
    bufferStart = 0;
    /** Absolute offset of the next byte to be returned. */
    position;
    constructor(handle, start, end) {
        this.handle = handle;
        this.end = end;
        this.position = start;
    }
    static async open(file, start = 0, length) {
        const handle = await (0,promises_namespaceObject.open)(file, 'r');
        const size = (await handle.stat()).size;
        const end = length === undefined ? size : Math.min(size, start + length);
        return new SequentialReader(handle, start, end);
    }
    async close() {
        await this.handle.close();
    }
    get remaining() {
        return this.end - this.position;
    }
    async fill(n) {
        const have = this.bufferStart + this.buffer.length - this.position;
        if (have >= n && this.position >= this.bufferStart)
            return;
        const want = Math.min(Math.max(n, CHUNK), this.end - this.position);
        const buf = Buffer.alloc(want);
        let got = 0;
        while (got < want) {
            const { bytesRead } = await this.handle.read(buf, got, want - got, this.position + got);
            if (bytesRead === 0)
                break;
            got += bytesRead;
        }
        this.buffer = buf.subarray(0, got);
        this.bufferStart = this.position;
    }
    /** Up to n bytes without consuming them. */
    async peek(n) {
        await this.fill(n);
        const from = this.position - this.bufferStart;
        return this.buffer.subarray(from, Math.min(from + n, this.buffer.length));
    }
    /** Up to n bytes (fewer only at the end of the range). */
    async read(n) {
        const out = Buffer.from(await this.peek(n));
        this.position += out.length;
        return out;
    }
    skip(n) {
        this.position = Math.min(this.end, this.position + n);
    }
    /** sha256 of the next n bytes, consumed in chunks. */
    async hash(n) {
        const hash = (0,external_node_crypto_namespaceObject.createHash)('sha256');
        let left = Math.min(n, this.remaining);
        while (left > 0) {
            const chunk = await this.read(Math.min(left, CHUNK));
            if (chunk.length === 0)
                break;
            hash.update(chunk);
            left -= chunk.length;
        }
        return hash.digest('hex');
    }
}
/** The compression format of a stream from its first bytes, or undefined. */
function detectCompression(head) {
    if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528)
        return 'zstd';
    if (head.length >= 2 && head[0] === 0x1f && (head[1] === 0x8b || head[1] === 0x9e))
        return 'gzip';
    if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])))
        return 'xz';
    if (head.length >= 4 && (head.readUInt32LE(0) === 0x184d2204 || head.readUInt32LE(0) === 0x184c2102))
        return 'lz4';
    if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh')
        return 'bzip2';
    if (head.length >= 3 && head[0] === 0x5d && head[1] === 0x00 && head[2] === 0x00)
        return 'lzma';
    return undefined;
}
function isCpio(head) {
    const magic = head.toString('latin1', 0, 6);
    return magic === '070701' || magic === '070702';
}
function isTar(head) {
    return head.length >= 263 && head.toString('latin1', 257, 262) === 'ustar';
}
function typeFromMode(mode) {
    switch (mode & 0o170000) {
        case 0o100000:
            return 'file';
        case 0o040000:
            return 'directory';
        case 0o120000:
            return 'symlink';
        case 0o020000:
            return 'char';
        case 0o060000:
            return 'block';
        case 0o010000:
            return 'fifo';
        case 0o140000:
            return 'socket';
        default:
            return 'other';
    }
}
const pad4 = (n) => (4 - (n % 4)) % 4;
/** The fields of a newc header, in their order after the 6-byte magic. */
const CPIO_FIELDS = [
    'ino',
    'mode',
    'uid',
    'gid',
    'nlink',
    'mtime',
    'size',
    'devMajor',
    'devMinor',
    'rdevMajor',
    'rdevMinor',
    'nameSize',
];
function parseCpioHeader(header) {
    const fields = CPIO_FIELDS.map((name, i) => [name, parseInt(header.slice(6 + i * 8, 14 + i * 8), 16)]);
    return Object.fromEntries(fields);
}
/**
 * Skips the zeros between archives (padded to a block; concatenated archives follow on 4-byte
 * boundaries); returns an error when data starts off a 4-byte boundary.
 */
async function skipZeroPadding(reader) {
    while (reader.remaining > 0) {
        const head = await reader.peek(512);
        let zeros = 0;
        while (zeros < head.length && head[zeros] === 0)
            zeros++;
        if (zeros === 0)
            break;
        reader.skip(zeros - (zeros % 4));
        if (zeros % 4 !== 0) {
            if (zeros === head.length)
                continue;
            return `unaligned data at offset ${reader.position}`;
        }
    }
    return undefined;
}
/** Reads a member's data into its entry: a file's hash, a symlink's target, a device's number. */
async function readCpioData(reader, entry, h, pendingLinks) {
    if (entry.type === 'file') {
        entry.size = h.size;
        // Hardlinked files in newc carry their data once, with the last link; an empty earlier
        // member with the same inode is marked as a hardlink to the one that has data.
        const key = `${h.devMajor}:${h.devMinor}:${h.ino}`;
        if (h.nlink > 1 && h.size === 0) {
            entry.type = 'hardlink';
            delete entry.size;
            pendingLinks.set(key, [...(pendingLinks.get(key) ?? []), entry]);
        }
        else {
            entry.sha256 = await reader.hash(h.size);
            for (const link of pendingLinks.get(key) ?? [])
                link.target = entry.path;
            pendingLinks.delete(key);
        }
    }
    else if (entry.type === 'symlink') {
        entry.target = (await reader.read(h.size)).toString('utf8');
    }
    else {
        reader.skip(h.size);
        if (entry.type === 'char' || entry.type === 'block')
            entry.rdev = `${h.rdevMajor}:${h.rdevMinor}`;
    }
    reader.skip(pad4(h.size));
}
/**
 * Lists a newc/crc cpio archive (or several concatenated ones, as an initrd with early microcode is)
 * in a byte range of a file. Stops at a compressed continuation and says where it starts, so the
 * caller can decompress it and list it too.
 */
async function listCpio(file, start = 0, length) {
    const reader = await SequentialReader.open(file, start, length);
    const entries = [];
    const pendingLinks = new Map();
    try {
        for (;;) {
            const error = await skipZeroPadding(reader);
            if (error)
                return { entries, error };
            if (reader.remaining <= 0)
                return { entries };
            const head = await reader.peek(110);
            const compression = detectCompression(head);
            if (compression)
                return { entries, compressedTail: { offset: reader.position, compression } };
            if (!isCpio(head))
                return { entries, error: `no cpio header at offset ${reader.position}` };
            const h = parseCpioHeader((await reader.read(110)).toString('latin1'));
            const nameBytes = await reader.read(h.nameSize);
            reader.skip(pad4(110 + h.nameSize));
            const name = nameBytes.toString('utf8').replace(/\0.*$/s, '');
            if (name === 'TRAILER!!!') {
                reader.skip(h.size + pad4(h.size));
                pendingLinks.clear();
                continue;
            }
            const entry = {
                path: normalizeManifestPath(name),
                type: typeFromMode(h.mode),
                mode: h.mode & 0o7777,
                uid: h.uid,
                gid: h.gid,
                mtime: h.mtime,
            };
            await readCpioData(reader, entry, h, pendingLinks);
            entries.push(entry);
        }
    }
    finally {
        await reader.close();
    }
}
function tarNumber(field) {
    if (field.length > 0 && (field[0] & 0x80) !== 0) {
        // GNU base-256 for large values.
        let value = 0;
        for (let i = 1; i < field.length; i++)
            value = value * 256 + field[i];
        return value;
    }
    const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
    return text ? parseInt(text, 8) : 0;
}
function tarString(field) {
    return field.toString('utf8').replace(/\0.*$/s, '');
}
function parsePax(data) {
    const out = {};
    let i = 0;
    while (i < data.length) {
        const space = data.indexOf(0x20, i);
        if (space < 0)
            break;
        const length = parseInt(data.toString('latin1', i, space), 10);
        if (!length)
            break;
        const record = data.toString('utf8', space + 1, i + length - 1);
        const eq = record.indexOf('=');
        if (eq > 0)
            out[record.slice(0, eq)] = record.slice(eq + 1);
        i += length;
    }
    return out;
}
/**
 * Lists an uncompressed tar archive (ustar, pax with xattrs, GNU long names) in a byte range.
 * Hardlinks are entries of type "hardlink" with their target.
 */
async function listTar(file, start = 0, length) {
    const reader = await SequentialReader.open(file, start, length);
    const entries = [];
    let pax = {};
    let globalPax = {};
    let longName;
    let longLink;
    try {
        while (reader.remaining >= 512) {
            const block = await reader.read(512);
            if (block.every((b) => b === 0))
                continue;
            const size = tarNumber(block.subarray(124, 136));
            const typeflag = String.fromCharCode(block[156] ?? 0x30);
            const padded = size + ((512 - (size % 512)) % 512);
            if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
                const data = await reader.read(size);
                reader.skip(padded - size);
                if (typeflag === 'x')
                    pax = { ...pax, ...parsePax(data) };
                else if (typeflag === 'g')
                    globalPax = { ...globalPax, ...parsePax(data) };
                else if (typeflag === 'L')
                    longName = tarString(data);
                else
                    longLink = tarString(data);
                continue;
            }
            const attrs = { ...globalPax, ...pax };
            const prefix = block.toString('latin1', 257, 262) === 'ustar' ? tarString(block.subarray(345, 500)) : '';
            const base = tarString(block.subarray(0, 100));
            const name = attrs.path ?? longName ?? (prefix ? `${prefix}/${base}` : base);
            const linkName = attrs.linkpath ?? longLink ?? tarString(block.subarray(157, 257));
            const mode = tarNumber(block.subarray(100, 108));
            const type = typeflag === '0' || typeflag === '\0' || typeflag === '7'
                ? 'file'
                : typeflag === '1'
                    ? 'hardlink'
                    : typeflag === '2'
                        ? 'symlink'
                        : typeflag === '3'
                            ? 'char'
                            : typeflag === '4'
                                ? 'block'
                                : typeflag === '5'
                                    ? 'directory'
                                    : typeflag === '6'
                                        ? 'fifo'
                                        : 'other';
            const entry = {
                path: normalizeManifestPath(name),
                type,
                mode: mode & 0o7777,
                uid: attrs.uid !== undefined ? Number(attrs.uid) : tarNumber(block.subarray(108, 116)),
                gid: attrs.gid !== undefined ? Number(attrs.gid) : tarNumber(block.subarray(116, 124)),
                mtime: attrs.mtime !== undefined ? Math.floor(Number(attrs.mtime)) : tarNumber(block.subarray(136, 148)),
            };
            const xattrs = Object.entries(attrs).filter(([k]) => k.startsWith('SCHILY.xattr.'));
            if (xattrs.length > 0)
                entry.xattrs = Object.fromEntries(xattrs.map(([k, v]) => [k.slice(13), v]));
            const realSize = attrs.size !== undefined ? Number(attrs.size) : size;
            if (type === 'file') {
                entry.size = realSize;
                entry.sha256 = await reader.hash(realSize);
                reader.skip(padded - realSize);
            }
            else {
                if (type === 'symlink' || type === 'hardlink')
                    entry.target = linkName;
                if (type === 'char' || type === 'block') {
                    entry.rdev = `${tarNumber(block.subarray(329, 337))}:${tarNumber(block.subarray(337, 345))}`;
                }
                reader.skip(padded);
            }
            entries.push(entry);
            pax = {};
            longName = undefined;
            longLink = undefined;
        }
        return entries;
    }
    finally {
        await reader.close();
    }
}

;// CONCATENATED MODULE: ./src/repro/content/archive.ts



/** A tar archive: its members listed (streamed, hashed) and compared by manifest. */
const tarContent = {
    kind: 'tar',
    node: 'tar',
    detect: isTar,
    async compare(narrowing, pair, place) {
        const [ma, mb] = await Promise.all([listTar(pair.a), listTar(pair.b)]);
        const diff = diffManifests(ma, mb, { ignore: narrowing.ignore() });
        await narrowing.recordDiff(diff, place.location);
        return { kind: 'tar', name: place.name, verdict: verdictOf(diff), counts: diff.counts, children: [] };
    },
};

;// CONCATENATED MODULE: ./src/repro/gpt.ts

/** Discoverable Partitions Specification types mkosi/systemd-repart write most. */
const PARTITION_TYPE_NAMES = {
    'c12a7328-f81f-11d2-ba4b-00a0c93ec93b': 'esp',
    'bc13c2ff-59e6-4262-a352-b275fd6f7172': 'xbootldr',
    '0657fd6d-a4ab-43c4-84e5-0933c84b4f4f': 'swap',
    '933ac7e1-2eb4-4f13-b844-0e14e2aef915': 'home',
    '3b8f8425-20e0-4f3b-907f-1a25a76f98e8': 'srv',
    '4d21b016-b534-45c2-a9fb-5c16e091fd2d': 'var',
    '7ec6f557-3bc5-4aca-b293-16ef5df639d1': 'tmp',
    '0fc63daf-8483-4772-8e79-3d69d8477de4': 'linux-generic',
    '44479540-f297-41b2-9af7-d131d5f0458a': 'root-x86',
    '4f68bce3-e8cd-4db1-96e7-fbcaf984b709': 'root-x86-64',
    'b921b045-1df0-41c3-af44-4c6f280d3fae': 'root-arm64',
    '69dad710-2ce4-4e3c-b16c-21a1d49abed3': 'root-arm',
    '72ec70a6-cf74-40e6-bd49-4bda08e8f224': 'root-riscv64',
    'd13c5d3b-b5d1-422a-b29f-9454fdc89d76': 'root-x86-verity',
    '2c7357ed-ebd2-46d9-aec1-23d437ec2bf5': 'root-x86-64-verity',
    'df3300ce-d69f-4c92-978c-9bfb0f38d820': 'root-arm64-verity',
    '41092b05-9fc8-4523-994f-2def0408b176': 'root-x86-64-verity-sig',
    '6e11a4e7-fbca-4ded-b9e9-e1a512bb664e': 'root-arm64-verity-sig',
    '75250d76-8cc6-458e-bd66-bd47cc81a812': 'usr-x86',
    '8484680c-9521-48c6-9c11-b0720656f69e': 'usr-x86-64',
    'b0e01050-ee5f-4390-949a-9101b17104e9': 'usr-arm64',
    '77ff5f63-e7b6-4633-acf4-1565b864c0e6': 'usr-x86-64-verity',
    '6e11a4e7-fbca-4ded-b9e9-e1a512bb664f': 'usr-arm64-verity',
    'e7bb33fb-06cf-4e81-8273-e543b413e2e2': 'usr-x86-64-verity-sig',
    'c23ce4ff-44bd-4b00-b2d4-b41b3419e02a': 'usr-arm64-verity-sig',
    'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7': 'microsoft-basic-data',
    '21686148-6449-6e6f-744e-656564454649': 'bios-boot',
};
/** GUIDs are stored mixed-endian: the first three fields little-endian. */
function formatGuid(bytes) {
    const le = (b) => Buffer.from(b).reverse().toString('hex');
    return [
        le(bytes.subarray(0, 4)),
        le(bytes.subarray(4, 6)),
        le(bytes.subarray(6, 8)),
        bytes.subarray(8, 10).toString('hex'),
        bytes.subarray(10, 16).toString('hex'),
    ].join('-');
}
const SIGNATURE = 'EFI PART';
function parseHeader(buf, sectorSize) {
    if (buf.length < 92 || buf.toString('latin1', 0, 8) !== SIGNATURE)
        return undefined;
    const revision = buf.readUInt32LE(8);
    return {
        sectorSize,
        revision: `${revision >>> 16}.${revision & 0xffff}`,
        headerSize: buf.readUInt32LE(12),
        headerCrc32: buf.readUInt32LE(16),
        currentLba: Number(buf.readBigUInt64LE(24)),
        backupLba: Number(buf.readBigUInt64LE(32)),
        firstUsableLba: Number(buf.readBigUInt64LE(40)),
        lastUsableLba: Number(buf.readBigUInt64LE(48)),
        diskGuid: formatGuid(buf.subarray(56, 72)),
        entriesLba: Number(buf.readBigUInt64LE(72)),
        entryCount: buf.readUInt32LE(80),
        entrySize: buf.readUInt32LE(84),
        entriesCrc32: buf.readUInt32LE(88),
    };
}
/** Parses the entry array of a GPT (empty slots left out). */
function parseGptEntries(entries, header) {
    const partitions = [];
    for (let i = 0; i < header.entryCount; i++) {
        const entry = entries.subarray(i * header.entrySize, (i + 1) * header.entrySize);
        if (entry.length < 128)
            break;
        if (entry.subarray(0, 16).every((b) => b === 0))
            continue;
        const typeGuid = formatGuid(entry.subarray(0, 16));
        const firstLba = Number(entry.readBigUInt64LE(32));
        const lastLba = Number(entry.readBigUInt64LE(40));
        const partition = {
            number: i + 1,
            typeGuid,
            uuid: formatGuid(entry.subarray(16, 32)),
            name: entry.toString('utf16le', 56, 128).replace(/\0.*$/s, ''),
            firstLba,
            lastLba,
            attributes: entry.readBigUInt64LE(48).toString(16).padStart(16, '0'),
            offset: firstLba * header.sectorSize,
            size: (lastLba - firstLba + 1) * header.sectorSize,
        };
        const typeName = PARTITION_TYPE_NAMES[typeGuid];
        if (typeName)
            partition.typeName = typeName;
        partitions.push(partition);
    }
    return partitions;
}
/**
 * Reads the GPT of a disk image (512- or 4096-byte sectors), or undefined when the file has none.
 * Reads only the header and the entry array.
 */
async function readGptTable(file) {
    const handle = await (0,promises_namespaceObject.open)(file, 'r');
    try {
        for (const sectorSize of [512, 4096]) {
            const buf = Buffer.alloc(512);
            const { bytesRead } = await handle.read(buf, 0, 512, sectorSize);
            const header = parseHeader(buf.subarray(0, bytesRead), sectorSize);
            if (!header)
                continue;
            if (header.entrySize < 128 || header.entryCount > 16384)
                return undefined;
            const entries = Buffer.alloc(header.entryCount * header.entrySize);
            await handle.read(entries, 0, entries.length, header.entriesLba * sectorSize);
            return { header, partitions: parseGptEntries(entries, header) };
        }
        return undefined;
    }
    finally {
        await handle.close();
    }
}
/** A short name for a partition in reports: "2 root-x86-64 (root-x86-64)". */
function partitionLabel(p) {
    const type = p.typeName ?? p.typeGuid;
    return p.name && p.name !== type ? `${p.number} ${p.name} (${type})` : `${p.number} ${type}`;
}
const HEADER_FIELDS = [
    'sectorSize',
    'revision',
    'diskGuid',
    'firstUsableLba',
    'lastUsableLba',
    'backupLba',
    'entryCount',
    'entrySize',
    'entriesLba',
    'headerCrc32',
    'entriesCrc32',
];
const PARTITION_FIELDS = [
    'typeGuid',
    'name',
    'uuid',
    'firstLba',
    'lastLba',
    'attributes',
];
/** Pairs partitions by slot number: what systemd-repart writes is in the same order every time. */
function pairPartitions(a, b) {
    const numbers = [...new Set([...a.partitions, ...b.partitions].map((p) => p.number))].sort((x, y) => x - y);
    return numbers.map((n) => {
        const pair = {};
        const pa = a.partitions.find((p) => p.number === n);
        const pb = b.partitions.find((p) => p.number === n);
        if (pa)
            pair.a = pa;
        if (pb)
            pair.b = pb;
        return pair;
    });
}
/**
 * Field-by-field comparison of two partition tables. The CRCs are reported too (they follow from
 * the other fields) so that a difference in reserved bytes is not missed.
 */
function compareGptTables(a, b) {
    const differences = [];
    for (const field of HEADER_FIELDS) {
        if (a.header[field] !== b.header[field]) {
            differences.push({ field: `header.${field}`, a: a.header[field], b: b.header[field] });
        }
    }
    for (const pair of pairPartitions(a, b)) {
        if (!pair.a || !pair.b) {
            const only = (pair.a ?? pair.b);
            differences.push({
                field: `partition ${only.number}`,
                a: pair.a ? partitionLabel(pair.a) : undefined,
                b: pair.b ? partitionLabel(pair.b) : undefined,
            });
            continue;
        }
        for (const field of PARTITION_FIELDS) {
            if (pair.a[field] !== pair.b[field]) {
                differences.push({
                    field: `partition ${pair.a.number}.${field}`,
                    a: pair.a[field],
                    b: pair.b[field],
                });
            }
        }
    }
    return differences;
}

;// CONCATENATED MODULE: ./src/repro/hints.ts
const KNOWN_PATHS = [
    {
        test: (p) => p === '/var/cache/ldconfig/aux-cache',
        hint: 'ldconfig cache: RemoveFiles=/var/cache/ldconfig/aux-cache',
    },
    { test: (p) => p.startsWith('/var/log/'), hint: 'log written during the build: RemoveFiles= it' },
    {
        test: (p) => /^\/var\/(lib|cache)\/(dpkg|apt|rpm|dnf|pacman|zypp)\//.test(p) || p.startsWith('/var/lib/pacman/'),
        hint: 'package manager state',
    },
    { test: (p) => /(^|\/)loader\/random-seed$/.test(p), hint: 'systemd-boot random seed (random by design)' },
    { test: (p) => p === '/var/lib/systemd/random-seed', hint: 'systemd random seed (random by design)' },
    { test: (p) => p === '/etc/machine-id', hint: 'machine id' },
    { test: (p) => p.endsWith('.pyc'), hint: 'Python bytecode (embeds source mtimes)' },
    {
        test: (p) => p === '/etc/ssh/ssh_host_' || /^\/etc\/ssh\/ssh_host_/.test(p),
        hint: 'SSH host key generated at build time',
    },
];
const KNOWN_FIELDS = {
    'header.diskGuid': 'disk GUID derives from Seed=: pin Seed=',
    uuid: 'derives from Seed= (partition UUIDs) or is random: pin Seed= (each image of mkosi.images/ needs its own)',
    hash_seed: 'ext4 directory hash seed: SYSTEMD_REPART_MKFS_OPTIONS_EXT4=-E hash_seed=<uuid>',
    mkfs_time: 'filesystem creation time: pin SourceDateEpoch=',
    write_time: 'filesystem write time: pin SourceDateEpoch=',
    build_time: 'filesystem build time: pin SourceDateEpoch=',
    volume_id: 'vfat volume id: derives from Seed=',
    timestamp: 'PE link time stamp',
};
function hintForPath(p, fields = []) {
    const known = KNOWN_PATHS.find((k) => k.test(p));
    if (known)
        return known.hint;
    if (fields.length === 1 && fields[0] === 'mtime')
        return 'timestamp only: pin SourceDateEpoch=';
    return undefined;
}
function hintForField(field) {
    return KNOWN_FIELDS[field] ?? KNOWN_FIELDS[field.replace(/^.*\./, '')];
}
/**
 * A mode that differs only in the group/other write bits (0644 → 0664) follows the umask of the
 * build: whatever created the file did not set its mode.
 */
function hintForModes(a, b) {
    if (a === undefined || b === undefined || a === b)
        return undefined;
    if (((a ^ b) & ~0o022) !== 0)
        return undefined;
    return "mode follows the build's umask: the file was created without an explicit mode";
}

;// CONCATENATED MODULE: ./src/repro/extracted-xattrs.ts

/**
 * Extended attributes of an extracted filesystem, read with getfattr: Node cannot list xattrs, and the
 * extraction tools (fsck.erofs, unsquashfs) write them onto the files they extract. Builds differ in
 * them more often than one would think (overlayfs's user.overlay.origin holds an inode number).
 */
/** getfattr's escapes in names: `\ooo` (octal) for control characters and the backslash itself. */
function extracted_xattrs_unescapeGetfattr(text) {
    return text.replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8)));
}
/**
 * `getfattr --dump --encoding=hex --absolute-names` output as xattrs per manifest path ("/" for
 * `root` itself, "/usr/bin" below it). Files without xattrs are absent.
 */
function extracted_xattrs_parseGetfattrDump(text, root) {
    const byPath = new Map();
    let current;
    for (const line of text.split('\n')) {
        if (line.startsWith('# file: ')) {
            const file = extracted_xattrs_unescapeGetfattr(line.slice('# file: '.length));
            const relative = file === root ? '' : file.startsWith(`${root}/`) ? file.slice(root.length) : undefined;
            current = relative === undefined ? undefined : {};
            if (current)
                byPath.set(relative || '/', current);
        }
        else if (current && line !== '') {
            const eq = line.indexOf('=');
            const name = extracted_xattrs_unescapeGetfattr(eq === -1 ? line : line.slice(0, eq));
            current[name] = eq === -1 ? '' : line.slice(eq + 1);
        }
    }
    for (const [key, value] of byPath)
        if (Object.keys(value).length === 0)
            byPath.delete(key);
    return byPath;
}
/**
 * Puts the xattrs of the tree at `root` into its manifest entries. False when getfattr is missing or
 * fails: then the caller must leave xattrs out of the comparison.
 */
async function addExtractedXattrs(ctx, root, entries) {
    const tool = await ctx.tools.find('getfattr');
    if (!tool)
        return false;
    const args = [
        '--recursive',
        '--physical',
        '--no-dereference',
        '--absolute-names',
        '--match=-',
        '--encoding=hex',
        '--dump',
        root,
    ];
    const result = await runTool(ctx, tool, args);
    if (result.exitCode !== 0)
        return false;
    const byPath = extracted_xattrs_parseGetfattrDump(result.stdout, root);
    for (const entry of entries) {
        const xattrs = byPath.get(entry.path);
        if (xattrs)
            entry.xattrs = xattrs;
    }
    return true;
}

;// CONCATENATED MODULE: ./src/repro/filesystems/format.ts
/** The `n` bytes at `offset` as latin1 text, or '' when the head is shorter. */
function textAt(head, offset, n) {
    return head.length >= offset + n ? head.toString('latin1', offset, offset + n) : '';
}
/** A little-endian u32 at `offset`, or undefined when the head is shorter. */
function u32At(head, offset) {
    return head.length >= offset + 4 ? head.readUInt32LE(offset) : undefined;
}
/** A UUID stored as 16 bytes in order (as ext4, btrfs, xfs and erofs store them). */
function rawUuid(b) {
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
/** A NUL-terminated (or padded) label. */
function cString(b) {
    return b.toString('latin1').replace(/\0.*$/s, '').trimEnd();
}

;// CONCATENATED MODULE: ./src/repro/filesystems/btrfs.ts

/** Recognized and explained by its superblock; its files are not read (no extractor without mounting). */
const btrfs = {
    type: 'btrfs',
    detect: (head) => textAt(head, 65536 + 64, 8) === '_BHRfS_M',
    superblock(head) {
        const sb = head.subarray(65536, 65536 + 4096);
        return { fsid: rawUuid(sb.subarray(32, 48)), generation: Number(sb.readBigUInt64LE(72)) };
    },
};

;// CONCATENATED MODULE: ./src/repro/filesystems/containers.ts


/** Partitions whose content is not a tree of files: compared by bytes and superblock only. */
const luks = {
    type: 'luks',
    detect: (head) => textAt(head, 0, 6) === 'LUKS\xba\xbe',
    superblock: (head) => ({ uuid: cString(head.subarray(168, 208)) }),
    holdsNoFiles: true,
};
const verity = {
    type: 'verity',
    detect: (head) => textAt(head, 0, 8) === 'verity\0\0',
    superblock: (head) => ({ uuid: formatGuid(head.subarray(16, 32)), salt_size: head.readUInt16LE(78) }),
    holdsNoFiles: true,
};
const swap = {
    type: 'swap',
    detect: (head) => textAt(head, 4086, 10) === 'SWAPSPACE2',
    superblock: () => ({}),
    holdsNoFiles: true,
};

;// CONCATENATED MODULE: ./src/repro/filesystems/erofs.ts



const erofs = {
    type: 'erofs',
    detect: (head) => u32At(head, 1024) === 0xe0f5e1e2,
    superblock(head) {
        const sb = head.subarray(1024, 1152);
        return {
            uuid: rawUuid(sb.subarray(48, 64)),
            build_time: Number(sb.readBigUInt64LE(16)),
            inodes: Number(sb.readBigUInt64LE(8)),
            checksum: sb.readUInt32LE(4),
        };
    },
    extractor: {
        tool: 'fsck.erofs',
        async extract(ctx, tool, image, region, dir, xattrs) {
            const target = external_node_path_default().join(dir, 'root');
            const result = await runTool(ctx, tool, [
                `--offset=${region.offset}`,
                `--extract=${target}`,
                '--preserve',
                xattrs ? '--xattrs' : '--no-xattrs',
                image,
            ]);
            return result.exitCode === 0 ? undefined : toolFailure('fsck.erofs', result);
        },
        manifestOptions: {},
        ignore: [],
        xattrs: true,
        subdir: true,
    },
};

;// CONCATENATED MODULE: ./src/repro/filesystems/ext4.ts


const ext4 = {
    type: 'ext4',
    detect: (head) => head.length >= 1024 + 58 && head.readUInt16LE(1024 + 56) === 0xef53,
    superblock(head) {
        const sb = head.subarray(1024, 2048);
        return {
            uuid: rawUuid(sb.subarray(104, 120)),
            label: cString(sb.subarray(120, 136)),
            hash_seed: rawUuid(sb.subarray(236, 252)),
            mkfs_time: sb.readUInt32LE(264),
            write_time: sb.readUInt32LE(48),
            mount_time: sb.readUInt32LE(44),
            lastcheck: sb.readUInt32LE(64),
            free_blocks: sb.readUInt32LE(12),
            free_inodes: sb.readUInt32LE(16),
            checksum: sb.readUInt32LE(1020),
        };
    },
    extractor: {
        tool: 'debugfs',
        // e2fsprogs opens "file?offset=N" through its unix I/O manager; rdump keeps modes, owners
        // (when run as root) and times of files and directories, not of symlinks, and skips devices.
        async extract(ctx, tool, image, region, dir) {
            const source = region.offset ? `${image}?offset=${region.offset}` : image;
            const result = await runTool(ctx, tool, ['-R', `rdump / "${dir}"`, source]);
            if (result.exitCode !== 0 || result.timedOut)
                return toolFailure('debugfs', result);
            // debugfs exits 0 even when it cannot open the filesystem; its errors read "... while ...".
            const errors = result.stderr.split('\n').filter((l) => /while |bad magic|error/i.test(l));
            return errors.length > 0 ? errors.slice(0, 3).join(' / ') : undefined;
        },
        manifestOptions: { symlinkMtime: false },
        ignore: ['xattrs'],
    },
};

;// CONCATENATED MODULE: ./src/repro/filesystems/squashfs.ts



const squashfs = {
    type: 'squashfs',
    detect: (head) => textAt(head, 0, 4) === 'hsqs',
    superblock: (head) => ({
        mkfs_time: head.readUInt32LE(8),
        inodes: head.readUInt32LE(4),
        bytes_used: Number(head.readBigUInt64LE(40)),
    }),
    extractor: {
        tool: 'unsquashfs',
        async extract(ctx, tool, image, region, dir, xattrs) {
            const target = external_node_path_default().join(dir, 'root');
            const result = await runTool(ctx, tool, [
                '-no-progress',
                '-quiet',
                ...(xattrs ? ['-xattrs'] : ['-no-xattrs']),
                '-offset',
                String(region.offset),
                '-d',
                target,
                image,
            ]);
            return result.exitCode === 0 ? undefined : toolFailure('unsquashfs', result);
        },
        manifestOptions: {},
        ignore: [],
        xattrs: true,
        subdir: true,
    },
};

;// CONCATENATED MODULE: ./src/repro/filesystems/vfat.ts


const vfat = {
    type: 'vfat',
    detect(head) {
        const text = (o, n) => textAt(head, o, n);
        return (head.length >= 512 &&
            head[510] === 0x55 &&
            head[511] === 0xaa &&
            (text(82, 5) === 'FAT32' || text(54, 5) === 'FAT12' || text(54, 5) === 'FAT16' || text(54, 3) === 'FAT'));
    },
    superblock(head) {
        const fat32 = head.toString('latin1', 82, 87) === 'FAT32';
        return {
            volume_id: head
                .readUInt32LE(fat32 ? 67 : 39)
                .toString(16)
                .padStart(8, '0'),
            label: cString(head.subarray(fat32 ? 71 : 43, fat32 ? 82 : 54)),
        };
    },
    extractor: {
        tool: 'mcopy',
        async extract(ctx, tool, image, region, dir) {
            const result = await runTool(ctx, tool, ['-s', '-p', '-m', '-n', '-Q', '-i', `${image}@@${region.offset}`, '::/*', `${dir}/`], { MTOOLS_SKIP_CHECK: '1', TZ: 'UTC' });
            // An empty filesystem makes mcopy complain about "::/*" matching nothing.
            if (result.exitCode !== 0 && !/no match|not found/i.test(result.stderr))
                return toolFailure('mcopy', result);
            return undefined;
        },
        // FAT has no owners or permissions; mcopy cannot restore directory times.
        manifestOptions: { owners: false, modes: false, directoryMtime: false },
        ignore: ['uid', 'gid', 'mode', 'xattrs'],
        rootMtimeIsOurs: true,
    },
};

;// CONCATENATED MODULE: ./src/repro/filesystems/xfs.ts

/** Recognized and explained by its superblock; its files are not read (no extractor without mounting). */
const xfs = {
    type: 'xfs',
    detect: (head) => textAt(head, 0, 4) === 'XFSB',
    superblock: (head) => ({ uuid: rawUuid(head.subarray(32, 48)) }),
};

;// CONCATENATED MODULE: ./src/repro/filesystems/formats.ts







/**
 * The filesystem types the narrowing knows, in the order they are tried on a partition's first
 * bytes (vfat last: its boot-sector signature is the weakest). A new type is one module and one row.
 */
const FILESYSTEMS = [
    ext4,
    erofs,
    squashfs,
    xfs,
    btrfs,
    luks,
    verity,
    swap,
    vfat,
];
function filesystemFormat(type) {
    return FILESYSTEMS.find((f) => f.type === type);
}
function detectFilesystem(head) {
    return FILESYSTEMS.find((f) => f.detect(head))?.type ?? 'unknown';
}
/** The superblock fields of a type (empty for an unknown type or a superblock cut short). */
function superblockFields(head, type) {
    try {
        return filesystemFormat(type)?.superblock(head) ?? {};
    }
    catch {
        return {};
    }
}

;// CONCATENATED MODULE: ./src/repro/filesystems/extract.ts






const nothingToClean = async () => { };
function unread(type, reason, tool) {
    const fs = { type, supported: false, reason, entries: [], ignore: [] };
    if (tool)
        fs.tool = tool;
    return { fs, cleanup: nothingToClean };
}
/**
 * Extracts a filesystem (at `region` of `image`) into a temporary directory and reads its manifest.
 * The caller keeps the files until `cleanup()` (to look into changed files) and must call it.
 */
async function extractFilesystem(ctx, image, region, type) {
    const fsType = type ?? detectFilesystem(await readHead(image, region.offset));
    const format = filesystemFormat(fsType);
    if (format?.holdsNoFiles)
        return unread(fsType, `${fsType} holds no files`);
    const extractor = format?.extractor;
    if (!extractor)
        return unread(fsType, `no reader for ${fsType} filesystems`);
    const tool = await ctx.tools.find(extractor.tool);
    if (!tool)
        return unread(fsType, `${extractor.tool} is not installed (needed to read ${fsType})`);
    const dir = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(ctx.tmpDir, `fs-${fsType}-`));
    const cleanup = async () => {
        await (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true });
    };
    try {
        let xattrs = extractor.xattrs === true;
        let error = await extractor.extract(ctx, tool, image, region, dir, xattrs);
        if (error && xattrs) {
            // Most likely an attribute this process may not set: extract again without any.
            await (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true });
            await (0,promises_namespaceObject.mkdir)(dir);
            xattrs = false;
            error = await extractor.extract(ctx, tool, image, region, dir, xattrs);
        }
        if (error) {
            await cleanup();
            return unread(fsType, error, extractor.tool);
        }
        const root = extractor.subdir ? external_node_path_default().join(dir, 'root') : dir;
        const entries = await manifestFromDirectory(root, extractor.manifestOptions);
        const top = entries[0];
        if (top?.path === '/' && extractor.rootMtimeIsOurs)
            delete top.mtime;
        if (xattrs)
            xattrs = await addExtractedXattrs(ctx, root, entries);
        const ignore = extractor.xattrs && !xattrs ? [...extractor.ignore, 'xattrs'] : extractor.ignore;
        return {
            fs: { type: fsType, supported: true, tool: extractor.tool, entries, ignore },
            root,
            cleanup,
        };
    }
    catch (error) {
        await cleanup();
        throw error;
    }
}

;// CONCATENATED MODULE: ./src/repro/content/filesystem.ts






function superblockDifferences(heada, headb, type) {
    const sa = superblockFields(heada, type);
    const sb = superblockFields(headb, type);
    return Object.keys({ ...sa, ...sb })
        .filter((k) => sa[k] !== sb[k])
        .map((k) => ({ field: k, a: sa[k], b: sb[k], hint: hintForField(k) }));
}
/**
 * Both sides at once (extraction and hashing are bound by one core and the disk each); when one
 * fails, the other's extraction is removed before the failure goes on.
 */
async function extractBoth(narrowing, a, b, type) {
    const [sa, sb] = await Promise.allSettled([
        extractFilesystem(narrowing.options, a.file, a.region, type),
        extractFilesystem(narrowing.options, b.file, b.region, type),
    ]);
    if (sa.status === 'fulfilled' && sb.status === 'fulfilled')
        return [sa.value, sb.value];
    if (sa.status === 'fulfilled')
        await sa.value.cleanup();
    if (sb.status === 'fulfilled')
        await sb.value.cleanup();
    throw sa.status === 'rejected' ? sa.reason : sb.reason;
}
/** "disk.raw › partition 2 root-x86-64 ext4": the filesystem type joins the partition's level. */
function locationWithType(place, type) {
    return [...place.location, place.partition ? `${place.partition} ${type}` : type];
}
function identicalFilesReason(diff, fields) {
    return fields.length > 0
        ? `all ${diff.counts.a} files identical; filesystem metadata differs: ${fields.map((f) => f.field).join(', ')}`
        : `all ${diff.counts.a} files identical; the filesystem's layout or metadata differs`;
}
async function compareFilesystemRegions(narrowing, a, b, place) {
    const { kind, name } = place;
    const [heada, headb] = await Promise.all([
        readHead(a.file, a.region.offset),
        readHead(b.file, b.region.offset),
    ]);
    const type = detectFilesystem(heada);
    const typeB = detectFilesystem(headb);
    if (type !== typeB) {
        return {
            kind,
            name,
            verdict: 'different',
            detail: `${type} → ${typeB}`,
            reason: 'different filesystem types',
            children: [],
        };
    }
    const fields = superblockDifferences(heada, headb, type);
    const [ea, eb] = await extractBoth(narrowing, a, b, type);
    try {
        const node = { kind, name, verdict: 'different', detail: type, fields, children: [] };
        if (!ea.fs.supported || !eb.fs.supported) {
            node.verdict = 'unsupported';
            node.reason = ea.fs.reason ?? eb.fs.reason ?? `cannot read ${type}`;
            return node;
        }
        const diff = diffManifests(ea.fs.entries, eb.fs.entries, { ignore: narrowing.ignore(ea.fs.ignore) });
        node.counts = diff.counts;
        node.detail = `${type} (read with ${ea.fs.tool})`;
        const roots = ea.root && eb.root ? { a: ea.root, b: eb.root } : undefined;
        node.children = await narrowing.recordDiff(diff, locationWithType(place, type), roots, place.depth);
        if (verdictOf(diff) === 'identical')
            node.reason = identicalFilesReason(diff, fields);
        return node;
    }
    finally {
        await ea.cleanup();
        await eb.cleanup();
    }
}
const filesystemContent = {
    kind: 'filesystem',
    node: 'filesystem',
    detect: (head) => detectFilesystem(head) !== 'unknown',
    compare: (narrowing, pair, place) => compareFilesystemRegions(narrowing, { file: pair.a, region: { offset: 0, size: pair.sizeA } }, { file: pair.b, region: { offset: 0, size: pair.sizeB } }, { ...place, kind: 'filesystem' }),
};

;// CONCATENATED MODULE: ./src/repro/content/disk.ts




/**
 * A GPT disk image: the partition tables compared field by field, partitions paired by slot, each
 * partition whose bytes differ narrowed as a filesystem.
 */
/** The GPT header's signature at LBA 1, with 512- or 4096-byte sectors (a shorter head reads short). */
function isGpt(head) {
    return (head.toString('latin1', 512, 520) === 'EFI PART' || head.toString('latin1', 4096, 4104) === 'EFI PART');
}
function partitionTableNode(ta, tb) {
    const fields = compareGptTables(ta, tb).map((f) => ({
        ...f,
        hint: hintForField(f.field.includes('uuid') ? 'uuid' : f.field),
    }));
    return {
        kind: 'partition-table',
        name: 'partition table',
        verdict: fields.length === 0 ? 'identical' : 'different',
        fields,
        children: [],
    };
}
/** A partition present on both sides: identical bytes, else narrowed as a filesystem. */
async function comparePartition(narrowing, pair, pa, pb, place) {
    const label = partitionLabel(pa);
    const sides = { a: { size: pa.size }, b: { size: pb.size } };
    const same = pa.size === pb.size &&
        (await firstDifference(pair.a, pa.offset, pair.b, pb.offset, pa.size)) === undefined;
    if (same)
        return { kind: 'partition', name: label, verdict: 'identical', ...sides, children: [] };
    const before = narrowing.total;
    const fs = await compareFilesystemRegions(narrowing, { file: pair.a, region: pa }, { file: pair.b, region: pb }, {
        location: place.location,
        partition: `partition ${label}`,
        depth: place.depth,
        name: label,
        kind: 'partition',
    });
    if (narrowing.total === before) {
        // All files the same (or unreadable): the partition itself is what differs.
        const hints = [...new Set((fs.fields ?? []).map((f) => f.hint).filter((h) => !!h))];
        const difference = {
            location: place.location,
            path: `partition ${label}`,
            change: 'changed',
            fields: ['sha256'],
            reason: fs.reason ?? 'content differs',
        };
        if (hints.length > 0)
            difference.hint = hints.join('; ');
        narrowing.record(difference);
    }
    return { ...fs, ...sides };
}
async function compareDisks(narrowing, pair, place) {
    const { name } = place;
    const [ta, tb] = await Promise.all([readGptTable(pair.a), readGptTable(pair.b)]);
    if (!ta || !tb)
        return { kind: 'disk', name, verdict: 'unsupported', reason: 'no readable GPT', children: [] };
    const children = [partitionTableNode(ta, tb)];
    for (const { a: pa, b: pb } of pairPartitions(ta, tb)) {
        if (!pa || !pb) {
            const label = partitionLabel((pa ?? pb));
            narrowing.record({
                location: place.location,
                path: `partition ${label}`,
                change: pa ? 'removed' : 'added',
                fields: [],
                reason: pa ? 'partition only in a' : 'partition only in b',
            });
            children.push({
                kind: 'partition',
                name: label,
                verdict: pa ? 'only-in-a' : 'only-in-b',
                children: [],
            });
            continue;
        }
        children.push(await comparePartition(narrowing, pair, pa, pb, place));
    }
    const verdict = children.every((c) => c.verdict === 'identical') ? 'identical' : 'different';
    const node = {
        kind: 'disk',
        name,
        verdict,
        detail: `GPT, ${ta.partitions.length} partitions`,
        children,
    };
    if (verdict === 'identical')
        node.reason = 'partition table and partitions identical: bytes outside the partitions differ';
    return node;
}
const diskContent = {
    kind: 'gpt',
    node: 'disk',
    detect: isGpt,
    compare: compareDisks,
};

;// CONCATENATED MODULE: external "node:zlib"
const external_node_zlib_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");
;// CONCATENATED MODULE: ./src/repro/uki.ts







/** UKI sections whose content is text worth quoting in a report. */
const TEXT_SECTIONS = ['.cmdline', '.osrel', '.uname', '.sbat', '.profile'];
function isPe(head) {
    if (head.length < 64 || head.toString('latin1', 0, 2) !== 'MZ')
        return false;
    const pe = head.readUInt32LE(0x3c);
    return head.length >= pe + 4 && head.toString('latin1', pe, pe + 4) === 'PE\0\0';
}
/** Parses the PE headers and section table of a file; undefined when it is not a PE file. */
async function readPe(file) {
    const handle = await (0,promises_namespaceObject.open)(file, 'r');
    try {
        const fileSize = (await handle.stat()).size;
        const read = async (position, length) => {
            const buf = Buffer.alloc(length);
            const { bytesRead } = await handle.read(buf, 0, length, position);
            return buf.subarray(0, bytesRead);
        };
        const dos = await read(0, 64);
        if (dos.length < 64 || dos.toString('latin1', 0, 2) !== 'MZ')
            return undefined;
        const peOffset = dos.readUInt32LE(0x3c);
        const coff = await read(peOffset, 24);
        if (coff.length < 24 || coff.toString('latin1', 0, 4) !== 'PE\0\0')
            return undefined;
        const machine = coff.readUInt16LE(4);
        const sectionCount = coff.readUInt16LE(6);
        const timestamp = coff.readUInt32LE(8);
        const symbolTable = coff.readUInt32LE(12);
        const symbolCount = coff.readUInt32LE(16);
        const optionalSize = coff.readUInt16LE(20);
        const optional = await read(peOffset + 24, optionalSize);
        const magic = optional.length >= 2 ? optional.readUInt16LE(0) : 0;
        const format = magic === 0x20b ? 'PE32+' : 'PE32';
        const header = {
            machine,
            timestamp,
            format,
            checksum: optional.length >= 68 ? optional.readUInt32LE(64) : 0,
            sizeOfImage: optional.length >= 60 ? optional.readUInt32LE(56) : 0,
        };
        // Data directories start at 96 (PE32) or 112 (PE32+); entry 4 is the certificate table, whose
        // "address" is a file offset.
        const directories = format === 'PE32+' ? 112 : 96;
        const cert = directories + 4 * 8;
        if (optional.length >= cert + 8) {
            const offset = optional.readUInt32LE(cert);
            const size = optional.readUInt32LE(cert + 4);
            if (size > 0)
                header.certificateTable = { offset, size };
        }
        const table = await read(peOffset + 24 + optionalSize, sectionCount * 40);
        let strings;
        const sections = [];
        for (let i = 0; i < sectionCount && (i + 1) * 40 <= table.length; i++) {
            const s = table.subarray(i * 40, (i + 1) * 40);
            let name = s.toString('latin1', 0, 8).replace(/\0.*$/s, '');
            if (/^\/\d+$/.test(name) && symbolTable > 0) {
                // Long names live in the COFF string table after the symbol table.
                strings ??= await read(symbolTable + symbolCount * 18, 64 * 1024);
                const at = Number(name.slice(1));
                const end = strings.indexOf(0, at);
                name = strings.toString('utf8', at, end < 0 ? undefined : end);
            }
            const virtualSize = s.readUInt32LE(8);
            const rawSize = s.readUInt32LE(16);
            const rawOffset = s.readUInt32LE(20);
            const size = Math.max(0, Math.min(virtualSize || rawSize, rawSize, fileSize - rawOffset));
            sections.push({
                name,
                virtualSize,
                virtualAddress: s.readUInt32LE(12),
                rawSize,
                rawOffset,
                offset: rawOffset,
                size,
            });
        }
        const withData = sections.filter((s) => s.rawSize > 0).map((s) => s.rawOffset);
        const headersSize = withData.length > 0 ? Math.min(...withData) : fileSize;
        return { header, sections, headersSize, fileSize };
    }
    finally {
        await handle.close();
    }
}
/**
 * One manifest entry per PE section ("/.linux", "/.initrd", …), hashed as a stream, plus
 * "/(headers)" and, when the file has trailing data such as a signature, "/(trailer)".
 */
async function sectionManifest(file, pe) {
    const entries = [];
    entries.push({
        path: '/(headers)',
        type: 'file',
        size: pe.headersSize,
        sha256: await directory_manifest_sha256Of(file, 0, pe.headersSize),
        offset: 0,
    });
    const seen = new Map();
    for (const section of pe.sections) {
        const count = (seen.get(section.name) ?? 0) + 1;
        seen.set(section.name, count);
        const entry = {
            path: `/${count > 1 ? `${section.name}#${count}` : section.name}`,
            type: 'file',
            size: section.size,
            sha256: await directory_manifest_sha256Of(file, section.offset, section.size),
            offset: section.offset,
        };
        if (TEXT_SECTIONS.includes(section.name) && section.size <= 64 * 1024) {
            const handle = await (0,promises_namespaceObject.open)(file, 'r');
            try {
                const buf = Buffer.alloc(section.size);
                await handle.read(buf, 0, section.size, section.offset);
                entry.text = buf.toString('utf8').replace(/\0+$/, '');
            }
            finally {
                await handle.close();
            }
        }
        entries.push(entry);
    }
    const end = Math.max(pe.headersSize, ...pe.sections.map((s) => s.rawOffset + s.rawSize));
    if (end < pe.fileSize) {
        entries.push({
            path: '/(trailer)',
            type: 'file',
            size: pe.fileSize - end,
            sha256: await directory_manifest_sha256Of(file, end, pe.fileSize - end),
            offset: end,
        });
    }
    return entries;
}
/** Copies a byte range of a file to a new file, streamed. */
async function copyRange(file, offset, size, target) {
    if (size === 0) {
        await (await (0,promises_namespaceObject.open)(target, 'w')).close();
        return;
    }
    await (0,external_node_stream_promises_namespaceObject.pipeline)((0,external_node_fs_.createReadStream)(file, { start: offset, end: offset + size - 1, highWaterMark: 4 * 1024 * 1024 }), (0,external_node_fs_.createWriteStream)(target));
}
const DECOMPRESSORS = {
    zstd: { tool: 'zstd', args: (input, output) => ['-d', '-q', '-f', '-o', output, input] },
    // xz names its output after the input minus ".xz": the input is always a copy named <output>.xz.
    xz: { tool: 'xz', args: (input) => ['-d', '-q', '-f', '-k', input] },
    lz4: { tool: 'lz4', args: (input, output) => ['-d', '-q', '-f', input, output] },
};
/**
 * Decompresses a byte range of a file into `output` (gzip with node's zlib, the others with their
 * command-line tools through the runner). Returns an error message instead of throwing.
 */
async function decompressRange(ctx, file, offset, size, compression, output) {
    if (compression === 'gzip') {
        try {
            await (0,external_node_stream_promises_namespaceObject.pipeline)((0,external_node_fs_.createReadStream)(file, { start: offset, end: offset + size - 1, highWaterMark: 4 * 1024 * 1024 }), (0,external_node_zlib_namespaceObject.createGunzip)(), (0,external_node_fs_.createWriteStream)(output));
            return undefined;
        }
        catch (error) {
            return `gzip: ${error instanceof Error ? error.message : String(error)}`;
        }
    }
    const decompressor = DECOMPRESSORS[compression];
    if (!decompressor)
        return `no decompressor for ${compression}`;
    const tool = await ctx.tools.find(decompressor.tool);
    if (!tool)
        return `${decompressor.tool} is not installed (needed for ${compression})`;
    let input = file;
    const whole = offset === 0 && size === (await (0,promises_namespaceObject.stat)(file)).size;
    if (!whole || compression === 'xz') {
        input = `${output}.${compression}`;
        await copyRange(file, offset, size, input);
    }
    try {
        const result = await ctx.runner.run(tool.command, [...tool.args, ...decompressor.args(input, output)], {
            stream: false,
            timeoutMs: ctx.timeoutMs ?? 10 * 60_000,
        });
        if (result.exitCode !== 0 || result.timedOut) {
            return `${decompressor.tool} failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-2).join(' / ')}`;
        }
        return undefined;
    }
    finally {
        if (input !== file)
            await (0,promises_namespaceObject.rm)(input, { force: true });
    }
}
/**
 * The length of the zstd frames (and skippable frames) that start at `offset`, found by walking the
 * frame and block headers, so that a zstd stream followed by padding or another archive can be cut
 * out exactly. Returns 0 when no zstd frame starts there.
 */
async function zstdFramesLength(file, offset, limit) {
    const handle = await (0,promises_namespaceObject.open)(file, 'r');
    try {
        const read = async (position, length) => {
            const buf = Buffer.alloc(length);
            const { bytesRead } = await handle.read(buf, 0, length, position);
            return buf.subarray(0, bytesRead);
        };
        const end = offset + limit;
        let pos = offset;
        for (;;) {
            const head = await read(pos, 18);
            if (head.length < 8 || pos >= end)
                break;
            const magic = head.readUInt32LE(0);
            if (magic >>> 4 === 0x184d2a5) {
                pos += 8 + head.readUInt32LE(4);
                continue;
            }
            if (magic !== 0xfd2fb528)
                break;
            const descriptor = head[4];
            const fcsFlag = descriptor >> 6;
            const singleSegment = (descriptor >> 5) & 1;
            const checksum = (descriptor >> 2) & 1;
            const dictFlag = descriptor & 3;
            let p = pos + 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictFlag];
            p += fcsFlag === 0 ? singleSegment : [0, 2, 4, 8][fcsFlag];
            for (;;) {
                const block = await read(p, 3);
                if (block.length < 3)
                    return pos - offset;
                const value = block[0] | (block[1] << 8) | (block[2] << 16);
                const last = value & 1;
                const type = (value >> 1) & 3;
                const size = value >>> 3;
                p += 3 + (type === 1 ? 1 : size);
                if (last)
                    break;
            }
            pos = p + (checksum ? 4 : 0);
        }
        return Math.min(pos, end) - offset;
    }
    finally {
        await handle.close();
    }
}
async function firstNonZero(file, from, end) {
    const handle = await (0,promises_namespaceObject.open)(file, 'r');
    try {
        const buf = Buffer.alloc(64 * 1024);
        for (let pos = from; pos < end; pos += buf.length) {
            const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, end - pos), pos);
            if (bytesRead === 0)
                return end;
            const i = buf.subarray(0, bytesRead).findIndex((b) => b !== 0);
            if (i >= 0)
                return pos + i;
        }
        return end;
    }
    finally {
        await handle.close();
    }
}
/**
 * Lists an initrd (a byte range of a file: an .initrd section or a whole initrd file): cpio
 * archives, each possibly compressed, concatenated with zero padding between them, as the kernel
 * unpacks them. Later parts overlay earlier ones, so a path keeps its last entry. Decompressed data
 * goes to temporary files under ctx.tmpDir, removed before returning.
 */
async function listInitrd(ctx, file, offset = 0, size, depth = 0) {
    const end = offset + (size ?? (await (0,promises_namespaceObject.stat)(file)).size - offset);
    const byPath = new Map();
    const parts = [];
    let error;
    let dir;
    const add = (entries) => {
        for (const entry of entries)
            byPath.set(entry.path, entry);
    };
    try {
        let pos = offset;
        while (pos < end && !error) {
            pos = await firstNonZero(file, pos, end);
            if (pos >= end)
                break;
            const handle = await (0,promises_namespaceObject.open)(file, 'r');
            const head = Buffer.alloc(512);
            const { bytesRead } = await handle.read(head, 0, Math.min(512, end - pos), pos);
            await handle.close();
            const compression = detectCompression(head.subarray(0, bytesRead));
            if (compression) {
                if (depth >= 4) {
                    error = 'compressed data nested too deep';
                    break;
                }
                const length = compression === 'zstd' ? await zstdFramesLength(file, pos, end - pos) : end - pos;
                dir ??= await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(ctx.tmpDir, 'initrd-'));
                const output = external_node_path_default().join(dir, `part-${parts.length}`);
                error = await decompressRange(ctx, file, pos, length, compression, output);
                if (error)
                    break;
                const inner = await listInitrd(ctx, output, 0, undefined, depth + 1);
                await (0,promises_namespaceObject.rm)(output, { force: true });
                add(inner.entries);
                parts.push(...inner.parts.map((p) => (p === 'none' ? compression : `${compression}+${p}`)));
                error = inner.error;
                pos += length;
            }
            else if (isCpio(head.subarray(0, bytesRead))) {
                const listing = await listCpio(file, pos, end - pos);
                add(listing.entries);
                parts.push('none');
                error = listing.error;
                pos = listing.compressedTail?.offset ?? end;
            }
            else {
                error = `neither cpio nor compressed data at offset ${pos - offset}`;
            }
        }
    }
    finally {
        if (dir)
            await (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true });
    }
    const entries = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const result = { entries, parts };
    if (error)
        result.error = error;
    return result;
}

;// CONCATENATED MODULE: ./src/repro/content/initrd.ts




async function compareInitrdRegions(narrowing, a, b, place) {
    const ia = await listInitrd(narrowing.options, a.file, a.region.offset, a.region.size);
    const ib = await listInitrd(narrowing.options, b.file, b.region.offset, b.region.size);
    const node = {
        kind: place.kind,
        name: place.name,
        verdict: 'different',
        detail: `cpio (${ia.parts.join(' + ') || 'empty'})`,
        children: [],
    };
    if (ia.error || ib.error) {
        node.reason = ia.error ?? ib.error;
        if (ia.entries.length === 0 || ib.entries.length === 0) {
            node.verdict = 'unsupported';
            return node;
        }
    }
    const diff = diffManifests(ia.entries, ib.entries, { ignore: narrowing.ignore() });
    node.counts = diff.counts;
    await narrowing.recordDiff(diff, place.location);
    if (verdictOf(diff) === 'identical') {
        node.reason ??= `all ${diff.counts.a} files identical; the archive's framing or compression differs`;
    }
    return node;
}
const initrdContent = {
    kind: 'initrd',
    node: 'initrd',
    detect: (head) => isCpio(head) || detectCompression(head) !== undefined,
    compare: (narrowing, pair, place) => compareInitrdRegions(narrowing, { file: pair.a, region: { offset: 0, size: pair.sizeA } }, { file: pair.b, region: { offset: 0, size: pair.sizeB } }, { location: place.location, name: place.name, kind: 'initrd' }),
};

;// CONCATENATED MODULE: ./src/repro/content/uki.ts





/**
 * A unified kernel image (a PE file): header fields compared, then its sections by manifest, short
 * text sections quoted line by line and the .initrd section narrowed as an initrd.
 */
/** The first differing line of two short texts, quoted: `line 2: "A=1" → "A=2"`. */
function textDifference(a, b) {
    const la = a.split('\n');
    const lb = b.split('\n');
    for (let i = 0; i < Math.max(la.length, lb.length); i++) {
        if (la[i] !== lb[i]) {
            const q = (s) => s === undefined ? '(none)' : JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}…` : s);
            return `line ${i + 1}: ${q(la[i])} → ${q(lb[i])}`;
        }
    }
    return 'content';
}
function headerFields(pa, pb) {
    const fields = [];
    for (const key of ['machine', 'timestamp', 'format', 'checksum', 'sizeOfImage']) {
        if (pa.header[key] !== pb.header[key])
            fields.push({ field: key, a: pa.header[key], b: pb.header[key], hint: hintForField(key) });
    }
    // A section that changed size moves the ones after it: say so, it explains "(headers)".
    for (const section of pa.sections) {
        const other = pb.sections.find((o) => o.name === section.name);
        if (other && other.size !== section.size) {
            fields.push({ field: `${section.name} size`, a: section.size, b: other.size });
        }
    }
    return fields;
}
const sides = (ea, eb) => ({
    a: { size: ea.size, sha256: ea.sha256 },
    b: { size: eb.size, sha256: eb.sha256 },
});
/** The .initrd section narrowed as an initrd; the section itself is recorded when nothing inside was. */
async function compareInitrdSection(narrowing, pair, change, [ea, eb], location) {
    const before = narrowing.total;
    const node = await compareInitrdRegions(narrowing, { file: pair.a, region: { offset: ea.offset, size: ea.size ?? 0 } }, { file: pair.b, region: { offset: eb.offset, size: eb.size ?? 0 } }, { location: [...location, '.initrd'], name: '.initrd', kind: 'section' });
    if (narrowing.total === before) {
        narrowing.record({
            location,
            path: '.initrd',
            change: 'changed',
            fields: change.fields,
            reason: node.reason ?? describeChange(change),
            a: change.a,
            b: change.b,
        });
    }
    return { ...node, ...sides(ea, eb) };
}
function compareSection(narrowing, change, [ea, eb], location) {
    const section = change.path.slice(1);
    const reason = ea.text !== undefined && eb.text !== undefined
        ? textDifference(ea.text, eb.text)
        : describeChange(change);
    narrowing.record({
        location,
        path: section,
        change: 'changed',
        fields: change.fields,
        reason,
        a: change.a,
        b: change.b,
    });
    return { kind: 'section', name: section, verdict: 'different', reason, ...sides(ea, eb), children: [] };
}
function recordPresence(narrowing, diff, location) {
    for (const entry of diff.removed)
        narrowing.record({
            location,
            path: entry.path.slice(1),
            change: 'removed',
            fields: [],
            reason: 'section only in a',
            a: entry,
        });
    for (const entry of diff.added)
        narrowing.record({
            location,
            path: entry.path.slice(1),
            change: 'added',
            fields: [],
            reason: 'section only in b',
            b: entry,
        });
}
async function compareUkis(narrowing, pair, place) {
    const { location, depth, name } = place;
    const [pa, pb] = await Promise.all([readPe(pair.a), readPe(pair.b)]);
    if (!pa || !pb)
        return { kind: 'uki', name, verdict: 'unsupported', reason: 'unreadable PE headers', children: [] };
    const fields = headerFields(pa, pb);
    const [sa, sb] = await Promise.all([sectionManifest(pair.a, pa), sectionManifest(pair.b, pb)]);
    const diff = diffManifests(sa, sb, { ignore: narrowing.ignore() });
    const children = [];
    const byPath = (list, p) => list.find((s) => s.path === p);
    for (const change of diff.changed) {
        const entries = [byPath(sa, change.path), byPath(sb, change.path)];
        children.push(change.path === '/.initrd' && depth < narrowing.maxDepth
            ? await compareInitrdSection(narrowing, pair, change, entries, location)
            : compareSection(narrowing, change, entries, location));
    }
    recordPresence(narrowing, diff, location);
    return {
        kind: 'uki',
        name,
        // A header field that differs is in "(headers)": the section manifest alone decides.
        verdict: verdictOf(diff),
        detail: `PE ${pa.header.format}, ${pa.sections.length} sections`,
        counts: diff.counts,
        fields,
        children,
    };
}
const ukiContent = {
    kind: 'pe',
    node: 'uki',
    detect: isPe,
    compare: compareUkis,
};

;// CONCATENATED MODULE: ./src/repro/content/kinds.ts





/**
 * The content kinds narrowing looks into, in the order they are tried on a file's first bytes: a
 * new kind is one module and one row. Anything else is a blob, compared by its bytes only.
 */
const CONTENT_KINDS = [
    diskContent,
    ukiContent,
    initrdContent,
    tarContent,
    filesystemContent,
];
/** What a file is from its first bytes (at least HEAD_BYTES of them for filesystems). */
function sniff(head) {
    return CONTENT_KINDS.find((c) => c.detect(head))?.kind ?? 'blob';
}
function contentComparer(kind) {
    return CONTENT_KINDS.find((c) => c.kind === kind);
}

;// CONCATENATED MODULE: ./src/repro/narrow.ts








/**
 * Narrowing two outputs down to the files that differ: a whole file, then its structure (a disk's
 * partition table and partitions, a UKI's sections), then the files inside (a partition's
 * filesystem, an initrd's cpio), each level compared by a manifest. Each content kind is a module
 * under content/; this driver keeps the differences found and hands each file to its kind. Content
 * is streamed and extracted filesystems are removed as soon as their level is done, so memory stays
 * bounded by the size of the manifests, not of the images.
 */
/** Differences that are only a timestamp rank below content, ownership and presence. */
function isMinor(difference) {
    return difference.change === 'changed' && difference.fields.every((f) => f === 'mtime');
}
function presenceDifferences(diff, location) {
    return [
        ...diff.removed.map((entry) => ({
            location,
            path: entry.path,
            change: 'removed',
            fields: [],
            reason: 'only in a',
            hint: hintForPath(entry.path),
            a: entry,
        })),
        ...diff.added.map((entry) => ({
            location,
            path: entry.path,
            change: 'added',
            fields: [],
            reason: 'only in b',
            hint: hintForPath(entry.path),
            b: entry,
        })),
    ];
}
class Narrower {
    options;
    major = [];
    minor = [];
    total = 0;
    minorTotal = 0;
    maxFiles;
    maxDepth;
    constructor(options) {
        this.options = options;
        this.maxFiles = options.maxFiles ?? 100;
        this.maxDepth = options.maxDepth ?? 4;
    }
    /**
     * Keeps at most maxFiles differences, content before timestamps: the first maxFiles of each
     * rank are kept (bounded memory) and `differences` takes the major ones first.
     */
    record(difference) {
        this.total++;
        const minor = isMinor(difference);
        if (minor)
            this.minorTotal++;
        const list = minor ? this.minor : this.major;
        if (list.length >= this.maxFiles)
            return false;
        list.push(difference);
        return true;
    }
    get differences() {
        return [...this.major, ...this.minor].slice(0, this.maxFiles);
    }
    ignore(extra = []) {
        return [...new Set([...(this.options.ignore ?? []), ...extra])];
    }
    async recordDiff(diff, location, roots, depth = 0) {
        for (const difference of presenceDifferences(diff, location))
            this.record(difference);
        const children = [];
        for (const change of diff.changed) {
            const difference = {
                location,
                path: change.path,
                change: 'changed',
                fields: change.fields,
                reason: describeChange(change),
                a: change.a,
                b: change.b,
            };
            const hint = hintForPath(change.path, change.fields) ?? hintForModes(change.a.mode, change.b.mode);
            if (hint)
                difference.hint = hint;
            const kept = this.record(difference);
            if (!roots || change.a.type !== 'file' || change.b.type !== 'file' || !change.fields.includes('sha256'))
                continue;
            const files = { a: external_node_path_default().join(roots.a, change.path), b: external_node_path_default().join(roots.b, change.path) };
            if (kept && this.options.onDifference)
                await this.options.onDifference(difference, files);
            const node = await this.narrowChangedFile(files, location, depth, change.path);
            if (node) {
                difference.narrowed = true;
                children.push(node);
            }
        }
        return children;
    }
    /** Looks into a changed file when both versions are of a kind that has structure. */
    async narrowChangedFile(files, location, depth, name) {
        if (depth >= this.maxDepth)
            return undefined;
        const kind = sniff(await readHead(files.a));
        if (kind === 'blob' || kind !== sniff(await readHead(files.b)))
            return undefined;
        return await this.compareFiles(files.a, files.b, location, depth + 1, name);
    }
    async compare(a, b) {
        const [sa, sb] = await Promise.all([(0,promises_namespaceObject.stat)(a).catch(() => undefined), (0,promises_namespaceObject.stat)(b).catch(() => undefined)]);
        const name = external_node_path_default().basename(a) === external_node_path_default().basename(b) ? external_node_path_default().basename(a) : `${external_node_path_default().basename(a)} ↔ ${external_node_path_default().basename(b)}`;
        if (!sa || !sb) {
            return {
                kind: 'file',
                name,
                verdict: sa ? 'only-in-a' : 'only-in-b',
                reason: `${sa ? b : a} does not exist`,
                children: [],
            };
        }
        if (sa.isDirectory() && sb.isDirectory())
            return await compareDirectories(this, a, b, name, 0);
        if (sa.isDirectory() !== sb.isDirectory()) {
            this.record({
                location: [],
                path: name,
                change: 'changed',
                fields: ['type'],
                reason: 'a directory and a file',
            });
            return {
                kind: 'file',
                name,
                verdict: 'different',
                reason: 'one is a directory, the other a file',
                children: [],
            };
        }
        return await this.compareFiles(a, b, [], 0, name);
    }
    /** Records a differing top-level file that no level below explained. */
    recordWhole(location, name, reason) {
        this.record({ location, path: name, change: 'changed', fields: ['sha256'], reason });
    }
    async compareFiles(a, b, location, depth, name) {
        const [la, lb] = await Promise.all([(0,promises_namespaceObject.lstat)(a), (0,promises_namespaceObject.lstat)(b)]);
        if (la.isSymbolicLink() || lb.isSymbolicLink())
            return await compareLinks(a, b, name);
        // Equal or not is decided by reading both side by side, stopping at the first difference;
        // whole-file hashes are the pipeline's business (discoverArtifacts), not needed here.
        const same = la.size === lb.size && (await firstDifference(a, 0, b, 0, la.size)) === undefined;
        const sides = { a: { size: la.size }, b: { size: lb.size } };
        const [heada, headb] = await Promise.all([readHead(a), readHead(b)]);
        const kind = sniff(heada);
        const comparer = contentComparer(kind);
        if (same)
            return { kind: comparer?.node ?? 'file', name, verdict: 'identical', ...sides, children: [] };
        const other = sniff(headb);
        if (kind !== other) {
            if (depth === 0)
                this.recordWhole(location, name, `${kind} → ${other}`);
            return {
                kind: 'file',
                name,
                verdict: 'different',
                ...sides,
                reason: `a is ${kind}, b is ${other}`,
                children: [],
            };
        }
        const before = this.total;
        let node;
        if (comparer) {
            const pair = { a, b, sizeA: la.size, sizeB: lb.size };
            node = await comparer.compare(this, pair, { location: [...location, name], depth, name });
        }
        else {
            if (depth === 0)
                this.recordWhole(location, name, `content differs (${la.size} and ${lb.size} bytes)`);
            node = { kind: 'file', name, verdict: 'different', reason: 'content differs', children: [] };
        }
        // The bytes differ: whatever the levels below found, the file is different.
        if (node.verdict === 'identical') {
            node.verdict = 'different';
            node.reason ??= 'the bytes differ though every part compared is the same';
        }
        if (depth === 0 && this.total === before)
            this.recordWhole(location, name, node.reason ?? 'content differs');
        return { ...node, ...sides };
    }
}
async function compareLinks(a, b, name) {
    const [ta, tb] = await Promise.all([
        (0,promises_namespaceObject.readlink)(a).catch(() => undefined),
        (0,promises_namespaceObject.readlink)(b).catch(() => undefined),
    ]);
    const same = ta === tb;
    return {
        kind: 'file',
        name,
        verdict: same ? 'identical' : 'different',
        reason: same ? undefined : `link ${ta ?? '(not a link)'} → ${tb ?? '(not a link)'}`,
        children: [],
    };
}
/**
 * Compares two outputs (files, or directories of outputs, or directory trees) and narrows every
 * difference down to the files that differ.
 */
async function compareOutputs(a, b, options) {
    const started = Date.now();
    const narrower = new Narrower(options);
    const root = await narrower.compare(a, b);
    if (root.verdict !== 'identical' && narrower.total === 0)
        narrower.record(levelDifference(root));
    return {
        a,
        b,
        identical: root.verdict === 'identical',
        root,
        differences: narrower.differences,
        totalDifferences: narrower.total,
        timestampOnly: narrower.minorTotal,
        truncated: narrower.total > narrower.differences.length,
        durationMs: Date.now() - started,
    };
}

;// CONCATENATED MODULE: ./src/repro/report.ts

const VERDICT_TEXT = {
    identical: 'identical',
    different: 'different',
    'only-in-a': 'only in A',
    'only-in-b': 'only in B',
    unsupported: 'not readable',
    'nothing-compared': 'nothing compared',
};
/** Makes text safe inside a markdown table cell. */
function report_cell(text) {
    return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/`/g, "'");
}
function code(text) {
    return `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}
function report_formatDuration(ms) {
    return ms < 1000
        ? `${ms} ms`
        : ms < 120_000
            ? `${(ms / 1000).toFixed(1)} s`
            : `${Math.round(ms / 60_000)} min`;
}
/** The tree in display order, depth first. */
function flattenTree(root) {
    const rows = [];
    const walk = (node, depth) => {
        rows.push({ depth, node });
        for (const child of node.children)
            walk(child, depth + 1);
    };
    walk(root, 0);
    return rows;
}
function levelCounts(node) {
    const c = node.counts;
    if (!c)
        return ['', '', '', ''];
    return [String(c.identical), String(c.changed), String(c.removed), String(c.added)];
}
/** The location of a difference in one short string: "image.raw › partition 2 root-x86-64 ext4". */
function formatLocation(difference) {
    return difference.location.join(' › ');
}
/** One line for a difference, as in the markdown table but plain. */
function formatDifference(difference) {
    const where = formatLocation(difference);
    const hint = difference.hint ? ` (${difference.hint})` : '';
    return `${where ? `${where}: ` : ''}${difference.path}: ${difference.reason}${hint}`;
}
/** The markdown summary: verdict, the levels with their counts, metadata differences, top differences. */
function renderMarkdown(result, options = {}) {
    const h = '#'.repeat(options.headingLevel ?? 2);
    const top = options.topDifferences ?? 20;
    const labels = options.labels ?? { a: result.a, b: result.b };
    const lines = [];
    lines.push(`${h} Reproducibility: ${result.identical ? '✅ identical' : '❌ not reproducible'}`, '', `Compared ${code(labels.a)} (A) and ${code(labels.b)} (B) in ${report_formatDuration(result.durationMs)}.`);
    if (!result.identical) {
        const timestamps = result.timestampOnly
            ? ` (${result.timestampOnly} of them only in their modification time)`
            : '';
        lines.push('', result.totalDifferences === 1
            ? `1 difference${timestamps}.`
            : `${result.totalDifferences} differences${timestamps}.`);
    }
    lines.push('', `${h}# Levels`, '', '| level | verdict | identical | different | only in A | only in B | detail |', '|---|---|--:|--:|--:|--:|---|');
    for (const { depth, node } of flattenTree(result.root)) {
        const indent = depth > 0 ? `${'\u00a0\u00a0'.repeat(depth - 1)}└\u00a0` : '';
        const detail = [node.detail, node.reason].filter(Boolean).join('; ');
        lines.push(`| ${indent}${report_cell(node.name)} | ${VERDICT_TEXT[node.verdict]} | ${levelCounts(node).join(' | ')} | ${report_cell(detail)} |`);
    }
    const metadata = flattenTree(result.root).flatMap(({ node }) => (node.fields ?? []).map((f) => ({ node, field: f })));
    if (metadata.length > 0) {
        lines.push('', `${h}# Metadata differences`, '', '| where | field | A | B | known cause |', '|---|---|---|---|---|');
        for (const { node, field } of metadata) {
            lines.push(`| ${report_cell(node.name)} | ${report_cell(field.field)} | ${report_cell(String(field.a ?? '–'))} | ${report_cell(String(field.b ?? '–'))} | ${report_cell(field.hint ?? '')} |`);
        }
    }
    if (result.differences.length > 0) {
        const shown = result.differences.slice(0, top);
        lines.push('', `${h}# Top differences`, '', '| where | file | what differs | known cause |', '|---|---|---|---|');
        for (const d of shown) {
            lines.push(`| ${report_cell(formatLocation(d))} | ${code(d.path)} | ${report_cell(d.reason)} | ${report_cell(d.hint ?? '')} |`);
        }
        const more = result.totalDifferences - shown.length;
        if (more > 0) {
            lines.push('', `… and ${more} more${result.truncated ? ` (the JSON report keeps ${result.differences.length})` : ''}.`);
        }
    }
    return `${lines.join('\n')}\n`;
}
function entryForJson(entry) {
    if (!entry)
        return undefined;
    const out = { ...entry };
    if (entry.mode !== undefined)
        out.mode = formatMode(entry.mode);
    if (entry.mtime !== undefined)
        out.mtime = formatTime(entry.mtime);
    return out;
}
/** The JSON report object (modes in octal, times in ISO 8601). */
function toJsonReport(result) {
    return {
        version: 1,
        a: result.a,
        b: result.b,
        identical: result.identical,
        durationMs: result.durationMs,
        totalDifferences: result.totalDifferences,
        timestampOnly: result.timestampOnly,
        truncated: result.truncated,
        tree: result.root,
        differences: result.differences.map((d) => {
            const out = {
                location: d.location,
                path: d.path,
                change: d.change,
                fields: d.fields,
                reason: d.reason,
            };
            if (d.hint)
                out.hint = d.hint;
            if (d.narrowed)
                out.narrowed = true;
            const a = entryForJson(d.a);
            const b = entryForJson(d.b);
            if (a)
                out.a = a;
            if (b)
                out.b = b;
            return out;
        }),
    };
}
function renderJson(result) {
    return `${JSON.stringify(toJsonReport(result), null, 2)}\n`;
}

;// CONCATENATED MODULE: ./src/pipeline/diff.ts






/** Most differing files named in a report: enough to see the pattern, bounded for huge diffs. */
const DEFAULT_DIFF_MAX_FILES = 100;
/**
 * Compares two outputs (files or output directories) of any two builds and says which files differ and
 * how, narrowing disk images by partition and file system, UKIs by section and initrds by member.
 * Filesystem tools come from the host and, where it lacks them (mtools, squashfs-tools, …), from a tools
 * tree given as a path.
 */
async function diffOutputs(ctx, a, b, toolsTree, maxFiles = DEFAULT_DIFF_MAX_FILES) {
    for (const side of [a, b]) {
        if (!(await (0,promises_namespaceObject.stat)(side).catch(() => undefined))) {
            throw new ConfigurationError(`diff: ${side} does not exist; give two output files or output directories.`, {
                file: side,
            });
        }
    }
    const host = hostToolBox(ctx.runner);
    const tools = toolsTree.kind === 'path' ? toolsTreeToolBox(toolsTree.path, host) : host;
    const dir = external_node_path_default().join(ctx.workDir, 'diff');
    await (0,promises_namespaceObject.mkdir)(dir, { recursive: true });
    const tmpDir = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(dir, 'extract-'));
    let comparison;
    try {
        comparison = await compareOutputs(external_node_path_default().resolve(a), external_node_path_default().resolve(b), {
            runner: ctx.runner,
            tools: chainToolBoxes(tools),
            tmpDir,
            maxFiles,
        });
    }
    finally {
        await (0,promises_namespaceObject.rm)(tmpDir, { recursive: true, force: true });
    }
    const markdown = renderMarkdown(comparison);
    const markdownFile = external_node_path_default().join(dir, 'diff-report.md');
    const jsonFile = external_node_path_default().join(dir, 'diff-report.json');
    await (0,promises_namespaceObject.writeFile)(markdownFile, markdown);
    await (0,promises_namespaceObject.writeFile)(jsonFile, renderJson(comparison));
    return { comparison, markdown, markdownFile, jsonFile };
}

;// CONCATENATED MODULE: ./src/input-parsing.ts


function inputReader(raw) {
    return {
        value: (input) => (raw[input] ?? '').trim() || INPUT_SPECS[input].default,
        raw: (input) => raw[input] ?? '',
    };
}
function invalid(input, value, valid) {
    return new ConfigurationError(`Input ${input}: '${value}' is not valid; expected ${valid}.`);
}
/** Non-empty, trimmed lines; lines starting with # are comments. */
function splitLines(value) {
    return value
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'));
}
/** Items separated by commas or new lines. */
function splitList(value) {
    return value
        .split(/[,\n]/)
        .map((item) => item.trim())
        .filter((item) => item !== '');
}
/** "auto, true or false": the values the input's documentation offers (its placeholder, auto|true|false). */
function documentedChoices(input) {
    const choices = INPUT_SPECS[input].placeholder.split('|');
    return choices.length < 2 ? choices.join('') : `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
}
/** auto, yes or no; true and false are yes and no. The error offers the values the input documents. */
function parseTristate(input, value) {
    if (value === 'auto' || value === 'yes' || value === 'no') {
        return value;
    }
    if (value === 'true')
        return 'yes';
    if (value === 'false')
        return 'no';
    throw invalid(input, value, documentedChoices(input));
}
function parseBoolean(input, value) {
    if (value === 'true' || value === 'yes')
        return true;
    if (value === 'false' || value === 'no')
        return false;
    throw invalid(input, value, 'true or false');
}
function parseChoice(input, value, choices) {
    if (choices.includes(value))
        return value;
    throw invalid(input, value, choices.join(', '));
}
function parseInteger(input, value, min, max, unit) {
    const trimmed = value.trim();
    const number = Number(trimmed);
    if (/^\d+$/.test(trimmed) && number >= min && number <= max)
        return number;
    throw invalid(input, value, `a whole number of ${unit} from ${min} to ${max}`);
}
/** An empty secret means no secret. */
function secret(value) {
    return value === undefined || value === '' ? undefined : value;
}

;// CONCATENATED MODULE: ./src/boot/bounds.ts

/**
 * How the boot timeout is shared out. The guest must settle by a deadline on its own clock (uptime), so
 * a slow firmware or kernel eats into the settle share and not into the time left to report:
 *
 *   boot-timeout = settle deadline (guest uptime) + boot-watch + boot tests + reserve
 *
 * The reserve (a quarter of the timeout, at least 45 s) covers the firmware before the guest's clock
 * starts, writing the report (with the journal on failure) and powering off.
 */
/** Below this a deadline cannot tell a slow boot from a hung one (a TCG boot settles after 30-60 s). */
const MIN_SETTLE_SECONDS = 30;
function reserveSeconds(timeoutSeconds) {
    return Math.max(45, Math.ceil(timeoutSeconds / 4));
}
/** The shortest boot-timeout that leaves the guest MIN_SETTLE_SECONDS with this boot-watch. */
function minimumTimeoutSeconds(watchSeconds) {
    let timeout = watchSeconds + MIN_SETTLE_SECONDS;
    while (timeout - watchSeconds - reserveSeconds(timeout) < MIN_SETTLE_SECONDS)
        timeout++;
    return timeout;
}
/**
 * The guest uptime (s) by which the boot must have settled. A timeout too short to leave a meaningful
 * share is refused rather than turned into a verdict on a boot that was never given the time.
 * `testSeconds`: the most the boot tests may take (their number times boot-test-timeout).
 */
function settleBySeconds(timeoutSeconds, watchSeconds, testSeconds = 0) {
    const settleBy = timeoutSeconds - watchSeconds - testSeconds - reserveSeconds(timeoutSeconds);
    if (settleBy < MIN_SETTLE_SECONDS) {
        // 'boot-timeout', 'boot-watch' and 'boot-test-timeout' are the inputs' names (Input.*).
        const tests = testSeconds > 0 ? `, the boot tests (${testSeconds} s of boot-test-timeout)` : '';
        const least = minimumTimeoutSeconds(watchSeconds + testSeconds);
        const lower = testSeconds > 0 ? 'lower boot-watch or boot-test-timeout' : 'lower boot-watch';
        throw new ConfigurationError(`Input boot-timeout: ${timeoutSeconds} s leaves the guest ${Math.max(0, settleBy)} s to settle once boot-watch (${watchSeconds} s)${tests} and ${reserveSeconds(timeoutSeconds)} s to start and report are taken; it needs at least ${MIN_SETTLE_SECONDS} s: set boot-timeout to ${least} or more, or ${lower}.`);
    }
    return settleBy;
}

;// CONCATENATED MODULE: ./src/boot/timeouts.ts
/** Boot timeouts scale with the accelerator: TCG boots take minutes where KVM takes seconds. */
function defaultTimeoutSeconds(accel) {
    return accel === 'kvm' ? 180 : 600;
}

;// CONCATENATED MODULE: ./src/boot/firmware.ts




/**
 * Firmware, in three steps as mkosi models it: the choice (the `boot-firmware` input, `auto` resolved
 * from the image's format), the OVMF that is installed, and the firmware one boot runs with.
 */
const FIRMWARE_CHOICES = ['auto', 'uefi', 'bios', 'linux'];
/**
 * `auto`: a UKI is given to qemu directly, everything else boots through UEFI. `uefi` on a UKI boots it
 * from a FAT disk as the removable-media loader, as firmware starts it from a USB stick (uki-esp.ts).
 */
function resolveFirmwareChoice(choice, format) {
    if (choice !== 'auto')
        return choice;
    return format === 'uki' ? 'linux' : 'uefi';
}
/** Who chose the firmware, as error messages name it: the input, or mkosi's Firmware= (runtime-firmware.ts). */
const FIRMWARE_INPUT = `Input ${Input.BootFirmware}`;
function linuxNeedsUki(format, setting) {
    return new ConfigurationError(`${setting}: linux boots a UKI directly, and Format=${format}; use uefi or bios.`);
}
/**
 * Refuses a firmware that cannot start the image: `linux` for anything but a UKI (the one format qemu
 * starts directly), and `bios` for all but a disk image with a BIOS bootloader (systemd-boot is UEFI
 * only, and a UKI is an EFI program). `uefi` starts a UKI from a FAT disk (uki-esp.ts).
 */
function checkFirmwareFitsImage(choice, image, setting = FIRMWARE_INPUT) {
    const { format, biosBootloader } = image;
    const resolved = resolveFirmwareChoice(choice, format);
    if (resolved === 'linux' && format !== 'uki')
        throw linuxNeedsUki(format, setting);
    if (resolved === 'bios' && format === 'uki') {
        throw new ConfigurationError(`${setting}: bios cannot start Format=uki, which is an EFI program; use auto, linux or uefi.`);
    }
    if (resolved === 'bios' && (format !== 'disk' || biosBootloader === 'none')) {
        throw new ConfigurationError(`${setting}: bios needs a disk image with a BIOS bootloader, and this is Format=${format} with BiosBootloader=${biosBootloader}; use uefi, or set BiosBootloader=grub in the project.`);
    }
}
/** The firmware to boot `image` (of mkosi's `format`) with, given the OVMF there is (`origin` names it). */
function resolveFirmware(choice, format, image, ovmf, setting = FIRMWARE_INPUT) {
    const resolved = resolveFirmwareChoice(choice, format);
    if (resolved === 'bios')
        return { kind: 'bios' };
    const installed = ovmf.ovmf;
    if (!installed) {
        throw new ConfigurationError(`${setting}: ${resolved} needs OVMF, and ${ovmf.origin} has none; add the ovmf package to the tools tree (ToolsTreePackages=ovmf) or the host, or use bios.`);
    }
    const uefi = { code: installed.code, vars: installed.varsTemplate };
    if (resolved === 'uefi')
        return { kind: 'uefi', ...uefi };
    if (format !== 'uki')
        throw linuxNeedsUki(format, setting);
    return { kind: 'linux', kernel: image, cmdline: '', uefi };
}
/** OVMF's variable store of this firmware, if it uses OVMF. */
function uefiOf(firmware) {
    if (firmware.kind === 'uefi')
        return firmware;
    return firmware.kind === 'linux' ? firmware.uefi : undefined;
}
/** The same firmware with its variable store at `vars` (a copy made for one run). */
function withUefiVars(firmware, vars) {
    if (firmware.kind === 'uefi')
        return { ...firmware, vars };
    if (firmware.kind === 'linux' && firmware.uefi)
        return { ...firmware, uefi: { ...firmware.uefi, vars } };
    return firmware;
}
const firmware_exists = (file) => (0,promises_namespaceObject.access)(file).then(() => true, () => false);
/**
 * The plain OVMF build among qemu's firmware descriptors: UEFI for x86_64 q35 on raw flash, without
 * Secure Boot (whose enrolled keys would refuse unsigned images and which needs SMM). Descriptors are
 * tried in the order given (the file names' numeric prefixes give qemu's preference).
 */
function pickOvmf(descriptors) {
    for (const raw of descriptors) {
        const d = raw;
        if (!d?.['interface-types']?.includes('uefi'))
            continue;
        if (d.mapping?.device !== 'flash')
            continue;
        const features = d.features ?? [];
        if (features.includes('secure-boot') ||
            features.includes('requires-smm') ||
            features.includes('enrolled-keys')) {
            continue;
        }
        if (features.includes('amd-sev-es') || features.includes('intel-tdx'))
            continue;
        const fits = (d.targets ?? []).some((t) => t.architecture === 'x86_64' && (t.machines ?? []).some((m) => m.startsWith('pc-q35')));
        const code = d.mapping.executable;
        const vars = d.mapping['nvram-template'];
        if (!fits || !code?.filename || !vars?.filename)
            continue;
        if ((code.format ?? 'raw') !== 'raw' || (vars.format ?? 'raw') !== 'raw')
            continue;
        return { code: code.filename, varsTemplate: vars.filename };
    }
    return undefined;
}
/** Reads qemu's firmware descriptors (usr/share/qemu/firmware/*.json) under `root` and picks plain OVMF. */
async function findOvmf(root) {
    const dir = external_node_path_default().join(root, 'usr/share/qemu/firmware');
    const names = (await (0,promises_namespaceObject.readdir)(dir).catch(() => [])).filter((n) => n.endsWith('.json')).sort();
    const descriptors = [];
    for (const name of names) {
        try {
            descriptors.push(JSON.parse(await (0,promises_namespaceObject.readFile)(external_node_path_default().join(dir, name), 'utf8')));
        }
        catch {
            // A broken descriptor is qemu's packaging problem, not a reason to give up on the others.
        }
    }
    const ovmf = pickOvmf(descriptors);
    if (!ovmf)
        return undefined;
    // Descriptors name paths as installed; under a tools tree they live below its root.
    const code = external_node_path_default().join(root, ovmf.code);
    const varsTemplate = external_node_path_default().join(root, ovmf.varsTemplate);
    return (await firmware_exists(code)) && (await firmware_exists(varsTemplate)) ? { code, varsTemplate } : undefined;
}

;// CONCATENATED MODULE: ./src/boot/crash-scan.ts
/**
 * Processes that crashed during the boot. A service whose process dumps core and is restarted by
 * `Restart=on-failure` ends up active: `systemctl --failed` is empty, yet the image crashed. The journal
 * keeps the evidence without systemd-coredump:
 *
 * - PID 1 logs every exit of a unit's main or control process with MESSAGE_ID=98e32220…
 *   (`SD_MESSAGE_UNIT_PROCESS_EXIT`) and the fields `EXIT_CODE=` (`exited`, `killed`, `dumped`: the
 *   `CLD_*` code), `EXIT_STATUS=` (for a signal, its number), `COMMAND=` (the setting that ran it:
 *   `ExecStart`, `ExecStartPre`, …; the check looks its path up with `systemctl show`) and `UNIT=`
 *   (`USER_UNIT=` in a user manager). Seen in trixie's systemd 257 on a planted crash:
 *   `EXIT_CODE=killed`, `EXIT_STATUS=11`, `COMMAND=ExecStart`.
 * - Where systemd-coredump is installed, each core dump is logged with MESSAGE_ID=fc2e22bc…
 *   (`SD_MESSAGE_COREDUMP`), `COREDUMP_UNIT=`, `COREDUMP_EXE=` and `COREDUMP_SIGNAL=`: the entries
 *   `coredumpctl list` shows, and the only ones that also catch a crashed child of a service.
 *
 * A crash is a core dump (`dumped`, or a systemd-coredump entry), or a process `killed` by a signal a
 * program raises on a fault (whether it dumped depends on `RLIMIT_CORE` and `core_pattern`, not on the
 * program). SIGTERM, SIGKILL and the like are how units are stopped, so `killed` by them is not a crash.
 */
const UNIT_PROCESS_EXIT_MESSAGE = '98e322203f7a4ed290d09fe03c09fe15';
const COREDUMP_MESSAGE = 'fc2e22bc6ee647b6b90729ab34a250b1';
/** Signals that mean the program faulted (or aborted itself), by their number on Linux. */
const CRASH_SIGNALS = {
    4: 'SIGILL',
    5: 'SIGTRAP',
    6: 'SIGABRT',
    7: 'SIGBUS',
    8: 'SIGFPE',
    11: 'SIGSEGV',
    31: 'SIGSYS',
};
/** `SIGSEGV`, or `signal 42` for a number without a name here. */
function signalName(signal) {
    return CRASH_SIGNALS[signal] ?? `signal ${signal}`;
}
function isCrash(kind, signal) {
    if (kind === 'dumped' || kind === 'coredump')
        return true;
    return kind === 'killed' && Object.hasOwn(CRASH_SIGNALS, signal);
}
/** A `crash UNIT SIGNAL KIND EXECUTABLE` report line's value; undefined when it is not a crash. */
function parseCrashLine(value) {
    const match = /^(\S+) (\d+) (\S+) (.+)/.exec(value);
    if (!match)
        return undefined;
    const [, unit, signal, kind, executable] = match;
    if (!isCrash(kind, Number(signal)))
        return undefined;
    return { unit: unit, signal: Number(signal), kind: kind, executable: executable };
}
/**
 * One crash per unit and signal: with systemd-coredump both PID 1 and systemd-coredump log the same
 * crash, and systemd-coredump's entry names the executable that crashed rather than the unit's command.
 */
function distinctCrashes(crashes) {
    const kept = new Map();
    for (const crash of crashes) {
        const key = `${crash.unit} ${crash.signal}`;
        const seen = kept.get(key);
        if (!seen || (crash.kind === 'coredump' && seen.kind !== 'coredump'))
            kept.set(key, crash);
    }
    return [...kept.values()];
}
/** `planted-crash.service: /bin/sh killed by SIGSEGV (core dumped)`. */
function crash_scan_describeCrash(crash) {
    const dumped = crash.kind === 'killed' ? '' : ' (core dumped)';
    const unit = crash.unit === '-' ? 'no unit' : crash.unit;
    return `${unit}: ${crash.executable} killed by ${signalName(crash.signal)}${dumped}`;
}
/** `UNIT:SIGNAL,…` for the vsock message (unit names have no commas or colons' ambiguity at the end). */
function crashList(crashes) {
    return crashes.map((c) => `${c.unit}:${c.signal}`).join(',');
}
/** The `crashed=` field of the vsock message back into unit and signal pairs (unreadable ones dropped). */
function parseCrashList(value) {
    if (!value)
        return [];
    return value.split(',').flatMap((entry) => {
        const match = /(.+):(\d+)$/.exec(entry);
        return match ? [{ unit: match[1], signal: Number(match[2]) }] : [];
    });
}
const SHELL_SIGNALS = Object.keys(CRASH_SIGNALS)
    .map((n) => `killed:${n}`)
    .join('|');
/**
 * The shell functions (they use the check script's ERR, fail and tolerated). `scan_crashes` reads both
 * kinds of entries of this boot in export format (`FIELD=value` lines, a blank line after each entry)
 * and writes `UNIT SIGNAL KIND EXECUTABLE` lines to $CRASHES, and those `boot-allow-failed` does not
 * tolerate to $CRASHES.bad: a unit whose failure is tolerated may also crash (it could crash until its
 * start limit and fail, which is tolerated).
 */
const CRASH_SCAN = `# Crashed processes: see crash-scan.ts.
CRASHES=$REPORT.crashes
crash_entry() {
  case $kind:$signal in
    dumped:*|coredump:*|${SHELL_SIGNALS}) ;;
    *) return 0 ;;
  esac
  # PID 1's COMMAND= names the unit's setting (ExecStart, ExecStartPre, …): its path is the executable.
  case $command in
    Exec*)
      setting=$(systemctl show --property="$command" --value -- "$unit" 2>/dev/null)
      case $setting in *'path='*) setting=\${setting#*path=}; command="\${setting%% *} ($command)" ;; esac
      ;;
  esac
  entry="\${unit:--} $signal $kind \${command:--}"
  echo "$entry" >>"$CRASHES"
  { [ -n "$unit" ] && tolerated "$unit"; } || echo "$entry" >>"$CRASHES.bad"
}
scan_crashes() {
  : >"$CRASHES"
  : >"$CRASHES.bad"
  # PID 1 hands its messages to journald through a socket: have journald write what it has been sent.
  journalctl --sync >/dev/null 2>&1
  journalctl --boot --no-pager -o export \\
    --output-fields=MESSAGE_ID,UNIT,USER_UNIT,EXIT_CODE,EXIT_STATUS,COMMAND,COREDUMP_UNIT,COREDUMP_EXE,COREDUMP_SIGNAL \\
    MESSAGE_ID=${UNIT_PROCESS_EXIT_MESSAGE} EXIT_CODE=dumped EXIT_CODE=killed + MESSAGE_ID=${COREDUMP_MESSAGE} \\
    >"$CRASHES.export" 2>"$ERR" || { fail 'journalctl (crashed processes)'; return 1; }
  unit= command= signal= kind=
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      '') crash_entry; unit= command= signal= kind= ;;
      UNIT=*|USER_UNIT=*|COREDUMP_UNIT=*) unit=\${line#*=} ;;
      COMMAND=*|COREDUMP_EXE=*) command=\${line#*=} ;;
      EXIT_STATUS=*|COREDUMP_SIGNAL=*) signal=\${line#*=} ;;
      EXIT_CODE=*) kind=\${line#*=} ;;
      MESSAGE_ID=${COREDUMP_MESSAGE}) kind=coredump ;;
    esac
  done <"$CRASHES.export"
  crash_entry
}
# UNIT:SIGNAL,… for the vsock message (see crashList).
crash_names() { list=; while read -r unit signal _; do list=\${list:+$list,}$unit:$signal; done <"$CRASHES"; echo "$list"; }
`;

;// CONCATENATED MODULE: ./src/boot/result-files.ts
/**
 * Result files a boot test may leave in its MKOSI_CI_TEST_RESULTS directory: JUnit XML (`*.xml`) or
 * TAP (`*.tap`). The guest sends the first RESULT_FILE_BYTES of each back in the report; the host only
 * names the failing cases from them, for the summary. The test's exit status alone decides the verdict:
 * a file is the test's own account, not evidence the check can vouch for.
 */
/** How much of each result file the report carries (the start: a cut XML file is still mostly readable). */
const RESULT_FILE_BYTES = 64 * 1024;
/** A file name the guest sends back: no spaces or shell syntax, an extension the host can read. */
const RESULT_FILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*\.(xml|tap)$/;
function attribute(attributes, name) {
    const match = new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(attributes);
    return match ? (match[2] ?? match[3]) : undefined;
}
function unescapeXml(text) {
    return text
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, '&');
}
/** JUnit: the `<testcase>` elements holding a `<failure>` or `<error>`, as `classname.name` or `name`. */
function failingJunitCases(xml) {
    const cases = [];
    const testcase = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase\s*>)/g;
    for (let match = testcase.exec(xml); match; match = testcase.exec(xml)) {
        const body = match[3] ?? '';
        if (!/<(failure|error)\b/.test(body))
            continue;
        const name = attribute(match[1], 'name') ?? '(unnamed)';
        const classname = attribute(match[1], 'classname');
        cases.push(unescapeXml(classname ? `${classname}.${name}` : name));
    }
    return cases;
}
/** TAP: `not ok` lines, except those marked `# TODO` or `# SKIP`, as `N description`. */
function failingTapCases(tap) {
    const cases = [];
    for (const line of tap.split('\n')) {
        const match = /^\s*not ok\b\s*(\d*)\s*(?:-\s*)?(.*)$/.exec(line);
        if (!match)
            continue;
        const [description, directive] = splitDirective(match[2]);
        // TAP 14: the directive may go on (SKIPPED, todo-later), in any case.
        if (/^(todo|skip)/i.test(directive))
            continue;
        cases.push([match[1], description].filter((s) => s !== '').join(' ') || 'not ok');
    }
    return cases;
}
/** `description # DIRECTIVE` → [description, directive]; an escaped `\#` is part of the description. */
function splitDirective(text) {
    const hash = /(?<!\\)#/.exec(text);
    if (!hash)
        return [text.trim(), ''];
    return [text.slice(0, hash.index).trim(), text.slice(hash.index + 1).trim()];
}
/** The failing cases named by a test's result files, `file: case` each. */
function result_files_failingCases(files) {
    return files.flatMap((f) => {
        const text = f.lines.join('\n');
        const cases = f.file.endsWith('.xml') ? failingJunitCases(text) : failingTapCases(text);
        return cases.map((c) => `${f.file}: ${c}`);
    });
}

;// CONCATENATED MODULE: ./src/boot/test-runner.ts

/**
 * The guest side of `boot-test`: shell functions the check script (check-unit.ts) calls once the boot
 * settled and no unit failed. Each test is copied out of its credential (credentials are not
 * executable), run from its own results directory with a timeout, and reported as
 *
 *   test NAME STATUS SECONDS       STATUS: the exit status, or `timeout`
 *   test-bytes NAME BYTES          how much the test printed
 *   test-output:NAME LINE          the last TEST_OUTPUT_BYTES of it, one report line per line
 *   test-file:NAME:FILE LINE       a JUnit XML or TAP file it left in its results directory
 *
 * Over vsock the check's message carries `tests=NAME:STATUS,…`, and each failing test a message of its
 * own, `X_MKOSI_CI_TEST_N=<nonce> NAME STATUS <base64 of its last lines>` (N counts from 1: systemd-notify
 * merges its arguments like environment variables, so a repeated key would keep only the last), so a
 * lost serial report still names what failed and why.
 */
/** A test's credential: `mkosi-ci.test.NAME`. */
const TEST_CREDENTIAL_PREFIX = 'mkosi-ci.test.';
const TEST_MESSAGE_KEY = 'X_MKOSI_CI_TEST';
/** How much of a test's output the report carries (the end of it). */
const TEST_OUTPUT_BYTES = 64 * 1024;
/** How much of a failing test's output its vsock message carries. */
const TEST_TAIL_LINES = 10;
const TEST_TAIL_BYTES = 1024;
/** The host as the guest sees it on qemu's user network. */
const USER_NETWORK_HOST = '10.0.2.2';
function testCredentialName(name) {
    return `${TEST_CREDENTIAL_PREFIX}${name}`;
}
function testCredentials(tests) {
    return tests.map((t) => ({ name: testCredentialName(t.name), value: t.content }));
}
/** The shell functions; they use the check script's DIR, ERR, NONCE, emit, emit_lines, fail and now_s. */
const TEST_RUNNER = `# boot-test: see test-runner.ts.
tests_failed=
test_statuses=
os_release_value() {
  sed -n "s/^$1=//p" "$OS_RELEASE" 2>/dev/null | head -n 1 | sed "s/^[\\"']//; s/[\\"']\\$//"
}
run_test() {
  name=$1
  bin=$DIR/tests/$name
  out=$DIR/tests/$name.out
  results=$DIR/test-results/$name
  if ! { mkdir -p "$results" && cp -- "\${CREDENTIALS_DIRECTORY:-}/${TEST_CREDENTIAL_PREFIX}$name" "$bin" &&
    chmod 0700 "$bin"; } 2>"$ERR"; then
    fail "preparing test $name"
    return
  fi
  from=$(now_s)
  # The check's credentials (the nonce) are not offered to the test; it runs as root, so this keeps an
  # honest test off them, no more: tests are trusted like the image itself.
  (cd "$results" && exec env -u CREDENTIALS_DIRECTORY MKOSI_CI_TEST_NAME="$name" \\
    MKOSI_CI_TEST_RESULTS="$results" timeout -k 5 "$TEST_TIMEOUT" "$bin") </dev/null >"$out" 2>&1
  status=$?
  took=$(($(now_s) - from))
  # timeout(1) exits 124 when it stopped the test (137 when it had to kill it); a test may exit 124 by
  # itself, so only one that also used its whole time counts as timed out.
  case $status in 124 | 137) [ "$took" -lt "$TEST_TIMEOUT" ] || status=timeout ;; esac
  emit test "$name $status $took"
  emit test-bytes "$name $(($(wc -c <"$out")))"
  tail -c ${TEST_OUTPUT_BYTES} "$out" | emit_lines "test-output:$name"
  # Result files the test left (JUnit XML, TAP): the start of each, for the summary (result-files.ts).
  find "$results" -maxdepth 1 -type f \\( -name '*.xml' -o -name '*.tap' \\) 2>/dev/null | sort |
    while IFS= read -r file; do
      base=\${file##*/}
      case $base in [!A-Za-z0-9]* | *[!A-Za-z0-9._-]*) continue ;; esac
      head -c ${RESULT_FILE_BYTES} "$file" | emit_lines "test-file:$name:$base"
    done
  test_statuses=\${test_statuses:+$test_statuses,}$name:$status
  case $status in 0 | 77) ;; *) tests_failed="$tests_failed $name:$status" ;; esac
}
run_tests() {
  mkdir -p "$DIR/tests" "$DIR/test-results"
  MKOSI_CI_IMAGE_ID=$(os_release_value IMAGE_ID)
  MKOSI_CI_IMAGE_VERSION=$(os_release_value IMAGE_VERSION)
  MKOSI_CI_HOST=${USER_NETWORK_HOST}
  export MKOSI_CI_IMAGE_ID MKOSI_CI_IMAGE_VERSION MKOSI_CI_HOST
  for name in $TESTS; do run_test "$name"; done
}
# The end of a failing test's output, for its vsock message.
test_tail() {
  tail -n ${TEST_TAIL_LINES} "$DIR/tests/$1.out" | tail -c ${TEST_TAIL_BYTES} | base64 -w 0
}
`;

;// CONCATENATED MODULE: ./src/boot/check-unit.ts
/**
 * The guest side of the boot check, injected at boot time into an unmodified image.
 *
 * systemd (>= 256) in the guest imports credentials that qemu hands it through SMBIOS type 11 strings:
 * `systemd.extra-unit.*` becomes a unit file, `systemd.unit-dropin.UNIT~NAME` a drop-in, and any other
 * credential is available to services that import it. So the check is three credentials: a service, a
 * drop-in that makes multi-user.target want it, and the shell script it runs. Nothing is written into the
 * image, and the script (which carries the per-run nonce) is only readable by root in the guest.
 */


const CHECK_UNIT = 'mkosi-ci-check.service';
const CHECK_SCRIPT_CREDENTIAL = 'mkosi-ci.check';
/** Everything is read from a report line after this prefix and one space (see serial-report.ts). */
const REPORT_BEGIN = 'mkosi-ci-report-begin';
const REPORT_END = 'mkosi-ci-report-end';
/** The notification the check sends over vsock: `X_MKOSI_CI_CHECK=<nonce> exit=N state=S …`. */
const CHECK_MESSAGE_KEY = 'X_MKOSI_CI_CHECK';
function reportDevice(channel) {
    return channel.kind === 'serial' ? '/dev/ttyS1' : `/dev/virtio-ports/${channel.name}`;
}
/** What qemu must be given so the same name reaches the guest as a virtio port: see qemu-args.ts. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NONCE_PATTERN = /^[A-Za-z0-9]{16,128}$/;
/** A word for a POSIX shell script, in single quotes. */
function shellQuote(value) {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}
/**
 * The manager properties from which `systemd-analyze` computes its "Startup finished in" line; the report
 * carries them raw (µs) so the host does the arithmetic instead of parsing human-readable durations.
 */
const TIMESTAMP_PROPERTIES = [
    'FirmwareTimestampMonotonic',
    'LoaderTimestampMonotonic',
    'InitRDTimestampMonotonic',
    'UserspaceTimestampMonotonic',
    'FinishTimestampMonotonic',
];
/** The patterns `boot-allow-failed` accepts: no quotes, spaces or other shell syntax. */
const ALLOW_PATTERN = /^[A-Za-z0-9:_.\\@*?[\]-]+$/;
const NOTIFY_PATTERN = /^vsock(?:-stream|-dgram|-seqpacket)?:\d+:\d+$/;
/**
 * The variables the script starts with. A backslash in a unit glob is doubled: in a shell pattern it
 * escapes the next character, and the host matches it literally (unit names escape as `\x2d`).
 */
function scriptHeader(options) {
    const allow = (options.allowFailed ?? []).map((p) => p.replace(/\\/g, '\\\\'));
    return `#!/bin/sh
# mkosi-ci boot check (generated; runs once per boot, injected as a credential).
# -f: unit globs stay patterns, never file names.
set -uf
export SYSTEMD_COLORS=0 SYSTEMD_PAGER= SYSTEMD_LESS= LC_ALL=C
NONCE=${shellQuote(options.nonce)}
DEVICE=${shellQuote(options.reportPath ?? reportDevice(options.channel))}
SETTLE_BY=${Math.max(1, Math.round(options.settleBySeconds))}
WATCH=${Math.max(0, Math.round(options.watchSeconds))}
JOURNAL=${shellQuote(options.journal)}
BLAME=${options.blame ? 'yes' : 'no'}
NOTIFY=${shellQuote(options.notifySocket ?? '')}
ALLOW=${shellQuote(allow.join(' '))}
BEGIN=${REPORT_BEGIN}
END=${REPORT_END}
MESSAGE_KEY=${CHECK_MESSAGE_KEY}
PROPERTIES=${TIMESTAMP_PROPERTIES.join(',')}
TESTS=${shellQuote((options.tests?.names ?? []).join(' '))}
TEST_TIMEOUT=${Math.max(1, Math.round(options.tests?.timeoutSeconds ?? 1))}
TEST_KEY=${TEST_MESSAGE_KEY}
OS_RELEASE=${shellQuote(options.osReleasePath ?? '/etc/os-release')}
`;
}
/**
 * The POSIX shell script run in the guest. It only uses systemctl, systemd-analyze, systemd-notify,
 * journalctl and coreutils, which every systemd image has. Every report line is `KEY VALUE`; multi-line
 * outputs are carried one line per report line under their own key so that nothing a unit prints can
 * end the report early (only a line with the nonce can, and the nonce is known to this script alone).
 * Keys: started, settle (done, timeout, error), job, settled, watched, state, timestamp, blame, failed,
 * status:UNIT, masked, crash, error, journal, journal-export, exit, reported.
 */
function checkScript(options) {
    if (!NONCE_PATTERN.test(options.nonce))
        throw new Error(`invalid boot check nonce: ${options.nonce}`);
    if (options.channel.kind === 'virtio' && !NAME_PATTERN.test(options.channel.name)) {
        throw new Error(`invalid virtio port name: ${options.channel.name}`);
    }
    for (const pattern of options.allowFailed ?? []) {
        if (!ALLOW_PATTERN.test(pattern))
            throw new Error(`invalid unit glob: ${pattern}`);
    }
    if (options.notifySocket !== undefined && !NOTIFY_PATTERN.test(options.notifySocket)) {
        throw new Error(`invalid notify socket: ${options.notifySocket}`);
    }
    for (const name of options.tests?.names ?? []) {
        if (!NAME_PATTERN.test(name))
            throw new Error(`invalid boot test name: ${name}`);
    }
    return scriptHeader(options) + SCRIPT_BODY;
}
const SCRIPT_BODY = `DIR=\${RUNTIME_DIRECTORY:-/run}
REPORT=$DIR/mkosi-ci-report.$$
ERR=$REPORT.err
FAILED=$REPORT.failed
: >"$REPORT"
: >"$FAILED"
: >"$FAILED.masked"
: >"$FAILED.bad"
errors=0
settle=error

emit() { printf '%s %s\\n' "$1" "$2" >>"$REPORT"; }
# Prefix every line of stdin with a key.
emit_lines() { while IFS= read -r line || [ -n "$line" ]; do emit "$1" "$line"; done; }
# A step of the check that failed is reported with what it printed: its errors are never swallowed.
fail() {
  errors=$((errors + 1))
  message=$(tr '\\n' ' ' <"$ERR")
  emit error "$1 failed: \${message% }"
}
uptime_s() { read -r up _ </proc/uptime; echo "$up"; }
now_s() { cut -d. -f1 /proc/uptime; }
# boot-allow-failed as the host reads it: a glob, and a name without a type also means NAME.service.
tolerated() {
  for pattern in $ALLOW; do
    case $1 in $pattern) return 0 ;; esac
    case $pattern in *.*) ;; *) case $1 in $pattern.service) return 0 ;; esac ;; esac
  done
  return 1
}
# The failed units into $FAILED (UNIT LOAD ACTIVE SUB DESCRIPTION), except masked ones, which were
# switched off on purpose ($FAILED.masked); $FAILED.bad: those boot-allow-failed does not tolerate.
list_failed() {
  systemctl list-units --all --state=failed --plain --no-legend --no-pager --full >"$FAILED.all" 2>"$ERR" ||
    { fail 'systemctl list-units'; return 1; }
  : >"$FAILED"
  : >"$FAILED.masked"
  : >"$FAILED.bad"
  while read -r unit load rest; do
    # Older systemctl versions start the line with a bullet.
    if [ "$unit" = '●' ]; then unit=$load; load=\${rest%% *}; rest=\${rest#* }; fi
    [ -n "$unit" ] || continue
    if [ "$load" = masked ]; then echo "$unit" >>"$FAILED.masked"; continue; fi
    printf '%s %s %s\\n' "$unit" "$load" "$rest" >>"$FAILED"
    tolerated "$unit" || echo "$unit" >>"$FAILED.bad"
  done <"$FAILED.all"
}
# The unit names of a list, comma-separated.
names() { list=; while read -r unit _; do list=\${list:+$list,}$unit; done <"$1"; echo "$list"; }
${TEST_RUNNER}
${CRASH_SCAN}
emit started "$(uptime_s)"
left=$((SETTLE_BY - $(now_s)))
[ "$left" -gt 0 ] || left=1
timeout "$left" systemctl is-system-running --wait >/dev/null 2>"$ERR"
waited=$?
# 124: the bound ran out with jobs still queued (the jobs say which). Otherwise the wait ended, whatever
# the state: is-system-running exits 1 for every state but running, so only its error output is an error.
if [ "$waited" = 124 ]; then
  settle=timeout
  if systemctl list-jobs --plain --no-legend --no-pager --full >"$REPORT.jobs" 2>"$ERR"; then
    emit_lines job <"$REPORT.jobs"
  else
    fail 'systemctl list-jobs'
  fi
elif [ "$waited" -le 1 ] && [ ! -s "$ERR" ]; then
  settle=done
else
  fail 'systemctl is-system-running --wait'
fi
emit settle "$settle"
emit settled "$(uptime_s)"

# Seconds of uptime, not loop turns: each turn also costs a systemctl call (a second under TCG).
from=$(now_s)
while [ $(($(now_s) - from)) -lt "$WATCH" ] && list_failed && [ ! -s "$FAILED.bad" ]; do
  sleep 1
done
emit watched $(($(now_s) - from))

state=$(systemctl is-system-running 2>"$ERR")
[ ! -s "$ERR" ] || fail 'systemctl is-system-running'
emit state "$state"
if systemctl show --property="$PROPERTIES" >"$REPORT.show" 2>"$ERR"; then
  emit_lines timestamp <"$REPORT.show"
else
  fail 'systemctl show'
fi
if [ "$BLAME" = yes ]; then
  if systemd-analyze blame --no-pager >"$REPORT.blame" 2>"$ERR"; then
    head -n 10 "$REPORT.blame" | emit_lines blame
  else
    fail 'systemd-analyze blame'
  fi
fi
if list_failed; then
  emit_lines failed <"$FAILED"
  while read -r unit _; do
    # systemctl status exits 3 for a failed unit: its output is the report, not an error.
    systemctl status --no-pager --full --lines=10 -- "$unit" >"$REPORT.status" 2>&1 </dev/null
    emit_lines "status:$unit" <"$REPORT.status"
  done <"$FAILED"
  emit_lines masked <"$FAILED.masked"
fi
# A unit that crashed and restarted fine is not failed, but the image crashed.
scan_crashes && emit_lines crash <"$CRASHES"

# The host's rule: a settled boot, running or degraded by masked or tolerated units only, and a check
# that ran without errors.
code=0
case $state in
  running) ;;
  degraded) [ -s "$FAILED" ] || [ -s "$FAILED.masked" ] || code=1 ;;
  *) code=1 ;;
esac
[ ! -s "$FAILED.bad" ] || code=1
[ ! -s "$CRASHES.bad" ] || code=1
[ "$settle" = done ] || code=1
[ "$errors" = 0 ] || code=1
# The tests run on a system the check found nothing wrong with; a failing one fails the boot.
if [ "$code" = 0 ] && [ -n "$TESTS" ]; then
  run_tests
  [ -z "$tests_failed" ] || code=1
  [ "$errors" = 0 ] || code=1
fi
if [ "$JOURNAL" = always ] || { [ "$JOURNAL" = on-failure ] && [ "$code" != 0 ]; }; then
  if journalctl --boot --no-pager -o short-monotonic >"$REPORT.journal" 2>"$ERR"; then
    emit_lines journal <"$REPORT.journal"
  else
    fail journalctl
    code=1
  fi
  # The export format too, for journalctl on the host: one base64 line (binary fields hold NUL bytes).
  if journalctl --boot --no-pager -o export >"$REPORT.export" 2>"$ERR" &&
    base64 -w 0 "$REPORT.export" >"$REPORT.export.b64" 2>"$ERR"; then
    { printf 'journal-export '; cat "$REPORT.export.b64"; echo; } >>"$REPORT"
  else
    fail 'journalctl -o export'
    code=1
  fi
fi
# Over vsock the check speaks for itself with the nonce: systemd's own EXIT_STATUS= comes with every
# orderly shutdown, whoever caused it, so it cannot pass a boot.
if [ -n "$NOTIFY" ]; then
  set -- "$MESSAGE_KEY=$NONCE exit=$code state=$state settle=$settle failed=$(names "$FAILED") masked=$(names "$FAILED.masked") crashed=$(crash_names) errors=$errors\${TESTS:+ tests=$test_statuses}"
  # One key per test: systemd-notify merges its arguments like environment variables, the last of a
  # key wins.
  i=0
  for failed in $tests_failed; do
    i=$((i + 1))
    name=\${failed%%:*}
    set -- "$@" "\${TEST_KEY}_$i=$NONCE $name \${failed#*:} $(test_tail "$name")"
  done
  NOTIFY_SOCKET=$NOTIFY systemd-notify --no-block "$@" 2>"$ERR" || { fail systemd-notify; code=1; }
fi
emit exit "$code"
emit reported "$(uptime_s)"

# One write of the whole report; closing a tty waits until its output has drained.
{
  printf '\\n%s %s\\n' "$BEGIN" "$NONCE"
  cat "$REPORT"
  printf '%s %s\\n' "$END" "$NONCE"
} >"$DEVICE"
sync
# In a VM, "systemctl exit" powers off and hands the status to the host (vmm.notify_socket EXIT_STATUS=).
systemctl exit "$code" || systemctl poweroff
`;
/** The service that runs the script. Type=exec: its start job ends at once, so the boot can settle. */
function checkUnit(testNames = []) {
    const imports = [CHECK_SCRIPT_CREDENTIAL, ...testNames.map(testCredentialName)];
    return `[Unit]
Description=mkosi-ci boot check
After=basic.target

[Service]
Type=exec
${imports.map((name) => `ImportCredential=${name}`).join('\n')}
RuntimeDirectory=mkosi-ci
ExecStart=/bin/sh %d/${CHECK_SCRIPT_CREDENTIAL}
StandardOutput=journal+console
`;
}
function checkDropIn() {
    return `[Unit]\nWants=${CHECK_UNIT}\n`;
}
/**
 * The credentials that inject the check and its tests; `extra` ones (planted faults, user credentials)
 * come first. `tests` are the files `options.tests` names.
 */
function checkCredentials(options, extra = [], tests = []) {
    const dropInName = CHECK_UNIT.replace(/\.service$/, '');
    return [
        ...extra,
        ...testCredentials(tests),
        { name: CHECK_SCRIPT_CREDENTIAL, value: checkScript(options) },
        { name: `systemd.extra-unit.${CHECK_UNIT}`, value: checkUnit(tests.map((t) => t.name)) },
        { name: `systemd.unit-dropin.multi-user.target~${dropInName}`, value: checkDropIn() },
    ];
}
/**
 * The SMBIOS type 11 strings that hand credentials to the guest. The binary form (base64) keeps newlines
 * and commas (qemu's option separator) out of them.
 */
function smbiosCredentialStrings(credentials) {
    return credentials.map((c) => {
        if (!NAME_PATTERN.test(c.name.replace(/~/g, '-')))
            throw new Error(`invalid credential name: ${c.name}`);
        const encoded = (typeof c.value === 'string' ? Buffer.from(c.value, 'utf8') : c.value).toString('base64');
        return `io.systemd.credential.binary:${c.name}=${encoded}`;
    });
}
/** The same strings as qemu's `-smbios type=11,value=…` arguments. */
function smbiosCredentialArgs(credentials) {
    return smbiosCredentialStrings(credentials).flatMap((s) => ['-smbios', `type=11,value=${s}`]);
}
/**
 * Kernel command line extras for a UKI (systemd-stub reads this SMBIOS string when Secure Boot is off).
 * Commas must be doubled for qemu's option parser.
 */
function kernelCmdlineExtraArgs(extra) {
    if (extra.length === 0)
        return [];
    const value = extra.join(' ').replace(/,/g, ',,');
    return ['-smbios', `type=11,value=io.systemd.stub.kernel-cmdline-extra=${value}`];
}

;// CONCATENATED MODULE: ./src/boot/test-results.ts


/** `test-file:NAME:FILE` → [NAME, FILE], for a file name the guest may send. */
function resultFileKey(key) {
    const match = /^test-file:([^:]+):(.+)$/.exec(key);
    return match && RESULT_FILE_PATTERN.test(match[2]) ? [match[1], match[2]] : undefined;
}
function collectFile(files, name, file, line) {
    const list = files.get(name) ?? [];
    const last = list.at(-1);
    if (last?.file === file)
        last.lines.push(line);
    else
        files.set(name, [...list, { file, lines: [line] }]);
}
function outcomeOf(status) {
    if (status === 'timeout')
        return 'timed-out';
    return status === 0 ? 'passed' : status === 77 ? 'skipped' : 'failed';
}
function parseStatus(value) {
    if (value === 'timeout')
        return value;
    return /^\d{1,3}$/.test(value) ? Number(value) : undefined;
}
/** The `test`, `test-bytes` and `test-output:NAME` lines of a report, in the order the tests ran. */
function parseTestLines(lines) {
    const tests = new Map();
    const outputs = new Map();
    const bytes = new Map();
    const files = new Map();
    for (const line of lines) {
        const space = line.indexOf(' ');
        const key = space < 0 ? line : line.slice(0, space);
        const value = space < 0 ? '' : line.slice(space + 1);
        if (key === 'test') {
            const match = /^(\S+) (\S+) (\d+)$/.exec(value);
            const status = match ? parseStatus(match[2]) : undefined;
            if (!match || status === undefined || tests.has(match[1]))
                continue;
            tests.set(match[1], {
                name: match[1],
                status,
                outcome: outcomeOf(status),
                seconds: Number(match[3]),
                bytes: 0,
                output: [],
            });
        }
        else if (key === 'test-bytes') {
            const match = /^(\S+) (\d+)$/.exec(value);
            if (match)
                bytes.set(match[1], Number(match[2]));
        }
        else if (key.startsWith('test-output:')) {
            const name = key.slice('test-output:'.length);
            outputs.set(name, [...(outputs.get(name) ?? []), value]);
        }
        else if (resultFileKey(key)) {
            const [name, file] = resultFileKey(key);
            collectFile(files, name, file, value);
        }
    }
    return [...tests.values()].map((t) => ({
        ...t,
        bytes: bytes.get(t.name) ?? 0,
        output: outputs.get(t.name) ?? [],
        ...(files.has(t.name) ? { files: files.get(t.name) } : {}),
    }));
}
/** How many bytes of a test's output the report left out. */
function cutBytes(test) {
    return Math.max(0, test.bytes - TEST_OUTPUT_BYTES);
}
/** The last lines of a test's output, for the reason, the annotation and the summary. */
function test_results_tailOf(test, lines = TEST_TAIL_LINES) {
    return test.output.slice(-lines);
}
function failing(tests) {
    return tests.filter((t) => t.outcome === 'failed' || t.outcome === 'timed-out');
}
/** `20-fail (exit 1: "last line")`, `30-hang (timed out after 10 s)`. */
function test_results_describeFailure(test, timeoutSeconds) {
    if (test.status === 'timeout') {
        const limit = timeoutSeconds ?? test.seconds;
        return `${test.name} (timed out${limit === undefined ? '' : ` after ${limit} s`})`;
    }
    const last = test_results_tailOf(test, 1)[0]?.trim();
    return `${test.name} (exit ${test.status}${last ? `: ${JSON.stringify(last)}` : ''})`;
}
/**
 * Why the tests fail the boot, if they do: `test-failed` names each failing test; a test that was
 * expected but reported nothing makes the evidence `inconclusive` (only a reported result can pass).
 */
function testProblem(expected, tests, timeoutSeconds) {
    const failed = failing(tests);
    if (failed.length > 0) {
        const described = failed.map((t) => test_results_describeFailure(t, timeoutSeconds)).join(', ');
        return { result: 'test-failed', reason: `failed tests: ${described}` };
    }
    const reported = new Set(tests.map((t) => t.name));
    const missing = expected.filter((name) => !reported.has(name));
    if (missing.length === 0)
        return undefined;
    return { result: 'inconclusive', reason: `no result from boot test(s): ${missing.join(', ')}` };
}
/** `; tests: 2 passed, 1 skipped (40-skip)` for the reason of a passed boot; '' without tests. */
function testsPassedNote(tests) {
    if (tests.length === 0)
        return '';
    const passed = tests.filter((t) => t.outcome === 'passed').length;
    const skipped = tests.filter((t) => t.outcome === 'skipped').map((t) => t.name);
    const skippedPart = skipped.length > 0 ? `, ${skipped.length} skipped (${skipped.join(', ')})` : '';
    return `; tests: ${passed} passed${skippedPart}`;
}
/** `name:status,…`: how the report and the vsock message are compared. */
function statusList(tests) {
    return tests.map((t) => `${t.name}:${t.status}`).join(',');
}

;// CONCATENATED MODULE: ./src/boot/serial-report.ts




/**
 * The host side of the report channel: the guest writes `KEY VALUE` lines between a begin and an end
 * marker that both carry a per-run nonce. Only the check script knows the nonce, so nothing else the
 * guest prints (a unit echoing a fake report, the kernel, a getty) can forge a verdict; a report without
 * its end marker (the guest died while writing) is no report.
 */
/** 128 random bits, hex: unguessable and safe to embed in a shell script and on a serial line. */
function newNonce() {
    return (0,external_node_crypto_namespaceObject.randomBytes)(16).toString('hex');
}
/** The report lines between the markers, or why there are none. */
function extractReportLines(captured, nonce) {
    // A tty turns "\n" into "\r\n"; a line may also start with leftovers of other output.
    const lines = captured.split('\n').map((l) => l.replace(/\r$/, ''));
    const begin = lines.findIndex((l) => l.trimStart() === `${REPORT_BEGIN} ${nonce}`);
    if (begin < 0)
        return { lines: undefined, truncated: false };
    const end = lines.findIndex((l, i) => i > begin && l === `${REPORT_END} ${nonce}`);
    if (end < 0)
        return { lines: undefined, truncated: true };
    return { lines: lines.slice(begin + 1, end) };
}
/**
 * One line of `systemctl list-units --plain --no-legend --full`: `UNIT LOAD ACTIVE SUB DESCRIPTION…`.
 * Older systemctl versions prefix failed units with a `●` bullet; it is skipped.
 */
function parseUnitLine(line) {
    const fields = line.trim().replace(/^●\s*/, '').split(/\s+/);
    const [name, load, active, sub, ...description] = fields;
    if (!name || !load || !active || !sub)
        return undefined;
    return { name, load, active, sub, description: description.join(' ') };
}
/** The `Active:` line of a `systemctl status` output, without its label. */
function statusLine(status) {
    for (const line of status) {
        const match = /^\s*Active:\s*(.*)$/.exec(line);
        if (match)
            return match[1].trim();
    }
    return undefined;
}
const usToMs = (us) => Math.round(us / 1000);
/**
 * The boot phases from the manager's monotonic timestamps (µs), with systemd-analyze's arithmetic:
 * firmware and loader timestamps count backwards from the kernel's start.
 */
function bootTimings(props) {
    const get = (key) => props.get(key) ?? 0;
    const firmware = get('FirmwareTimestampMonotonic');
    const loader = get('LoaderTimestampMonotonic');
    const initrd = get('InitRDTimestampMonotonic');
    const userspace = get('UserspaceTimestampMonotonic');
    const finish = get('FinishTimestampMonotonic');
    const timings = {};
    if (firmware > 0 && loader > 0)
        timings.firmwareMs = usToMs(firmware - loader);
    if (loader > 0)
        timings.loaderMs = usToMs(loader);
    if (userspace > 0) {
        timings.kernelMs = usToMs(initrd > 0 ? initrd : userspace);
        if (initrd > 0)
            timings.initrdMs = usToMs(userspace - initrd);
    }
    if (finish > 0) {
        if (userspace > 0)
            timings.userspaceMs = usToMs(finish - userspace);
        timings.totalMs = usToMs(finish);
    }
    return timings;
}
function splitKey(line) {
    const space = line.indexOf(' ');
    return space < 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
}
/** Keys whose every line is kept, in order. */
const LIST_KEYS = {
    blame: 'blame',
    journal: 'journal',
    masked: 'maskedUnits',
    job: 'jobs',
    error: 'errors',
};
/** A whole number, or undefined: `Number('')` is 0, which would read a missing value as a status. */
function wholeNumber(value) {
    return /^\d+$/.test(value ?? '') ? Number(value) : undefined;
}
/** Parses the lines between the markers (see `checkScript` for their keys). */
function parseReportLines(lines) {
    const values = new Map();
    const timestamps = new Map();
    const statuses = new Map();
    const lists = { blame: [], journal: [], maskedUnits: [], jobs: [], errors: [] };
    const failed = [];
    const crashes = [];
    for (const line of lines) {
        const [key, value] = splitKey(line);
        if (Object.hasOwn(LIST_KEYS, key))
            lists[LIST_KEYS[key]].push(value);
        else if (key === 'timestamp') {
            const match = /^(\w+)=(\d+)$/.exec(value);
            if (match)
                timestamps.set(match[1], Number(match[2]));
        }
        else if (key === 'failed') {
            const unit = parseUnitLine(value);
            if (unit)
                failed.push(unit);
        }
        else if (key === 'crash') {
            const crash = parseCrashLine(value);
            if (crash)
                crashes.push(crash);
        }
        else if (key.startsWith('status:')) {
            const unit = key.slice('status:'.length);
            statuses.set(unit, [...(statuses.get(unit) ?? []), value]);
        }
        else
            values.set(key, value);
    }
    const number = (key) => {
        const n = Number.parseFloat(values.get(key) ?? '');
        return Number.isFinite(n) ? n : undefined;
    };
    return {
        ...lists,
        state: values.get('state') ?? '',
        settled: values.get('settle') === 'done',
        watchedSeconds: wholeNumber(values.get('watched')) ?? 0,
        failedUnits: failed.map((unit) => {
            const status = statuses.get(unit.name) ?? [];
            return { ...unit, statusLine: statusLine(status), status };
        }),
        crashes,
        journalExport: values.get('journal-export') ?? '',
        exitCode: wholeNumber(values.get('exit')),
        timings: bootTimings(timestamps),
        settledAt: number('settled'),
        reportedAt: number('reported'),
        tests: parseTestLines(lines),
    };
}
/** Finds and parses the report with this run's nonce in what the report channel captured. */
function parseReport(captured, nonce) {
    const extracted = extractReportLines(captured, nonce);
    if (!extracted.lines)
        return { found: false, truncated: extracted.truncated };
    return { found: true, report: parseReportLines(extracted.lines) };
}
/** Kernel messages that mean the guest died before the check could report. */
const PANIC_PATTERNS = [
    /Kernel panic - not syncing/,
    /KVM internal error/,
    /emulation failure/,
    /systemd\[1\]: Freezing execution/,
    /systemd\[1\]: Caught <\w+>, (?:dumped core|cannot fork)/,
];
/** The first line of the console log that shows the guest crashed, if any. */
function findPanic(consoleLog) {
    for (const line of consoleLog.split('\n')) {
        // eslint-disable-next-line no-control-regex
        const clean = line.replace(/\r$/, '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
        if (PANIC_PATTERNS.some((p) => p.test(clean)))
            return clean.trim();
    }
    return undefined;
}

;// CONCATENATED MODULE: ./src/boot/check-message.ts





/** `tests=a:0,b:timeout`: the results, without output (unreadable entries are dropped). */
function parseTests(value, tails) {
    const tests = [];
    for (const entry of list(value)) {
        const colon = entry.lastIndexOf(':');
        const status = parseStatus(entry.slice(colon + 1));
        if (colon <= 0 || status === undefined)
            continue;
        const name = entry.slice(0, colon);
        const output = tails.get(name) ?? [];
        tests.push({ name, status, outcome: outcomeOf(status), seconds: undefined, bytes: 0, output });
    }
    return tests;
}
/** `X_MKOSI_CI_TEST_1`, `_2`, …: one key per failing test (see test-runner.ts). */
const TEST_MESSAGE_KEY_PATTERN = new RegExp(`^${TEST_MESSAGE_KEY}_\\d+$`);
/** `X_MKOSI_CI_TEST_N=<nonce> NAME STATUS <base64 tail>` messages with this run's nonce: name → lines. */
function testTails(messages, nonce) {
    const tails = new Map();
    for (const message of messages) {
        if (!TEST_MESSAGE_KEY_PATTERN.test(message.key))
            continue;
        const [token, name, , tail] = message.value.split(' ');
        if (token !== nonce || !name)
            continue;
        const text = Buffer.from(tail ?? '', 'base64').toString('utf8');
        tails.set(name, text.split('\n').filter((line, i, all) => line !== '' || i < all.length - 1));
    }
    return tails;
}
const list = (value) => (value ? value.split(',') : []);
function parseFields(fields, tails) {
    const values = new Map();
    for (const field of fields) {
        const equals = field.indexOf('=');
        if (equals > 0)
            values.set(field.slice(0, equals), field.slice(equals + 1));
    }
    return {
        exitCode: wholeNumber(values.get('exit')),
        state: values.get('state') ?? '',
        settled: values.get('settle') === 'done',
        failed: list(values.get('failed')),
        masked: list(values.get('masked')),
        crashed: parseCrashList(values.get('crashed')),
        errors: wholeNumber(values.get('errors')),
        tests: parseTests(values.get('tests'), tails),
    };
}
/** The check's message with this run's nonce among the notifications received, if any. */
function findCheckMessage(messages, nonce) {
    for (const message of messages) {
        if (message.key !== CHECK_MESSAGE_KEY)
            continue;
        const [token, ...fields] = message.value.split(' ');
        if (token === nonce)
            return parseFields(fields, testTails(messages, nonce));
    }
    return undefined;
}
/** What the message says, as a report without details (no status lines, timings or journal). */
function reportFromMessage(message) {
    const errors = message.errors === undefined
        ? ['the check message over vsock does not say whether the check ran without errors']
        : message.errors > 0
            ? [`${message.errors} step(s) of the check failed (their output was in the lost serial report)`]
            : [];
    return {
        state: message.state,
        settled: message.settled,
        watchedSeconds: 0,
        failedUnits: message.failed.map((name) => ({
            name,
            load: '',
            active: 'failed',
            sub: 'failed',
            description: '',
            statusLine: undefined,
            status: [],
        })),
        maskedUnits: message.masked,
        crashes: message.crashed.map((c) => ({
            ...c,
            executable: '(not in the vsock message)',
            kind: 'killed',
        })),
        jobs: [],
        errors,
        exitCode: message.exitCode,
        timings: {},
        blame: [],
        journal: [],
        journalExport: '',
        tests: message.tests,
    };
}
/**
 * Where the serial report and the vsock message, both from this run's check, say different things; the
 * check sends both from the same values, so any difference means one of them was damaged.
 */
function disagreement(report, message) {
    const names = (units) => [...units].sort().join(',');
    const fields = [
        ['state', report.state, message.state],
        ['settled', report.settled, message.settled],
        ['exit', report.exitCode, message.exitCode],
        ['failed', names(report.failedUnits.map((u) => u.name)), names(message.failed)],
        ['masked', names(report.maskedUnits), names(message.masked)],
        ['crashed', names(crashList(report.crashes).split(',')), names(crashList(message.crashed).split(','))],
        ['errors', report.errors.length, message.errors],
        ['tests', statusList(report.tests), statusList(message.tests)],
    ];
    const differing = fields.filter(([, a, b]) => a !== b);
    if (differing.length === 0)
        return undefined;
    return differing
        .map(([name, a, b]) => `${name}: ${String(a)} in the report, ${String(b)} over vsock`)
        .join('; ');
}

;// CONCATENATED MODULE: ./src/boot/verdict.ts



/**
 * A unit glob as systemctl understands them (fnmatch: `*`, `?`, `[…]`), anchored. A pattern without a
 * unit type suffix also matches `.service` units, as systemctl does with plain names.
 */
function globToRegExp(glob) {
    let source = '';
    for (let i = 0; i < glob.length; i++) {
        const c = glob[i];
        if (c === '*')
            source += '.*';
        else if (c === '?')
            source += '.';
        else if (c === '[') {
            const bracket = bracketExpression(glob, i);
            if (bracket) {
                source += bracket.source;
                i = bracket.end;
            }
            else
                source += '\\[';
        }
        else
            source += c.replace(/[.+^${}()|\\/]/g, '\\$&');
    }
    return new RegExp(`^${source}$`);
}
/**
 * The bracket expression opening at `open`, as fnmatch reads it: `!` or `^` first negates, a `]` first
 * (after the negation) is a member, not the end. Undefined when it never closes (the `[` is literal).
 */
function bracketExpression(glob, open) {
    const negate = glob[open + 1] === '!' || glob[open + 1] === '^';
    const first = negate ? open + 2 : open + 1;
    const close = glob.indexOf(']', first + 1);
    if (close < 0)
        return undefined;
    // In a JavaScript class only \, ] and a leading ^ are special: escape them all.
    const members = glob.slice(first, close).replace(/[\\\]^]/g, '\\$&');
    return { source: `[${negate ? '^' : ''}${members}]`, end: close };
}
function unitAllowed(unit, patterns) {
    // A blank pattern matches no unit name: nothing to filter out.
    return patterns
        .map((p) => p.trim())
        .some((p) => globToRegExp(p).test(unit) || (!p.includes('.') && globToRegExp(`${p}.service`).test(unit)));
}
function describe(units) {
    return units.map((u) => (u.statusLine ? `${u.name} (${u.statusLine})` : u.name)).join(', ');
}
const NONE = {
    failedUnits: [],
    allowedUnits: [],
    crashes: [],
    allowedCrashes: [],
    tests: [],
    failedTests: [],
    timings: {},
    report: undefined,
};
/** No evidence with the nonce: a crash, a timeout, or a guest that shut down before the check ran. */
function withoutReport(input, truncated) {
    const why = input.timedOut
        ? `no report within the ${input.timeoutSeconds} s timeout`
        : truncated
            ? 'the report was cut short'
            : input.qemuExitCode === 0
                ? 'it powered off or rebooted before the check reported'
                : `qemu exited with status ${input.qemuExitCode} without a report`;
    const exit = input.vsock?.exitStatus;
    const shutdown = exit === undefined ? '' : ` (systemd sent EXIT_STATUS=${exit} over vsock as it shut down)`;
    if (input.panic) {
        return { ...NONE, result: 'panicked', reason: `the guest crashed: ${input.panic} (${why})` };
    }
    return { ...NONE, result: 'did-not-boot', reason: `the guest did not boot: ${why}${shutdown}` };
}
/** What the states the check can report mean, for the reason. */
const STATE_MEANINGS = {
    maintenance: 'emergency or rescue mode',
    stopping: 'shutting down',
    offline: 'PID 1 is not systemd',
    starting: 'jobs still queued',
    initializing: 'jobs still queued',
};
/** Red findings about the run rather than the system: each alone makes the evidence unreliable. */
function contradictions(input, report) {
    const found = [];
    const message = input.vsock?.message;
    if (input.report.found === false && input.report.truncated) {
        found.push('the serial report was cut short');
    }
    const differ = input.report.found && message ? disagreement(report, message) : undefined;
    if (differ)
        found.push(`the serial report and the vsock message disagree (${differ})`);
    if (input.timedOut)
        found.push(`the guest did not power off within the ${input.timeoutSeconds} s timeout`);
    else if (input.qemuExitCode !== 0)
        found.push(`qemu exited with status ${input.qemuExitCode}`);
    if (report.exitCode === undefined)
        found.push('the report has no exit status');
    const exit = input.vsock?.exitStatus;
    if (exit !== undefined && exit !== report.exitCode) {
        found.push(`systemd sent EXIT_STATUS=${exit} over vsock, not the check's ${String(report.exitCode)}`);
    }
    return found;
}
/** Why the system's state fails a boot in which nothing failed, if it does. */
function stateProblem(report, allowedUnits) {
    const state = report.state;
    if (state === 'running')
        return undefined;
    if (state === 'degraded') {
        if (allowedUnits.length + report.maskedUnits.length > 0)
            return undefined;
        return { result: 'inconclusive', reason: 'the system is degraded, but the check found no failed unit' };
    }
    if (state === '' || state === 'unknown') {
        return {
            result: 'inconclusive',
            reason: `the check could not read the system state (${state || 'empty'})`,
        };
    }
    const meaning = STATE_MEANINGS[state];
    return {
        result: 'not-running',
        reason: `the system is ${state}${meaning ? ` (${meaning})` : ''}, not running`,
    };
}
/** `123 planted-hang.service start running` → `planted-hang.service start`. */
function describeJobs(jobs) {
    return jobs.map((j) => j.trim().split(/\s+/).slice(1, 3).join(' ')).join(', ');
}
function verdict(input) {
    const message = input.vsock?.message;
    if (!input.report.found && !message)
        return withoutReport(input, input.report.truncated);
    const fromSerial = input.report.found;
    const report = input.report.found ? input.report.report : reportFromMessage(message);
    const allowedUnits = report.failedUnits.filter((u) => unitAllowed(u.name, input.allowFailed));
    const failedUnits = report.failedUnits.filter((u) => !allowedUnits.includes(u));
    const allCrashes = distinctCrashes(report.crashes);
    // A crash outside any unit (`-`) is never tolerated, as in the guest.
    const allowedCrashes = allCrashes.filter((c) => c.unit !== '-' && unitAllowed(c.unit, input.allowFailed));
    const crashes = allCrashes.filter((c) => !allowedCrashes.includes(c));
    const tests = report.tests;
    const common = {
        allowedUnits,
        failedUnits,
        crashes,
        allowedCrashes,
        tests,
        failedTests: failing(tests),
        timings: report.timings,
        report,
    };
    const red = (result, reason) => ({ ...common, result, reason });
    if (input.panic)
        return red('panicked', `the console shows a crash: ${input.panic}`);
    const crashed = crashes.length > 0 ? `crashed: ${crashes.map(crash_scan_describeCrash).join(', ')}` : '';
    if (failedUnits.length > 0) {
        return red('failed-units', `failed units: ${describe(failedUnits)}${crashed && `; ${crashed}`}`);
    }
    if (crashed)
        return red('crashed', crashed);
    if (report.errors.length > 0)
        return red('inconclusive', `the check failed: ${report.errors.join('; ')}`);
    if (!report.settled) {
        const queued = report.jobs.length > 0 ? `; still queued: ${describeJobs(report.jobs)}` : '';
        return red('did-not-boot', `the boot did not settle in time (state ${report.state || 'unknown'})${queued}`);
    }
    const problem = stateProblem(report, allowedUnits);
    if (problem)
        return red(problem.result, problem.reason);
    const contradicted = contradictions(input, report);
    if (contradicted.length > 0)
        return red('inconclusive', contradicted.join('; '));
    const testsFailed = testProblem(input.expectedTests ?? [], tests, input.testTimeoutSeconds);
    if (testsFailed)
        return red(testsFailed.result, testsFailed.reason);
    if (report.exitCode !== 0) {
        return red('inconclusive', `the check exited ${report.exitCode} where the host finds nothing wrong`);
    }
    const tolerated = allowedUnits.length > 0 ? `; tolerated: ${describe(allowedUnits)}` : '';
    const masked = report.maskedUnits.length > 0 ? `; masked: ${report.maskedUnits.join(', ')}` : '';
    const toleratedCrashes = allowedCrashes.length > 0 ? `; tolerated crash: ${allowedCrashes.map(crash_scan_describeCrash).join(', ')}` : '';
    const source = fromSerial ? '' : " (from the check's vsock message: the serial report was lost)";
    return {
        ...common,
        result: 'passed',
        reason: `the system is ${report.state}${tolerated}${toleratedCrashes}${masked}${testsPassedNote(tests)}${source}`,
    };
}

;// CONCATENATED MODULE: ./src/boot/boot-tests.ts




/** What all tests together may weigh before base64 (4/3 of it on the qemu command line). */
const TEST_BUDGET_BYTES = 24 * 1024;
/** A name that is safe as a credential name, a file name and a word of the guest's shell script. */
const TEST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
function parseBootTestSource(raw, cwd) {
    if (raw.trimStart().startsWith('#!'))
        return { kind: 'inline', script: raw.trimStart() };
    const value = raw.trim();
    if (value === '')
        return { kind: 'none' };
    if (value.includes('\n')) {
        throw new ConfigurationError(`Input ${Input.BootTest}: a multi-line value must be a script starting with #! (got one starting with ${JSON.stringify(value.split('\n')[0])}); a path is one line.`);
    }
    return { kind: 'path', path: external_node_path_default().resolve(cwd, value), given: value };
}
function checkName(name, where) {
    if (TEST_NAME.test(name))
        return;
    throw new ConfigurationError(`Input ${Input.BootTest}: ${where} is named ${JSON.stringify(name)}; a test's name must start with a letter or digit and hold only letters, digits, '.', '_' and '-' (64 at most).`);
}
async function executable(file) {
    const info = await (0,promises_namespaceObject.stat)(file);
    return info.isFile() && (info.mode & 0o111) !== 0;
}
/** The executables of a directory in name order (byte order, as the C locale sorts); others are left out. */
async function directoryTests(dir, given) {
    const names = (await (0,promises_namespaceObject.readdir)(dir)).sort();
    const tests = [];
    for (const name of names) {
        if (name.startsWith('.') || !(await executable(external_node_path_default().join(dir, name))))
            continue;
        checkName(name, `${given}/${name}`);
        tests.push({ name, content: await (0,promises_namespaceObject.readFile)(external_node_path_default().join(dir, name)) });
    }
    if (tests.length === 0) {
        throw new ConfigurationError(`Input ${Input.BootTest}: ${given} is a directory without executable files; make the tests executable (chmod +x).`);
    }
    return tests;
}
async function pathTests(source) {
    const info = await (0,promises_namespaceObject.stat)(source.path).catch(() => undefined);
    if (!info) {
        throw new ConfigurationError(`Input ${Input.BootTest}: ${source.given} does not exist (${source.path}); give an executable, a directory of executables or an inline script starting with #!.`);
    }
    if (info.isDirectory())
        return directoryTests(source.path, source.given);
    if (!(await executable(source.path))) {
        throw new ConfigurationError(`Input ${Input.BootTest}: ${source.given} is not an executable file; make it executable (chmod +x) or give a directory of executables.`);
    }
    const name = external_node_path_default().basename(source.path);
    checkName(name, source.given);
    return [{ name, content: await (0,promises_namespaceObject.readFile)(source.path) }];
}
/** The tests to carry into the guest, refused when they do not fit in the credentials. */
async function loadBootTests(source) {
    const tests = source.kind === 'none'
        ? []
        : source.kind === 'inline'
            ? [
                {
                    name: 'inline',
                    content: Buffer.from(source.script.endsWith('\n') ? source.script : `${source.script}\n`),
                },
            ]
            : await pathTests(source);
    const bytes = tests.reduce((sum, t) => sum + t.content.length, 0);
    if (bytes > TEST_BUDGET_BYTES) {
        const sizes = tests.map((t) => `${t.name} ${t.content.length}`).join(', ');
        throw new ConfigurationError(`Input ${Input.BootTest}: the tests weigh ${bytes} bytes (${sizes}); at most ${TEST_BUDGET_BYTES} bytes fit in the SMBIOS credentials that carry them into the guest. Put the bulk in the image, or have a small test fetch it from the host (MKOSI_CI_HOST).`);
    }
    return tests;
}

;// CONCATENATED MODULE: ./src/boot/options.ts










/** An input that may be left empty: undefined then. */
function optional(value, parse) {
    return value === '' ? undefined : parse(value);
}
/** A glob systemctl would take: its brackets closed and their ranges in order. */
function compiles(pattern) {
    try {
        globToRegExp(pattern);
        return !/\[[^\]]*$/.test(pattern);
    }
    catch {
        return false;
    }
}
function parseAllowFailed(value) {
    const patterns = splitLines(value);
    for (const pattern of patterns) {
        if (!/^[A-Za-z0-9:_.\\@*?[\]-]+$/.test(pattern) || !compiles(pattern)) {
            throw invalid(Input.BootAllowFailed, pattern, 'unit names or globs such as foo.service or systemd-*');
        }
    }
    return patterns;
}
/** update-from, refused before anything is built when it names nothing (its disk is judged at check). */
function existingPath(value, cwd) {
    const resolved = external_node_path_default().resolve(cwd, value);
    if ((0,external_node_fs_.existsSync)(resolved))
        return resolved;
    throw invalid(Input.UpdateFrom, value, 'the disk image of an earlier version, or a directory holding one');
}
/** A number of seconds, or auto (undefined); the error says both. */
function parseTimeout(value) {
    const seconds = Number(value);
    if (/^\d+$/.test(value) && seconds >= 30 && seconds <= 86_400)
        return seconds;
    throw invalid(Input.BootTimeout, value, 'auto or a whole number of seconds from 30 to 86400');
}
/**
 * The guest watches for late failures within the timeout, after it booted: a watch that fills the
 * timeout cannot work. `auto` is at most the software-emulation timeout.
 */
function checkWatchFitsTimeout(watchSeconds, timeoutSeconds) {
    const longest = timeoutSeconds ?? defaultTimeoutSeconds('tcg');
    if (watchSeconds < longest)
        return;
    const timeout = timeoutSeconds === undefined ? `auto: at most ${longest}` : `${longest}`;
    throw new ConfigurationError(`Input ${Input.BootWatch}: ${watchSeconds} seconds leaves no time to boot within ${Input.BootTimeout} (${timeout} seconds); give a ${Input.BootWatch} shorter than ${Input.BootTimeout}.`);
}
/** `cwd` resolves a boot-test path (the repository's checkout in a workflow). */
function parseBootOptions(inputs, cwd = process.cwd()) {
    const options = parseEach(inputs, cwd);
    checkWatchFitsTimeout(options.watchSeconds, options.timeoutSeconds);
    // A timeout given in seconds is shared out now, so one too short is refused before the build (with
    // room for one test: a directory's tests are counted when they are loaded, at boot); auto's share
    // depends on the accelerator, known at boot.
    if (options.timeoutSeconds !== undefined) {
        const testSeconds = options.test.kind === 'none' ? 0 : options.testTimeoutSeconds;
        settleBySeconds(options.timeoutSeconds, options.watchSeconds, testSeconds);
    }
    return options;
}
function parseEach(inputs, cwd) {
    const { value, raw } = inputs;
    const timeout = value(Input.BootTimeout);
    return {
        enabled: parseTristate(Input.Boot, value(Input.Boot)),
        timeoutSeconds: timeout === 'auto' ? undefined : parseTimeout(timeout),
        transport: parseChoice(Input.BootTransport, value(Input.BootTransport), [
            'auto',
            'vsock',
            'serial',
        ]),
        kvm: parseTristate(Input.Kvm, value(Input.Kvm)),
        memoryMiB: optional(value(Input.BootRam), (v) => parseInteger(Input.BootRam, v, 256, 1_048_576, 'MiB')),
        cpus: optional(value(Input.BootCpus), (v) => parseInteger(Input.BootCpus, v, 1, 256, 'CPUs')),
        firmware: parseChoice(Input.BootFirmware, value(Input.BootFirmware), FIRMWARE_CHOICES),
        allowFailed: parseAllowFailed(raw(Input.BootAllowFailed)),
        watchSeconds: parseInteger(Input.BootWatch, value(Input.BootWatch), 0, 3_600, 'seconds'),
        test: parseBootTestSource(raw(Input.BootTest), cwd),
        testTimeoutSeconds: parseInteger(Input.BootTestTimeout, value(Input.BootTestTimeout), 1, 86_400, 'seconds'),
        updateFrom: optional(value(Input.UpdateFrom), (v) => existingPath(v, cwd)),
    };
}

;// CONCATENATED MODULE: ./src/cache/options.ts


function parseCacheOptions({ value }) {
    const all = parseBoolean(Input.Cache, value(Input.Cache));
    const suffix = value(Input.CacheKeySuffix).trim();
    if (suffix !== '' && !/^[A-Za-z0-9._-]{1,64}$/.test(suffix)) {
        throw invalid(Input.CacheKeySuffix, suffix, 'up to 64 letters, digits, ".", "_" and "-"');
    }
    return {
        enabled: {
            packages: all && parseBoolean(Input.CachePackages, value(Input.CachePackages)),
            incremental: all && parseBoolean(Input.CacheIncremental, value(Input.CacheIncremental)),
            'tools-tree': all && parseBoolean(Input.CacheToolsTree, value(Input.CacheToolsTree)),
        },
        keySuffix: suffix,
        maxAgeDays: parseInteger(Input.CacheMaxAge, value(Input.CacheMaxAge), 0, 3_650, 'days'),
    };
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
/**
 * The name under which a verified tarball is kept in the tool cache: the exact ref and the checksum
 * (v27~rc1 and v27 are different entries, and so are two tarballs of one tag). Tool caches want
 * semver versions: 27.1.0-sha256-<hex>, 27.0.0-rc1.sha256-<hex>, 0.0.0-g<commit>.sha256-<hex>.
 */
function toolCacheVersion(version, sha256) {
    if (isCommit(version))
        return `0.0.0-g${version}.sha256-${sha256}`;
    const [main = '', tilde] = normalizeVersion(version).split('~');
    const parts = main.split('.');
    while (parts.length < 3)
        parts.push('0');
    // Dotted versions beyond three numbers keep the rest as a pre-release identifier, so none is lost.
    const extra = parts.length > 3 ? [`n${parts.slice(3).join('-')}`] : [];
    const pre = [...extra, ...(tilde ? [`t${tilde}`] : []), `sha256-${sha256}`];
    return `${parts.slice(0, 3).map(Number).join('.')}-${pre.join('.')}`;
}
/**
 * Refuses a release source that cannot be verified: mkosi-ci runs what it downloads (as root in CI),
 * so plain HTTP needs a checksum to check it against, and a tag (which can be moved to other content)
 * needs one too; a full commit hash over HTTPS is taken as naming its content. Pure: the input parser
 * calls it, and the download checks again.
 */
function checkReleaseSource(url, version, sha256) {
    const pinned = expectedSha256(version, sha256) !== undefined;
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
    if (scheme !== 'https' && !(scheme === 'http' && pinned)) {
        throw new ConfigurationError(scheme === 'http'
            ? `Input mkosi-release-url: ${url} is plain HTTP, which anyone on the way can change; use https:// or give the tarball's sha256 in mkosi-sha256.`
            : `Input mkosi-release-url: '${url}' is not valid; expected an https:// URL containing {ref} (or http:// with mkosi-sha256).`);
    }
    if (!pinned && !isCommit(version)) {
        throw new ConfigurationError(`Input mkosi-sha256: mkosi-version ${version} is a tag, which can be moved to other content, and mkosi-ci knows no checksum for it; give the sha256 of ${releaseUrl(url, version)} in mkosi-sha256, or use a full commit hash as mkosi-version.`);
    }
}

;// CONCATENATED MODULE: ./src/mkosi/options.ts





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
    const profiles = splitList(value);
    for (const profile of profiles) {
        if (!/^[A-Za-z0-9_.-]+$/.test(profile)) {
            throw invalid(Input.Profiles, profile, 'profile names of letters, digits, ".", "_" and "-"');
        }
    }
    return profiles;
}
/**
 * Options that would have mkosi work on another project than the one mkosi-ci resolved, or do something
 * else than configure it, with what to do instead.
 */
const REFUSED_ARGS = [
    {
        matches: (arg) => /^(--directory(=|$)|-C)/.test(arg),
        instead: `the project is the ${Input.Directory} input`,
    },
    { matches: (arg) => arg === '--', instead: 'the verb and its arguments are chosen by mkosi-ci' },
    {
        matches: (arg) => ['-h', '--help', '--version'].includes(arg),
        instead: 'mkosi-ci runs mkosi to build; run mkosi itself for its help or version',
    },
];
function parseArgs(value) {
    const args = splitLines(value);
    for (const arg of args) {
        if (!arg.startsWith('-')) {
            throw invalid(Input.Args, arg, 'mkosi options starting with - (one per line, e.g. --image-version=1.2); the verb is chosen by mkosi-ci');
        }
        const refused = REFUSED_ARGS.find((r) => r.matches(arg));
        if (refused) {
            throw new ConfigurationError(`Input ${Input.Args}: '${arg}' is not taken here: ${refused.instead}.`);
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
function parseMkosiOptions(inputs, cwd) {
    const { value, raw } = inputs;
    const options = {
        directory: external_node_path_default().resolve(cwd, value(Input.Directory)),
        mkosiVersion: parseMkosiVersion(value(Input.MkosiVersion)),
        mkosiSource: parseMkosiSource(value(Input.MkosiSource), cwd),
        mkosiReleaseUrl: parseReleaseUrl(value(Input.MkosiReleaseUrl)),
        mkosiSha256: parseSha256(raw(Input.MkosiSha256)),
        prepareHost: parseTristate(Input.PrepareHost, value(Input.PrepareHost)),
        profiles: parseProfiles(raw(Input.Profiles)),
        environment: parseEnvironment(raw(Input.Environment)),
        args: parseArgs(raw(Input.Args)),
        mirror: parseMirror(raw(Input.Mirror)),
        toolsTree: parseToolsTree(value(Input.ToolsTree), cwd),
        force: parseForce(value(Input.Force)),
    };
    // A release is run as the job's user: where it comes from and what it must hash to are judged now.
    // (auto takes a release only when PATH has no pinned mkosi; the download checks again then.)
    if (options.mkosiSource.kind === 'release') {
        checkReleaseSource(options.mkosiReleaseUrl, options.mkosiVersion, options.mkosiSha256);
    }
    return options;
}

;// CONCATENATED MODULE: ./src/publish/artifact-name.ts


const FIELD_NAMES = [
    'image',
    'version',
    'distribution',
    'release',
    'architecture',
    'profiles',
];
/** Characters the artifact service refuses in names. */
const FORBIDDEN = /[":<>|*?\r\n\\/]/g;
const FIELD_LIST = FIELD_NAMES.map((f) => `{${f}}`).join(', ');
/** Refuses a template that names a field there is none of, or has a stray brace, before anything is built. */
function checkArtifactNameFields(template) {
    for (const [, field] of template.matchAll(/\{([^{}]*)\}/g)) {
        if (!FIELD_NAMES.includes(field)) {
            throw new ConfigurationError(`Input ${Input.ArtifactName}: unknown field {${field}}; valid: ${FIELD_LIST}.`);
        }
    }
    const stray = /[{}]/.exec(template.replace(/\{[^{}]*\}/g, ''))?.[0];
    if (stray) {
        const [has, lacks] = stray === '{' ? ['{', '}'] : ['}', '{'];
        throw new ConfigurationError(`Input ${Input.ArtifactName}: '${template}' has a ${has} without its ${lacks}; fields are written ${FIELD_LIST}.`);
    }
}
/**
 * Fills `{field}`s in. A field that is empty also takes the separator before it with it, so
 * `{image}-{version}` gives `image` rather than `image-` for an image without a version.
 */
function renderArtifactName(template, fields) {
    checkArtifactNameFields(template);
    const name = template.replace(/([-_.]?)\{([^{}]*)\}/g, (_, separator, field) => {
        const value = fields[field].replace(FORBIDDEN, '-');
        return value === '' ? '' : separator + value;
    });
    if (name.trim() === '') {
        throw new ConfigurationError(`Input ${Input.ArtifactName}: '${template}' gives an empty name for this image; add text or a field that is set, such as {image}.`);
    }
    return name.trim();
}
/** The fields of an artifact name, from the main image's configuration and the profiles of the run. */
function artifactNameFields(config, profiles) {
    const main = config.main;
    return {
        image: main.imageId ?? main.output,
        version: main.imageVersion ?? '',
        distribution: main.distribution,
        release: main.release,
        architecture: main.architecture,
        profiles: profiles.join('+'),
    };
}

;// CONCATENATED MODULE: ./src/publish/options.ts




function parseRelease(value) {
    const release = value.trim();
    if (release === '' || release === 'false' || release === 'no')
        return { kind: 'none' };
    if (release === 'true' || release === 'yes')
        return { kind: 'current-tag' };
    // git check-ref-format's rules, as far as a tag name given in a workflow can break them.
    if (/^[^\s~^:?*[\\]+$/.test(release) &&
        !release.startsWith('-') &&
        !release.startsWith('/') &&
        !release.endsWith('/') &&
        !release.endsWith('.') &&
        !release.endsWith('.lock') &&
        !release.includes('..') &&
        !release.includes('@{') &&
        !release.includes('//')) {
        return { kind: 'tag', tag: release.replace(/^refs\/tags\//, '') };
    }
    throw invalid(Input.Release, release, 'false, true (the tag the workflow runs for) or a tag name such as v1.2');
}
function parseArtifactName(value) {
    const name = value.trim();
    // What the artifact service refuses in a name; the template's {fields} are checked again once filled.
    if (/[":<>|*?\r\n\\/]/.test(name)) {
        throw invalid(Input.ArtifactName, name, 'a name without " : < > | * ? \\ / or line breaks');
    }
    checkArtifactNameFields(name);
    return name;
}
/**
 * A passphrase without its key is a key that went missing (a misnamed or unset secret): refused, rather
 * than publishing unsigned outputs.
 */
function signingSecrets(raw) {
    const signKey = secret(raw(Input.SignKey).trim());
    // A passphrase may legitimately start or end with spaces: taken as given.
    const signPassphrase = secret(raw(Input.SignPassphrase));
    if (signPassphrase !== undefined && signKey === undefined) {
        throw new ConfigurationError(`Input ${Input.SignPassphrase}: given without ${Input.SignKey}; give the key too (the CLI reads it from --sign-key-file) or leave the passphrase out.`);
    }
    return { signKey, signPassphrase };
}
function parsePublishOptions({ value, raw }) {
    const retention = raw(Input.RetentionDays).trim();
    return {
        ...signingSecrets(raw),
        upload: parseTristate(Input.Upload, value(Input.Upload)),
        artifactName: parseArtifactName(value(Input.ArtifactName)),
        retentionDays: retention === '' ? undefined : parseInteger(Input.RetentionDays, retention, 1, 90, 'days'),
        release: parseRelease(raw(Input.Release)),
    };
}

;// CONCATENATED MODULE: ./src/repro/variations.ts
/**
 * What differs between the two builds of a reproducibility check, after reprotest's variations: each
 * one turns into the second build's process environment, extra mkosi options or a wrapper around
 * mkosi. Pure: the pipeline runs what this describes.
 */
const VARIATIONS = ['build-path', 'time', 'timezone', 'locale', 'umask', 'hostname'];
/** Far from UTC on both sides, so a date written in local time changes its day. */
const VARIED_TIMEZONE = 'Pacific/Kiritimati';
const VARIED_LOCALE = 'fr_CH.UTF-8';
/** Group-writable files instead of the usual 022: catches modes taken from the umask. */
const VARIED_UMASK = '0002';
const VARIED_HOSTNAME = 'mkosi-ci-repro-b';
/**
 * The second build's variations. The build path is varied by the caller (a copy of the project at
 * another path); mkosi itself resets LANG and LC_* for every tool it runs, so the locale reaches mkosi
 * but not the package manager or scripts.
 */
function variedBuild(variations, host) {
    const build = { env: {}, mkosiArgs: [], wrapper: [], applied: [], skipped: [] };
    const shell = [];
    const has = (v) => variations.includes(v);
    if (has('build-path'))
        build.applied.push('build path: a fresh copy of the project at another path');
    if (has('time')) {
        // Faking the clock (libfaketime) does not reach into mkosi's sandboxes; the second build simply
        // runs later, so anything that records the time differs.
        build.applied.push('time: the second build runs later (the clock is not faked)');
    }
    if (has('timezone')) {
        build.env.TZ = VARIED_TIMEZONE;
        build.mkosiArgs.push(`--environment=TZ=${VARIED_TIMEZONE}`);
        build.applied.push(`timezone: TZ=${VARIED_TIMEZONE} (mkosi and build scripts)`);
    }
    if (has('locale')) {
        build.env.LANG = VARIED_LOCALE;
        build.env.LC_ALL = VARIED_LOCALE;
        build.applied.push(`locale: LANG=LC_ALL=${VARIED_LOCALE} (mkosi only: it runs every tool with LANG=C.UTF-8)`);
    }
    if (has('umask')) {
        shell.push(`umask ${VARIED_UMASK}`);
        build.applied.push(`umask: ${VARIED_UMASK}`);
    }
    let unshare = [];
    if (has('hostname')) {
        if (host.root) {
            unshare = ['unshare', '--uts'];
            shell.push(`hostname ${VARIED_HOSTNAME}`);
            build.env.HOSTNAME = VARIED_HOSTNAME;
            build.applied.push(`hostname: ${VARIED_HOSTNAME} (a UTS namespace of its own)`);
        }
        else {
            build.skipped.push('hostname: needs root for a UTS namespace of its own');
        }
    }
    if (shell.length > 0) {
        build.wrapper = [...unshare, 'sh', '-c', `${shell.join('; ')}; exec "$@"`, 'sh'];
    }
    return build;
}

;// CONCATENATED MODULE: ./src/repro/options.ts




function parseReproMode(value) {
    switch (value) {
        case 'false':
        case 'no':
            return 'no';
        case 'check':
        case 'true':
        case 'yes':
            return 'check';
        case 'warn':
            return 'warn';
    }
    throw invalid(Input.Reproducible, value, 'false, check or warn');
}
function parseVariations(value) {
    const names = splitList(value);
    if (names.length === 1 && names[0] === 'none')
        return [];
    if (names.includes('none')) {
        throw new ConfigurationError(`Input ${Input.ReproducibleVariations}: none cannot be combined with variations; give none alone or some of ${VARIATIONS.join(', ')}.`);
    }
    for (const name of names) {
        if (!VARIATIONS.includes(name)) {
            throw invalid(Input.ReproducibleVariations, name, `none or some of ${VARIATIONS.join(', ')}`);
        }
    }
    return [...new Set(names)];
}
const SIZE_UNITS = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
function parseReportSize(value) {
    const match = /^(\d+)\s*([KMG]?)i?B?$/i.exec(value.trim());
    const bytes = match ? Number(match[1]) * SIZE_UNITS[match[2].toUpperCase()] : NaN;
    if (Number.isSafeInteger(bytes) && bytes >= 1024)
        return bytes;
    throw invalid(Input.DiffMaxReportSize, value, 'a size of at least 1K, in bytes or with K, M or G (20M)');
}
function parseReproOptions({ value }) {
    return {
        mode: parseReproMode(value(Input.Reproducible)),
        variations: parseVariations(value(Input.ReproducibleVariations)),
        maxFiles: parseInteger(Input.DiffMaxFiles, value(Input.DiffMaxFiles), 1, 100_000, 'files'),
        maxReportSize: parseReportSize(value(Input.DiffMaxReportSize)),
        diffoscope: parseTristate(Input.Diffoscope, value(Input.Diffoscope)),
    };
}

;// CONCATENATED MODULE: ./src/pipeline/options.ts






/** Validates every input and returns the typed options; `cwd` resolves relative paths. */
function parseOptions(raw, cwd) {
    const inputs = inputReader(raw);
    return {
        ...parseMkosiOptions(inputs, cwd),
        boot: parseBootOptions(inputs, cwd),
        publish: parsePublishOptions(inputs),
        repro: parseReproOptions(inputs),
        cache: parseCacheOptions(inputs),
    };
}

;// CONCATENATED MODULE: ./src/process/owned-directory.ts



/** The file that marks a directory as mkosi-ci's own, so that a later run may empty it. */
const OWNER_MARKER = '.mkosi-ci-owned';
/**
 * An empty directory at `dir` for this run: made now, or emptied when an earlier run of mkosi-ci made
 * it (it holds the marker). The work directory is the user's choice (`--work-dir=$HOME`), so a
 * directory there that mkosi-ci did not make is never removed: that is a ConfigurationError naming it.
 * A symlink in its place is not followed.
 */
async function claimDirectory(dir) {
    const info = await (0,promises_namespaceObject.lstat)(dir).catch(() => undefined);
    if (info) {
        const marked = info.isDirectory() && (await (0,promises_namespaceObject.lstat)(external_node_path_default().join(dir, OWNER_MARKER)).catch(() => undefined));
        if (!marked) {
            throw new ConfigurationError(`${dir} exists and was not made by mkosi-ci, so it is not removed to make room for this run: choose another work directory (--work-dir) or remove it yourself.`, { file: dir });
        }
        await (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true });
    }
    await (0,promises_namespaceObject.mkdir)(dir, { recursive: true });
    await (0,promises_namespaceObject.writeFile)(external_node_path_default().join(dir, OWNER_MARKER), 'made by mkosi-ci; removed by its next run\n', {
        flag: 'wx',
    });
    return dir;
}

;// CONCATENATED MODULE: ./src/boot/qemu-args.ts
/** qemu's option parser splits on commas: a comma in a value is written twice. */
function qemuEscape(value) {
    return value.replace(/,/g, ',,');
}
function firmwareArgs(firmware) {
    const pflash = (uefi) => [
        '-drive',
        `if=pflash,format=raw,unit=0,readonly=on,file=${qemuEscape(uefi.code)}`,
        '-drive',
        `if=pflash,format=raw,unit=1,file=${qemuEscape(uefi.vars)}`,
    ];
    switch (firmware.kind) {
        case 'uefi':
            return pflash(firmware);
        case 'bios':
            return [];
        case 'linux': {
            const args = firmware.uefi ? pflash(firmware.uefi) : [];
            args.push('-kernel', firmware.kernel);
            if (firmware.initrd)
                args.push('-initrd', firmware.initrd);
            if (firmware.cmdline)
                args.push('-append', firmware.cmdline);
            return args;
        }
    }
}
function diskArgs(image, writes) {
    // vvfat without `rw:` is read-only by itself: nothing reaches the directory.
    const drive = image.format === 'vvfat'
        ? `format=raw,file=fat:ro:${qemuEscape(image.path)},readonly=on`
        : `format=${image.format},file=${qemuEscape(image.path)}${writes === 'snapshot' ? ',snapshot=on' : ''}`;
    return ['-drive', `if=none,id=disk,${drive}`, '-device', 'virtio-blk-pci,drive=disk,bootindex=1'];
}
function qemuArgs(options) {
    const args = [];
    for (const dir of options.dataDirs ?? [])
        args.push('-L', dir);
    args.push('-machine', 'q35', '-accel', options.accel, 
    // "max" gives TCG every feature it emulates (x86-64-v2+ for trixie userspace); "host" under KVM.
    '-cpu', options.cpuModel ?? (options.accel === 'kvm' ? 'host' : 'max'), '-smp', String(options.cpus), '-m', `${options.memoryMiB}M`, 
    // Nothing we did not ask for: no VGA (its option ROM slows OVMF), no default serial or monitor.
    '-nodefaults', '-no-user-config', '-display', 'none', 
    // A guest reboot (panic=-1, a crash, a failed switch-root) ends qemu instead of booting again.
    '-no-reboot', '-device', 'virtio-rng-pci', 
    // A user-mode network card, as `mkosi vm` gives the guest: an image that waits for the network
    // (systemd-networkd-wait-online, NetworkManager-wait-online) behaves as on a real machine.
    '-nic', 'user,model=virtio-net-pci');
    if (options.vhostUserVsock) {
        // vhost-user needs guest memory the daemon can map: a shared memfd backend of the same size.
        args.push('-object', `memory-backend-memfd,id=mem,size=${options.memoryMiB}M,share=on`, '-machine', 'memory-backend=mem', '-chardev', `socket,id=vsock,path=${qemuEscape(options.vhostUserVsock.socket)}`, '-device', 'vhost-user-vsock-pci,chardev=vsock');
    }
    args.push(...firmwareArgs(options.firmware));
    if (options.image)
        args.push(...diskArgs(options.image, options.imageWrites));
    // ttyS0 is the console, ttyS1 (second -serial) the report channel when it is a UART.
    args.push('-chardev', `file,id=console,path=${qemuEscape(options.consoleLog)}`, '-serial', 'chardev:console');
    const report = options.report;
    args.push('-chardev', `file,id=report,path=${qemuEscape(report.file)}`);
    if (report.kind === 'serial') {
        args.push('-serial', 'chardev:report');
    }
    else {
        args.push('-device', 'virtio-serial-pci', '-device', `virtserialport,chardev=report,name=${report.name}`);
    }
    args.push(...options.smbios, ...(options.extra ?? []));
    return args;
}
function hostQemu(binary = 'qemu-system-x86_64') {
    return { command: binary, prefix: [], dataDirs: [] };
}
function toolsTreeQemu(tree) {
    const at = (p) => `${tree.replace(/\/+$/, '')}/${p}`;
    return {
        command: at('usr/lib64/ld-linux-x86-64.so.2'),
        prefix: [
            '--library-path',
            [at('usr/lib/x86_64-linux-gnu'), at('usr/lib')].join(':'),
            at('usr/bin/qemu-system-x86_64'),
        ],
        dataDirs: [at('usr/share/qemu'), at('usr/share/seabios')],
    };
}

;// CONCATENATED MODULE: ./src/boot/kvm-probe.ts





const DEFAULT_PROBE_TIMEOUT_MS = 8_000;
/**
 * What OVMF prints when it hands over to a boot option: its firmware phases (where this KVM fails) ran.
 * The probe has no disk and the check's network card, so the first option is a network boot (">>Start
 * PXE over IPv4."); without the card it is the EFI shell ("BdsDxe: starting Boot0001"). The probe then
 * ends instead of running to its timeout: with this OVMF under TCG (a stand-in for a KVM that works,
 * which is faster) after 2.3 s instead of 8.1 s. A firmware that prints neither (SeaBIOS, another
 * OVMF) is probed for the whole timeout.
 */
const FIRMWARE_BOOTED = /BdsDxe: starting |>>Start PXE over IPv[46]/;
/** After the firmware got there, how much longer qemu runs, so that a KVM failure just after shows. */
const PROBE_GRACE_MS = 500;
const PROBE_POLL_MS = 100;
/** qemu's messages that mean KVM can't run this guest. */
const KVM_FAILURES = [
    /KVM internal error/,
    /emulation failure/,
    /failed to initialize kvm/i,
    /Could not access KVM kernel module/,
    /KVM is not supported/i,
    /kvm_init_vcpu failed/,
    /KVM: entry failed/,
];
function probeQemuArgs(options) {
    const firmware = options.firmware.kind === 'linux'
        ? // No initrd and no root: the kernel panics at once, and panic=-1 turns that into an exit.
            { ...options.firmware, initrd: undefined, cmdline: 'console=ttyS0 panic=-1 loglevel=4' }
        : options.firmware;
    return qemuArgs({
        dataDirs: options.qemu.dataDirs,
        accel: 'kvm',
        cpuModel: options.cpuModel,
        memoryMiB: 512,
        cpus: 1,
        firmware,
        imageWrites: 'snapshot',
        consoleLog: external_node_path_default().join(options.workDir, 'console.log'),
        report: { kind: 'serial', file: external_node_path_default().join(options.workDir, 'report.log') },
        smbios: [],
    });
}
/**
 * The verdict on one probe run. KVM is usable when qemu reported none of KVM's failures and the guest
 * showed a sign of life on the console (a stopped guest prints nothing).
 */
function classifyProbe(run) {
    const failure = run.stderr.split('\n').find((line) => KVM_FAILURES.some((p) => p.test(line)));
    if (failure)
        return { usable: false, reason: failure.trim() };
    if (!run.timedOut && run.exitCode !== 0) {
        const last = run.stderr.trim().split('\n').at(-1) ?? '';
        return { usable: false, reason: `qemu exited with status ${run.exitCode}${last ? `: ${last}` : ''}` };
    }
    if (run.consoleLog.trim() === '')
        return { usable: false, reason: 'the probe guest printed nothing under KVM' };
    return {
        usable: true,
        detail: run.timedOut ? 'the firmware ran under KVM' : 'the kernel ran under KVM and exited',
    };
}
async function probeKvm(ctx, options) {
    const device = options.device ?? '/dev/kvm';
    try {
        await (0,promises_namespaceObject.access)(device, promises_namespaceObject.constants.R_OK | promises_namespaceObject.constants.W_OK);
    }
    catch {
        return { usable: false, reason: `${device} is missing or not accessible` };
    }
    await claimDirectory(options.workDir);
    const consoleFile = external_node_path_default().join(options.workDir, 'console.log');
    const seenEnough = new AbortController();
    const running = { done: false };
    const watching = endOnceBooted(consoleFile, seenEnough, running);
    const result = await ctx.runner.run(options.qemu.command, [...options.qemu.prefix, ...probeQemuArgs(options)], {
        stream: false,
        timeoutMs: options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
        until: seenEnough.signal,
    });
    running.done = true;
    await watching;
    const consoleLog = await (0,promises_namespaceObject.readFile)(consoleFile, 'utf8').catch(() => '');
    // Ended by the probe after the firmware booted: as good as the timeout, and sooner.
    const verdict = classifyProbe({
        ...result,
        timedOut: result.timedOut || seenEnough.signal.aborted,
        consoleLog,
    });
    ctx.log.debug(`KVM probe: ${verdict.usable ? verdict.detail : verdict.reason}`);
    return verdict;
}
/** Aborts `seenEnough` a grace after the console shows the firmware booted; returns once qemu is done. */
async function endOnceBooted(consoleFile, seenEnough, running) {
    while (!running.done) {
        await (0,external_node_timers_promises_namespaceObject.setTimeout)(PROBE_POLL_MS);
        const text = await (0,promises_namespaceObject.readFile)(consoleFile, 'latin1').catch(() => '');
        if (FIRMWARE_BOOTED.test(text)) {
            await (0,external_node_timers_promises_namespaceObject.setTimeout)(PROBE_GRACE_MS);
            if (!running.done)
                seenEnough.abort();
            return;
        }
    }
}

;// CONCATENATED MODULE: ./src/boot/cpu-model.ts


const HYPER_V_CPU_MODEL = 'max,pcid=off';
/** Under TCG: every feature TCG emulates. */
const TCG_CPU = { model: 'max' };
/** Whether the host is a virtual machine of Microsoft's hypervisor. */
function underHyperV(facts) {
    const flags = facts.cpuinfo.split('\n').filter((line) => /^flags\s*:/.test(line));
    const guest = flags.some((line) => line.split(/\s/).includes('hypervisor'));
    return guest && (facts.vmbus || facts.sysVendor.trim() === 'Microsoft Corporation');
}
function chooseCpuModel(accel, facts) {
    if (accel === 'tcg')
        return TCG_CPU;
    if (facts.machine === 'x86_64' && underHyperV(facts)) {
        return {
            model: HYPER_V_CPU_MODEL,
            reason: `KVM inside Hyper-V: -cpu ${HYPER_V_CPU_MODEL}, as mkosi's CI uses there (guests crash with PCID)`,
        };
    }
    return { model: 'host' };
}
/** The facts from a root directory (`/`, or a fake tree in tests). */
async function readHostFacts(machine, root = '/') {
    const read = (file) => (0,promises_namespaceObject.readFile)(external_node_path_default().join(root, file), 'utf8').catch(() => '');
    return {
        machine,
        cpuinfo: await read('proc/cpuinfo'),
        sysVendor: await read('sys/class/dmi/id/sys_vendor'),
        vmbus: await (0,promises_namespaceObject.access)(external_node_path_default().join(root, 'sys/bus/vmbus')).then(() => true, () => false),
    };
}

;// CONCATENATED MODULE: ./src/boot/accelerator.ts






/**
 * KVM when asked for, or (auto) when a probe with the firmware of the check really runs under it; the
 * probe uses the CPU model the check would (under Hyper-V, `host` is what crashes).
 */
async function chooseAccel(ctx, kvm, emulator, firmware, workDir) {
    if (kvm === 'no')
        return { accel: 'tcg', reason: 'kvm: no', cpu: TCG_CPU };
    const cpu = chooseCpuModel('kvm', await readHostFacts(external_node_os_default().machine()));
    if (cpu.reason)
        ctx.log.info(cpu.reason);
    if (kvm === 'yes')
        return { accel: 'kvm', reason: 'kvm: yes', cpu };
    const ovmf = uefiOf(firmware);
    const vars = external_node_path_default().join(workDir, 'kvm-probe-vars.fd');
    await (0,promises_namespaceObject.mkdir)(workDir, { recursive: true });
    if (ovmf)
        await (0,promises_namespaceObject.copyFile)(ovmf.vars, vars);
    const probe = await probeKvm(ctx, {
        qemu: emulator.qemu,
        firmware: ovmf ? { kind: 'uefi', code: ovmf.code, vars } : { kind: 'bios' },
        cpuModel: cpu.model,
        workDir: external_node_path_default().join(workDir, 'kvm-probe'),
    });
    if (probe.usable)
        return { accel: 'kvm', reason: probe.detail, cpu };
    ctx.log.warning(`KVM is not usable (${probe.reason}); booting with software emulation (TCG), which is slower.`);
    return { accel: 'tcg', reason: probe.reason, cpu: TCG_CPU };
}

;// CONCATENATED MODULE: ./src/boot/emulator.ts






/** The tools tree's qemu when it has one, else the host's, else undefined. */
async function findEmulator(toolsTree, which) {
    const inTree = toolsTree &&
        (await (0,promises_namespaceObject.access)(external_node_path_default().join(toolsTree, 'usr/bin/qemu-system-x86_64')).then(() => true, () => false));
    if (toolsTree && inTree) {
        return {
            qemu: toolsTreeQemu(toolsTree),
            ovmf: await findOvmf(toolsTree),
            origin: `tools tree ${toolsTree}`,
        };
    }
    const host = await which('qemu-system-x86_64');
    if (host)
        return { qemu: hostQemu(host), ovmf: await findOvmf('/'), origin: host };
    return undefined;
}
function noEmulatorError() {
    return new ConfigurationError(`Input ${Input.Boot}: no qemu-system-x86_64 in the tools tree or on PATH; add qemu-system-x86 to the tools tree (ToolsTreePackages=) or the host, or set boot: false.`);
}

;// CONCATENATED MODULE: ./src/boot/machine-size.ts
/** mkosi's own defaults, for a summary that lacks the fields (older mkosi). */
const MKOSI_DEFAULT_MEMORY_MIB = 2048;
const MKOSI_DEFAULT_CPUS = 1;
function machineSize(options, image) {
    const configMiB = image.ram === undefined ? undefined : Math.ceil(image.ram / (1024 * 1024));
    const memory = options.memoryMiB !== undefined
        ? { memoryMiB: options.memoryMiB, memorySource: 'boot-ram' }
        : configMiB !== undefined
            ? { memoryMiB: configMiB, memorySource: 'RAM=' }
            : { memoryMiB: MKOSI_DEFAULT_MEMORY_MIB, memorySource: 'default' };
    const cpus = options.cpus !== undefined
        ? { cpus: options.cpus, cpusSource: 'boot-cpus' }
        : image.cpus !== undefined
            ? { cpus: image.cpus, cpusSource: 'CPUs=' }
            : { cpus: MKOSI_DEFAULT_CPUS, cpusSource: 'default' };
    return { ...memory, ...cpus };
}
const SOURCES = {
    'boot-ram': 'boot-ram',
    'boot-cpus': 'boot-cpus',
    'RAM=': "mkosi's RAM=",
    'CPUs=': "mkosi's CPUs=",
    default: "mkosi's default",
};
/** "2048 MiB (mkosi's RAM=), 1 CPU (boot-cpus)". */
function describeMachineSize(size) {
    const cpus = `${size.cpus} CPU${size.cpus === 1 ? '' : 's'}`;
    return `${size.memoryMiB} MiB (${SOURCES[size.memorySource]}), ${cpus} (${SOURCES[size.cpusSource]})`;
}

;// CONCATENATED MODULE: ./src/boot/config-credentials.ts


/**
 * mkosi's [Runtime] Credentials=, resolved as `mkosi vm` resolves them: a value as it stands, a file
 * read, an executable file run (its standard output is the value). They reach the guest as SMBIOS
 * credentials next to the check's own, which keep their names (the project's come first).
 */
const CREDENTIALS_SETTING = "Credentials= (mkosi's [Runtime])";
/** What systemd takes as a credential name and what the SMBIOS string can carry unquoted. */
const CREDENTIAL_NAME = /^[A-Za-z0-9][A-Za-z0-9._~-]*$/;
/** Names the check sets itself: a project's value would be silently shadowed or break the check. */
const RESERVED = /^(mkosi-ci\.|vmm\.notify_socket$|systemd\.extra-unit\.mkosi-ci|systemd\.unit-dropin\.multi-user\.target~mkosi-ci)/;
function config_credentials_checkName(name) {
    if (!CREDENTIAL_NAME.test(name) || name.length > 255) {
        throw new ConfigurationError(`${CREDENTIALS_SETTING}: ${JSON.stringify(name)} is not a credential name the boot check can pass; a name starts with a letter or digit and holds only letters, digits, '.', '_', '~' and '-'.`);
    }
    if (RESERVED.test(name)) {
        throw new ConfigurationError(`${CREDENTIALS_SETTING}: ${name} is a credential the boot check sets itself; give it another name.`);
    }
}
/** Refuses, before the build, a Credentials= name the boot could not pass. */
function checkCredentialNames(entries) {
    for (const entry of entries)
        config_credentials_checkName(entry.name);
}
async function isExecutable(file) {
    return (0,promises_namespaceObject.access)(file, promises_namespaceObject.constants.X_OK).then(() => true, () => false);
}
async function fileValue(name, file, runner) {
    if (!(await isExecutable(file))) {
        return (0,promises_namespaceObject.readFile)(file, 'utf8').catch((error) => {
            throw new ConfigurationError(`${CREDENTIALS_SETTING}: ${name}: cannot read ${file} (${error.message}).`);
        });
    }
    const run = await runner.run(file, [], { stream: false });
    if (run.exitCode !== 0) {
        throw new ConfigurationError(`${CREDENTIALS_SETTING}: ${name}: ${file} is executable, so mkosi runs it for the value, and it exited with ${run.exitCode}: ${run.stderr.trim().slice(-500)}`);
    }
    return run.stdout;
}
async function configCredentials(entries, runner) {
    const credentials = [];
    for (const entry of entries) {
        config_credentials_checkName(entry.name);
        const value = entry.path !== undefined ? await fileValue(entry.name, entry.path, runner) : (entry.value ?? '');
        credentials.push({ name: entry.name, value });
    }
    return credentials;
}

;// CONCATENATED MODULE: ./src/boot/runtime-firmware.ts



const FIRMWARE_SETTING = "Firmware= (mkosi's [Runtime])";
const FIRMWARE_VARIABLES_SETTING = "FirmwareVariables= (mkosi's [Runtime])";
/** How error messages name whoever chose the firmware. */
function firmwareSettingName(source) {
    return source === 'Firmware=' ? FIRMWARE_SETTING : FIRMWARE_INPUT;
}
/** The values of mkosi's Firmware= the check boots with, mapped onto its own choices. */
const SUPPORTED = {
    auto: 'auto',
    uefi: 'uefi',
    linux: 'linux',
    // Older mkosi had a bios value; the check boots SeaBIOS the same way.
    bios: 'bios',
};
/** The input wins unless it is auto; then mkosi's Firmware= (itself auto unless the project set it). */
function firmwareSetting(input, mkosiFirmware) {
    if (input !== 'auto')
        return { choice: input, source: 'boot-firmware' };
    const value = mkosiFirmware === '' ? 'auto' : mkosiFirmware;
    const choice = SUPPORTED[value];
    if (choice === undefined) {
        const why = value === 'uefi-secure-boot'
            ? 'the check boots OVMF without Secure Boot'
            : value === 'linux-noinitrd'
                ? 'the check boots a UKI directly with its own initrd'
                : 'mkosi-ci does not know this value';
        throw new ConfigurationError(`${FIRMWARE_SETTING}: ${value} is not one the boot check can use (${why}); valid: ${FIRMWARE_CHOICES.join(', ')}. Set Firmware= to one of them, or give the boot-firmware input, which takes precedence.`);
    }
    return { choice, source: choice === 'auto' ? 'default' : 'Firmware=' };
}
/** mkosi's values of FirmwareVariables= that name no file: each needs keys enrolled by virt-fw-vars. */
const SPECIAL_VARIABLES = ['microsoft', 'microsoft-mok', 'custom'];
/**
 * OVMF with the project's FirmwareVariables= as the template of its variable store. The run copies the
 * template into its own directory (run-boot.ts), so the project's file is never written to.
 */
async function withFirmwareVariables(ovmf, image) {
    const vars = image.firmwareVariables;
    if (vars === undefined || ovmf === undefined)
        return ovmf;
    if (SPECIAL_VARIABLES.includes(vars)) {
        throw new ConfigurationError(`${FIRMWARE_VARIABLES_SETTING}: ${vars} enrolls Secure Boot keys, which the boot check does not boot with; give the path of an OVMF variable store, or leave it unset for OVMF's own template.`);
    }
    const present = await (0,promises_namespaceObject.access)(vars).then(() => true, () => false);
    if (!present) {
        throw new ConfigurationError(`${FIRMWARE_VARIABLES_SETTING}: ${vars} does not exist; give the path of an OVMF variable store (raw), or leave it unset.`);
    }
    return { ...ovmf, varsTemplate: vars };
}

;// CONCATENATED MODULE: ./src/boot/swtpm.ts




/**
 * mkosi's [Runtime] TPM=, as `mkosi vm` uses it: a software TPM (swtpm) for the guest when the setting
 * is yes, or when it is auto and the boot goes through UEFI and swtpm is there. swtpm runs from the
 * host's PATH: a tools tree's swtpm is built against the tree's libc, and unlike qemu it starts a second
 * program of its own (swtpm_setup runs swtpm), which the tree's dynamic loader cannot be slipped under.
 */
const TPM_SETTING = "TPM= (mkosi's [Runtime])";
/** mkosi prints TPM= as auto, enabled or disabled; older ones printed booleans. */
function normalise(setting) {
    if (['enabled', 'yes', 'true', '1'].includes(setting))
        return 'yes';
    if (['disabled', 'no', 'false', '0'].includes(setting))
        return 'no';
    return 'auto';
}
function decideTpm(setting, uefi, swtpm, treeHasSwtpm = false) {
    const value = normalise(setting);
    if (value === 'no')
        return { swtpm: undefined, note: 'none (TPM=no)' };
    const missing = treeHasSwtpm
        ? "swtpm is in the tools tree, but mkosi-ci runs swtpm and swtpm_setup from the host's PATH only, where they are not"
        : "there is no swtpm and swtpm_setup on the host's PATH";
    if (value === 'yes') {
        if (swtpm)
            return { swtpm, note: 'swtpm (TPM=yes)' };
        throw new ConfigurationError(`${TPM_SETTING}: yes needs swtpm, and ${missing}; install swtpm (Debian and Ubuntu: the swtpm and swtpm-tools packages) on the host, or set TPM=auto or TPM=no.`);
    }
    if (!uefi)
        return { swtpm: undefined, note: 'none (TPM=auto, and the boot is not through UEFI)' };
    if (!swtpm)
        return { swtpm: undefined, note: `none (TPM=auto, and ${missing})` };
    return { swtpm, note: 'swtpm (TPM=auto, swtpm found)' };
}
/** swtpm and swtpm_setup on the host's PATH, and whether a tools tree has a swtpm the check cannot run. */
async function findSwtpm(which, toolsTree) {
    const [swtpm, setup] = await Promise.all([which('swtpm'), which('swtpm_setup')]);
    const treeHasSwtpm = toolsTree !== undefined &&
        (await (0,promises_namespaceObject.access)(external_node_path_default().join(toolsTree, 'usr/bin/swtpm')).then(() => true, () => false));
    return { swtpm: swtpm && setup ? { swtpm, setup } : undefined, treeHasSwtpm };
}
/** qemu's side, as mkosi gives it: an emulator TPM on swtpm's control socket, behind a TIS interface. */
function tpmQemuArgs(socket) {
    return [
        '-chardev',
        `socket,id=chrtpm,path=${qemuEscape(socket)}`,
        '-tpmdev',
        'emulator,id=tpm0,chardev=chrtpm',
        '-device',
        'tpm-tis,tpmdev=tpm0',
    ];
}
/**
 * swtpm runs beside qemu under a constant `sh` script (paths only as positional arguments, never spliced
 * into the script): it prepares a fresh TPM 2 state as mkosi does, starts swtpm on the control socket,
 * waits for it, runs the rest (qemu, or qemu under the vsock supervisor), then stops swtpm. The Runner's
 * timeout and a cancelled run end the whole process group, swtpm included.
 */
const SWTPM_SCRIPT = [
    'setup=$1 swtpm=$2 state=$3 sock=$4; shift 4',
    '"$setup" --tpm-state "$state" --tpm2 --pcr-banks sha256 --config /dev/null >/dev/null ||',
    '  { echo "mkosi-ci: swtpm_setup failed" >&2; exit 1; }',
    '"$swtpm" socket --tpm2 --tpmstate "dir=$state" --ctrl "type=unixio,path=$sock" & t=$!',
    'i=0; while [ ! -S "$sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done',
    '"$@"; rc=$?',
    'kill $t 2>/dev/null; wait $t 2>/dev/null',
    'exit $rc',
].join('\n');
function withSwtpm(swtpm, paths, inner) {
    return {
        command: 'sh',
        args: [
            '-c',
            SWTPM_SCRIPT,
            'mkosi-ci-swtpm',
            swtpm.setup,
            swtpm.swtpm,
            paths.state,
            paths.socket,
            inner.command,
            ...inner.args,
        ],
    };
}

;// CONCATENATED MODULE: ./src/boot/runtime-settings.ts





async function runtimeSetup(runner, options, main, emulator, image) {
    const chosen = firmwareSetting(options.firmware, main.firmware);
    const ovmf = await withFirmwareVariables(emulator.ovmf, main);
    const firmware = resolveFirmware(chosen.choice, main.format, image, { ovmf, origin: emulator.origin }, firmwareSettingName(chosen.source));
    const uefi = uefiOf(firmware) !== undefined;
    const found = await findSwtpm((c) => runner.which(c), main.toolsTree);
    const tpm = decideTpm(main.tpm, uefi, found.swtpm, found.treeHasSwtpm);
    const credentials = await configCredentials(main.credentials, runner);
    return {
        firmware,
        swtpm: tpm.swtpm,
        credentials,
        qemuArgs: main.qemuArgs,
        settings: {
            size: machineSize(options, main),
            firmware: { kind: firmware.kind, source: chosen.source },
            firmwareVariables: uefi ? main.firmwareVariables : undefined,
            tpm: tpm.note,
            credentials: credentials.map((c) => c.name),
            qemuArgs: main.qemuArgs,
            kernelCommandLineExtra: main.kernelCommandLineExtra,
        },
    };
}

;// CONCATENATED MODULE: ./src/boot/host-failure.ts

/** `SIGKILL` for 9; the number for one this platform does not name. */
function signalOf(number) {
    const name = Object.entries(external_node_os_.constants.signals).find(([, n]) => n === number)?.[0];
    return name ?? `signal ${number}`;
}
/** qemu's own error (`qemu-system-x86_64: …`), else its last line of error output. */
function qemuError(stderr) {
    const lines = stderr
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '');
    return lines.find((l) => /^qemu-system-[\w-]+: /.test(l)) ?? lines.at(-1) ?? '';
}
/** Why this run is a host-side failure worth one retry, or undefined when the verdict stands. */
function hostSideFailure(run, guest) {
    if (run.timedOut || guest.reportSeen || guest.messageSeen || guest.panic !== undefined)
        return undefined;
    // The supervisor (vsock transport) is a shell: a signal that killed qemu comes back as 128+N.
    const killedBy = run.signal ?? (run.exitCode > 128 ? signalOf(run.exitCode - 128) : undefined);
    if (killedBy)
        return `qemu was killed by ${killedBy}`;
    if (run.exitCode === 0 || guest.consoleLog.trim() !== '')
        return undefined;
    const error = qemuError(run.stderr);
    return `qemu exited with status ${run.exitCode} before the guest printed anything${error ? `: ${error}` : ''}`;
}

// EXTERNAL MODULE: ./src/process/cleanup.ts
var process_cleanup = __nccwpck_require__(781);
;// CONCATENATED MODULE: ./src/boot/smbios-budget.ts


/**
 * Every credential travels as an SMBIOS type 11 string, and they must all fit in one SMBIOS table:
 * 64 KiB with qemu's 32-bit entry point, next to qemu's own structures (firmware, system, one per CPU,
 * memory). This is the share the type 11 strings may take; boot-tests.ts gives the tests 24 KiB of it
 * (32 KiB once base64-encoded), the check itself takes about 12 KiB.
 */
const SMBIOS_CREDENTIALS_BUDGET_BYTES = 56 * 1024;
/** The bytes the `-smbios type=11,value=…` arguments put into the table (each string and its NUL). */
function smbiosStringBytes(args) {
    let bytes = 0;
    for (let i = 0; i + 1 < args.length; i++) {
        if (args[i] !== '-smbios')
            continue;
        const value = /^type=11,value=(.*)$/s.exec(args[i + 1])?.[1];
        if (value !== undefined)
            bytes += Buffer.byteLength(value.replace(/,,/g, ',')) + 1;
    }
    return bytes;
}
/** Refuses a boot whose credentials cannot fit, naming what the project's Credentials= take of it. */
function checkSmbiosBudget(all, fromConfig) {
    const total = smbiosStringBytes(all);
    if (total <= SMBIOS_CREDENTIALS_BUDGET_BYTES)
        return;
    const config = smbiosStringBytes(fromConfig);
    throw new ConfigurationError(`${CREDENTIALS_SETTING}: the guest's credentials come to ${total} bytes of SMBIOS strings (${config} of them from Credentials=, the rest the check and boot-test); at most ${SMBIOS_CREDENTIALS_BUDGET_BYTES} fit in qemu's SMBIOS table. Make the credentials smaller, or put the bulk in the image.`);
}

;// CONCATENATED MODULE: ./src/boot/credential-files.ts





/** A path inside a qemu option value: commas are qemu's separator, doubled to stand for themselves. */
const qemuOptionPath = (file) => file.replace(/,/g, ',,');
async function writeCredentialFiles(credentials, tmpDir = external_node_os_default().tmpdir()) {
    const dir = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(tmpDir, 'mkosi-ci-credentials-'));
    const removeDir = () => (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true });
    const forget = process_cleanup/* runCleanup */.Kt.addStep({ what: `guest credentials ${dir}`, run: removeDir });
    const remove = async () => {
        await removeDir();
        forget();
    };
    try {
        await (0,promises_namespaceObject.chmod)(dir, 0o700);
        const args = [];
        for (const [i, value] of smbiosCredentialStrings(credentials).entries()) {
            const file = external_node_path_default().join(dir, `credential-${i}`);
            await (0,promises_namespaceObject.writeFile)(file, value, { mode: 0o600 });
            args.push('-smbios', `type=11,path=${qemuOptionPath(file)}`);
        }
        return { args, remove };
    }
    catch (error) {
        await remove();
        throw error;
    }
}

;// CONCATENATED MODULE: ./src/boot/socket-dir.ts




/** Room for `mkosi-ci-sock-XXXXXX/` and the longest name below it (`vsock.sock_` and a 10-digit port). */
const LONGEST_BASE = 107 - '/mkosi-ci-sock-XXXXXX/vsock.sock_4294967295'.length;
/** The temporary directory when its path leaves room for the sockets, else /tmp. */
function socketBase(tmpDir = external_node_os_default().tmpdir()) {
    return tmpDir.length <= LONGEST_BASE ? tmpDir : '/tmp';
}
async function socketDirectory(tmpDir) {
    const dir = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(socketBase(tmpDir), 'mkosi-ci-sock-'));
    const removeDir = () => (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true });
    const forget = process_cleanup/* runCleanup */.Kt.addStep({ what: `boot sockets ${dir}`, run: removeDir });
    return {
        dir,
        remove: async () => {
            await removeDir();
            forget();
        },
    };
}

;// CONCATENATED MODULE: external "node:net"
const external_node_net_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");
;// CONCATENATED MODULE: ./src/boot/vsock-transport.ts


/**
 * The vsock transport without `/dev/vhost-vsock` and without AF_VSOCK in Node: `vhost-device-vsock`
 * (a userspace vhost-user vsock device) maps a guest connection to host CID 2 port P onto a connection
 * to the Unix socket `<uds-path>_P`. With the credential `vmm.notify_socket=vsock-stream:2:P` the guest's
 * PID 1 connects there for every notification (READY=1, STATUS=…, X_SYSTEMD_UNIT_ACTIVE=…, and
 * EXIT_STATUS=N when `systemctl exit N` powers the guest off). This machine's own /dev/vsock is never
 * touched: the host side is plain Unix sockets.
 */
const NOTIFY_PORT = 8125;
function notifyCredential(port = NOTIFY_PORT) {
    return { name: 'vmm.notify_socket', value: `vsock-stream:2:${port}` };
}
/**
 * vhost-device-vsock keeps serving after qemu disconnects, so both run under one small supervisor: a
 * constant `sh` script (inputs only as positional arguments, never spliced into the script) that starts
 * the daemon, waits for its socket, runs qemu, then stops the daemon. The Runner's timeout kills the
 * whole process group, daemon included. Never --forward-cid: that opens AF_VSOCK on the host.
 */
const SUPERVISOR_SCRIPT = [
    'daemon=$1 socket=$2 uds=$3; shift 3',
    '"$daemon" --guest-cid 3 --socket "$socket" --uds-path "$uds" & d=$!',
    'i=0; while [ ! -S "$socket" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done',
    '"$@"; rc=$?',
    'kill $d 2>/dev/null; wait $d 2>/dev/null',
    'exit $rc',
].join('\n');
function supervisedQemu(daemon, paths, qemu) {
    return {
        command: 'sh',
        args: [
            '-c',
            SUPERVISOR_SCRIPT,
            'mkosi-ci-vsock',
            daemon,
            paths.socket,
            paths.udsPath,
            qemu.command,
            ...qemu.args,
        ],
    };
}
/** Parses one notification message (newline-separated `KEY=VALUE` assignments). */
function parseNotification(text) {
    return text
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}
function applyNotification(state, text, atMs) {
    for (const [key, value] of parseNotification(text)) {
        state.messages.push({ key, value, atMs });
        if (key === 'READY' && value === '1')
            state.readyAtMs ??= atMs;
        else if (key === 'STATUS')
            state.lastStatus = value;
        else if (key === 'EXIT_STATUS' && /^\d+$/.test(value))
            state.exitStatus = Number(value);
    }
}
/**
 * How long a notification connection may stay quiet after its last data before the host takes the
 * message as complete and closes it. PID 1 sends each message with one `sendmsg()`, which
 * vhost-device-vsock hands on with one write, so this only guards against a rare split.
 */
const NOTIFY_IDLE_MS = 10;
/**
 * Listens on `<udsPath>_<port>` for the guest's notifications.
 *
 * The host must close each connection itself, as soon as the message has arrived: it must not wait for
 * the guest's end of stream. systemd (>= 256) sends a notification over vsock-stream as connect, send,
 * `shutdown(SHUT_WR)`, then blocks in `recv()` until the host closes (sd-daemon.c). vhost-device-vsock
 * (0.3.0) drops a SHUTDOWN that only carries the "no more sends" flag, so that end of stream never
 * reaches the Unix socket: a listener that reads to EOF deadlocks with PID 1, which stops at its first
 * notification (X_SYSTEMD_SIGNALS_LEVEL, right after the initrd's machine ID). When the host closes,
 * the daemon reads EOF and sends a full SHUTDOWN to the guest, whose `recv()` then returns 0.
 */
async function listenForNotifications(paths, port = NOTIFY_PORT, now = Date.now) {
    const file = `${paths.udsPath}_${port}`;
    await (0,promises_namespaceObject.rm)(file, { force: true });
    const notifications = { messages: [] };
    const open = new Set();
    const server = (0,external_node_net_namespaceObject.createServer)((socket) => {
        open.add(socket);
        const chunks = [];
        let done = false;
        let timer;
        // No deadline before the first byte: closing early makes the daemon drop the message and can leave
        // PID 1 waiting in recv() for an end of stream that never comes (a slow TCG guest takes seconds).
        const finish = () => {
            if (done)
                return;
            done = true;
            clearTimeout(timer);
            if (chunks.length > 0)
                applyNotification(notifications, Buffer.concat(chunks).toString('utf8'), now());
            socket.destroy();
            open.delete(socket);
        };
        socket.on('data', (chunk) => {
            chunks.push(chunk);
            clearTimeout(timer);
            timer = setTimeout(() => finish(), NOTIFY_IDLE_MS);
        });
        socket.on('end', finish);
        socket.on('close', finish);
        socket.on('error', finish);
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(file, () => resolve());
    });
    return {
        notifications,
        // A connection still open when qemu is gone can't complete: don't let it hold server.close() up.
        close: () => new Promise((resolve) => {
            server.close(() => resolve());
            for (const socket of open)
                socket.destroy();
        }),
    };
}

;// CONCATENATED MODULE: ./src/boot/run-boot.ts

















/** Default kernel command line extras: no interactive first boot on the console, panics end qemu. */
const DEFAULT_KERNEL_CMDLINE_EXTRA = ['systemd.firstboot=off', 'panic=-1'];
/** The firmware of this run: its own copy of OVMF's variables, the command line extras of a split kernel. */
function runFirmware(firmware, vars, extra) {
    const copy = withUefiVars(firmware, vars);
    if (copy.kind !== 'linux')
        return copy;
    return { ...copy, cmdline: [copy.cmdline, ...extra].filter((s) => s !== '').join(' ') };
}
/**
 * Whether kernel command line extras reach the guest through SMBIOS (a UKI's sd-stub reads them there)
 * rather than -append (a split kernel). A UKI given to OVMF with -kernel must not get -append: sd-stub
 * takes a loader's options *instead of* its embedded command line (console=, roothash=, …).
 */
function extrasViaSmbios(firmware) {
    return firmware.kind !== 'linux' || firmware.uefi !== undefined;
}
/** qemu's arguments for one check: the image, firmware, console, report channel and credentials. */
function checkQemuArgs(options, files, vars, credentialArgs, vsockSocket, tpmSocket) {
    const cmdlineViaSmbios = extrasViaSmbios(options.firmware);
    return qemuArgs({
        dataDirs: options.qemu.dataDirs,
        accel: options.accel,
        cpuModel: options.cpuModel,
        memoryMiB: options.memoryMiB,
        cpus: options.cpus,
        firmware: runFirmware(options.firmware, vars, cmdlineViaSmbios ? [] : options.kernelCmdlineExtra),
        image: options.image,
        imageWrites: options.imageWrites ?? 'snapshot',
        consoleLog: files.console,
        report: options.channel.kind === 'serial'
            ? { kind: 'serial', file: files.report }
            : { kind: 'virtio', file: files.report, name: options.channel.name },
        smbios: [
            ...credentialArgs,
            ...(cmdlineViaSmbios ? kernelCmdlineExtraArgs(options.kernelCmdlineExtra) : []),
        ],
        vhostUserVsock: vsockSocket ? { socket: vsockSocket } : undefined,
        // The project's QemuArgs= come last, as mkosi appends them, so they can add to or override ours.
        extra: [...(tpmSocket ? tpmQemuArgs(tpmSocket) : []), ...(options.qemuArgs ?? [])],
    });
}
function testsOf(options) {
    if (!options.tests || options.tests.length === 0)
        return undefined;
    return { names: options.tests.map((t) => t.name), timeoutSeconds: options.testTimeoutSeconds ?? 300 };
}
/** The journal, the status of each failed unit and each test's output, as files next to the logs, for the artifacts. */
async function keepDetails(logs, report) {
    const kept = {};
    if (report && report.journal.length > 0) {
        kept.journal = external_node_path_default().join(logs, 'journal.txt');
        await (0,promises_namespaceObject.writeFile)(kept.journal, report.journal.join('\n') + '\n');
    }
    if (report && report.journalExport !== '') {
        kept.journalExport = external_node_path_default().join(logs, 'journal.export');
        await (0,promises_namespaceObject.writeFile)(kept.journalExport, Buffer.from(report.journalExport, 'base64'));
    }
    if (report && report.tests.length > 0) {
        kept.tests = external_node_path_default().join(logs, 'tests');
        await (0,promises_namespaceObject.mkdir)(kept.tests, { recursive: true });
        for (const test of report.tests) {
            const cut = cutBytes(test) > 0 ? `[the first ${cutBytes(test)} bytes were cut]\n` : '';
            await (0,promises_namespaceObject.writeFile)(external_node_path_default().join(kept.tests, `${test.name}.log`), cut + test.output.map((l) => `${l}\n`).join(''));
        }
    }
    if (report && report.failedUnits.length > 0) {
        kept.failedUnits = external_node_path_default().join(logs, 'failed-units.txt');
        await (0,promises_namespaceObject.writeFile)(kept.failedUnits, report.failedUnits.map((u) => u.status.join('\n')).join('\n\n') + '\n');
    }
    return kept;
}
/** A fresh logs directory for this check, with the firmware's writable variable store copied in. */
async function prepareLogs(options) {
    const logs = external_node_path_default().resolve(options.logsDir);
    await (0,promises_namespaceObject.mkdir)(logs, { recursive: true });
    const files = {
        console: external_node_path_default().join(logs, 'serial-console.log'),
        report: external_node_path_default().join(logs, 'boot-report.log'),
        qemu: external_node_path_default().join(logs, 'qemu.log'),
    };
    await Promise.all(Object.values(files).map((f) => (0,promises_namespaceObject.rm)(f, { force: true })));
    const vars = external_node_path_default().join(logs, 'ovmf-vars.fd');
    const template = uefiOf(options.firmware)?.vars;
    if (template)
        await (0,promises_namespaceObject.copyFile)(template, vars);
    return { logs, files, vars };
}
/**
 * The socket and a fresh state directory for swtpm, when the guest gets a TPM. swtpm is in qemu's process
 * group, which a stopped run ends; the state is removed with it (nothing of it is evidence).
 */
async function prepareTpm(options, logs, socketDir) {
    if (!options.swtpm)
        return undefined;
    const paths = { state: external_node_path_default().join(logs, 'swtpm-state'), socket: external_node_path_default().join(socketDir, 'swtpm.sock') };
    await (0,promises_namespaceObject.mkdir)(paths.state, { recursive: true });
    const removeState = async () => {
        await Promise.all([(0,promises_namespaceObject.rm)(paths.state, { recursive: true, force: true }), (0,promises_namespaceObject.rm)(paths.socket, { force: true })]);
    };
    const forget = process_cleanup/* runCleanup */.Kt.addStep({ what: `TPM state ${paths.state}`, run: removeState });
    return {
        ...paths,
        remove: async () => {
            await removeState();
            forget();
        },
    };
}
/** The check, its tests and the extra credentials, with the vsock notify address when vsock is on. */
function runCredentials(options, nonce, vsock) {
    return checkCredentials({
        nonce,
        channel: options.channel,
        settleBySeconds: options.settleBySeconds,
        watchSeconds: options.watchSeconds,
        journal: options.journal,
        allowFailed: options.allowFailed,
        notifySocket: vsock ? notifyCredential().value : undefined,
        tests: testsOf(options),
    }, [
        ...(options.configCredentials ?? []),
        ...(vsock ? [notifyCredential()] : []),
        ...(options.extraCredentials ?? []),
    ], options.tests);
}
/** One run of qemu (under its supervisors), and what the guest left behind. */
async function runQemu(ctx, options, invocation, files, vsock, nonce) {
    let listener;
    const started = Date.now();
    let run;
    try {
        if (vsock)
            listener = await listenForNotifications(vsock);
        run = await ctx.runner.run(invocation.command, invocation.args, {
            stream: false,
            logFile: files.qemu,
            timeoutMs: options.timeoutSeconds * 1000,
        });
    }
    finally {
        await listener?.close();
    }
    const durationMs = Date.now() - started;
    if (vsock)
        await Promise.all([(0,promises_namespaceObject.rm)(vsock.socket, { force: true }), (0,promises_namespaceObject.rm)(vsock.udsPath, { force: true })]);
    const consoleLog = await (0,promises_namespaceObject.readFile)(files.console, 'utf8').catch(() => '');
    const captured = await (0,promises_namespaceObject.readFile)(files.report, 'utf8').catch(() => '');
    const notifications = listener?.notifications;
    return {
        run,
        started,
        durationMs,
        consoleLog,
        report: parseReport(captured, nonce),
        panic: findPanic(consoleLog),
        notifications,
        message: notifications && findCheckMessage(notifications.messages, nonce),
    };
}
/**
 * qemu once, and once more when it died on the host's side (see host-failure.ts). The same nonce and
 * credentials: the first qemu never ran the guest far enough to use them.
 */
async function runQemuWithRetry(ctx, options, invocation, paths, vsock, nonce) {
    const first = await runQemu(ctx, options, invocation, paths.files, vsock, nonce);
    const retried = hostSideFailure(first.run, {
        consoleLog: first.consoleLog,
        reportSeen: first.report.found || first.report.truncated,
        messageSeen: first.message !== undefined,
        panic: first.panic,
    });
    if (!retried)
        return { attempt: first, retried };
    ctx.log.warning(`qemu died on the host's side (${retried}); starting it once more.`);
    await (0,promises_namespaceObject.rename)(paths.files.qemu, external_node_path_default().join(paths.logs, 'qemu-attempt-1.log'));
    await prepareLogs(options);
    return { attempt: await runQemu(ctx, options, invocation, paths.files, vsock, nonce), retried };
}
async function bootCheck(ctx, options) {
    if (options.settleBySeconds >= options.timeoutSeconds) {
        throw new ConfigurationError(`Input boot-timeout: ${options.timeoutSeconds} s must be longer than the settle deadline (${options.settleBySeconds} s of guest uptime)`);
    }
    const { logs, files, vars } = await prepareLogs(options);
    const nonce = newNonce();
    ctx.log.mask(nonce);
    const credentials = runCredentials(options, nonce, options.vsockDaemon !== undefined);
    checkSmbiosBudget(smbiosCredentialArgs(credentials), smbiosCredentialArgs(options.configCredentials ?? []));
    const sockets = await socketDirectory();
    const vsock = options.vsockDaemon
        ? {
            socket: external_node_path_default().join(sockets.dir, 'vhost-user-vsock.sock'),
            udsPath: external_node_path_default().join(sockets.dir, 'vsock.sock'),
        }
        : undefined;
    const credentialFiles = await writeCredentialFiles(credentials).catch(async (error) => {
        await sockets.remove();
        throw error;
    });
    const tpm = await prepareTpm(options, logs, sockets.dir).catch(async (error) => {
        await credentialFiles.remove();
        await sockets.remove();
        throw error;
    });
    const args = checkQemuArgs(options, files, vars, credentialFiles.args, vsock?.socket, tpm?.socket);
    const qemu = { command: options.qemu.command, args: [...options.qemu.prefix, ...args] };
    const supervised = vsock && options.vsockDaemon ? supervisedQemu(options.vsockDaemon, vsock, qemu) : qemu;
    const invocation = options.swtpm && tpm ? withSwtpm(options.swtpm, tpm, supervised) : supervised;
    let ran;
    try {
        ran = await runQemuWithRetry(ctx, options, invocation, { logs, files }, vsock, nonce);
    }
    finally {
        await tpm?.remove();
        await credentialFiles.remove();
        await sockets.remove();
    }
    const { retried, attempt } = ran;
    const { run, durationMs, notifications, started, report, panic, message } = attempt;
    const result = verdict({
        report,
        panic,
        timedOut: run.timedOut,
        timeoutSeconds: options.timeoutSeconds,
        qemuExitCode: run.exitCode,
        allowFailed: options.allowFailed,
        expectedTests: (options.tests ?? []).map((t) => t.name),
        testTimeoutSeconds: options.testTimeoutSeconds,
        vsock: notifications && { message, exitStatus: notifications.exitStatus },
    });
    const kept = { ...files, ...(await keepDetails(logs, result.report)) };
    if (notifications) {
        // What PID 1 and the check said over vsock, one message per line, for the artifacts.
        const lines = notifications.messages.map((m) => `${m.atMs - started} ms ${m.key}=${m.value}\n`);
        await (0,promises_namespaceObject.writeFile)(external_node_path_default().join(logs, 'vsock-notifications.log'), lines.join(''));
    }
    return {
        verdict: result,
        durationMs,
        readyMs: notifications?.readyAtMs !== undefined ? notifications.readyAtMs - started : undefined,
        exitStatus: notifications?.exitStatus,
        vsockMessage: notifications && (message ? 'received' : 'missing'),
        retried,
        logs: kept,
    };
}

;// CONCATENATED MODULE: ./src/boot/transport.ts


/** vsock where a userspace vhost-user-vsock device is installed, else the serial report. */
async function chooseTransport(runner, choice) {
    if (choice === 'serial')
        return { transport: 'serial' };
    const daemon = await runner.which('vhost-device-vsock');
    if (daemon)
        return { transport: 'vsock', daemon };
    if (choice === 'vsock') {
        throw new ConfigurationError(`Input ${Input.BootTransport}: vsock needs vhost-device-vsock on PATH (Debian and Ubuntu package it); use serial or auto.`);
    }
    return { transport: 'serial' };
}

;// CONCATENATED MODULE: ./src/boot/uki-esp.ts


/** The path UEFI firmware starts from removable media when it has no boot entry (x86-64). */
const REMOVABLE_MEDIA_LOADER = 'EFI/BOOT/BOOTX64.EFI';
/**
 * A UKI booted through UEFI the way firmware boots it from a USB stick: as the removable-media loader
 * of a FAT filesystem. Returns the directory qemu turns into that FAT disk (vvfat), under `workDir`.
 * The UKI is hard-linked when it can be (same filesystem), else copied; never moved or written.
 */
async function ukiEspDirectory(workDir, uki) {
    const esp = external_node_path_default().join(workDir, 'uki-esp');
    await (0,promises_namespaceObject.rm)(esp, { recursive: true, force: true });
    const loader = external_node_path_default().join(esp, REMOVABLE_MEDIA_LOADER);
    await (0,promises_namespaceObject.mkdir)(external_node_path_default().dirname(loader), { recursive: true });
    await (0,promises_namespaceObject.link)(uki, loader).catch(() => (0,promises_namespaceObject.copyFile)(uki, loader));
    return esp;
}

;// CONCATENATED MODULE: ./src/boot/boot-image.ts















/**
 * What qemu's disk is: none for a direct kernel boot, an ESP holding the UKI for a UKI booted through
 * UEFI (firmware does not start a bare PE file from a disk), else the image itself.
 */
async function bootDisk(firmware, format, image, workDir) {
    if (firmware.kind === 'linux')
        return undefined;
    if (format === 'uki' && firmware.kind === 'uefi') {
        return { path: await ukiEspDirectory(workDir, image), format: 'vvfat' };
    }
    return { path: image, format: 'raw' };
}
/** Boots the built image in qemu with the check injected through credentials, and returns the verdict. */
async function bootImage(ctx, options, config, image, run = {}) {
    if (!image || image.type !== 'file') {
        throw new ConfigurationError(`Input ${Input.Boot}: there is no image file of ${config.main.output} to boot.`);
    }
    const emulator = await findEmulator(config.main.toolsTree, (c) => ctx.runner.which(c));
    if (!emulator)
        throw noEmulatorError();
    const runtime = await runtimeSetup(ctx.runner, options, config.main, emulator, image.path);
    const firmware = runtime.firmware;
    const { accel, reason, cpu } = await chooseAccel(ctx, options.kvm, emulator, firmware, ctx.workDir);
    const { transport, daemon } = await chooseTransport(ctx.runner, options.transport);
    const tests = run.tests ?? (await loadBootTests(options.test));
    // The tests' worst case: auto's timeout grows by it, a timeout in seconds must leave room for it.
    const testSeconds = tests.length * options.testTimeoutSeconds;
    const timeoutSeconds = options.timeoutSeconds ?? defaultTimeoutSeconds(accel) + testSeconds;
    const logsDir = await claimDirectory(run.logsDir ?? external_node_path_default().join(ctx.workDir, 'logs', 'boot'));
    const size = runtime.settings.size;
    ctx.log.info(`Booting ${image.name} with ${emulator.origin}: ${accel.toUpperCase()}, ${firmware.kind}, ${describeMachineSize(size)}, TPM ${runtime.settings.tpm}, report over ${transport}, timeout ${timeoutSeconds} s`);
    const check = await bootCheck(ctx, {
        qemu: emulator.qemu,
        image: await bootDisk(firmware, config.main.format, image.path, ctx.workDir),
        imageWrites: run.writable ? 'none' : 'snapshot',
        firmware,
        accel,
        cpuModel: cpu.model,
        memoryMiB: size.memoryMiB,
        cpus: size.cpus,
        timeoutSeconds,
        settleBySeconds: settleBySeconds(timeoutSeconds, options.watchSeconds, testSeconds),
        watchSeconds: options.watchSeconds,
        journal: 'on-failure',
        channel: { kind: 'serial' },
        allowFailed: options.allowFailed,
        kernelCmdlineExtra: [...DEFAULT_KERNEL_CMDLINE_EXTRA, ...config.main.kernelCommandLineExtra],
        extraCredentials: run.extraCredentials ?? [],
        configCredentials: runtime.credentials,
        qemuArgs: runtime.qemuArgs,
        swtpm: runtime.swtpm,
        tests,
        testTimeoutSeconds: options.testTimeoutSeconds,
        logsDir,
        vsockDaemon: daemon,
    });
    for (const unit of check.verdict.failedUnits) {
        ctx.log.error(`${unit.name} failed${unit.statusLine ? `: ${unit.statusLine}` : ''}`, {
            title: 'Boot check: failed unit',
        });
    }
    for (const test of check.verdict.failedTests) {
        const tail = test_results_tailOf(test).join('\n');
        ctx.log.error(`${test_results_describeFailure(test, options.testTimeoutSeconds)}${tail ? `\n${tail}` : ''}`, {
            title: `Boot test failed: ${test.name}`,
        });
    }
    return {
        accel,
        accelReason: cpu.reason ? `${reason}; ${cpu.reason}` : reason,
        cpuModel: cpu.model,
        transport,
        firmware: firmware.kind,
        emulator: emulator.origin,
        timeoutSeconds,
        machine: runtime.settings,
        testTimeoutSeconds: options.testTimeoutSeconds,
        logsDir,
        check,
    };
}

;// CONCATENATED MODULE: ./src/boot/bootable.ts

/**
 * Whether a build can be booted, decided from what it produced rather than from its format alone:
 * with `Bootable=auto` mkosi makes a disk bootable only when the image has a kernel, so a kernel-less
 * `Format=disk` image boots into nothing and would end, minutes later, as a false `did-not-boot`.
 */
/** Formats mkosi-ci can boot: a disk with a boot loader, an ESP image, or a UKI. */
const BOOTABLE_FORMATS = ['disk', 'esp', 'uki'];
/** The kernel mkosi split out of the image, when it was asked to and did: the proof there is one. */
function kernelEvidence(image) {
    const splits = image.splitArtifacts.some((a) => a === 'uki' || a === 'kernel');
    if (!splits || image.outputKinds === undefined)
        return 'unknown';
    return image.outputKinds.some((k) => k === 'uki' || k === 'kernel') ? 'found' : 'none';
}
/**
 * `boot`: yes, no or auto (the input). `auto` boots what is bootable and says why it skips the rest;
 * `yes` refuses what cannot boot, naming the input ('boot' is Input.Boot's name).
 */
function bootDecision(boot, image) {
    if (boot === 'no')
        return { boot: false };
    if (!BOOTABLE_FORMATS.includes(image.format)) {
        if (boot === 'auto')
            return { boot: false };
        throw new ConfigurationError(`Input boot: Format=${image.format} images cannot be booted by mkosi-ci; bootable formats are ${BOOTABLE_FORMATS.join(', ')}.`);
    }
    if (image.format === 'uki')
        return { boot: true };
    if (kernelEvidence(image) === 'none') {
        const what = `the build produced no kernel or UKI (Bootable=${image.bootable}: mkosi installs a boot loader only when the image has a kernel)`;
        if (boot === 'yes') {
            throw new ConfigurationError(`Input boot: ${what}, so there is nothing to boot; add a kernel to the image or set boot to auto or false.`);
        }
        return { boot: false, notice: `Not booting the Format=${image.format} image: ${what}.` };
    }
    if (boot === 'auto' && image.bootable === 'disabled')
        return { boot: false };
    return { boot: true };
}
/** The decision for a resolved configuration and, once the build is done, the outputs it left. */
function decideBoot(boot, config, artifacts) {
    const main = config.main;
    const outputKinds = artifacts
        ?.filter((a) => a.image === main.image || a.image === undefined)
        .map((a) => a.kind);
    return bootDecision(boot, { ...main, outputKinds });
}
/** Whether to boot at all (see bootDecision). */
function shouldBoot(options, config, artifacts) {
    return decideBoot(options.enabled, config, artifacts).boot;
}

;// CONCATENATED MODULE: ./src/pipeline/boot.ts


/** `mkosi-ci boot` boots unless told not to; `build` boots what `boot: auto` or `true` selects. */
function bootOptions({ command, options }) {
    return command === 'boot' && options.boot.enabled === 'auto'
        ? { ...options.boot, enabled: 'yes' }
        : options.boot;
}
/**
 * Whether to boot, judged from the configuration and, once the build is done, from what it produced:
 * `boot: auto` skips a disk that came out without a kernel, with a notice.
 */
function bootDecisionOf(state, build) {
    return decideBoot(bootOptions(state).enabled, (build ?? state.resolved).config, build?.artifacts);
}
/** Boots the image with the check injected and fails the run on any verdict but `passed`. */
const bootStage = {
    name: 'boot',
    title: 'boot check',
    runs: (state) => {
        const decision = bootDecisionOf(state, state.result.build);
        if (!decision.boot && decision.notice)
            state.ctx.log.info(decision.notice);
        return decision.boot;
    },
    async run(state) {
        const { ctx, result } = state;
        const build = result.build;
        result.boot = await ctx.log.group('Boot check', () => bootImage(ctx, bootOptions(state), build.config, build.image));
        const verdict = result.boot.check.verdict;
        if (verdict.result === 'passed')
            return;
        return {
            verdict: `Boot check of ${build.image?.name ?? 'the image'}: ${verdict.result}: ${verdict.reason} (logs: ${result.boot.logsDir})`,
        };
    },
};

;// CONCATENATED MODULE: ./src/mkosi/mirror.ts


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
/** The distribution an archive URL is for, judged by its last path element (/debian, /ubuntu). */
function mirrorDistribution(mirror) {
    const last = mirror.replace(/\/+$/, '').split('/').pop() ?? '';
    return isAptDistribution(last) ? last : undefined;
}
/** Mirror= for mkosi from the `mirror` input: for Debian and Ubuntu without the distribution's path. */
function mkosiMirrorSetting(mirror) {
    return mkosiMirror(mirror, mirrorDistribution(mirror) ?? '');
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
 * Writes apt sources from the `mirror` input (under `workDir`) for the image and for the default tools
 * tree, where they are apt distributions served by that mirror and the user has not written sources of
 * their own.
 */
async function mirrorSandboxTrees(workDir, mirror, config) {
    const trees = { sandboxTrees: [], toolsTreeSandboxTrees: [] };
    const distribution = mirror && mirrorDistribution(mirror);
    if (!mirror || !distribution)
        return trees;
    const raw = config.raw;
    const main = config.main;
    if (main.distribution === distribution && !(await userProvidesAptSources(raw.Images.at(-1)))) {
        trees.sandboxTrees.push(await writeAptSandboxTree(external_node_path_default().join(workDir, 'sandbox/image'), mirror, main));
    }
    const tools = config.tools;
    if (tools?.distribution === distribution && !(await userProvidesAptSources(raw.Tools))) {
        trees.toolsTreeSandboxTrees.push(await writeAptSandboxTree(external_node_path_default().join(workDir, 'sandbox/tools'), mirror, tools));
    }
    return trees;
}
/** The summary as mkosi prints it with these sandbox trees added (SandboxTrees= applies to every image). */
function withSandboxTrees(raw, trees) {
    const copy = structuredClone(raw);
    const entries = (dirs) => dirs.map((Source) => ({ Source, Target: null }));
    for (const image of copy.Images)
        image.SandboxTrees = [...(image.SandboxTrees ?? []), ...entries(trees.sandboxTrees)];
    if (copy.Tools) {
        copy.Tools.SandboxTrees = [...(copy.Tools.SandboxTrees ?? []), ...entries(trees.toolsTreeSandboxTrees)];
    }
    return copy;
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
/** The invocation the options ask for, before mkosi-ci adds sandbox trees or cache options. */
function baseInvocation(options) {
    return {
        directory: options.directory,
        profiles: options.profiles,
        environment: options.environment,
        mirror: options.mirror && mkosiMirrorSetting(options.mirror),
        toolsTree: options.toolsTree,
        sandboxTrees: [],
        toolsTreeSandboxTrees: [],
        extraArgs: options.args,
    };
}
/** The invocation with mkosi options added before the user's own (which still win). */
function withExtraArgs(invocation, args) {
    if (args.length === 0)
        return invocation;
    return { ...invocation, extraArgs: [...args, ...invocation.extraArgs] };
}

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
    for await (const chunk of (0,external_node_fs_.createReadStream)(file, { highWaterMark: 4 * 1024 * 1024 })) {
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

;// CONCATENATED MODULE: ./src/mkosi/build-result.ts

/** The outputs the configuration says a build of `directory` makes, as they are on disk. */
async function collectOutputs(log, directory, config) {
    const dir = outputDirectory(config, directory);
    const artifacts = await discoverArtifacts(config, directory);
    if (artifacts.length === 0) {
        log.warning(`No outputs of ${config.main.output} were found in ${dir}.`);
    }
    const image = artifacts.find((a) => a.image === config.main.image && a.kind === 'image');
    return { outputDirectory: dir, image, artifacts };
}

;// CONCATENATED MODULE: ./src/mkosi/messages.ts
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

;// CONCATENATED MODULE: ./src/mkosi/build.ts






/** Runs `mkosi build` on a resolved configuration; a failed build is the user's to fix, with its log. */
async function runBuild(ctx, options, mkosi, resolved) {
    const { invocation, config, configFile } = resolved;
    const logFile = external_node_path_default().join(ctx.workDir, 'logs', 'build.log');
    const started = Date.now();
    const result = await ctx.log.group('mkosi build', () => ctx.runner.run(mkosi.command, buildArgs(invocation, options.force), { logFile }));
    const durationMs = Date.now() - started;
    if (result.exitCode !== 0) {
        const why = lastErrorLine(result.stderr || result.stdout) ?? '';
        throw new ConfigurationError(`mkosi build of ${options.directory} failed with exit status ${result.exitCode}${why ? `: ${why}` : ''} (full log: ${logFile})`, { file: options.directory });
    }
    return {
        config,
        configFile,
        logFile,
        durationMs,
        ...(await collectOutputs(ctx.log, options.directory, config)),
    };
}
/** The outputs of an earlier build, found from the configuration as a build would have made them. */
async function existingOutputs(ctx, directory, resolved) {
    const { config, configFile } = resolved;
    const outputs = await collectOutputs(ctx.log, directory, config);
    if (!outputs.image) {
        throw new ConfigurationError(`Input ${Input.Directory}: ${config.main.output} has not been built in ${outputs.outputDirectory}; run mkosi-ci build first.`, { file: directory });
    }
    return {
        config,
        configFile,
        logFile: external_node_path_default().join(ctx.workDir, 'logs', 'build.log'),
        durationMs: undefined,
        ...outputs,
    };
}

;// CONCATENATED MODULE: ./src/mkosi/summary.ts





/** The options mkosi's argument parser refused, when every one of them is the user's own (the args input). */
function unknownUserOptions(why, extraArgs) {
    const refused = /unrecognized arguments: (.+)$/.exec(why)?.[1]?.trim().split(' ');
    if (!refused || !refused.every((arg) => extraArgs.includes(arg)))
        return undefined;
    return refused.join(' ');
}
/** `mkosi --json summary` of an invocation: the text as printed and the configuration parsed from it. */
async function readSummary(runner, mkosiCommand, invocation) {
    const result = await runner.run(mkosiCommand, summaryArgs(invocation), { stream: false });
    if (result.exitCode !== 0) {
        const why = lastErrorLine(result.stderr || result.stdout) ?? `exit status ${result.exitCode}`;
        const unknown = unknownUserOptions(why, invocation.extraArgs);
        if (unknown) {
            throw new ConfigurationError(`Input ${Input.Args}: mkosi does not know ${unknown}; give options of the mkosi that runs (mkosi --help lists them), one per line.`);
        }
        throw new ConfigurationError(`mkosi could not read the configuration in ${invocation.directory}: ${why}`, {
            file: invocation.directory,
        });
    }
    return { text: result.stdout, config: parseSummary(result.stdout) };
}

;// CONCATENATED MODULE: ./src/mkosi/resolve.ts





/** Resolves the configuration once, with the mirror's apt sources in place, and saves it in `workDir`. */
async function resolveConfig(ctx, options, mkosi) {
    let invocation = baseInvocation(options);
    const resolved = await readSummary(ctx.runner, mkosi.command, invocation);
    const trees = await mirrorSandboxTrees(ctx.workDir, options.mirror, resolved.config);
    if (trees.sandboxTrees.length + trees.toolsTreeSandboxTrees.length > 0) {
        invocation = { ...invocation, ...trees };
        // SandboxTrees= changes nothing else in the configuration: record ours in the saved summary instead
        // of asking mkosi a second time.
        resolved.text = JSON.stringify(withSandboxTrees(resolved.config.raw, trees), null, 4);
        resolved.config = { ...resolved.config, raw: JSON.parse(resolved.text) };
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

;// CONCATENATED MODULE: ./src/pipeline/build.ts





/** The caches of this run; a cache that cannot be used is a warning and a cold build, never a failure. */
function restore(ctx, options, mkosiVersion, config) {
    return ctx.log.group('Restore caches', () => restoreCaches(ctx, options, mkosiVersion, config).catch((error) => {
        ctx.log.warning(`Caches are not used in this run: ${errorMessage(error)}`);
        return { skipped: errorMessage(error), records: [], args: [] };
    }));
}
/** The configuration as mkosi resolves it, with the mirror's apt sources in place. */
const resolveStage = {
    name: 'build',
    title: 'resolve the configuration',
    runs: () => true,
    async run(state) {
        const { ctx, options, result } = state;
        state.resolved = await ctx.log.group('Resolve the mkosi configuration', () => resolveConfig(ctx, options, result.setup.mkosi));
    },
};
/**
 * Restores the caches and runs mkosi build. `mkosi-ci boot` builds nothing: it takes the outputs an
 * earlier build left, found from the configuration.
 */
const buildStage = {
    name: 'build',
    title: 'mkosi build',
    runs: () => true,
    async run({ ctx, command, options, result, resolved, timeline }) {
        const mkosi = result.setup.mkosi;
        if (command === 'boot') {
            result.build = await existingOutputs(ctx, options.directory, resolved);
            return;
        }
        const caches = await timeline.time('build', 'restore caches', () => restore(ctx, options, mkosi.version, resolved.config));
        result.caches = caches;
        const invocation = withExtraArgs(resolved.invocation, caches.args);
        result.build = await timeline.time('build', 'mkosi build', () => runBuild(ctx, options, mkosi, { ...resolved, invocation }));
    },
};

;// CONCATENATED MODULE: ./src/boot/boot-prerequisites.ts








/** Whether a tools tree mkosi is yet to build lists a qemu package (qemu-system, qemu-system-x86, qemu-kvm …). */
function treeWillHaveQemu(config) {
    return (config.tools?.packages ?? []).some((p) => p.startsWith('qemu'));
}
/**
 * What the boot check will need, judged from the resolved configuration before the build, with the
 * errors the boot itself would give after it: a firmware that can start the image, vhost-device-vsock for
 * boot-transport: vsock, qemu in the tools tree or on the host, and OVMF for UEFI. A default tools tree
 * that mkosi has yet to build is judged by its package list (its OVMF cannot be looked for yet).
 */
async function checkBootPrerequisites(runner, options, config) {
    const format = config.main.format;
    const firmware = firmwareSetting(options.firmware, config.main.firmware);
    const setting = firmwareSettingName(firmware.source);
    checkFirmwareFitsImage(firmware.choice, config.main, setting);
    // A boot-test that is missing, not executable or too large is said now, not after the build.
    await loadBootTests(options.test);
    await chooseTransport(runner, options.transport);
    checkCredentialNames(config.main.credentials);
    const tree = config.main.toolsTree;
    const built = tree !== undefined && (0,external_node_fs_.existsSync)(tree);
    // TPM=yes without swtpm is said before the build (only yes can fail, whatever the firmware).
    const found = await findSwtpm((c) => runner.which(c), built ? tree : undefined);
    decideTpm(config.main.tpm, true, found.swtpm, found.treeHasSwtpm);
    if (tree !== undefined && !built && treeWillHaveQemu(config))
        return;
    const emulator = await findEmulator(built ? tree : undefined, (c) => runner.which(c));
    if (!emulator)
        throw noEmulatorError();
    const ovmf = await withFirmwareVariables(emulator.ovmf, config.main);
    resolveFirmware(firmware.choice, format, config.main.output, { ovmf, origin: emulator.origin }, setting);
}

;// CONCATENATED MODULE: external "node:http"
const external_node_http_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");
var external_node_http_default = /*#__PURE__*/__nccwpck_require__.n(external_node_http_namespaceObject);
;// CONCATENATED MODULE: ./src/boot/update-server.ts





const FILE_NAME = /^\/([A-Za-z0-9][A-Za-z0-9._+~-]*)$/;
async function servedFile(dir, urlPath) {
    const match = FILE_NAME.exec(decodeURIComponent(urlPath.split('?')[0]));
    if (!match)
        return undefined;
    const file = external_node_path_default().join(dir, match[1]);
    const info = await (0,promises_namespaceObject.lstat)(file).catch(() => undefined);
    return info?.isFile() ? { file, size: info.size } : undefined;
}
async function serveDirectory(dir) {
    const requests = [];
    const server = external_node_http_default().createServer((req, res) => {
        const method = req.method ?? 'GET';
        const answer = (status) => {
            requests.push(`${method} ${req.url ?? ''} ${status}`);
            res.writeHead(status).end();
        };
        if (method !== 'GET' && method !== 'HEAD')
            return answer(405);
        servedFile(dir, req.url ?? '/').then((found) => {
            if (!found)
                return answer(404);
            requests.push(`${method} ${req.url ?? ''} 200`);
            res.writeHead(200, { 'content-length': found.size, 'content-type': 'application/octet-stream' });
            if (method === 'HEAD')
                return void res.end();
            (0,external_node_fs_.createReadStream)(found.file)
                .on('error', () => res.destroy())
                .pipe(res);
        }, () => answer(500));
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address();
    return {
        guestUrl: `http://${USER_NETWORK_HOST}:${port}/`,
        requests,
        close: () => new Promise((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    };
}

;// CONCATENATED MODULE: ./src/boot/update-test.ts

/**
 * The guest side of the A/B update round trip (update-round-trip.ts): one boot test, run in both boots
 * of the same writable disk. In the first boot (the old version) it copies the image's own
 * systemd-sysupdate transfer definitions to /run with every `[Source]` `Path=` pointing at the host's
 * server, runs `systemd-sysupdate update VERSION` with them (the image's own keyring checks
 * SHA256SUMS.gpg, the manifest checks every file), and leaves a mark in /var, which survives the reboot.
 * In the second boot it passes only when the running system is the new version; a system that booted the
 * old version again after an update fails, naming both. Every line it prints that the host reads starts
 * with `update-round-trip:`.
 */
const UPDATE_TEST_NAME = 'update-round-trip';
/** The line the test prints in each boot: `update-round-trip: running VERSION`. */
const RUNNING_PREFIX = 'update-round-trip: running ';
/** Persistent across both boots: /var is writable on an image-based system, / is not. */
const MARK = '/var/lib/mkosi-ci/update-round-trip';
const SAFE_URL = /^https?:\/\/[A-Za-z0-9.:[\]-]+\/[A-Za-z0-9._~/-]*$/;
const SAFE_VERSION = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;
function updateTestScript(options) {
    if (!SAFE_URL.test(options.url))
        throw new Error(`invalid update URL: ${options.url}`);
    if (!SAFE_VERSION.test(options.toVersion))
        throw new Error(`invalid version: ${options.toVersion}`);
    return `#!/bin/sh
# mkosi-ci update round trip (generated; see update-test.ts).
set -u
URL=${shellQuote(options.url.endsWith('/') ? options.url : `${options.url}/`)}
TO=${shellQuote(options.toVersion)}
MARK=${MARK}
SYSUPDATE=/usr/lib/systemd/systemd-sysupdate
DEFS=/run/mkosi-ci/sysupdate.d
version=\${MKOSI_CI_IMAGE_VERSION:-}
echo "${RUNNING_PREFIX}$version"
if [ "$version" = "$TO" ]; then
  [ -e "$MARK" ] || { echo "update-round-trip: already at $TO before any update"; exit 1; }
  exit 0
fi
if [ -e "$MARK" ]; then
  echo "update-round-trip: installed $TO, but the system booted $version again"
  exit 1
fi
[ -x "$SYSUPDATE" ] || { echo "update-round-trip: $SYSUPDATE is missing (Debian: systemd-container)"; exit 1; }
mkdir -p "$DEFS" "\${MARK%/*}" || exit 1
# The image's definitions, the later directory winning as in systemd-sysupdate's own search order.
for dir in /usr/lib/sysupdate.d /usr/local/lib/sysupdate.d /run/sysupdate.d /etc/sysupdate.d; do
  for file in "$dir"/*.transfer; do
    [ -f "$file" ] || continue
    # sed, not awk: an image need not have awk. Only [Source] sections: [Target] has a Path= too.
    sed "/^[[:space:]]*\\[Source\\]/,/^[[:space:]]*\\[/ s|^[[:space:]]*Path[[:space:]]*=.*|Path=$URL|" \\
      "$file" >"$DEFS/\${file##*/}" || exit 1
  done
done
ls "$DEFS"/*.transfer >/dev/null 2>&1 || { echo "update-round-trip: the image has no sysupdate.d/*.transfer"; exit 1; }
# The check runs once the boot settled, which need not wait for the network: wait for it here, through
# whichever network manager the image enables.
timeout 90 systemctl start network-online.target ||
  echo "update-round-trip: network-online.target not reached within 90 s; trying anyway"
"$SYSUPDATE" --definitions="$DEFS" --no-pager update "$TO" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
  echo "update-round-trip: systemd-sysupdate update $TO exited with $status"
  exit 1
fi
"$SYSUPDATE" --definitions="$DEFS" --no-pager --offline list 2>&1
echo "$TO" >"$MARK" && sync "$MARK" || exit 1
echo "update-round-trip: installed $TO"
`;
}
function updateTest(options) {
    return { name: UPDATE_TEST_NAME, content: Buffer.from(updateTestScript(options)) };
}
/** The versions the test saw running, in the order of its lines (one per boot it ran in). */
function runningVersions(output) {
    return output.filter((l) => l.startsWith(RUNNING_PREFIX)).map((l) => l.slice(RUNNING_PREFIX.length).trim());
}

;// CONCATENATED MODULE: ./src/boot/update-round-trip.ts









/** Whether a file starts like a GPT disk: the header's signature in the second 512-byte sector. */
async function hasGpt(file) {
    const handle = await (0,promises_namespaceObject.open)(file, 'r');
    try {
        const { bytesRead, buffer } = await handle.read(Buffer.alloc(8), 0, 8, 512);
        return bytesRead === 8 && buffer.toString('latin1') === 'EFI PART';
    }
    finally {
        await handle.close();
    }
}
/**
 * The disk image `update-from` names: the file itself, or the one `.raw` file with a partition table in
 * the directory (an earlier release's outputs also hold split partitions, which have none).
 */
async function findOldDisk(given) {
    const info = await (0,promises_namespaceObject.stat)(given).catch(() => undefined);
    if (info?.isFile())
        return given;
    if (!info?.isDirectory()) {
        throw new ConfigurationError(`Input ${Input.UpdateFrom}: ${given} does not exist; give a disk image or a directory holding one.`, {
            file: given,
        });
    }
    const disks = [];
    for (const name of (await (0,promises_namespaceObject.readdir)(given)).sort()) {
        const file = external_node_path_default().join(given, name);
        if (name.endsWith('.raw') && (await (0,promises_namespaceObject.stat)(file)).isFile() && (await hasGpt(file)))
            disks.push(name);
    }
    if (disks.length !== 1) {
        const found = disks.length === 0
            ? 'no uncompressed .raw disk image'
            : `${disks.length} disk images (${disks.join(', ')})`;
        throw new ConfigurationError(`Input ${Input.UpdateFrom}: ${given} holds ${found}; give the disk image's path.`, {
            file: given,
        });
    }
    return external_node_path_default().join(given, disks[0]);
}
/** The last lines a failed update test printed: systemd-sysupdate says there why it refused. */
function tailOfTest(verdict, lines = 6) {
    const test = verdict.tests.find((t) => t.name === UPDATE_TEST_NAME);
    return (test?.output ?? []).slice(-lines).join(' | ');
}
function versionsOf(verdict) {
    const test = verdict.tests.find((t) => t.name === UPDATE_TEST_NAME);
    return runningVersions(test?.output ?? []);
}
/** The verdict of the first boot, or undefined when it installed the update. */
function judgeFirstBoot(verdict, to) {
    const [version] = versionsOf(verdict);
    if (verdict.result === 'test-failed' && verdict.failedTests.every((t) => t.name === UPDATE_TEST_NAME)) {
        return { result: 'update-failed', reason: `the update to ${to} failed: ${tailOfTest(verdict)}` };
    }
    if (verdict.result !== 'passed') {
        return { result: 'boot-failed', reason: `the first boot: ${verdict.result}: ${verdict.reason}` };
    }
    if (version === undefined || version === to) {
        return {
            result: 'boot-failed',
            reason: `the first boot did not run the old version (it saw ${version ?? 'none'})`,
        };
    }
    return undefined;
}
function judgeSecondBoot(verdict, from, to) {
    const [version] = versionsOf(verdict);
    if (verdict.result === 'passed' && version === to) {
        return { result: 'passed', reason: `updated from ${from} to ${to}, and the second boot runs ${to}` };
    }
    if (version !== undefined && version !== to) {
        return { result: 'not-updated', reason: `${to} was installed, but the second boot ran ${version}` };
    }
    return { result: 'boot-failed', reason: `the second boot: ${verdict.result}: ${verdict.reason}` };
}
async function updateRoundTrip(ctx, options, config, input) {
    const started = Date.now();
    const info = await (0,promises_namespaceObject.stat)(input.fromDisk).catch(() => undefined);
    if (!info?.isFile()) {
        throw new ConfigurationError(`The old version's disk image ${input.fromDisk} is not a file.`, {
            file: input.fromDisk,
        });
    }
    const dir = await claimDirectory(external_node_path_default().join(ctx.workDir, 'update'));
    const disk = external_node_path_default().join(dir, external_node_path_default().basename(input.fromDisk));
    // Under logs/, so the logs artifact carries both boots.
    const logs = await claimDirectory(external_node_path_default().join(ctx.workDir, 'logs', 'update'));
    // Sparse: the disk's empty slot is most of it.
    const copy = await ctx.runner.run('cp', ['--sparse=always', '--reflink=auto', '--', input.fromDisk, disk], {
        stream: false,
    });
    if (copy.exitCode !== 0)
        throw new Error(`copying ${input.fromDisk} failed: ${copy.stderr}`);
    const image = { name: external_node_path_default().basename(disk), path: disk, image: config.main.output, kind: 'image' };
    const artifact = { ...image, type: 'file', size: info.size, sha256: null };
    const server = await serveDirectory(input.releaseDir);
    const boots = [];
    try {
        // The user's boot tests run in both boots, before the update: the old version and the new one each
        // pass them.
        const tests = [
            ...(await loadBootTests(options.test)),
            updateTest({ url: server.guestUrl, toVersion: input.toVersion }),
        ];
        const boot = async (n) => {
            const result = await bootImage(ctx, options, config, artifact, {
                writable: true,
                tests,
                logsDir: external_node_path_default().join(logs, `boot-${n}`),
            });
            boots.push(result);
            return result;
        };
        const first = judgeFirstBoot((await boot(1)).check.verdict, input.toVersion);
        const versions = () => boots.flatMap((b) => versionsOf(b.check.verdict));
        const verdict = first ?? judgeSecondBoot((await boot(2)).check.verdict, versions()[0] ?? '?', input.toVersion);
        return {
            ...verdict,
            versions: versions(),
            boots,
            requests: server.requests,
            durationMs: Date.now() - started,
        };
    }
    finally {
        await server.close();
        // The updated copy is gigabytes; the logs say what happened to it.
        await (0,promises_namespaceObject.rm)(disk, { force: true });
    }
}

;// CONCATENATED MODULE: ./src/boot/update-prerequisites.ts



/**
 * `update-from`, judged before the build: the old disk is there (one disk in a directory), the image
 * has a version to update to, and the outputs will be signed (systemd-sysupdate verifies
 * SHA256SUMS.gpg; `mkosi-ci boot` takes the signature an earlier build left, checked at the update).
 */
async function checkUpdatePrerequisites(options, config, signing) {
    if (options.updateFrom === undefined)
        return;
    await findOldDisk(options.updateFrom);
    if (!config.main.imageVersion) {
        throw new ConfigurationError(`Input ${Input.UpdateFrom}: ${config.main.output} has no ImageVersion=; the update installs a version, so set one (ImageVersion= or --image-version=).`);
    }
    if (signing.command !== 'boot' && signing.signKey === undefined) {
        throw new ConfigurationError(`Input ${Input.UpdateFrom}: needs ${Input.SignKey}: systemd-sysupdate in the guest installs only from a SHA256SUMS whose signature (SHA256SUMS.gpg) its keyring verifies.`);
    }
}

;// CONCATENATED MODULE: ./src/publish/gpg.ts






const PRIVATE_KEY_ARMOR = '-----BEGIN PGP PRIVATE KEY BLOCK-----';
const PUBLIC_KEY_ARMOR = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
/**
 * The lines of an armored key worth hiding in logs: its base64 body. The armor lines are the same for
 * every key, and masking them would only blank out harmless text.
 */
function secretLines(armoredKey) {
    return armoredKey
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line.length >= 8 && !line.startsWith('-----') && !/^[A-Za-z-]+: /.test(line));
}
/** Refuses what is plainly not an armored private key, without ever quoting the value. */
function assertArmoredPrivateKey(value) {
    if (value.includes(PRIVATE_KEY_ARMOR))
        return;
    if (value.includes(PUBLIC_KEY_ARMOR)) {
        throw new ConfigurationError(`Input ${Input.SignKey}: this is a public key; signing needs the ASCII-armored private key (${PRIVATE_KEY_ARMOR}), e.g. from \`gpg --armor --export-secret-keys KEYID\`, kept in a secret.`);
    }
    throw new ConfigurationError(`Input ${Input.SignKey}: not an ASCII-armored OpenPGP private key; expected the text of \`gpg --armor --export-secret-keys KEYID\` starting with ${PRIVATE_KEY_ARMOR}.`);
}
/** `sec`/`fpr`/`uid` records of `gpg --with-colons --list-secret-keys`: the first key that can sign. */
function parseSecretKeys(colons) {
    const keys = [];
    let current;
    let expectPrimaryFingerprint = false;
    for (const line of colons.split('\n')) {
        const fields = line.split(':');
        switch (fields[0]) {
            case 'sec':
                // Field 12 holds the key's overall capabilities, upper case for the key with its subkeys.
                current = { fingerprint: '', userId: undefined, canSign: (fields[11] ?? '').includes('S') };
                keys.push(current);
                expectPrimaryFingerprint = true;
                break;
            case 'fpr':
                if (current && expectPrimaryFingerprint)
                    current.fingerprint = fields[9] ?? '';
                expectPrimaryFingerprint = false;
                break;
            case 'uid':
                if (current && current.userId === undefined)
                    current.userId = unescapeColons(fields[9] ?? '');
                break;
            case 'ssb':
                expectPrimaryFingerprint = false;
                break;
        }
    }
    return keys
        .filter((k) => k.canSign && k.fingerprint)
        .map(({ fingerprint, userId }) => ({ fingerprint, userId }));
}
function unescapeColons(value) {
    return value.replace(/\\x([0-9a-f]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}
function gpgFailure(result) {
    const lines = result.stderr
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('gpg:') || l.startsWith('gpgv:'));
    return lines.at(-1) ?? `exit status ${result.exitCode}`;
}
/** The names of the temporary GnuPG homes mkosi-ci makes: a throwaway keyring, an empty gpgv home. */
const KEYRING_PREFIX = 'mkosi-ci-gnupg-';
const GPGV_HOME_PREFIX = 'mkosi-ci-gpgv-';
/** Whether `dir` is a GnuPG home this program made (so a recorded path names nothing else). */
function isTemporaryGnupgHome(dir) {
    const name = path.basename(dir);
    return (path.isAbsolute(dir) &&
        path.dirname(dir) === path.resolve(os.tmpdir()) &&
        (name.startsWith(KEYRING_PREFIX) || name.startsWith(GPGV_HOME_PREFIX)) &&
        !name.includes('..'));
}
/**
 * Stops the agent of a GnuPG home and removes it with the key inside, outside any runner: while the run
 * is being stopped, or in a later process (the action's post step) after main died.
 */
async function removeGnupgHome(home) {
    await (0,process_cleanup/* runCleanupCommand */.Fx)('gpgconf', ['--homedir', home, '--kill', 'all']);
    await agentGone(home);
    await (0,promises_namespaceObject.rm)(home, { recursive: true, force: true });
}
/** gpgconf only asks the agent to go: wait for it, and kill it if it lingers (it holds the key). */
function agentGone(home) {
    return (0,process_cleanup/* endProcessesMentioning */.le)(`--homedir ${home} `);
}
/** A temporary GnuPG home, registered so a signal removes it (and its agent) too. */
async function temporaryGnupgHome(prefix, cleanup) {
    // mkdtemp creates the directory 0700, which gpg insists on for its home.
    const home = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(external_node_os_default().tmpdir(), prefix));
    const forget = cleanup.addStep({
        what: `the GnuPG home ${home}`,
        path: home,
        run: () => removeGnupgHome(home),
    });
    return { home, forget };
}
/**
 * A keyring that exists for one run: created empty in a private temp directory (short, so gpg-agent's
 * socket path fits), holding only the imported signing key, removed with its agent afterwards.
 */
class ThrowawayKeyring {
    runner;
    home;
    forget;
    constructor(runner, home, forget) {
        this.runner = runner;
        this.home = home;
        this.forget = forget;
    }
    static async create(runner, cleanup = process_cleanup/* runCleanup */.Kt) {
        if (!(await runner.which('gpg'))) {
            throw new ConfigurationError(`Input ${Input.SignKey}: signing needs gpg (GnuPG 2) on PATH; install the gnupg package or leave ${Input.SignKey} empty.`);
        }
        const { home, forget } = await temporaryGnupgHome(KEYRING_PREFIX, cleanup);
        return new ThrowawayKeyring(runner, home, forget);
    }
    gpg(args, input) {
        return this.runner.run('gpg', ['--homedir', this.home, '--batch', '--no-tty', ...args], {
            stream: false,
            input,
        });
    }
    /** Imports the armored private key and says which key will sign. */
    async importSigningKey(armoredKey) {
        assertArmoredPrivateKey(armoredKey);
        const imported = await this.gpg(['--import'], armoredKey);
        if (imported.exitCode !== 0) {
            throw new ConfigurationError(`Input ${Input.SignKey}: gpg could not import the key (${gpgFailure(imported)}); expected the full output of \`gpg --armor --export-secret-keys KEYID\`.`);
        }
        const listed = await this.gpg(['--with-colons', '--list-secret-keys']);
        const keys = parseSecretKeys(listed.stdout);
        if (keys.length === 0) {
            throw new ConfigurationError(`Input ${Input.SignKey}: the key holds no secret key that can sign; export the secret key of a signing key (gpg --armor --export-secret-keys KEYID).`);
        }
        return keys[0];
    }
    /** Writes a detached binary signature of `file` to `signature`. */
    async sign(file, signature, key, passphrase) {
        const args = ['--yes', '--pinentry-mode', 'loopback', '--local-user', key.fingerprint];
        if (passphrase !== undefined)
            args.push('--passphrase-fd', '0');
        const result = await this.gpg([...args, '--detach-sign', '--output', signature, file], passphrase);
        if (result.exitCode === 0)
            return;
        // gpg may leave an empty or partial signature behind; one that is there must be good.
        await (0,promises_namespaceObject.rm)(signature, { force: true });
        const reason = gpgFailure(result);
        if (/bad passphrase/i.test(reason)) {
            throw new ConfigurationError(passphrase === undefined
                ? `Input ${Input.SignPassphrase}: the signing key is protected by a passphrase; give it in ${Input.SignPassphrase} (from a secret).`
                : `Input ${Input.SignPassphrase}: wrong passphrase for the signing key ${key.fingerprint} (gpg: Bad passphrase).`);
        }
        // Without a passphrase gpg in batch mode cannot ask for one.
        if (/no passphrase given|no pinentry|can't get input/i.test(reason)) {
            throw new ConfigurationError(`Input ${Input.SignPassphrase}: the signing key is protected by a passphrase; give it in ${Input.SignPassphrase} (from a secret).`);
        }
        throw new ConfigurationError(`Signing SHA256SUMS with ${key.fingerprint} failed: ${reason}`);
    }
    /** The public half, armored (to publish) and binary (a keyring gpgv can read). */
    async exportPublicKey(key, armoredFile, binaryFile) {
        for (const [file, armor] of [
            [armoredFile, ['--armor']],
            [binaryFile, []],
        ]) {
            const result = await this.gpg([...armor, '--yes', '--output', file, '--export', key.fingerprint]);
            if (result.exitCode !== 0)
                throw new Error(`gpg --export failed: ${gpgFailure(result)}`);
        }
    }
    /** Removes the keyring, its agent and everything in it; safe to call twice. */
    async remove() {
        await this.runner
            .run('gpgconf', ['--homedir', this.home, '--kill', 'all'], { stream: false })
            .catch(() => undefined);
        await agentGone(this.home);
        await (0,promises_namespaceObject.rm)(this.home, { recursive: true, force: true });
        this.forget();
    }
}
/** Checks a detached signature with gpgv against exactly one public keyring file. */
async function verifySignature(runner, publicKeyring, signature, data) {
    // An empty home keeps gpgv off the user's own trustedkeys.
    const { home, forget } = await temporaryGnupgHome(GPGV_HOME_PREFIX, process_cleanup/* runCleanup */.Kt);
    try {
        const result = await runner.run('gpgv', ['--homedir', home, '--keyring', external_node_path_default().resolve(publicKeyring), signature, data], { stream: false });
        return { valid: result.exitCode === 0, message: gpgFailure(result) };
    }
    finally {
        await (0,promises_namespaceObject.rm)(home, { recursive: true, force: true });
        forget();
    }
}

;// CONCATENATED MODULE: ./src/publish/check-signing-key.ts




/** Masks the key and the passphrase in everything logged from now on. */
function maskSigningSecrets(log, options) {
    if (options.signKey) {
        for (const line of secretLines(options.signKey))
            log.mask(line);
        log.mask(options.signKey);
    }
    if (options.signPassphrase)
        log.mask(options.signPassphrase);
}
/**
 * Proves before the build that the key can sign: imported into a throwaway keyring and used once on a
 * scratch file with the passphrase given, so a key that is no private key or a wrong passphrase is
 * said in seconds, not after a build of many minutes. Throws the ConfigurationError gpg's answer gives.
 */
async function checkSigningKey(ctx, options) {
    if (!options.signKey)
        return undefined;
    maskSigningSecrets(ctx.log, options);
    const keyring = await ThrowawayKeyring.create(ctx.runner);
    const scratch = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(external_node_os_default().tmpdir(), 'mkosi-ci-sign-check-'));
    try {
        const key = await keyring.importSigningKey(options.signKey);
        const probe = external_node_path_default().join(scratch, 'probe');
        await (0,promises_namespaceObject.writeFile)(probe, 'mkosi-ci: can this key sign?\n');
        await keyring.sign(probe, `${probe}.sig`, key, options.signPassphrase);
        return key.fingerprint;
    }
    finally {
        await keyring.remove();
        await (0,promises_namespaceObject.rm)(scratch, { recursive: true, force: true });
    }
}

;// CONCATENATED MODULE: ./src/publish/destinations.ts

/** Whether the image set goes up as a workflow artifact: `auto` follows the adapter's judgement of the run. */
function shouldUpload(upload, trigger) {
    if (upload === 'auto')
        return trigger.uploadByDefault;
    return upload === 'yes';
}
/** The tag whose release gets the assets, or why there is none. */
function releaseTag(options, trigger) {
    switch (options.release.kind) {
        case 'none':
            return {};
        case 'tag':
            return { tag: options.release.tag };
        case 'current-tag':
            return trigger.tag
                ? { tag: trigger.tag }
                : { note: `${Input.Release}: true, but this run is not for a tag: no release.` };
    }
}

;// CONCATENATED MODULE: ./src/publish/prerequisites.ts




/**
 * What publishing will need, checked against the run and the resolved configuration: an artifact
 * service for `upload: true`, a release store for a release, an artifact name that comes out non-empty.
 * Throws the ConfigurationError that names the input.
 */
function checkPublishPrerequisites(ctx, options, config, profiles) {
    if (options.upload === 'yes' && !ctx.artifacts)
        throw noArtifactService();
    if (shouldUpload(options.upload, ctx.trigger) && ctx.artifacts) {
        renderArtifactName(options.artifactName, artifactNameFields(config, profiles));
    }
    if (releaseTag(options, ctx.trigger).tag && !ctx.releases)
        throw noReleaseStore();
}
function noArtifactService(where = '') {
    return new ConfigurationError(`Input ${Input.Upload}: true, but there is no artifact service here (it needs GitHub Actions' ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL)${where ? `; the files are in ${where}` : ''}.`);
}
function noReleaseStore() {
    return new ConfigurationError(`Input ${Input.Release}: releases need GitHub Actions (GITHUB_REPOSITORY, GITHUB_API_URL) and ${Input.GithubToken}.`);
}

;// CONCATENATED MODULE: ./src/repro/diffoscope.ts


const LOADER = 'lib64/ld-linux-x86-64.so.2';
/**
 * diffoscope from the tools tree (run by the tree's own loader and python3, so no chroot is needed;
 * the programs it starts come from the host's PATH), else the host's.
 */
async function findDiffoscope(toolsTree, which) {
    if (toolsTree) {
        const loader = external_node_path_default().join(toolsTree, LOADER);
        const python = external_node_path_default().join(toolsTree, 'usr/bin/python3');
        const script = external_node_path_default().join(toolsTree, 'usr/bin/diffoscope');
        if ([loader, python, script].every((f) => (0,external_node_fs_.existsSync)(f))) {
            return {
                command: loader,
                args: ['--library-path', external_node_path_default().dirname((0,external_node_fs_.realpathSync)(loader)), python, script],
            };
        }
    }
    const host = await which('diffoscope');
    return host ? { command: host, args: [] } : undefined;
}
/** diffoscope's arguments: both reports, bounded in size, and no noise from the copies' own metadata. */
function diffoscopeArgs(o) {
    return [
        '--html',
        o.html,
        '--text',
        o.text,
        '--max-report-size',
        String(o.maxReportSize),
        '--max-text-report-size',
        String(o.maxReportSize),
        // The copies were made for diffoscope: their directories' metadata says nothing.
        '--exclude-directory-metadata=yes',
        '--timeout',
        String(o.timeoutSeconds),
        '--no-progress',
        o.a,
        o.b,
    ];
}
/**
 * Where a differing file is put for diffoscope, the same on both sides: its location then its path,
 * so the HTML report's headings say where each file came from. Never leaves the narrowed directory.
 */
function narrowedPath(difference) {
    const parts = [...difference.location, difference.path]
        .flatMap((p) => p.split('/'))
        .map((p) => p.replace(/[\0]/g, ''))
        .filter((p) => p !== '' && p !== '.' && p !== '..');
    return parts.join('/');
}

;// CONCATENATED MODULE: ./src/repro/run-diffoscope.ts





const DIFFOSCOPE_TIMEOUT_MS = 10 * 60_000;
/** diffoscope on the differing files only (copied into `narrowedDir` as a/ and b/), with a timeout. */
async function runDiffoscope(ctx, options, toolsTree, narrowedDir, reportDir, copied) {
    if (options.diffoscope === 'no')
        return { status: 'disabled' };
    const command = await findDiffoscope(toolsTree.kind === 'path' ? toolsTree.path : undefined, (c) => ctx.runner.which(c));
    if (!command) {
        if (options.diffoscope === 'yes')
            throw noDiffoscopeError();
        return { status: 'unavailable' };
    }
    if (copied === 0)
        return { status: 'nothing-to-explain' };
    const html = external_node_path_default().join(reportDir, 'diffoscope.html');
    const text = external_node_path_default().join(reportDir, 'diffoscope.txt');
    const started = Date.now();
    const result = await ctx.log.group(`diffoscope on ${copied} differing files`, () => ctx.runner.run(command.command, [
        ...command.args,
        ...diffoscopeArgs({
            html,
            text,
            maxReportSize: options.maxReportSize,
            timeoutSeconds: DIFFOSCOPE_TIMEOUT_MS / 1000,
            a: 'a',
            b: 'b',
        }),
    ], 
    // Relative paths, so the report's headings read a/<image>/<partition>/<file>.
    {
        cwd: narrowedDir,
        timeoutMs: DIFFOSCOPE_TIMEOUT_MS,
        stream: false,
        logFile: external_node_path_default().join(reportDir, 'diffoscope.log'),
    }));
    const durationMs = Date.now() - started;
    // diffoscope exits 1 when it found differences, which is what it was given.
    if (result.timedOut)
        return { status: 'timed-out', durationMs, files: copied };
    if (result.exitCode > 1) {
        return {
            status: 'failed',
            durationMs,
            files: copied,
            reason: lastErrorLine(result.stderr) ?? `exit status ${result.exitCode}`,
        };
    }
    return { status: 'ran', durationMs, files: copied, html: 'diffoscope.html', text: 'diffoscope.txt' };
}
function noDiffoscopeError() {
    return new ConfigurationError(`Input ${Input.Diffoscope}: yes, but diffoscope is neither in the tools tree nor on PATH (add diffoscope-minimal to ToolsTreePackages= or install it).`);
}

;// CONCATENATED MODULE: ./src/repro/diffoscope-prerequisites.ts



const DIFFOSCOPE_PACKAGES = ['diffoscope', 'diffoscope-minimal'];
/**
 * `diffoscope: yes` for a reproducibility check, judged before the first build rather than after the
 * second: diffoscope must be in the tools tree (a default tree mkosi has yet to build: in its package
 * list) or on the host.
 */
async function checkDiffoscopePrerequisites(runner, options, toolsTree, config) {
    if (options.mode === 'no' || options.diffoscope !== 'yes')
        return;
    if (toolsTree.kind === 'default') {
        if ((config.tools?.packages ?? []).some((p) => DIFFOSCOPE_PACKAGES.includes(p)))
            return;
    }
    // Where the repro stage looks: a tree given as a path, or the default tree once mkosi built it.
    const tree = toolsTree.kind === 'path'
        ? toolsTree.path
        : toolsTree.kind === 'default'
            ? config.main.toolsTree
            : undefined;
    const built = tree !== undefined && (0,external_node_fs_.existsSync)(tree) ? tree : undefined;
    if (await findDiffoscope(built, (c) => runner.which(c)))
        return;
    throw noDiffoscopeError();
}

;// CONCATENATED MODULE: ./src/pipeline/check.ts






/**
 * Everything about the inputs that can be judged once the configuration is resolved, judged before
 * the build: a format that cannot boot with `boot: true`, what the boot needs (firmware, qemu, vsock),
 * diffoscope for `diffoscope: yes`, what uploads and releases need, and whether the signing key can sign
 * with the passphrase given. A mistake here costs seconds, not a build.
 */
const checkStage = {
    name: 'check',
    title: 'check the inputs',
    runs: () => true,
    async run(state) {
        const { ctx, command, options, resolved } = state;
        if (bootDecisionOf(state).boot) {
            await checkBootPrerequisites(ctx.runner, bootOptions(state), resolved.config);
        }
        await checkUpdatePrerequisites(options.boot, resolved.config, {
            command,
            signKey: options.publish.signKey,
        });
        if (command === 'boot')
            return;
        await checkDiffoscopePrerequisites(ctx.runner, options.repro, options.toolsTree, resolved.config);
        checkPublishPrerequisites(ctx, options.publish, resolved.config, options.profiles);
        const fingerprint = await checkSigningKey(ctx, options.publish);
        if (fingerprint)
            ctx.log.info(`sign-key: ${fingerprint} can sign`);
    },
};

;// CONCATENATED MODULE: ./src/publish/safe-write.ts




/**
 * The output directory comes from the project (a checkout can hold a `mkosi.output/SHA256SUMS` that is
 * a symlink to any file), so nothing is written there by opening a name: each file is written to a new
 * name beside it (created exclusively, never following a link) and renamed over the name, which
 * replaces whatever was there instead of writing through it.
 */
async function replacing(file, write) {
    const temporary = external_node_path_default().join(external_node_path_default().dirname(file), `.${external_node_path_default().basename(file)}.${(0,external_node_crypto_namespaceObject.randomUUID)()}.tmp`);
    try {
        await write(temporary);
        await (0,promises_namespaceObject.rename)(temporary, file);
    }
    finally {
        await (0,promises_namespaceObject.rm)(temporary, { force: true });
    }
}
/** Writes `content` as `file`, replacing (never following) what is there. */
async function writeFileReplacing(file, content) {
    await replacing(file, async (temporary) => {
        const flags = external_node_fs_.constants.O_WRONLY | external_node_fs_.constants.O_CREAT | external_node_fs_.constants.O_EXCL | external_node_fs_.constants.O_NOFOLLOW;
        const handle = await (0,promises_namespaceObject.open)(temporary, flags, 0o644);
        try {
            await handle.writeFile(content);
        }
        finally {
            await handle.close();
        }
    });
}
/** Copies `source` to `file`, replacing (never following) what is there. */
async function copyFileReplacing(source, file) {
    await replacing(file, (temporary) => (0,promises_namespaceObject.copyFile)(source, temporary, external_node_fs_.constants.COPYFILE_EXCL));
}

;// CONCATENATED MODULE: ./src/publish/tree-listing.ts



/**
 * What `sha256sum -c` cannot see: symlinks, empty directories, device nodes, modes and owners. A
 * published directory (an OS tree holds all of them) is therefore also described entry by entry in an
 * mtree specification next to SHA256SUMS, which lists it, so the signature covers it too. A download that
 * lost an entry (a zip keeps no symlinks, empty directories or devices) shows in
 * `mtree -f SHA256SUMS.mtree -p DIR` (NetBSD mtree, Debian's mtree-netbsd) or libarchive's readers.
 */
const LISTING_FILE = 'SHA256SUMS.mtree';
const TYPES = [
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
function mtreeName(name) {
    let out = '';
    for (const byte of Buffer.from(name, 'utf8')) {
        const c = String.fromCharCode(byte);
        const plain = byte > 0x20 && byte < 0x7f && !'#=\\*?[]'.includes(c);
        out += plain ? c : `\\${byte.toString(8).padStart(3, '0')}`;
    }
    return out;
}
/** Linux's encoding of major and minor in a device number (glibc's gnu_dev_major and gnu_dev_minor). */
function deviceNumbers(rdev) {
    const dev = BigInt(rdev);
    const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
    const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
    return `native,${major},${minor}`;
}
/** One specification line for `name` (relative to the listing's root, '.' for the root itself). */
async function line(file, name, known) {
    const info = await (0,promises_namespaceObject.lstat)(file);
    const type = TYPES.find(([is]) => is(info))[1];
    const words = [`./${mtreeName(name)}`, `type=${type}`];
    if (type !== 'link')
        words.push(`mode=0${(info.mode & 0o7777).toString(8).padStart(3, '0')}`);
    words.push(`uid=${info.uid}`, `gid=${info.gid}`);
    if (type === 'file') {
        words.push(`size=${info.size}`, `sha256digest=${known.get(name) ?? (await sha256File(file))}`);
    }
    if (type === 'link')
        words.push(`link=${mtreeName(await (0,promises_namespaceObject.readlink)(file))}`);
    if (type === 'char' || type === 'block')
        words.push(`device=${deviceNumbers(info.rdev)}`);
    return words.join(' ');
}
async function walk(root, name, known, skip, out) {
    const file = name === '.' ? root : external_node_path_default().join(root, name);
    if (name !== '.')
        out.push(await line(file, name, known));
    if (!(await (0,promises_namespaceObject.lstat)(file)).isDirectory())
        return;
    const children = (await (0,promises_namespaceObject.readdir)(file)).sort();
    for (const child of children) {
        const childName = name === '.' ? child : `${name}/${child}`;
        if (!skip.has(childName))
            await walk(root, childName, known, skip, out);
    }
}
/**
 * The mtree specification of everything published below `root`: parents before children, names
 * sorted, no times (two builds of one image are the same), the companions marked optional.
 */
async function renderListing(inputs) {
    const lines = ['#mtree', '. type=dir'];
    for (const name of [...inputs.companions].sort())
        lines.push(`./${mtreeName(name)} type=file optional`);
    const skip = new Set(inputs.companions);
    const entries = [];
    for (const name of [...new Set(inputs.published)].sort()) {
        await walk(inputs.root, name, inputs.known, skip, entries);
    }
    return [...lines, ...entries, ''].join('\n');
}

;// CONCATENATED MODULE: ./src/publish/checksums.ts







/** The files mkosi-ci itself writes next to the outputs; never listed in their own checksums. */
const CHECKSUMS_FILE = 'SHA256SUMS';
const SIGNATURE_FILE = 'SHA256SUMS.gpg';
const PUBLIC_KEY_FILE = 'signing-key.asc';
const PUBLICATION_FILES = [
    CHECKSUMS_FILE,
    SIGNATURE_FILE,
    PUBLIC_KEY_FILE,
    LISTING_FILE,
];
/** GNU coreutils' escapes for a name in a checksum line: the backslash itself, line feed, carriage return. */
const ESCAPES = { '\\': '\\\\', '\n': '\\n', '\r': '\\r' };
const UNESCAPES = { '\\': '\\', n: '\n', r: '\r' };
/**
 * One line as GNU sha256sum writes it: `<sha256> *<name>`, and for a name with a backslash, line feed
 * or carriage return (systemd's unit names are full of `\x2d`) the same with those escaped and a
 * backslash before the line, which tells `sha256sum -c` to unescape the name.
 */
function checksumLine(name, sha256) {
    const escaped = name.replace(/[\\\n\r]/g, (c) => ESCAPES[c]);
    return `${escaped === name ? '' : '\\'}${sha256} *${escaped}\n`;
}
/**
 * `<sha256> *<name>` lines, sorted by name: the format `sha256sum -c` reads and systemd-sysupdate
 * expects, with the binary-mode marker mkosi's own Checksum= writes.
 */
function renderChecksums(files) {
    // Names are unique: no two compare equal, so `<` and `<=` sort alike.
    const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : 1));
    return sorted.map((f) => checksumLine(f.name, f.sha256)).join('');
}
/** Reads SHA256SUMS back (escaped lines too); a line it cannot read is left out. */
function parseChecksums(text) {
    const entries = new Map();
    for (const line of text.split('\n')) {
        const match = /^(\\?)([0-9a-f]{64}) [ *](.+)$/.exec(line);
        if (!match)
            continue;
        const name = match[1] ? match[3].replace(/\\(.)/g, (all, c) => UNESCAPES[c] ?? all) : match[3];
        entries.set(name, match[2]);
    }
    return entries;
}
async function filesBelow(directory, prefix) {
    const files = [];
    for (const entry of await (0,promises_namespaceObject.readdir)(directory, { withFileTypes: true, recursive: true })) {
        if (!entry.isFile())
            continue;
        const file = external_node_path_default().join(entry.parentPath, entry.name);
        const name = external_node_path_default().join(prefix, external_node_path_default().relative(directory, file));
        files.push({ name, path: file, size: (await (0,promises_namespaceObject.lstat)(file)).size, sha256: await sha256File(file) });
    }
    return files;
}
/**
 * Every regular file among the build's outputs, with the hashes output discovery already took.
 * A directory output contributes each regular file below it (mkosi's Checksum= skips directories);
 * symlinks are aliases of files that are listed anyway, and a zip or a release cannot hold them.
 */
async function publishedFiles(artifacts) {
    const files = [];
    for (const artifact of artifacts) {
        if (PUBLICATION_FILES.includes(artifact.name))
            continue;
        if (artifact.type === 'file') {
            const sha256 = artifact.sha256 ?? (await sha256File(artifact.path));
            files.push({ name: artifact.name, path: artifact.path, size: artifact.size, sha256 });
        }
        else if (artifact.type === 'directory') {
            files.push(...(await filesBelow(artifact.path, artifact.name)));
        }
    }
    return files;
}
/** Every regular file in a directory (for `mkosi-ci publish`), except mkosi-ci's own publication files. */
async function directoryFiles(directory) {
    const files = await filesBelow(directory, '');
    return files.filter((f) => !PUBLICATION_FILES.includes(f.name));
}
/**
 * The names the tree listing covers when a directory is among the outputs: every published output
 * and report. Undefined when only regular files are published (SHA256SUMS says all there is then).
 */
function listedNames(artifacts, reports) {
    const published = artifacts.filter((a) => !PUBLICATION_FILES.includes(a.name) && (a.type === 'file' || a.type === 'directory'));
    if (!published.some((a) => a.type === 'directory'))
        return undefined;
    return [...published.map((a) => a.name), ...reports];
}
/** For `mkosi-ci publish`: all of the directory, when it holds anything but regular files. */
async function directoryListedNames(directory) {
    const entries = await (0,promises_namespaceObject.readdir)(directory, { withFileTypes: true });
    return entries.some((e) => !e.isFile() && !PUBLICATION_FILES.includes(e.name)) ? ['.'] : undefined;
}
/** Writes the tree listing of `published` into `directory`; the file, for SHA256SUMS to list. */
async function writeTreeListing(directory, files, published) {
    const file = external_node_path_default().join(directory, LISTING_FILE);
    const text = await renderListing({
        root: directory,
        published,
        known: new Map(files.map((f) => [f.name, f.sha256])),
        companions: PUBLICATION_FILES,
    });
    await writeFileReplacing(file, text);
    const sha256 = (0,external_node_crypto_namespaceObject.createHash)('sha256').update(text).digest('hex');
    return { name: LISTING_FILE, path: file, size: Buffer.byteLength(text), sha256 };
}

;// CONCATENATED MODULE: ./src/publish/compression.ts

/**
 * Magic numbers of data that deflate cannot shrink: compressed streams, and PE files (a UKI or an EFI
 * stub kernel carries a compressed kernel and initrd) and squashfs/zip containers.
 */
const COMPRESSED_MAGIC = [
    [0x28, 0xb5, 0x2f, 0xfd], // zstd
    [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
    [0x1f, 0x8b], // gzip
    [0x42, 0x5a, 0x68], // bzip2
    [0x04, 0x22, 0x4d, 0x18], // lz4 frame
    [0x02, 0x21, 0x4c, 0x18], // lz4 legacy (kernel initrds)
    [0x4d, 0x5a], // PE/COFF: UKI, vmlinuz
    [0x68, 0x73, 0x71, 0x73], // squashfs
    [0x50, 0x4b, 0x03, 0x04], // zip
];
function looksCompressed(head) {
    return COMPRESSED_MAGIC.some((magic) => magic.every((byte, i) => head[i] === byte));
}
async function isCompressedFile(file) {
    const handle = await (0,promises_namespaceObject.open)(file, 'r');
    try {
        const head = new Uint8Array(8);
        const { bytesRead } = await handle.read(head, 0, head.length, 0);
        return looksCompressed(head.subarray(0, bytesRead));
    }
    finally {
        await handle.close();
    }
}
/** Stored as they are: recompressing what is already compressed costs time and gains nothing. */
const STORE = 0;
/** Fast deflate: raw disk images are mostly zeros and free blocks, which the fastest level already folds. */
const FAST_DEFLATE = 1;
/**
 * The artifact zip has one compression level for all its files; pick it by where most bytes are.
 */
function compressionLevel(files) {
    const total = files.reduce((sum, f) => sum + f.size, 0);
    const compressed = files.filter((f) => f.compressed).reduce((sum, f) => sum + f.size, 0);
    return total > 0 && compressed * 2 >= total ? STORE : FAST_DEFLATE;
}

;// CONCATENATED MODULE: ./src/publish/upload.ts





function commonDirectory(files) {
    let common = external_node_path_default().dirname(files[0]);
    for (const file of files) {
        while (!file.startsWith(common + (external_node_path_default()).sep) && common !== external_node_path_default().dirname(common))
            common = external_node_path_default().dirname(common);
    }
    return common;
}
/** Uploads the image set as one artifact, zipped at the level its content pays for. */
async function uploadArtifact(store, upload, files, ownFiles) {
    const paths = [...files.map((f) => f.path), ...ownFiles];
    const sized = await Promise.all(files.map(async (f) => ({ size: f.size, compressed: await isCompressedFile(f.path) })));
    const level = compressionLevel(sized);
    const started = Date.now();
    const uploaded = await store.upload({
        name: upload.name,
        files: paths,
        rootDirectory: commonDirectory(paths),
        retentionDays: upload.retentionDays,
        compressionLevel: level,
    });
    return {
        ...uploaded,
        name: upload.name,
        files: paths.length,
        bytes: files.reduce((sum, f) => sum + f.size, 0),
        compressionLevel: level,
        durationMs: Date.now() - started,
    };
}
/** Attaches the files to the release of `tag`; a release has no folders, so names must not clash. */
async function publishRelease(store, tag, files, ownFiles) {
    const assets = [
        ...files.map((f) => ({ name: external_node_path_default().basename(f.name), path: f.path, size: f.size })),
        ...(await Promise.all(ownFiles.map(async (f) => ({ name: external_node_path_default().basename(f), path: f, size: (await (0,promises_namespaceObject.lstat)(f)).size })))),
    ];
    const clash = assets.find((a, i) => assets.findIndex((b) => b.name === a.name) !== i);
    if (clash) {
        throw new ConfigurationError(`Input ${Input.Release}: two files would both be the release asset '${clash.name}' (a release has no folders); a directory image cannot be a release asset: use Format=tar or disk.`);
    }
    return store.publish(tag, assets);
}

;// CONCATENATED MODULE: ./src/publish/write-checksums.ts








/**
 * Writes SHA256SUMS over `files` into `directory` (and, when `listed` names what is published and a
 * directory is among it, the tree listing, which SHA256SUMS lists too) and, given a key, signs it and
 * checks the signature. Nothing there is written through: see safe-write.ts.
 */
async function writeChecksums(ctx, options, directory, files, listed) {
    // A signature or listing of an earlier run must not sit next to this run's SHA256SUMS (unlinked, never followed).
    for (const stale of [SIGNATURE_FILE, PUBLIC_KEY_FILE, LISTING_FILE])
        await (0,promises_namespaceObject.rm)(external_node_path_default().join(directory, stale), { force: true });
    const listing = listed && (await writeTreeListing(directory, files, listed));
    const checksumsFile = external_node_path_default().join(directory, CHECKSUMS_FILE);
    const text = renderChecksums(listing ? [...files, listing] : files);
    await writeFileReplacing(checksumsFile, text);
    ctx.log.info(`SHA256SUMS: ${files.length} files, in ${checksumsFile}${listing ? `; the tree in ${listing.path}` : ''}`);
    const written = { checksumsFile, ...(listing ? { listingFile: listing.path } : {}) };
    if (!options.signKey)
        return written;
    return { ...written, signature: await sign(ctx, options, checksumsFile, text) };
}
async function sign(ctx, options, checksumsFile, text) {
    const armoredKey = options.signKey;
    maskSigningSecrets(ctx.log, options);
    const directory = external_node_path_default().dirname(checksumsFile);
    const keyring = await ThrowawayKeyring.create(ctx.runner);
    try {
        const key = await keyring.importSigningKey(armoredKey);
        // Signed and checked in the keyring's private directory, over the text just written, then copied
        // into place: what is in the output directory may have been swapped or be a planted link.
        const own = (name) => external_node_path_default().join(keyring.home, name);
        await writeFileReplacing(own(CHECKSUMS_FILE), text);
        await keyring.sign(own(CHECKSUMS_FILE), own(SIGNATURE_FILE), key, options.signPassphrase);
        const publicKeyring = external_node_path_default().join(keyring.home, 'public.gpg');
        await keyring.exportPublicKey(key, own(PUBLIC_KEY_FILE), publicKeyring);
        // Checked with the public key alone, as whoever downloads the files will check it.
        const check = await verifySignature(ctx.runner, publicKeyring, own(SIGNATURE_FILE), own(CHECKSUMS_FILE));
        const file = external_node_path_default().join(directory, SIGNATURE_FILE);
        const publicKeyFile = external_node_path_default().join(directory, PUBLIC_KEY_FILE);
        await copyFileReplacing(own(SIGNATURE_FILE), file);
        await copyFileReplacing(own(PUBLIC_KEY_FILE), publicKeyFile);
        if (!check.valid)
            throw new Error(`The new signature of SHA256SUMS does not verify: ${check.message}`);
        ctx.log.info(`SHA256SUMS.gpg: signed by ${key.fingerprint}${key.userId ? ` (${key.userId})` : ''}; ${check.message}`);
        return { file, publicKeyFile, key, verification: check.message };
    }
    finally {
        await keyring.remove();
    }
}
/**
 * What `sha256sum -c` does, over what is about to leave the machine: SHA256SUMS read back from disk and
 * every file hashed again, so nothing changed since it was listed. (OpenSSL's sha256 in node runs about
 * three times as fast here as coreutils' own.)
 */
async function verifyChecksums(checksumsFile) {
    const listed = parseChecksums(await (0,promises_namespaceObject.readFile)(checksumsFile, 'utf8'));
    const changed = [];
    for (const [name, sha256] of listed) {
        const actual = await sha256File(external_node_path_default().join(external_node_path_default().dirname(checksumsFile), name)).catch(() => 'missing');
        if (actual !== sha256)
            changed.push(actual === 'missing' ? `${name} (missing)` : name);
    }
    if (changed.length > 0) {
        throw new Error(`Outputs changed after SHA256SUMS was written, so nothing was uploaded: ${changed.slice(0, 5).join(', ')}`);
    }
}
/** `mkosi-ci publish`: SHA256SUMS (and its signature) over every file already in a directory. */
async function publishDirectory(ctx, options, directory) {
    const files = await directoryFiles(directory).catch((error) => {
        throw new ConfigurationError(`Cannot read the output directory ${directory}: ${error.code ?? error.message}`);
    });
    if (files.length === 0) {
        throw new ConfigurationError(`The output directory ${directory} holds no files to publish.`);
    }
    const written = await writeChecksums(ctx, options, directory, files, await directoryListedNames(directory));
    return { directory, files, ...written };
}

;// CONCATENATED MODULE: ./src/repro/merge.ts

/**
 * One comparison of two builds out of the comparisons of their output pairs (image, manifest,
 * initrd, …): a directory node with each pair as a child, differences in the order found, at most
 * maxFiles of them. The builds are identical only when there was something to compare and every
 * pair is identical.
 */
/** No output pair at all: neither build made anything, so nothing says they are the same. */
const NOTHING_COMPARED = {
    location: [],
    path: 'outputs',
    change: 'changed',
    fields: [],
    reason: 'no outputs found in either build: nothing was compared',
};
/** A pair's differences, or the one its verdict stands for when it is not identical but recorded none. */
function differencesOf(result) {
    return result.identical || result.totalDifferences > 0
        ? result.differences
        : [levelDifference(result.root)];
}
function countsOf(children) {
    const count = (...verdicts) => children.filter((c) => verdicts.includes(c.verdict)).length;
    return {
        a: children.length - count('only-in-b'),
        b: children.length - count('only-in-a'),
        identical: count('identical'),
        changed: count('different', 'unsupported', 'nothing-compared'),
        removed: count('only-in-a'),
        added: count('only-in-b'),
    };
}
function mergeComparisons(a, b, results, maxFiles) {
    const differences = results.length === 0 ? [NOTHING_COMPARED] : [];
    let total = differences.length;
    let timestampOnly = 0;
    for (const result of results) {
        const own = differencesOf(result);
        differences.push(...own);
        total += Math.max(result.totalDifferences, own.length);
        timestampOnly += result.timestampOnly;
    }
    const children = results.map((r) => r.root);
    const identical = results.length > 0 && results.every((r) => r.identical);
    const root = {
        kind: 'directory',
        name: 'outputs',
        verdict: results.length === 0 ? 'nothing-compared' : identical ? 'identical' : 'different',
        detail: results.length === 1 ? '1 output' : `${results.length} outputs`,
        counts: countsOf(children),
        children,
    };
    if (results.length === 0)
        root.reason = NOTHING_COMPARED.reason;
    const kept = differences.slice(0, maxFiles);
    return {
        a,
        b,
        identical,
        root,
        differences: kept,
        totalDifferences: total,
        timestampOnly,
        truncated: total > kept.length,
        durationMs: results.reduce((n, r) => n + r.durationMs, 0),
    };
}

;// CONCATENATED MODULE: ./src/repro/compare-builds.ts






/** Largest differing file copied for diffoscope: enough for any config or binary, not for a whole image. */
const DIFFOSCOPE_MAX_FILE_BYTES = 256 * 1024 * 1024;
function toolBox(runner, toolsTree) {
    const host = hostToolBox(runner);
    return chainToolBoxes(toolsTree.kind === 'path' ? toolsTreeToolBox(toolsTree.path, host) : host);
}
/** The outputs compared: the main image's files and directories (symlinks point at them). */
function comparable(artifacts) {
    return artifacts.filter((a) => a.type !== 'symlink');
}
/** Output pairs by name: every output of either build, the other side's path even if it is missing. */
function outputPairs(first, second) {
    const names = [
        ...new Set([...comparable(first.artifacts), ...comparable(second.artifacts)].map((a) => a.name)),
    ];
    return names.map((name) => ({
        name,
        a: first.artifacts.find((x) => x.name === name)?.path ?? external_node_path_default().join(first.outputDirectory, name),
        b: second.artifacts.find((x) => x.name === name)?.path ?? external_node_path_default().join(second.outputDirectory, name),
    }));
}
/**
 * Compares every output pair, narrowing each difference, and copies the differing regular files
 * (both versions, while they are extracted) into `narrowedDir` for diffoscope.
 */
async function compareBuilds(ctx, options, first, second, toolsTree, dir, narrowedDir) {
    let copied = 0;
    const keep = async (difference, files) => {
        if (options.diffoscope === 'no')
            return;
        const size = Math.max(...(await Promise.all([(0,promises_namespaceObject.stat)(files.a), (0,promises_namespaceObject.stat)(files.b)])).map((s) => s.size));
        if (size > DIFFOSCOPE_MAX_FILE_BYTES)
            return;
        const relative = narrowedPath(difference);
        await (0,promises_namespaceObject.cp)(files.a, external_node_path_default().join(narrowedDir, 'a', relative), { preserveTimestamps: true });
        await (0,promises_namespaceObject.cp)(files.b, external_node_path_default().join(narrowedDir, 'b', relative), { preserveTimestamps: true });
        copied++;
    };
    const extractDir = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(dir, 'extract-'));
    const results = [];
    try {
        await ctx.log.group('Compare the two builds', async () => {
            for (const pair of outputPairs(first, second)) {
                const kept = results.reduce((n, r) => n + r.differences.length, 0);
                const result = await compareOutputs(pair.a, pair.b, {
                    runner: ctx.runner,
                    tools: toolBox(ctx.runner, toolsTree),
                    tmpDir: extractDir,
                    maxFiles: Math.max(1, options.maxFiles - kept),
                    onDifference: keep,
                });
                results.push(result);
                ctx.log.info(`${pair.name}: ${result.identical ? 'identical' : `${result.totalDifferences} differences`}`);
            }
        });
    }
    finally {
        await (0,promises_namespaceObject.rm)(extractDir, { recursive: true, force: true });
    }
    const comparison = mergeComparisons(first.outputDirectory, second.outputDirectory, results, options.maxFiles);
    return { comparison, copied };
}

;// CONCATENATED MODULE: ./src/repro/pins.ts




/** A stable UUID for an image, so two runs of the check on the same project pin the same Seed=. */
function derivedSeed(imageId) {
    const h = (0,external_node_crypto_namespaceObject.createHash)('sha256').update(`mkosi-ci repro seed\0${imageId}`).digest('hex');
    // A version 4 / variant 1 layout, so tools that check the UUID's shape accept it.
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
async function summaryFacts(runner, mkosi, options) {
    const { config } = await readSummary(runner, mkosi.command, baseInvocation(options));
    const raw = config.raw;
    const main = raw.Images.at(-1) ?? {};
    return {
        seed: main.Seed,
        sourceDateEpoch: main.SourceDateEpoch,
        imageId: typeof main.ImageId === 'string' ? main.ImageId : external_node_path_default().basename(options.directory),
    };
}
/** The time of the project's last commit, when it is in git: the usual SOURCE_DATE_EPOCH. */
async function lastCommitTime(runner, directory) {
    const result = await runner
        .run('git', ['-C', directory, 'log', '-1', '--format=%ct'], { stream: false })
        .catch(() => undefined);
    const value = Number(result?.stdout.trim());
    return result?.exitCode === 0 && Number.isInteger(value) && value > 0 ? value : undefined;
}
/**
 * Seed= and SourceDateEpoch= for both builds. mkosi draws a new random seed for every run when
 * Seed= is unset (two summaries differ), and takes SourceDateEpoch= from the environment when unset
 * (null in the summary): those are pinned, everything the project pins is left alone.
 */
async function reproPins(runner, options, mkosi) {
    const first = await summaryFacts(runner, mkosi, options);
    const second = await summaryFacts(runner, mkosi, options);
    const pins = { pinned: [], args: [] };
    if (first.seed !== second.seed || first.seed === null || first.seed === undefined) {
        const seed = derivedSeed(first.imageId);
        pins.pinned.push({ setting: 'Seed', value: seed, source: `derived from ImageId=${first.imageId}` });
        pins.args.push(`--seed=${seed}`);
    }
    if (first.sourceDateEpoch === null || first.sourceDateEpoch === undefined) {
        const commit = await lastCommitTime(runner, options.directory);
        const epoch = commit ?? Math.floor(Date.now() / 1000);
        pins.pinned.push({
            setting: 'SourceDateEpoch',
            value: String(epoch),
            source: commit ? 'time of the last commit' : 'start of this run (the project is not in git)',
        });
        pins.args.push(`--source-date-epoch=${epoch}`);
    }
    return pins;
}

;// CONCATENATED MODULE: ./src/repro/repro-report.ts

function diffoscopeLine(run) {
    switch (run.status) {
        case 'disabled':
            return 'diffoscope: not run (diffoscope: no).';
        case 'unavailable':
            return 'diffoscope: not found in the tools tree or on PATH; the differences above are from the manifests only.';
        case 'nothing-to-explain':
            return 'diffoscope: nothing to explain (no differing regular file with content on both sides).';
        case 'ran':
            return `diffoscope: ran on the ${run.files} differing files in ${report_formatDuration(run.durationMs)}; its report is \`${run.html}\` (and \`${run.text}\`) beside this one.`;
        case 'timed-out':
            return `diffoscope: stopped after ${report_formatDuration(run.durationMs)} on ${run.files} files (timeout); the file list above is complete.`;
        case 'failed':
            return `diffoscope: failed on ${run.files} files (${report_cell(run.reason)}); the file list above is complete.`;
    }
}
/** The reproducibility report: the comparison, then how the builds were made. */
function renderReproMarkdown(result, conditions) {
    const lines = [
        renderMarkdown(result, { labels: { a: 'first build', b: 'second build' } }).trimEnd(),
        '',
        '### How the two builds were made',
        '',
    ];
    const built = (ms) => (ms === undefined ? '?' : report_formatDuration(ms));
    lines.push(`Two builds with \`Incremental=no\` sharing only the package cache (${built(conditions.durations.first)} and ${built(conditions.durations.second)}); the second in \`${conditions.secondDirectory}\`.`, '');
    if (conditions.pinned.length > 0) {
        lines.push('The project does not pin these, so mkosi-ci pinned them for both builds (without them every image differs); pin them in `mkosi.conf` to make your own builds comparable:', '');
        for (const pin of conditions.pinned)
            lines.push(`- \`${pin.setting}=${pin.value}\` (${pin.source})`);
    }
    else {
        lines.push('The project pins `Seed=` and `SourceDateEpoch=` itself.');
    }
    lines.push('', 'Varied in the second build:', '');
    if (conditions.variations.length === 0)
        lines.push('- nothing');
    for (const v of conditions.variations)
        lines.push(`- ${report_cell(v)}`);
    for (const v of conditions.notVaried)
        lines.push(`- not varied: ${report_cell(v)}`);
    lines.push('', diffoscopeLine(conditions.diffoscope), '');
    return lines.join('\n');
}
function renderReproJson(result, conditions) {
    const report = { ...toJsonReport(result), reproducible: result.identical, conditions };
    return `${JSON.stringify(report, null, 2)}\n`;
}
/** A few lines for a terminal: the verdict, the top differences, where the report is. */
function reproText(result, reportDir, top = 10) {
    const lines = [
        result.identical
            ? 'reproducible: yes (the two builds are bit-identical)'
            : `reproducible: no (${result.totalDifferences} ${result.totalDifferences === 1 ? 'difference' : 'differences'})`,
    ];
    for (const d of result.differences.slice(0, top))
        lines.push(`  ${formatDifference(d)}`);
    if (result.totalDifferences > top && !result.identical)
        lines.push(`  … ${result.totalDifferences - Math.min(top, result.differences.length)} more`);
    lines.push(`report: ${reportDir}`);
    return lines;
}

;// CONCATENATED MODULE: ./src/repro/second-build.ts






/** A Runner that starts mkosi with the second build's variations (wrapper, environment). */
function variedRunner(runner, mkosiCommand, varied) {
    return {
        which: (command) => runner.which(command),
        run(command, args, options = {}) {
            if (command !== mkosiCommand)
                return runner.run(command, args, options);
            const env = { ...options.env, ...varied.env };
            if (varied.wrapper.length === 0)
                return runner.run(command, args, { ...options, env });
            return runner.run(varied.wrapper[0], [...varied.wrapper.slice(1), command, ...args], {
                ...options,
                env,
            });
        },
    };
}
/** Project files that belong to a build, not to the source: never copied into the second build's tree. */
const BUILD_STATE = new Set([
    'mkosi.output',
    'mkosi.cache',
    'mkosi.builddir',
    'mkosi.workspace',
    'mkosi.tools',
]);
async function copyProject(source, target, exclude) {
    await (0,promises_namespaceObject.mkdir)(target, { recursive: true });
    for (const entry of await (0,promises_namespaceObject.readdir)(source)) {
        const from = external_node_path_default().join(source, entry);
        if (BUILD_STATE.has(entry) || exclude.some((e) => e === from || e.startsWith(`${from}${(external_node_path_default()).sep}`)))
            continue;
        await (0,promises_namespaceObject.cp)(from, external_node_path_default().join(target, entry), {
            recursive: true,
            preserveTimestamps: true,
            verbatimSymlinks: true,
        });
    }
}
/** The tools tree of the second build: the first build's, so it is neither rebuilt nor compared. */
function secondToolsTree(options) {
    const inProject = external_node_path_default().join(options.directory, 'mkosi.tools');
    if (options.toolsTree.kind === 'default' && (0,external_node_fs_.existsSync)(inProject))
        return { kind: 'path', path: inProject };
    return options.toolsTree;
}
/**
 * The second build: a fresh copy of the source at another path (or the same tree when build-path is
 * not varied) with its own output, workspace, build and work directories, started with the variations.
 */
async function secondBuild(ctx, options, mkosi, first, dir, varied) {
    const copy = options.repro.variations.includes('build-path')
        ? await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(dir, 'src-'))
        : undefined;
    const directory = copy ? external_node_path_default().join(copy, external_node_path_default().basename(options.directory)) : options.directory;
    // The copy holds the project's keys too: gone after the build, and on a signal during it.
    const forget = copy
        ? process_cleanup/* runCleanup */.Kt.addStep({
            what: `the copy of the project in ${copy}`,
            path: copy,
            run: () => (0,promises_namespaceObject.rm)(copy, { recursive: true, force: true }),
        })
        : undefined;
    try {
        if (copy)
            await copyProject(options.directory, directory, [first.outputDirectory, ctx.workDir]);
        return await buildIn(ctx, options, mkosi, directory, dir, varied);
    }
    finally {
        if (copy)
            await (0,promises_namespaceObject.rm)(copy, { recursive: true, force: true });
        forget?.();
    }
}
async function buildIn(ctx, options, mkosi, directory, dir, varied) {
    const own = (name) => external_node_path_default().join(dir, 'second', name);
    for (const d of ['output', 'workspace', 'build'])
        await (0,promises_namespaceObject.mkdir)(own(d), { recursive: true });
    const toolsTree = secondToolsTree(options);
    const secondOptions = {
        ...options,
        directory,
        toolsTree,
        args: [
            ...options.args,
            ...varied.mkosiArgs,
            `--output-directory=${own('output')}`,
            `--workspace-directory=${own('workspace')}`,
            `--build-directory=${own('build')}`,
        ],
    };
    const secondCtx = {
        log: ctx.log,
        workDir: own('work'),
        runner: variedRunner(ctx.runner, mkosi.command, varied),
    };
    ctx.log.info(`Second build in ${directory}: ${varied.applied.join('; ') || 'no variations'}`);
    const resolved = await ctx.log.group('Resolve the configuration of the second build', () => resolveConfig(secondCtx, secondOptions, mkosi));
    const second = await runBuild(secondCtx, secondOptions, mkosi, resolved);
    await (0,promises_namespaceObject.rm)(own('workspace'), { recursive: true, force: true });
    return { second, directory, toolsTree };
}

;// CONCATENATED MODULE: ./src/pipeline/repro.ts










/**
 * The options of both builds: the pins before the user's options (a user's own --seed wins and was
 * already seen as pinned), and Incremental=no after them, so neither build can reuse a cached image
 * that would hide nondeterminism.
 */
function reproBuildOptions(options, pins) {
    return { ...options, args: [...pins.args, ...options.args, '--incremental=no'] };
}
/** `mkosi-ci repro` checks even when the reproducible input says no; `boot` never builds. */
function reproMode({ command, options }) {
    if (command === 'boot')
        return 'no';
    return command === 'repro' && options.repro.mode === 'no' ? 'check' : options.repro.mode;
}
/** Before the first build: both builds of a check are made alike, pinned and without incremental images. */
const pinStage = {
    name: 'build',
    title: 'pin Seed= and SourceDateEpoch=',
    runs: (state) => reproMode(state) !== 'no',
    async run(state) {
        const { ctx, options, result } = state;
        const mode = reproMode(state);
        const pins = await ctx.log.group('Pin Seed= and SourceDateEpoch=', () => reproPins(ctx.runner, options, result.setup.mkosi));
        state.pins = pins;
        state.options = { ...reproBuildOptions(options, pins), repro: { ...options.repro, mode } };
    },
};
/** After the first build (and its boot check): the second build and the comparison. */
const reproStage = {
    name: 'repro',
    title: 'reproducibility check',
    runs: (state) => state.pins !== undefined,
    async run({ ctx, options, result, pins, timeline }) {
        // The second build shares the first one's package cache, never its incremental cache.
        const packageCache = (result.caches?.args ?? []).filter((a) => a.startsWith('--package-cache-directory='));
        result.repro = await repro(ctx, { ...options, args: [...packageCache, ...options.args] }, result.setup.mkosi, result.build, pins, (name, fn) => timeline.time('repro', name, fn));
        if (result.repro.reproducible)
            return;
        const message = reproFailureMessage(result.repro);
        // An image that failed its check is not published.
        if (options.repro.mode === 'check')
            return { verdict: message };
        ctx.log.warning(message);
    },
};
async function repro(ctx, options, mkosi, first, pins, time = (_, fn) => fn()) {
    const dir = external_node_path_default().join(ctx.workDir, 'repro');
    const reportDir = external_node_path_default().join(ctx.workDir, 'logs', 'repro');
    // Emptied only when an earlier run made them: --work-dir may be a directory of the user's.
    await claimDirectory(dir);
    await claimDirectory(reportDir);
    const varied = variedBuild(options.repro.variations, { root: ctx.host.root });
    const { second, directory, toolsTree } = await time('second build', () => secondBuild(ctx, options, mkosi, first, dir, varied));
    const narrowedDir = external_node_path_default().join(dir, 'narrowed');
    const { comparison, copied } = await time('comparison', () => compareBuilds(ctx, options.repro, first, second, toolsTree, dir, narrowedDir));
    const diffoscope = comparison.identical
        ? { status: 'nothing-to-explain' }
        : await time('diffoscope', () => runDiffoscope(ctx, options.repro, toolsTree, narrowedDir, reportDir, copied));
    await (0,promises_namespaceObject.rm)(narrowedDir, { recursive: true, force: true });
    const conditions = {
        pinned: pins.pinned,
        variations: varied.applied,
        notVaried: varied.skipped,
        secondDirectory: directory,
        durations: { first: first.durationMs, second: second.durationMs },
        diffoscope,
    };
    const markdown = renderReproMarkdown(comparison, conditions);
    const markdownFile = external_node_path_default().join(reportDir, 'report.md');
    const jsonFile = external_node_path_default().join(reportDir, 'report.json');
    await (0,promises_namespaceObject.writeFile)(markdownFile, markdown);
    await (0,promises_namespaceObject.writeFile)(jsonFile, renderReproJson(comparison, conditions));
    return {
        reproducible: comparison.identical,
        comparison,
        conditions,
        second,
        reportDir,
        markdownFile,
        jsonFile,
        markdown,
    };
}
/** The reproducibility report, published with the outputs under names that say what it is. */
async function reproReportFiles(repro) {
    const files = [
        { name: 'reproducibility-report.md', path: repro.markdownFile },
        { name: 'reproducibility-report.json', path: repro.jsonFile },
    ];
    const html = external_node_path_default().join(repro.reportDir, 'diffoscope.html');
    if (await (0,promises_namespaceObject.access)(html).then(() => true, () => false)) {
        files.push({ name: 'reproducibility-diffoscope.html', path: html });
    }
    return files;
}
/** One message naming what differs, the first few files with their partition, and where the report is. */
function reproFailureMessage(repro) {
    const c = repro.comparison;
    // Content first: a file whose bytes differ says more than a directory whose mode does.
    const content = (d) => d.change !== 'changed' || d.fields.includes('sha256') ? 0 : 1;
    const top = [...c.differences]
        .sort((x, y) => content(x) - content(y))
        .slice(0, 3)
        .map(formatDifference);
    const more = c.totalDifferences - top.length;
    return `Reproducibility check: the two builds differ in ${c.totalDifferences} ${c.totalDifferences === 1 ? 'place' : 'places'}: ${top.join('; ')}${more > 0 ? `; and ${more} more` : ''} (report: ${repro.reportDir})`;
}

;// CONCATENATED MODULE: ./src/pipeline/publish.ts












/** Copies the reports next to the outputs, so SHA256SUMS, the artifact and the release carry them too. */
async function reportFiles(directory, reports) {
    const files = [];
    for (const report of reports) {
        const file = external_node_path_default().join(directory, report.name);
        await copyFileReplacing(report.path, file);
        files.push({
            name: report.name,
            path: file,
            size: (await (0,promises_namespaceObject.lstat)(file)).size,
            sha256: await sha256File(file),
        });
    }
    return files;
}
/**
 * The first half of publishing: SHA256SUMS (signed when a key is given) over every output file and the
 * reports. Nothing leaves the machine yet: the update round trip runs on the signed outputs first.
 */
async function signOutputs(ctx, options, build, reports = [], time = (_, fn) => fn()) {
    const directory = build.outputDirectory;
    const files = [...(await publishedFiles(build.artifacts)), ...(await reportFiles(directory, reports))];
    const listed = listedNames(build.artifacts, reports.map((r) => r.name));
    const written = await time(options.signKey ? 'SHA256SUMS, signed' : 'SHA256SUMS', () => writeChecksums(ctx, options, directory, files, listed));
    return { directory, files, notes: [], ...written };
}
/** The second half: the image set as a workflow artifact and the assets of a release, each when asked for. */
async function uploadOutputs(ctx, options, build, profiles, result, time = (_, fn) => fn()) {
    const { directory, files } = result;
    const ownFiles = [
        result.checksumsFile,
        result.listingFile,
        result.signature?.file,
        result.signature?.publicKeyFile,
    ].filter((f) => f !== undefined);
    const upload = shouldUpload(options.upload, ctx.trigger);
    const { tag, note } = releaseTag(options, ctx.trigger);
    if (note)
        result.notes.push(note);
    if (!upload && !tag)
        return;
    await verifyChecksums(result.checksumsFile);
    if (upload && !ctx.artifacts) {
        if (options.upload === 'yes') {
            throw noArtifactService(directory);
        }
        result.notes.push(`${Input.Upload}: no artifact service here; nothing uploaded.`);
    }
    else if (upload && ctx.artifacts) {
        const name = renderArtifactName(options.artifactName, artifactNameFields(build.config, profiles));
        const store = ctx.artifacts;
        result.artifact = await time('artifact upload', () => uploadArtifact(store, { name, retentionDays: options.retentionDays }, files, ownFiles));
    }
    if (tag) {
        if (!ctx.releases) {
            throw noReleaseStore();
        }
        const store = ctx.releases;
        result.release = await time('release assets', () => publishRelease(store, tag, files, ownFiles));
    }
}
/** Both halves at once, for a run with nothing to check between them. */
async function publish(ctx, options, build, profiles, reports = [], time = (_, fn) => fn()) {
    const result = await signOutputs(ctx, options, build, reports, time);
    await uploadOutputs(ctx, options, build, profiles, result, time);
    return result;
}
/** Only what was built here is published: `boot` checks outputs that were published when built. */
const publishStage = {
    name: 'publish',
    title: 'SHA256SUMS',
    runs: ({ command }) => command !== 'boot',
    async run({ ctx, options, result, timeline }) {
        const reports = result.repro ? await reproReportFiles(result.repro) : [];
        result.publish = await ctx.log.group('SHA256SUMS', () => signOutputs(ctx, options.publish, result.build, reports, (name, fn) => timeline.time('publish', name, fn)));
    },
};
/**
 * Uploads after everything that can fail the run (the update round trip included), so a release never
 * carries outputs that failed a check.
 */
const uploadStage = {
    name: 'publish',
    title: 'upload',
    runs: ({ command, result }) => command !== 'boot' && result.publish !== undefined,
    async run({ ctx, options, result, timeline }) {
        await ctx.log.group('Publish', () => uploadOutputs(ctx, options.publish, result.build, options.profiles, result.publish, (name, fn) => timeline.time('publish', name, fn)));
    },
};

;// CONCATENATED MODULE: ./src/mkosi/install-release.ts







const TOOL = 'mkosi';
const TARBALL = 'mkosi.tar.gz';
function install_release_sha256(bytes) {
    return (0,external_node_crypto_namespaceObject.createHash)('sha256').update(bytes).digest('hex');
}
/** The tarball's bytes from the tool cache, when its entry is there and still matches its checksum. */
async function fromToolCache(deps, source, expected) {
    const dir = await deps.toolCache.find(TOOL, toolCacheVersion(source.version, expected));
    if (!dir)
        return undefined;
    const bytes = await (0,promises_namespaceObject.readFile)(external_node_path_default().join(dir, TARBALL)).catch(() => undefined);
    const actual = bytes && install_release_sha256(bytes);
    if (actual === expected)
        return bytes;
    deps.log.warning(`mkosi ${source.version}: the tool cache entry ${dir} does not have sha256 ${expected} (${actual ? `it has ${actual}` : 'its tarball is missing'}); downloading the release again.`);
    return undefined;
}
/** Downloads the tarball and checks it; keeps it in the tool cache when a checksum pins it. */
async function download(deps, source, expected) {
    const url = releaseUrl(source.urlTemplate, source.version);
    deps.log.info(`Downloading mkosi ${source.version} from ${url}`);
    let file;
    try {
        file = await deps.toolCache.download(url);
    }
    catch (error) {
        // From GitHub the version is what can be wrong; from a mirror given in mkosi-release-url, the mirror too.
        const reason = error.message;
        throw new ConfigurationError(source.urlTemplate === DEFAULT_MKOSI_RELEASE_URL
            ? `Input ${Input.MkosiVersion}: could not download ${url} (${reason}); check that ${source.version} is an mkosi release tag or commit.`
            : `Input ${Input.MkosiReleaseUrl}: could not download ${url} (${reason}); check that ${source.urlTemplate} serves mkosi's source tarballs ({ref} becomes refs/tags/<tag> or the commit) and has ${source.version}.`, { cause: error });
    }
    try {
        return await checkDownload(deps, source, { url, file }, expected);
    }
    finally {
        await (0,promises_namespaceObject.rm)(file, { force: true });
    }
}
async function checkDownload(deps, source, { url, file }, expected) {
    const bytes = await (0,promises_namespaceObject.readFile)(file);
    const actual = install_release_sha256(bytes);
    if (expected && actual !== expected) {
        throw new ConfigurationError(`Input ${source.sha256 ? 'mkosi-sha256' : 'mkosi-version'}: the tarball from ${url} has sha256 ${actual}, expected ${expected}; refusing to run it.`);
    }
    if (expected) {
        await deps.toolCache.cacheFile(file, TARBALL, TOOL, toolCacheVersion(source.version, expected));
    }
    else {
        deps.log.info(`mkosi ${source.version}: the tarball has sha256 ${actual}; set mkosi-sha256 to pin it (only a pinned tarball is kept in the tool cache).`);
    }
    return bytes;
}
/**
 * mkosi from a release tarball, checked against its checksum on every use: the tool cache keeps the
 * tarball (under the exact ref and checksum), never a tree that could have been changed since, and
 * each run unpacks its own copy of the checked bytes into the work directory. Returns bin/mkosi.
 */
async function installRelease(deps, source) {
    checkReleaseSource(source.urlTemplate, source.version, source.sha256);
    const expected = expectedSha256(source.version, source.sha256);
    const cached = expected ? await fromToolCache(deps, source, expected) : undefined;
    const bytes = cached ?? (await download(deps, source, expected));
    const dir = await claimDirectory(external_node_path_default().join(deps.workDir, 'mkosi-release'));
    const tarball = external_node_path_default().join(dir, TARBALL);
    await (0,promises_namespaceObject.writeFile)(tarball, bytes, { flag: 'wx' });
    const extracted = await deps.toolCache.extractTar(tarball, external_node_path_default().join(dir, 'tree'));
    // GitHub's archives hold one top-level directory, mkosi-<version>/.
    const [top, ...rest] = (await (0,promises_namespaceObject.readdir)(extracted, { withFileTypes: true })).filter((e) => e.isDirectory());
    const root = top && rest.length === 0 ? external_node_path_default().join(extracted, top.name) : extracted;
    const command = external_node_path_default().join(root, 'bin', 'mkosi');
    if (!(await (0,promises_namespaceObject.access)(command, promises_namespaceObject.constants.X_OK).then(() => true, () => false))) {
        throw new ConfigurationError(`Input mkosi-release-url: ${releaseUrl(source.urlTemplate, source.version)} is not an mkosi source tarball (no bin/mkosi).`);
    }
    return { command, origin: `release ${source.version}${cached ? ' (tool cache)' : ''}` };
}

;// CONCATENATED MODULE: ./src/mkosi/install.ts







async function install_isExecutable(file) {
    try {
        await (0,promises_namespaceObject.access)(file, promises_namespaceObject.constants.X_OK);
        return true;
    }
    catch {
        return false;
    }
}
/** Downloads the release tarball (or takes it from the tool cache), verifies it, and returns its bin/mkosi. */
function install_installRelease(ctx, options) {
    return installRelease(ctx, {
        version: options.mkosiVersion,
        urlTemplate: options.mkosiReleaseUrl,
        sha256: options.mkosiSha256,
    });
}
async function installApt(ctx) {
    const sudo = ctx.root ? [] : ['sudo', '-n'];
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
        return { command, origin: `system ${command}`, version };
    }
    ctx.log.info(`mkosi on PATH is ${version ?? 'unknown'}, not ${options.mkosiVersion}: installing the release.`);
    return undefined;
}
async function locate(ctx, options) {
    const source = options.mkosiSource;
    switch (source.kind) {
        case 'auto':
            return (await pinnedOnPath(ctx, options)) ?? install_installRelease(ctx, options);
        case 'release':
            return install_installRelease(ctx, options);
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
            if (!(await install_isExecutable(command))) {
                throw new ConfigurationError(`Input ${Input.MkosiSource}: ${source.path} is not an mkosi checkout (no executable bin/mkosi).`, { file: source.path });
            }
            return { command, origin: `checkout ${source.path}` };
        }
    }
}
/** Finds out which mkosi a command is and refuses one that is too old. */
async function probeMkosi(ctx, { command, origin, version: known }) {
    const result = known ? undefined : await ctx.runner.run(command, ['--version'], { stream: false });
    const version = known ?? (result?.exitCode === 0 ? parseVersionOutput(result.stdout) : undefined);
    if (!version) {
        throw new ConfigurationError(`Input ${Input.MkosiSource}: '${command} --version' failed (exit status ${result?.exitCode}): ${(result?.stderr || result?.stdout || '').trim().split('\n').pop() ?? ''}`);
    }
    if (!isSupportedVersion(version)) {
        throw new ConfigurationError(`Input ${Input.MkosiSource}: mkosi ${version} (${origin}) is older than ${MINIMUM_MKOSI_VERSION}, the oldest mkosi-ci supports; use mkosi-source: release with mkosi-version v${MINIMUM_MKOSI_VERSION} or newer.`);
    }
    return { command, version, origin };
}
/** Finds or installs the mkosi the options ask for and checks that mkosi-ci can drive it. */
async function installMkosi(ctx, options) {
    const mkosi = await probeMkosi(ctx, await locate(ctx, options));
    ctx.log.info(`mkosi ${mkosi.version} (${mkosi.origin})`);
    return mkosi;
}

;// CONCATENATED MODULE: ./src/mkosi/host-preparation.ts

/** The packages mkosi needs on an Ubuntu runner besides what the image's tools tree brings. */
const HOST_PACKAGES = [
    'uidmap',
    'debian-archive-keyring',
    'systemd-container',
    'zstd',
    'xz-utils',
    'cpio',
    // getfattr: mkosi-ci diff and the reproducibility check read directory trees' extended attributes.
    'attr',
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
/** `auto` prepares only a throwaway host (a GitHub-hosted runner), never a machine someone keeps. */
function shouldPrepareHost(mode, disposableHost) {
    return mode === 'yes' || (mode === 'auto' && disposableHost);
}
async function missingPackages(runner) {
    const missing = [];
    for (const pkg of HOST_PACKAGES) {
        const result = await runner.run('dpkg-query', ['-W', '-f=${Status}', pkg], { stream: false });
        if (result.exitCode !== 0 || !result.stdout.includes('install ok installed'))
            missing.push(pkg);
    }
    return missing;
}
/** Runs the host preparation with `sudo -n` (or directly as root); idempotent. */
async function prepareHost(ctx, mode) {
    if (!shouldPrepareHost(mode, ctx.host.disposable)) {
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
        for (const step of hostPreparationSteps(dpkg ? await missingPackages(ctx.runner) : [])) {
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

;// CONCATENATED MODULE: ./src/mkosi/project.ts




/** Files and directories whose presence makes a directory an mkosi project. */
const PROJECT_MARKERS = ['mkosi.conf', 'mkosi.conf.d', 'mkosi.images'];
async function project_exists(file) {
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
        if (await project_exists(external_node_path_default().join(directory, marker)))
            return;
    }
    throw new ConfigurationError(`Input ${Input.Directory}: ${directory} has no mkosi configuration (expected ${PROJECT_MARKERS.join(', ')}).`, { file: directory });
}
/** A tools tree given as a path must be there: mkosi's own complaint names neither the input nor the choices. */
async function assertToolsTree(toolsTree) {
    if (toolsTree.kind !== 'path')
        return;
    const info = await (0,promises_namespaceObject.stat)(toolsTree.path).catch(() => undefined);
    if (info?.isDirectory())
        return;
    throw new ConfigurationError(`Input ${Input.ToolsTree}: ${toolsTree.path} ${info ? 'is not a directory' : 'does not exist'}; give default, none or the path of a prepared tools tree.`, { file: toolsTree.path });
}

;// CONCATENATED MODULE: ./src/pipeline/setup.ts



/** The project is an mkosi project (said before anything is installed), the host is ready, mkosi is there. */
const setupStage = {
    name: 'setup',
    title: 'install mkosi',
    runs: () => true,
    async run({ ctx, options, result }) {
        await assertProject(options.directory);
        await assertToolsTree(options.toolsTree);
        const hostPrepared = await prepareHost(ctx, options.prepareHost);
        const mkosi = await installMkosi({ ...ctx, root: ctx.host.root }, options);
        result.setup = { mkosi, hostPrepared };
    },
};

;// CONCATENATED MODULE: ./src/pipeline/update.ts






/** What systemd-sysupdate fetches before any file: the manifest and its signature. */
const RELEASE_FILES = ['SHA256SUMS', 'SHA256SUMS.gpg'];
/**
 * The update round trip (`update-from`): after the outputs are signed, an earlier version's disk is
 * updated from them in the guest and booted again. It runs after SHA256SUMS.gpg is written and before
 * anything is uploaded (for `mkosi-ci boot`, an earlier build with a sign-key left them in the output
 * directory).
 */
const updateStage = {
    name: 'update',
    title: 'update round trip',
    runs: (state) => state.options.boot.updateFrom !== undefined && state.result.build?.image !== undefined,
    async run(state) {
        const { ctx, result } = state;
        const build = result.build;
        const toVersion = build.config.main.imageVersion;
        if (!toVersion) {
            throw new ConfigurationError(`Input ${Input.UpdateFrom}: the image has no ImageVersion=; the update installs a version, so set one (--image-version=).`);
        }
        for (const name of RELEASE_FILES) {
            await (0,promises_namespaceObject.access)(external_node_path_default().join(build.outputDirectory, name)).catch(() => {
                throw new ConfigurationError(`Input ${Input.UpdateFrom}: ${name} is missing in ${build.outputDirectory}; systemd-sysupdate verifies the signed SHA256SUMS, so give ${Input.SignKey}.`);
            });
        }
        const fromDisk = await findOldDisk(state.options.boot.updateFrom);
        result.update = await ctx.log.group(`Update round trip: ${external_node_path_default().basename(fromDisk)} to ${toVersion}`, () => updateRoundTrip(ctx, bootOptions(state), build.config, {
            fromDisk,
            releaseDir: build.outputDirectory,
            toVersion,
        }));
        const update = result.update;
        ctx.log.info(`update round trip: ${update.result}: ${update.reason} (${Math.round(update.durationMs / 1000)} s)`);
        if (update.result === 'passed')
            return;
        return { verdict: `Update round trip to ${toVersion}: ${update.result}: ${update.reason}` };
    },
};

;// CONCATENATED MODULE: ./src/pipeline/timeline.ts
/** Records phases as the stages run them; times are relative to the start of the run. */
class Timeline {
    now;
    phases = [];
    origin;
    constructor(now = Date.now) {
        this.now = now;
        this.origin = now();
    }
    /** Runs `fn` as the phase `name` of `stage`; a phase that throws is recorded as failed. */
    async time(stage, name, fn) {
        const start = this.now();
        let ok = false;
        try {
            const value = await fn();
            ok = true;
            return value;
        }
        finally {
            this.phases.push({
                stage,
                name,
                startMs: start - this.origin,
                durationMs: this.now() - start,
                ok,
            });
        }
    }
    /** Milliseconds since the run started. */
    elapsed() {
        return this.now() - this.origin;
    }
}

;// CONCATENATED MODULE: ./src/pipeline/run.ts









/**
 * The stages in the order they run. The first failure ends the run: the stages after it do not run,
 * and the adapters still save what the failed run leaves (logs; caches only after a good build).
 */
const STAGES = [
    setupStage, // the project is one, the host prepared, mkosi installed
    pinStage, // a reproducibility check pins Seed= and SourceDateEpoch= for both builds
    resolveStage, // mkosi --json summary, with the mirror's apt sources
    checkStage, // the inputs judged against the configuration, before anything is built
    buildStage, // restore the caches, mkosi build (or, for boot, the outputs already there)
    bootStage, // boot the image and judge it
    reproStage, // a second build, compared with the first
    publishStage, // SHA256SUMS and its signature
    updateStage, // update-from: an earlier version updated from the signed outputs, booted again
    uploadStage, // the artifact and the release, once every check passed
];
function failure(stage, error) {
    return {
        stage,
        message: errorMessage(error),
        userError: isConfigurationError(error),
        error,
        file: isConfigurationError(error) ? error.file : undefined,
    };
}
/** Runs a stage; one that timed no phase of its own is one phase of the timeline. */
async function timeOf(stage, state) {
    const before = state.timeline.phases.length;
    const start = state.timeline.elapsed();
    let ok = false;
    try {
        const outcome = await stage.run(state);
        ok = outcome === undefined;
        return outcome;
    }
    finally {
        if (state.timeline.phases.length === before) {
            const durationMs = state.timeline.elapsed() - start;
            state.timeline.phases.push({ stage: stage.name, name: stage.title, startMs: start, durationMs, ok });
        }
    }
}
/** Runs the stages in order and stops at the first failure, returning what was done so far. */
async function runPipeline(ctx, options, command = 'build') {
    const timeline = new Timeline();
    const state = { ctx, command, options, result: { phases: timeline.phases }, timeline };
    for (const stage of STAGES) {
        try {
            if (!stage.runs(state))
                continue;
            const outcome = await timeOf(stage, state);
            if (outcome) {
                state.result.failure = {
                    stage: stage.name,
                    message: outcome.verdict,
                    userError: true,
                    error: undefined,
                };
            }
        }
        catch (error) {
            state.result.failure = failure(stage.name, error);
        }
        if (state.result.failure)
            break;
    }
    return state.result;
}

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __nccwpck_require__(421);
;// CONCATENATED MODULE: ./src/process/environment.ts
/**
 * What of mkosi-ci's own environment its children (mkosi, and through it the user's sync, configure,
 * build and postinst scripts) may see. Everything stays but the credentials and channels of the CI
 * platform itself: a build script has no business with the job's tokens, the action's inputs (the
 * signing key and passphrase arrive as INPUT_SIGN-KEY and INPUT_SIGN-PASSPHRASE) or the files through
 * which a step sets the outputs and environment of the steps after it.
 */
/** GitLab's job credentials: withheld from children and masked in every log. */
const GITLAB_CREDENTIALS = [
    'CI_JOB_TOKEN',
    'CI_JOB_JWT',
    'CI_JOB_JWT_V1',
    'CI_JOB_JWT_V2',
    'CI_REGISTRY_PASSWORD',
    'CI_DEPLOY_PASSWORD',
    'CI_DEPENDENCY_PROXY_PASSWORD',
];
/** Prefixes of variables no child gets: action inputs, the runner's service credentials and URLs, post state. */
const WITHHELD_PREFIXES = ['INPUT_', 'ACTIONS_', 'STATE_'];
const WITHHELD_NAMES = new Set([
    // GitHub: a token a workflow often exports for every step.
    'GITHUB_TOKEN',
    // GitHub: the command files. A child writing to them would set outputs, state or the environment and
    // PATH of the later steps, the same workflow commands the log is fenced against.
    'GITHUB_ENV',
    'GITHUB_OUTPUT',
    'GITHUB_PATH',
    'GITHUB_STATE',
    'GITHUB_STEP_SUMMARY',
    // GitLab: the job's own credentials (CI_REPOSITORY_URL carries the job token in its user part).
    ...GITLAB_CREDENTIALS,
    'CI_REPOSITORY_URL',
]);
function isWithheld(name) {
    const upper = name.toUpperCase();
    return WITHHELD_NAMES.has(upper) || WITHHELD_PREFIXES.some((p) => upper.startsWith(p));
}
/** The base environment of every child: `env` without the withheld variables. */
function childEnvironment(env) {
    return Object.fromEntries(Object.entries(env).filter(([name]) => !isWithheld(name)));
}
/** Variables whose values are credentials: masked in every log, even though no child gets them. */
const CREDENTIALS = [
    'ACTIONS_RUNTIME_TOKEN',
    'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
    'GITHUB_TOKEN',
    ...GITLAB_CREDENTIALS,
];
/** The credential values in `env`, to hand to the Log's mask(). */
function environmentSecrets(env) {
    return CREDENTIALS.map((name) => env[name]).filter((value) => !!value && value.trim() !== '');
}

;// CONCATENATED MODULE: ./src/process/mask.ts



/**
 * The secrets of a run, shared by the Log (whose mask() adds to them) and the runner (which masks the
 * output of every child in its log files and stream with them), and the masking itself.
 */
const MASK = '***';
const MASK_BYTES = Buffer.from(MASK);
/**
 * The lines of a multi-line secret worth hiding on their own (a key printed line by line): its body.
 * Armor lines (`-----BEGIN …`) and `Header: value` lines are the same for every key, and hiding them
 * would only blank out harmless text.
 */
function secretLinesOf(secret) {
    if (!/[\r\n]/.test(secret))
        return [];
    return secret
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line.length >= 8 && !line.startsWith('-----') && !/^[A-Za-z-]+: /.test(line));
}
class SecretSet {
    values = new Set();
    encoded = [];
    /**
     * Adds a secret and, when it spans lines, each line of its body. Blank values are ignored, and so are
     * line breaks around a value (a key file's last newline is no part of the secret).
     */
    add(value) {
        const secret = value?.replace(/^[\r\n]+|[\r\n]+$/g, '');
        if (!secret || secret.trim() === '')
            return;
        const before = this.values.size;
        for (const value of [secret, ...secretLinesOf(secret)])
            this.values.add(value);
        if (this.values.size !== before) {
            // Longest first, so a secret containing a shorter one is hidden whole.
            this.encoded = [...this.values].map((v) => Buffer.from(v)).sort((a, b) => b.length - a.length);
        }
    }
    /** Encoded, longest first. */
    buffers() {
        return this.encoded;
    }
    get size() {
        return this.values.size;
    }
}
/** The secrets of this process: what the adapters' Log.mask() was given. */
const runSecrets = new SecretSet();
/** Hands every secret value (as given and trimmed) to the Log, whose mask() reaches `runSecrets` too. */
function maskSecrets(log, values) {
    for (const value of values) {
        if (!value || value.trim() === '')
            continue;
        log.mask(value);
        if (value.trim() !== value)
            log.mask(value.trim());
    }
}
/** The [start, end) ranges where any secret occurs in `data`, merged where they overlap. */
function secretRanges(data, secrets) {
    const ranges = [];
    for (const secret of secrets) {
        for (let at = data.indexOf(secret); at >= 0; at = data.indexOf(secret, at + 1)) {
            ranges.push([at, at + secret.length]);
        }
    }
    ranges.sort((a, b) => a[0] - b[0]);
    const merged = [];
    for (const range of ranges) {
        const last = merged.at(-1);
        if (last && range[0] <= last[1])
            last[1] = Math.max(last[1], range[1]);
        else
            merged.push([...range]);
    }
    return merged;
}
function replaceRanges(data, ranges) {
    if (ranges.length === 0)
        return data;
    const parts = [];
    let from = 0;
    for (const [start, end] of ranges) {
        parts.push(data.subarray(from, start), MASK_BYTES);
        from = end;
    }
    parts.push(data.subarray(from));
    return Buffer.concat(parts);
}
function maskBuffer(data, secrets) {
    return replaceRanges(data, secretRanges(data, secrets.buffers()));
}
function maskText(text, secrets) {
    return secrets.size === 0 ? text : maskBuffer(Buffer.from(text), secrets).toString('utf8');
}
/** How many bytes at the end of `data` (from `from` on) could be the start of a secret the next chunk completes. */
function pendingPrefixLength(data, from, secrets) {
    const longest = Math.min((secrets[0]?.length ?? 1) - 1, data.length - from);
    for (let length = longest; length > 0; length--) {
        const tail = data.subarray(data.length - length);
        if (secrets.some((s) => s.length > length && s.subarray(0, length).equals(tail)))
            return length;
    }
    return 0;
}
/**
 * Masks one output stream chunk by chunk. A secret may arrive split across chunks, so the end of a chunk
 * that could be the start of a secret is held back until the next chunk (or the end) decides.
 */
class MaskingStream {
    secrets;
    pending = Buffer.alloc(0);
    constructor(secrets) {
        this.secrets = secrets;
    }
    push(chunk) {
        const secrets = this.secrets.buffers();
        if (secrets.length === 0 && this.pending.length === 0)
            return chunk;
        const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
        const ranges = secretRanges(data, secrets);
        const held = pendingPrefixLength(data, ranges.at(-1)?.[1] ?? 0, secrets);
        this.pending = Buffer.from(data.subarray(data.length - held));
        return replaceRanges(data.subarray(0, data.length - held), ranges);
    }
    /** What was held back, masked: the stream has ended. */
    end() {
        const rest = maskBuffer(this.pending, this.secrets);
        this.pending = Buffer.alloc(0);
        return rest;
    }
}
/**
 * Masks a file written by someone other than the runner (qemu's serial console, a journal) in place,
 * streaming, before it leaves the machine.
 */
async function maskFile(file, secrets) {
    if (secrets.size === 0)
        return;
    const temporary = `${file}.masking`;
    const mask = new MaskingStream(secrets);
    try {
        await pipeline(createReadStream(file), async function* (source) {
            for await (const chunk of source)
                yield mask.push(chunk);
            yield mask.end();
        }, createWriteStream(temporary, { mode: (await stat(file)).mode & 0o777 }));
    }
    catch (error) {
        await rm(temporary, { force: true });
        throw error;
    }
    await rename(temporary, file);
}

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
 * Ends the process tree of `pid` (SIGTERM, then SIGKILL after a grace) after `timeoutMs` or when `until`
 * aborts, whichever comes first. `clear` once the process is gone.
 */
function endWhenAsked(pid, options) {
    let timedOut = false;
    let killTimer;
    const stop = () => {
        if (killTimer)
            return;
        if (pid)
            killTree(pid, 'SIGTERM');
        killTimer = setTimeout(() => pid && killTree(pid, 'SIGKILL'), KILL_GRACE_MS);
    };
    const timer = options.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            stop();
        }, options.timeoutMs)
        : undefined;
    if (options.until?.aborted)
        stop();
    options.until?.addEventListener('abort', stop, { once: true });
    return {
        timedOut: () => timedOut,
        clear: () => {
            clearTimeout(timer);
            clearTimeout(killTimer);
            options.until?.removeEventListener('abort', stop);
        },
    };
}
/**
 * Runs processes with an argument array (never a shell string), streams their output to `sink`,
 * copies it to a log file, both with every known secret masked, and kills the whole process tree on
 * timeout or when mkosi-ci is stopped (each child leads a process group registered in `cleanup`).
 */
class ProcessRunner {
    sink;
    /** What every child starts from: the given environment without the CI platform's secrets. */
    baseEnv;
    cleanup;
    secrets;
    constructor(sink, env, options = {}) {
        this.sink = sink;
        this.baseEnv = childEnvironment(env);
        this.cleanup = options.cleanup ?? process_cleanup/* runCleanup */.Kt;
        this.secrets = options.secrets ?? runSecrets;
    }
    async run(command, args, options = {}) {
        if (this.cleanup.cancelledBy) {
            throw new Error(`mkosi-ci is stopping (${this.cleanup.cancelledBy}): ${command} not started.`);
        }
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
            logFile = (0,external_node_fs_.createWriteStream)(options.logFile, { flags: 'a' });
        }
        const limit = stream ? STREAMED_TAIL_BYTES : Number.MAX_SAFE_INTEGER;
        const stdout = new OutputBuffer(limit);
        const stderr = new OutputBuffer(limit);
        return await new Promise((resolve, reject) => {
            const child = (0,external_node_child_process_.spawn)(command, args, {
                cwd: options.cwd,
                env,
                detached: true,
                stdio: [options.input === undefined && !options.stdin ? 'ignore' : 'pipe', 'pipe', 'pipe'],
            });
            const forget = child.pid ? this.cleanup.addProcessGroup(child.pid) : () => undefined;
            const ending = endWhenAsked(child.pid, options);
            // What the caller parses stays as printed; what is written out for people is masked.
            const print = (masked) => {
                if (masked.length === 0)
                    return;
                logFile?.write(masked);
                if (stream)
                    this.sink(masked);
            };
            const masks = [new MaskingStream(this.secrets), new MaskingStream(this.secrets)];
            const handle = (buffer, mask) => (chunk) => {
                buffer.push(chunk);
                print(mask.push(chunk));
            };
            // A failing stream is the business of whoever owns it: here it only ends the pipe, so the process
            // sees end of input or EPIPE and its exit status says the rest.
            if (options.stdout)
                (0,external_node_stream_namespaceObject.pipeline)(child.stdout, options.stdout, () => { });
            else
                child.stdout?.on('data', handle(stdout, masks[0]));
            child.stderr?.on('data', handle(stderr, masks[1]));
            if (options.stdin)
                (0,external_node_stream_namespaceObject.pipeline)(options.stdin, child.stdin, () => { });
            else if (options.input !== undefined) {
                child.stdin?.end(options.input);
            }
            child.on('error', (error) => {
                ending.clear();
                forget();
                logFile?.end();
                reject(error);
            });
            child.on('close', (code, signal) => {
                ending.clear();
                forget();
                for (const mask of masks)
                    print(mask.end());
                const result = {
                    exitCode: code ?? 128,
                    signal: signal ?? null,
                    timedOut: ending.timedOut(),
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

;// CONCATENATED MODULE: ./src/report/boot-tests-summary.ts



/**
 * The boot tests' part of the summary: one row per test, and the end of each failing test's output
 * (its whole output is in logs/boot/tests/NAME.log).
 */
const OUTCOME_ICONS = {
    passed: '✅ passed',
    skipped: '⏭️ skipped',
    failed: '❌ failed',
    'timed-out': '⏱️ timed out',
};
function statusText(test) {
    return test.status === 'timeout' ? 'timeout' : String(test.status);
}
/** The failing cases its JUnit XML or TAP files name, if any. */
function casesMarkdown(test) {
    const cases = failingCases(test.files ?? []);
    if (cases.length === 0)
        return [];
    return ['Failing cases:', '', ...cases.map((c) => `- ${cell(c)}`), ''];
}
function boot_tests_summary_testsMarkdown(tests, logsDir, timeoutSeconds) {
    if (tests.length === 0)
        return [];
    const lines = ['| Test | Result | Exit | Time |', '| --- | --- | --- | --- |'];
    for (const test of tests) {
        const time = test.seconds === undefined ? '' : `${test.seconds} s`;
        lines.push(`| \`${cell(test.name)}\` | ${OUTCOME_ICONS[test.outcome]} | ${statusText(test)} | ${time} |`);
    }
    lines.push('');
    for (const test of tests.filter((t) => t.outcome === 'failed' || t.outcome === 'timed-out')) {
        // A fence longer than any run of backticks in the output cannot be closed by it.
        const tail = tailOf(test);
        const fence = '`'.repeat(Math.max(3, ...tail.map((l) => (l.match(/`+/g) ?? []).reduce((m, r) => Math.max(m, r.length + 1), 0))));
        lines.push(`<details><summary>${cell(describeFailure(test, timeoutSeconds))}: the last ${tail.length} line(s)</summary>`, '', fence, ...tail, fence, '', ...casesMarkdown(test), `Whole output: \`${logsDir}/tests/${test.name}.log\``, '</details>', '');
    }
    return lines;
}
function testsText(tests, timeoutSeconds) {
    const lines = [];
    for (const test of tests) {
        if (test.outcome === 'failed' || test.outcome === 'timed-out') {
            lines.push(`  test failed: ${test_results_describeFailure(test, timeoutSeconds)}`);
            lines.push(...test_results_tailOf(test).map((l) => `    | ${l}`));
            lines.push(...result_files_failingCases(test.files ?? []).map((c) => `    failing case: ${c}`));
        }
        else {
            const cut = cutBytes(test) > 0 ? ` (${cutBytes(test)} bytes of output cut)` : '';
            lines.push(`  test ${test.outcome}: ${test.name}${cut}`);
        }
    }
    return lines;
}
/** The `failed-tests` output: each failing test, its status and the end of its output. */
function failedTestRecords(tests) {
    return (tests ?? [])
        .filter((t) => t.outcome === 'failed' || t.outcome === 'timed-out')
        .map((t) => ({ test: t.name, status: t.status, tail: test_results_tailOf(t) }));
}

;// CONCATENATED MODULE: ./src/report/machine-settings.ts

const SIZE_SOURCES = {
    'boot-ram': 'input boot-ram',
    'boot-cpus': 'input boot-cpus',
    'RAM=': "mkosi's RAM=",
    'CPUs=': "mkosi's CPUs=",
    default: "mkosi's default",
};
const FIRMWARE_SOURCES = {
    'boot-firmware': 'input boot-firmware',
    'Firmware=': "mkosi's Firmware=",
    default: 'default (auto)',
};
function machineSettingRows(machine) {
    const { size } = machine;
    const rows = [
        { setting: 'memory', value: `${size.memoryMiB} MiB`, from: SIZE_SOURCES[size.memorySource] },
        { setting: 'CPUs', value: String(size.cpus), from: SIZE_SOURCES[size.cpusSource] },
        { setting: 'firmware', value: machine.firmware.kind, from: FIRMWARE_SOURCES[machine.firmware.source] },
    ];
    if (machine.firmware.kind !== 'bios') {
        rows.push(machine.firmwareVariables
            ? {
                setting: 'firmware variables',
                value: machine.firmwareVariables,
                from: "mkosi's FirmwareVariables=",
            }
            : { setting: 'firmware variables', value: "OVMF's template", from: 'default' });
    }
    rows.push({ setting: 'TPM', value: machine.tpm, from: "mkosi's TPM=" });
    const lists = [
        ['credentials', machine.credentials, "mkosi's Credentials="],
        ['qemu arguments', machine.qemuArgs, "mkosi's QemuArgs="],
        ['kernel command line extra', machine.kernelCommandLineExtra, "mkosi's KernelCommandLineExtra="],
    ];
    for (const [setting, values, from] of lists) {
        if (values.length > 0)
            rows.push({ setting, value: values.join(' '), from });
    }
    return rows;
}
function machine_settings_machineSettingsMarkdown(machine) {
    return [
        '| Machine | Value | From |',
        '| --- | --- | --- |',
        ...machineSettingRows(machine).map((r) => `| ${r.setting} | \`${cell(r.value)}\` | ${r.from} |`),
        '',
    ];
}
/** The settings beyond memory and CPUs (the `guest:` line says those), one line each. */
function machineSettingsText(machine) {
    return machineSettingRows(machine)
        .filter((r) => r.setting !== 'memory' && r.setting !== 'CPUs')
        .map((r) => `  ${r.setting}: ${r.value} (${r.from})`);
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

;// CONCATENATED MODULE: ./src/report/boot-summary.ts





const VERDICT_ICONS = {
    passed: '✅',
    'failed-units': '❌',
    crashed: '❌',
    'test-failed': '❌',
    'did-not-boot': '❌',
    'not-running': '❌',
    inconclusive: '❌',
    panicked: '💥',
};
/** "kernel 5.6s + initrd 9.8s + userspace 13.9s = 29.3s", from the guest's own timestamps. */
function timingLine(timings) {
    const parts = [
        ['firmware', timings.firmwareMs],
        ['loader', timings.loaderMs],
        ['kernel', timings.kernelMs],
        ['initrd', timings.initrdMs],
        ['userspace', timings.userspaceMs],
    ]
        .filter(([, ms]) => ms !== undefined && ms > 0)
        .map(([name, ms]) => `${name} ${format_formatDuration(ms)}`);
    if (parts.length === 0)
        return undefined;
    return timings.totalMs ? `${parts.join(' + ')} = ${format_formatDuration(timings.totalMs)}` : parts.join(' + ');
}
function how(boot) {
    const message = boot.check.vsockMessage ? ` (check message ${boot.check.vsockMessage})` : '';
    // The accelerator's own default CPU model goes without saying; another one was chosen for a reason.
    const cpu = ['host', 'max'].includes(boot.cpuModel) ? '' : ` (-cpu ${boot.cpuModel})`;
    return `${boot.accel.toUpperCase()}${cpu}, ${boot.firmware}, report over ${boot.transport}${message}, ${format_formatDuration(boot.check.durationMs)} from qemu's start to its exit`;
}
/** Said when the first qemu died on the host's side and the verdict is the second run's. */
function retriedLine(boot) {
    const why = boot.check.retried;
    return (why &&
        `qemu died on the host's side (${why}); the check started it once more: this verdict is the second run's.`);
}
/**
 * How to read the journal kept in export format: journalctl reads journal files, not the export stream,
 * so systemd-journal-remote (Debian's package of that name) turns it into one first.
 */
function journalExportReading(file) {
    return `/usr/lib/systemd/systemd-journal-remote --output=boot.journal ${file} && journalctl --file=boot.journal`;
}
/** The boot check's part of the job summary. */
function boot_summary_bootMarkdown(boot) {
    const verdict = boot.check.verdict;
    const lines = [
        `### ${VERDICT_ICONS[verdict.result] ?? ''} Boot check: ${verdict.result}`,
        '',
        `${cell(verdict.reason)} (${how(boot)})`,
        '',
        ...machineSettingsMarkdown(boot.machine),
    ];
    const retried = retriedLine(boot);
    if (retried)
        lines.push(`⚠️ ${cell(retried)}`, '');
    const timing = timingLine(verdict.timings);
    if (timing)
        lines.push(`Boot time: ${timing}`, '');
    const units = [
        ...verdict.failedUnits.map((u) => ({ ...u, tolerated: false })),
        ...verdict.allowedUnits.map((u) => ({ ...u, tolerated: true })),
    ];
    if (units.length > 0) {
        lines.push('| Unit | Status | Tolerated |', '| --- | --- | --- |');
        for (const unit of units) {
            lines.push(`| \`${cell(unit.name)}\` | ${cell(unit.statusLine ?? `${unit.active} ${unit.sub}`)} | ${unit.tolerated ? 'yes' : 'no'} |`);
        }
        lines.push('');
    }
    const crashes = [
        ...verdict.crashes.map((c) => `- 💥 ${cell(describeCrash(c))}`),
        ...verdict.allowedCrashes.map((c) => `- ${cell(describeCrash(c))} (tolerated)`),
    ];
    if (crashes.length > 0)
        lines.push('Crashed processes:', '', ...crashes, '');
    lines.push(...testsMarkdown(verdict.tests, boot.logsDir, boot.testTimeoutSeconds));
    if (verdict.result !== 'passed')
        lines.push(`Serial console, journal and unit status are kept in \`${boot.logsDir}\`.`);
    const exported = boot.check.logs.journalExport;
    if (exported) {
        lines.push('', `The journal in export format is \`${exported}\`; to read it: \`${journalExportReading(exported)}\``);
    }
    return lines;
}
function bootText(boot) {
    const verdict = boot.check.verdict;
    const lines = [
        `boot check: ${verdict.result}: ${verdict.reason}`,
        `  ${how(boot)}`,
        `  guest: ${describeMachineSize(boot.machine.size)}`,
        ...machineSettingsText(boot.machine),
    ];
    const retried = retriedLine(boot);
    if (retried)
        lines.push(`  retried: ${retried}`);
    const timing = timingLine(verdict.timings);
    if (timing)
        lines.push(`  boot time: ${timing}`);
    for (const unit of verdict.failedUnits)
        lines.push(`  failed: ${unit.name}${unit.statusLine ? `: ${unit.statusLine}` : ''}`);
    for (const unit of verdict.allowedUnits)
        lines.push(`  tolerated: ${unit.name}`);
    for (const crash of verdict.crashes)
        lines.push(`  crashed: ${crash_scan_describeCrash(crash)}`);
    for (const crash of verdict.allowedCrashes)
        lines.push(`  tolerated crash: ${crash_scan_describeCrash(crash)}`);
    lines.push(...testsText(verdict.tests, boot.testTimeoutSeconds));
    if (verdict.result !== 'passed')
        lines.push(`  logs: ${boot.logsDir}`);
    const exported = boot.check.logs.journalExport;
    if (exported)
        lines.push(`  journal (export format): ${exported}; read it with: ${journalExportReading(exported)}`);
    return lines;
}
/**
 * The `boot-result` output: the verdict; `error` when the boot stage failed before it had one (the job
 * is red, so the output must not say the check was skipped); `skipped` when nothing was booted.
 */
function bootResultOutput(verdict, failedStage) {
    if (verdict)
        return verdict.result;
    return failedStage === 'boot' ? 'error' : 'skipped';
}
/** The `failed-units` output: the units that failed the check, with their status line. */
function failedUnitRecords(verdict) {
    return (verdict?.failedUnits ?? []).map((u) => ({ unit: u.name, status: u.statusLine ?? null }));
}

;// CONCATENATED MODULE: ./src/report/publish-summary.ts

function compression(level) {
    return level === 0 ? 'stored, the files are already compressed' : `deflate level ${level}`;
}
function totalBytes(result) {
    return result.files.reduce((sum, f) => sum + f.size, 0);
}
/** The publish part of the job summary: what SHA256SUMS covers, who signed it, where the files went. */
function publish_summary_publishMarkdown(result) {
    const lines = [
        '### Publish',
        '',
        `- \`SHA256SUMS\`: ${result.files.length} files, ${formatBytes(totalBytes(result))}`,
    ];
    const signature = result.signature;
    if (signature) {
        lines.push(`- \`SHA256SUMS.gpg\`: signed by \`${signature.key.fingerprint}\`${signature.key.userId ? ` (${cell(signature.key.userId)})` : ''}; verified with the public key alone (\`signing-key.asc\`)`);
    }
    else {
        lines.push('- not signed (no `sign-key`)');
    }
    const artifact = result.artifact;
    if (artifact) {
        const name = artifact.url ? `[\`${artifact.name}\`](${artifact.url})` : `\`${artifact.name}\``;
        lines.push(`- artifact ${name}: ${artifact.files} files, ${formatBytes(artifact.bytes)} zipped to ${formatBytes(artifact.size)} (${compression(artifact.compressionLevel)}) in ${formatDuration(artifact.durationMs)}`);
    }
    const release = result.release;
    if (release) {
        const replaced = release.replaced.length ? `, ${release.replaced.length} replaced` : '';
        lines.push(`- release [${cell(release.tag)}](${release.url})${release.created ? ' (created)' : ''}: ${release.uploaded.length} assets uploaded${replaced}`);
    }
    for (const note of result.notes)
        lines.push(`- ${cell(note)}`);
    return lines;
}
function publishText(result) {
    const lines = [
        `SHA256SUMS: ${result.files.length} files, ${format_formatBytes(totalBytes(result))}: ${result.checksumsFile}`,
    ];
    const signature = result.signature;
    if (signature) {
        lines.push(`SHA256SUMS.gpg: signed by ${signature.key.fingerprint}${signature.key.userId ? ` (${signature.key.userId})` : ''}, verified: ${signature.file}`, `public key: ${signature.publicKeyFile}`);
    }
    if (result.artifact)
        lines.push(`artifact: ${result.artifact.name} (id ${result.artifact.id})`);
    if (result.release)
        lines.push(`release: ${result.release.url}`);
    lines.push(...result.notes);
    return lines;
}

;// CONCATENATED MODULE: ./src/report/timeline.ts

/** Mermaid takes `:` and `;` as syntax, `#` as a comment. */
function label(text) {
    return text.replace(/[:;#]/g, ' ').replace(/\s+/g, ' ').trim();
}
/**
 * The run's phases as a mermaid gantt chart (GitHub renders it in the job summary): one section per
 * stage in the order they ran, a failed phase marked critical.
 */
function timeline_timelineMarkdown(phases) {
    if (phases.length === 0)
        return [];
    const lines = [
        '```mermaid',
        'gantt',
        '    title Timeline of this run',
        '    dateFormat x',
        '    axisFormat %H:%M:%S',
    ];
    let section;
    for (const phase of phases) {
        if (phase.stage !== section) {
            section = phase.stage;
            lines.push(`    section ${section}`);
        }
        const end = phase.startMs + Math.max(phase.durationMs, 1);
        const tags = phase.ok ? 'done' : 'crit, done';
        lines.push(`    ${label(phase.name)} (${formatDuration(phase.durationMs)}) :${tags}, ${phase.startMs}, ${end}`);
    }
    lines.push('```');
    return lines;
}
/** The phases as text, for the CLI: when each started, how long it took, and whether it failed. */
function timelineText(phases) {
    if (phases.length === 0)
        return [];
    const width = Math.max(...phases.map((p) => `${p.stage}: ${p.name}`.length));
    return phases.map((p) => `  +${format_formatDuration(p.startMs).padStart(7)}  ${`${p.stage}: ${p.name}`.padEnd(width)}  ${format_formatDuration(p.durationMs).padStart(7)}${p.ok ? '' : '  failed'}`);
}

;// CONCATENATED MODULE: ./src/report/verdicts.ts

function failedAt(result, ...stages) {
    return result.failure !== undefined && stages.includes(result.failure.stage);
}
function buildVerdict(result) {
    const build = result.build;
    if (build) {
        const text = build.durationMs === undefined ? 'built earlier' : `built in ${format_formatDuration(build.durationMs)}`;
        return { what: 'build', ok: true, text };
    }
    if (result.failure)
        return { what: 'build', ok: false, text: `failed (${result.failure.stage})` };
    return { what: 'build', ok: undefined, text: 'not reached' };
}
function bootVerdict(result) {
    const verdict = result.boot?.check.verdict;
    if (verdict)
        return { what: 'boot', ok: verdict.result === 'passed', text: verdict.result };
    if (failedAt(result, 'boot'))
        return { what: 'boot', ok: false, text: 'error' };
    return { what: 'boot', ok: undefined, text: result.build ? 'skipped' : 'not reached' };
}
function reproVerdict(result) {
    const repro = result.repro;
    if (repro) {
        const n = repro.comparison.totalDifferences;
        return {
            what: 'reproducible',
            ok: repro.reproducible,
            text: repro.reproducible ? 'yes' : `no (${n} ${n === 1 ? 'difference' : 'differences'})`,
        };
    }
    if (failedAt(result, 'repro'))
        return { what: 'reproducible', ok: false, text: 'error' };
    return { what: 'reproducible', ok: undefined, text: 'not checked' };
}
function publishVerdict(result) {
    const published = result.publish;
    if (published) {
        const parts = [published.signature ? 'SHA256SUMS signed' : 'SHA256SUMS'];
        if (published.artifact)
            parts.push(`artifact ${published.artifact.name}`);
        if (published.release)
            parts.push(`release ${published.release.tag}`);
        return { what: 'published', ok: true, text: parts.join(', ') };
    }
    if (failedAt(result, 'publish'))
        return { what: 'published', ok: false, text: 'failed' };
    return { what: 'published', ok: undefined, text: 'no' };
}
/** The update round trip (update-from): only in runs that asked for one. */
function updateVerdict(result) {
    const update = result.update;
    if (update) {
        const versions = update.versions.join(' → ');
        const text = update.result === 'passed' ? versions : `${update.result}${versions ? ` (${versions})` : ''}`;
        return { what: 'updated', ok: update.result === 'passed', text };
    }
    if (failedAt(result, 'update'))
        return { what: 'updated', ok: false, text: 'error' };
    return undefined;
}
/** The four verdicts of a run (five with update-from), in the order the pipeline reaches them. */
function verdictCells(result) {
    const update = updateVerdict(result);
    return [
        buildVerdict(result),
        bootVerdict(result),
        reproVerdict(result),
        publishVerdict(result),
        ...(update ? [update] : []),
    ];
}
const ICONS = { true: '✅', false: '❌', undefined: '➖' };
function verdicts_verdictMarkdown(result) {
    const cells = verdictCells(result);
    return [
        `| ${cells.map((c) => c.what[0].toUpperCase() + c.what.slice(1)).join(' | ')} |`,
        `| ${cells.map(() => '---').join(' | ')} |`,
        `| ${cells.map((c) => `${ICONS[String(c.ok)]} ${c.text.replace(/\|/g, '\\|')}`).join(' | ')} |`,
    ];
}
function verdictText(result) {
    return verdictCells(result).map((c) => `${c.what.padEnd(12)}  ${c.ok === false ? 'FAILED: ' : ''}${c.text}`);
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
function build_summary_describe(artifact) {
    if (artifact.type === 'symlink')
        return `→ ${artifact.target ?? ''}`;
    if (artifact.type === 'directory')
        return 'directory';
    return artifact.sha256 ?? '';
}
function headline(result) {
    if (result.failure)
        return `❌ mkosi-ci: ${result.failure.stage} failed`;
    if (result.repro)
        return `✅ mkosi-ci: image built${result.boot ? ', booted' : ''} and checked: ${result.repro.reproducible ? 'reproducible' : 'not reproducible (warn)'}`;
    if (result.boot)
        return '✅ mkosi-ci: image built and booted';
    return '✅ mkosi-ci: image built';
}
/** "built in 1m 23s" for a build of this run, "built earlier" for outputs that were taken as they are. */
function builtPhrase(durationMs) {
    return durationMs === undefined ? 'built earlier' : `built in ${format_formatDuration(durationMs)}`;
}
/** The job summary of a run, as markdown. */
function build_summary_renderMarkdown(result) {
    const lines = [`## ${headline(result)}`, '', ...verdictMarkdown(result), ''];
    if (result.failure) {
        lines.push('> [!CAUTION]', `> ${cell(result.failure.message)}`, '');
    }
    const timeline = timelineMarkdown(result.phases ?? []);
    if (timeline.length > 0)
        lines.push(...timeline, '');
    const mkosi = result.setup?.mkosi;
    const build = result.build;
    if (mkosi)
        lines.push(`mkosi ${mkosi.version} (${mkosi.origin})`, '');
    if (build) {
        const main = build.config.main;
        lines.push(`**${main.distribution} ${main.release}** ${main.architecture}, \`Format=${main.format}\`, ${builtPhrase(build.durationMs)} into \`${build.outputDirectory}\``, '', '| File | Kind | Size | sha256 |', '| --- | --- | ---: | --- |', ...build.artifacts.map((a) => `| \`${cell(a.name)}\` | ${a.kind} | ${a.type === 'symlink' ? '' : formatBytes(a.size)} | ${a.sha256 ? `\`${a.sha256}\`` : cell(build_summary_describe(a))} |`), '');
    }
    if (result.boot)
        lines.push(...bootMarkdown(result.boot), '');
    if (result.publish)
        lines.push(...publishMarkdown(result.publish), '');
    if (result.repro)
        lines.push(result.repro.markdown, '');
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
        lines.push(`${main.distribution} ${main.release} ${main.architecture}, Format=${main.format}, ${builtPhrase(build.durationMs)}`, `output directory: ${build.outputDirectory}`, '');
        const width = Math.max(4, ...build.artifacts.map((a) => a.name.length));
        lines.push(`${'file'.padEnd(width)}  ${'kind'.padEnd(18)}  ${'size'.padStart(10)}  sha256`);
        for (const a of build.artifacts) {
            lines.push(`${a.name.padEnd(width)}  ${a.kind.padEnd(18)}  ${(a.type === 'symlink' ? '' : format_formatBytes(a.size)).padStart(10)}  ${build_summary_describe(a)}`);
        }
    }
    if (result.boot)
        lines.push('', ...bootText(result.boot));
    if (result.publish)
        lines.push('', ...publishText(result.publish));
    if (result.repro)
        lines.push('', ...reproText(result.repro.comparison, result.repro.reportDir));
    const timeline = timelineText(result.phases ?? []);
    if (timeline.length > 0)
        lines.push('', 'timeline:', ...timeline);
    lines.push('', ...verdictText(result));
    return lines.join('\n') + '\n';
}

;// CONCATENATED MODULE: ./src/report/cache-summary.ts

function saveCell(record) {
    const save = record.save;
    if (!save)
        return 'not run';
    const time = save.ms !== undefined ? ` in ${format_formatDuration(save.ms)}` : '';
    return `${save.outcome}${time}${save.reason ? ` (${save.reason})` : ''}`;
}
function hitCell(record) {
    return record.hit === 'partial' && record.matchedKey ? `partial: \`${record.matchedKey}\`` : record.hit;
}
/** The caches of a run as a markdown table: key, hit kind, size, restore and save. */
function cacheMarkdown(records, skipped) {
    if (records.length === 0)
        return skipped ? ['### Caches', '', `Not stored: ${cell(skipped)}.`, ''] : [];
    return [
        '### Caches',
        '',
        '| Cache | Key | Hit | Size | Restore | Save |',
        '| --- | --- | --- | ---: | ---: | --- |',
        ...records.map((r) => `| ${r.name} | \`${cell(r.key)}\` | ${cell(hitCell(r))} | ${formatBytes(r.save?.sizeBytes ?? r.sizeBytes)} | ${formatDuration(r.restoreMs)} | ${cell(saveCell(r))} |`),
        '',
    ];
}
/** The same as plain text, for the CLI. */
function cacheText(records, skipped) {
    if (records.length === 0)
        return skipped ? [`caches: not stored: ${skipped}`] : [];
    return [
        'caches:',
        ...records.map((r) => `  ${r.name.padEnd(12)} ${r.hit.padEnd(8)} ${format_formatBytes(r.save?.sizeBytes ?? r.sizeBytes).padStart(10)}  restore ${format_formatDuration(r.restoreMs)}, save ${saveCell(r)}  ${r.key}`),
    ];
}

;// CONCATENATED MODULE: ./src/outputs.ts
/**
 * The outputs of the action, which are also the fields of the CLI's `--json` result, one to one.
 * action.yml is checked against this list by a unit test.
 */
var Output;
(function (Output) {
    Output["MkosiVersion"] = "mkosi-version";
    Output["Image"] = "image";
    Output["OutputDirectory"] = "output-directory";
    Output["Artifacts"] = "artifacts";
    Output["Config"] = "config";
    Output["Logs"] = "logs";
    Output["BootResult"] = "boot-result";
    Output["FailedUnits"] = "failed-units";
    Output["FailedTests"] = "failed-tests";
    Output["Checksums"] = "checksums";
    Output["SigningFingerprint"] = "signing-fingerprint";
    Output["ArtifactId"] = "artifact-id";
    Output["ArtifactUrl"] = "artifact-url";
    Output["ReleaseUrl"] = "release-url";
    Output["Reproducible"] = "reproducible";
    Output["DiffReport"] = "diff-report";
    Output["CacheHitPackages"] = "cache-hit-packages";
    Output["CacheHitIncremental"] = "cache-hit-incremental";
    Output["CacheHitToolsTree"] = "cache-hit-tools-tree";
})(Output || (Output = {}));

;// CONCATENATED MODULE: ./src/report/outputs.ts




const CACHE_HIT_OUTPUTS = {
    packages: Output.CacheHitPackages,
    incremental: Output.CacheHitIncremental,
    'tools-tree': Output.CacheHitToolsTree,
};
/**
 * The outputs of a run, as far as it got: what the action sets with `core.setOutput` and the CLI prints
 * with `--json`. An output the run did not reach is absent.
 */
function runOutputs(result, logsDir) {
    const outputs = { [Output.Logs]: logsDir };
    for (const [name, output] of Object.entries(CACHE_HIT_OUTPUTS)) {
        outputs[output] = result.caches?.records.find((r) => r.name === name)?.hit ?? 'miss';
    }
    if (result.setup)
        outputs[Output.MkosiVersion] = result.setup.mkosi.version;
    const verdict = result.boot?.check.verdict;
    if (result.build) {
        outputs[Output.BootResult] = bootResultOutput(verdict, result.failure?.stage);
        outputs[Output.FailedUnits] = JSON.stringify(failedUnitRecords(verdict));
        outputs[Output.FailedTests] = JSON.stringify(failedTestRecords(verdict?.tests));
    }
    if (result.repro) {
        outputs[Output.Reproducible] = result.repro.reproducible ? 'yes' : 'no';
        outputs[Output.DiffReport] = result.repro.reportDir;
    }
    const build = result.build;
    if (!build)
        return outputs;
    outputs[Output.Image] = build.image?.path ?? '';
    outputs[Output.OutputDirectory] = build.outputDirectory;
    outputs[Output.Artifacts] = JSON.stringify(artifactRecords(build.artifacts));
    outputs[Output.Config] = build.configFile;
    const published = result.publish;
    if (!published)
        return outputs;
    outputs[Output.Checksums] = published.checksumsFile;
    outputs[Output.SigningFingerprint] = published.signature?.key.fingerprint ?? '';
    outputs[Output.ArtifactId] = published.artifact ? String(published.artifact.id) : '';
    outputs[Output.ArtifactUrl] = published.artifact?.url ?? '';
    outputs[Output.ReleaseUrl] = published.release?.url ?? '';
    return outputs;
}

;// CONCATENATED MODULE: ./src/version.ts
/** mkosi-ci's own version; a unit test keeps it equal to package.json's. */
const MKOSI_CI_VERSION = '0.1.0';

;// CONCATENATED MODULE: ./src/cli/args.ts


const COMMANDS = ['build', 'boot', 'diff', 'repro', 'publish'];
/** Flags that are not inputs (directories and files), by name. */
const FILE_FLAGS = {
    'work-dir': 'workDir',
    'cache-dir': 'cacheDir',
    'output-dir': 'outputDir',
    'sign-key-file': 'signKeyFile',
    'sign-passphrase-file': 'signPassphraseFile',
};
const INPUT_NAMES = new Set(Object.values(Input));
/**
 * Inputs that are secrets: on a command line every user of the machine can read them (ps, /proc), so the
 * CLI takes them from files only; the token is GitHub's and has no use outside the action.
 */
const SECRET_FLAGS = {
    [Input.SignKey]: 'give the key in a file with --sign-key-file=FILE',
    [Input.SignPassphrase]: 'give the passphrase in a file with --sign-passphrase-file=FILE',
    [Input.GithubToken]: 'releases are published by the GitHub Action only',
};
/** Inputs that are GitHub's alone: the CLI publishes no release, so it has no use for them. */
const GITHUB_ONLY_FLAGS = new Set([Input.ReleaseEvents]);
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
    const flags = {
        workDir: undefined,
        debug: false,
        json: false,
        outputDir: undefined,
        signKeyFile: undefined,
        signPassphraseFile: undefined,
        cacheDir: undefined,
    };
    const operands = [];
    for (let i = 0; i < rest.length; i++) {
        const arg = rest[i];
        if (arg === '--help' || arg === '-h')
            return { kind: 'help' };
        if (arg === '--debug' || arg === '--json') {
            flags[arg === '--debug' ? 'debug' : 'json'] = true;
            continue;
        }
        const match = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
        if (!match && command === 'diff' && !arg.startsWith('-')) {
            operands.push(arg);
            continue;
        }
        if (!match)
            throw new ConfigurationError(`Unexpected argument '${arg}'; flags look like --name=value.`);
        const name = match[1];
        let value = match[2];
        if (value === undefined) {
            value = rest[++i];
            if (value === undefined)
                throw new ConfigurationError(`Flag --${name} needs a value.`);
        }
        if (GITHUB_ONLY_FLAGS.has(name)) {
            throw new ConfigurationError(`Flag --${name} is for the GitHub Action only: the CLI publishes no release (see mkosi-ci --help).`);
        }
        else if (name in SECRET_FLAGS) {
            throw new ConfigurationError(`Flag --${name} is not taken on the command line, where other users can read it: ${SECRET_FLAGS[name]}.`);
        }
        else if (name in FILE_FLAGS) {
            if (flags[FILE_FLAGS[name]] !== undefined) {
                throw new ConfigurationError(`Flag --${name} was given twice; it takes one value.`);
            }
            flags[FILE_FLAGS[name]] = value;
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
    if (command === 'diff' && operands.length !== 2) {
        throw new ConfigurationError(`diff compares two outputs: mkosi-ci diff A B (got ${operands.length} operands).`);
    }
    if (command !== 'publish' && flags.outputDir !== undefined)
        throw outputDirNotForCommand(command);
    if (command === 'publish' && flags.outputDir === undefined) {
        throw new ConfigurationError('publish writes SHA256SUMS for a directory: mkosi-ci publish --output-dir=DIR [--sign-key-file=FILE].');
    }
    return { kind: 'run', command: command, inputs, flags, operands };
}
/** --output-dir names publish's directory; elsewhere it would be ignored, and the outputs land elsewhere. */
function outputDirNotForCommand(command) {
    const instead = command === 'diff'
        ? 'diff compares the two outputs given as operands'
        : `for ${command}, the outputs are where the project's OutputDirectory= says, or --args=--output-directory=DIR`;
    return new ConfigurationError(`Flag --output-dir is for publish; ${instead}.`);
}
function helpText() {
    const lines = [
        'Usage: mkosi-ci build [flags]   build the project (and boot-check it, see --boot)',
        '       mkosi-ci boot [flags]    boot-check the image an earlier build left in the output directory',
        '       mkosi-ci repro [flags]   build twice (the second time in a fresh copy with --reproducible-variations)',
        '                                and name the files that differ (--reproducible defaults to check here)',
        '       mkosi-ci diff A B [--tools-tree=PATH]',
        '                                name the files that differ between two outputs or output directories',
        '                                (exit status 0 when identical, 1 when not)',
        '       mkosi-ci publish --output-dir=DIR [--sign-key-file=FILE [--sign-passphrase-file=FILE]]',
        '                                write SHA256SUMS over every file in DIR, and sign it (SHA256SUMS.gpg)',
        '',
        'Does what the mkosi-ci GitHub Action does. Every flag is the action input of the same name;',
        'flags marked [repeatable] may be given more than once, one line each.',
        '',
    ];
    for (const input of Object.values(Input)) {
        if (input in SECRET_FLAGS || GITHUB_ONLY_FLAGS.has(input))
            continue;
        const spec = INPUT_SPECS[input];
        lines.push(`  --${input}=${spec.placeholder}${spec.multiline ? ' [repeatable]' : ''}`);
        lines.push(`      ${spec.description}${spec.default ? ` (default: ${spec.default})` : ''}`);
    }
    lines.push('  --work-dir=DIR', '      Where logs and the resolved configuration go (default: a new directory under the temp directory).', '  --sign-key-file=FILE, --sign-passphrase-file=FILE', '      Read sign-key and sign-passphrase from files (for build and publish); secrets never go on a command line.', '  --output-dir=DIR', '      publish: the directory whose files SHA256SUMS lists.', '  --cache-dir=DIR', '      Also keep the caches (see --cache) as archives in DIR, with the same keys as the action: restored', '      before the build, saved after a good one. With or without it, the package and incremental caches', '      stay on this machine under ~/.cache/mkosi/mkosi-ci (XDG_CACHE_HOME) between runs; --cache=false', "      uses none of mkosi-ci's caches.", '  --json', "      build, boot, repro: print the outputs of the run (the action's outputs) as one JSON object on", '      stdout, with a "failure" field when it failed; the summary and the build output go to stderr.', '  --debug', '      Show stack traces of internal errors.', '');
    return lines.join('\n');
}

;// CONCATENATED MODULE: ./src/cli/cache-store.ts



const EXTENSION = '.tar.zst';
/**
 * zstd on every core. Not @actions/cache's --long=30 as well: on the 676 MiB tools tree it made the
 * archive 17% smaller but the save twice as slow (bench/cache-restore.mjs), which a local store does
 * not need; the restore decompresses with --long=30, which reads either.
 */
const COMPRESSOR = 'zstd -T0';
/** Entries for other members never match, as with actions/cache's version. */
function membersTag(members) {
    return (0,external_node_crypto_namespaceObject.createHash)('sha256').update(members.join('\n')).digest('hex').slice(0, 12);
}
/** The file name of an entry in the store. */
function entryName(key, members) {
    return `${key}~${membersTag(members)}${EXTENSION}`;
}
async function lexists(file) {
    return (0,promises_namespaceObject.lstat)(file).then(() => true, () => false);
}
/**
 * The CLI's cache store: one zstd tar per entry in a local directory (`--cache-dir`), for a laptop or a
 * runner with a persistent volume. Same keys and the same lookup as GitHub's service: the exact key,
 * else the newest entry a restore key prefixes. The directory may be shared with other jobs, so what it
 * holds is untrusted: an archive is handed over as it is and checked by whoever extracts it. An entry is
 * written in a fresh private directory and renamed into place, so a store never holds half an archive
 * and a planted link is never written through; an existing entry is never replaced.
 */
function directoryCacheStore(dir, runner) {
    return {
        // Without --cache-dir the caches still stay in their directories on this machine (README, --help).
        keepsCachesWhenUnavailable: true,
        unavailable() {
            return dir ? undefined : 'no --cache-dir given';
        },
        async fetch(members, key, restoreKeys) {
            const names = await (0,promises_namespaceObject.readdir)(dir).catch(() => []);
            const tag = `~${membersTag(members)}${EXTENSION}`;
            const keyOf = (name) => name.slice(0, -tag.length);
            const mine = names.filter((n) => n.endsWith(tag));
            let found = mine.find((n) => keyOf(n) === key);
            for (const prefix of [key, ...restoreKeys]) {
                if (found)
                    break;
                const candidates = mine.filter((n) => keyOf(n).startsWith(prefix));
                const times = await Promise.all(candidates.map(async (n) => (await (0,promises_namespaceObject.lstat)(external_node_path_default().join(dir, n))).mtimeMs));
                let newest = -1;
                candidates.forEach((n, i) => {
                    if (times[i] > newest)
                        [found, newest] = [n, times[i]];
                });
            }
            if (!found)
                return undefined;
            const file = external_node_path_default().join(dir, found);
            // Not a link to something else, not a FIFO that would block the decompressor.
            if (!(await (0,promises_namespaceObject.lstat)(file)).isFile())
                throw new Error(`${file} is not a regular file`);
            return { key: keyOf(found), file };
        },
        async save(entry, key) {
            await (0,promises_namespaceObject.mkdir)(dir, { recursive: true });
            const file = external_node_path_default().join(dir, entryName(key, entry.members));
            if (await lexists(file))
                return false;
            const existing = [];
            for (const member of entry.members) {
                if (await lexists(external_node_path_default().join(entry.root, member)))
                    existing.push(member);
            }
            const scratch = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(dir, '.saving-'));
            try {
                const temporary = external_node_path_default().join(scratch, 'entry');
                // Names relative to the root: the archive restores wherever its root is. zstd on every core
                // (tar --zstd runs it on one).
                const args = [
                    '--create',
                    `--use-compress-program=${COMPRESSOR}`,
                    `--file=${temporary}`,
                    `--directory=${entry.root}`,
                    '--',
                    ...existing,
                ];
                const result = await runner.run('tar', args, { stream: false });
                if (result.exitCode !== 0) {
                    throw new Error(`tar --create failed (exit status ${result.exitCode}): ${result.stderr.trim()}`);
                }
                await (0,promises_namespaceObject.rename)(temporary, file);
            }
            finally {
                await (0,promises_namespaceObject.rm)(scratch, { recursive: true, force: true });
            }
            return true;
        },
    };
}

;// CONCATENATED MODULE: ./src/cli/log.ts


/**
 * The Log port on a terminal or another CI: plain lines, groups as headings, secrets masked. The secrets
 * are shared with the runner, which masks the same values in the children's output and log files.
 */
function consoleLog(debugEnabled, write = (text) => process.stderr.write(text), secrets = runSecrets) {
    const started = Date.now();
    const scrub = (message) => maskText(message, secrets);
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
            write(`▶ ${scrub(name)} [+${format_formatDuration(Date.now() - started)}]\n`);
            return await fn();
        },
        mask: (secret) => secrets.add(secret),
    };
}

;// CONCATENATED MODULE: ./src/cli/tool-cache.ts






/**
 * The ToolCache port off the runner: $XDG_CACHE_HOME/mkosi-ci/tools/<tool>/<version>, complete once
 * its `.complete` marker is there. An entry is put together in a fresh directory beside it and renamed
 * into place.
 */
function directoryToolCache(root, runner) {
    return {
        async find(tool, version) {
            const dir = external_node_path_default().join(root, tool, version);
            return (await (0,promises_namespaceObject.stat)(external_node_path_default().join(dir, '.complete')).catch(() => undefined)) ? dir : undefined;
        },
        async download(url) {
            const response = await fetch(url);
            if (!response.ok || !response.body)
                throw new Error(`HTTP ${response.status} ${response.statusText}`);
            // Beside the entries rather than in a directory of its own in /tmp: the caller removes it once read.
            const downloads = external_node_path_default().join(root, '.downloads');
            await (0,promises_namespaceObject.mkdir)(downloads, { recursive: true });
            const file = external_node_path_default().join(downloads, (0,external_node_crypto_namespaceObject.randomUUID)());
            try {
                await (0,external_node_stream_promises_namespaceObject.pipeline)(external_node_stream_namespaceObject.Readable.fromWeb(response.body), (0,external_node_fs_.createWriteStream)(file));
            }
            catch (error) {
                await (0,promises_namespaceObject.rm)(file, { force: true });
                throw error;
            }
            return file;
        },
        async extractTar(file, dest) {
            await (0,promises_namespaceObject.mkdir)(dest, { recursive: true });
            const result = await runner.run('tar', ['-xzf', file, '-C', dest], { stream: false });
            if (result.exitCode !== 0)
                throw new Error(`tar could not extract ${file}: ${result.stderr.trim()}`);
            return dest;
        },
        async cacheFile(file, name, tool, version) {
            const dir = external_node_path_default().join(root, tool, version);
            await (0,promises_namespaceObject.mkdir)(external_node_path_default().dirname(dir), { recursive: true });
            const fresh = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(external_node_path_default().dirname(dir), `.${version}-`));
            try {
                await (0,promises_namespaceObject.copyFile)(file, external_node_path_default().join(fresh, name));
                await (0,promises_namespaceObject.writeFile)(external_node_path_default().join(fresh, '.complete'), '');
                await (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true });
                await (0,promises_namespaceObject.rename)(fresh, dir);
            }
            finally {
                await (0,promises_namespaceObject.rm)(fresh, { recursive: true, force: true });
            }
            return dir;
        },
    };
}

;// CONCATENATED MODULE: ./src/cli/work-dir.ts




/**
 * The work directory the CLI makes when none is given (`--work-dir`): the run's scratch (sandbox trees,
 * the unpacked mkosi, the second build, boot probes, extractions) lives there next to `logs/` and the
 * `diff/` reports. The scratch goes when the run ends or is stopped; what was written for the user to
 * read stays.
 */
/** What the user reads afterwards; everything else in the work directory is scratch. */
const KEPT = ['logs', 'diff'];
/** Removes the scratch from `dir`, and `dir` itself when nothing worth keeping was written. */
async function removeScratch(dir) {
    const entries = await (0,promises_namespaceObject.readdir)(dir).catch(() => []);
    await Promise.all(entries
        .filter((e) => !KEPT.includes(e))
        .map((e) => (0,promises_namespaceObject.rm)(external_node_path_default().join(dir, e), { recursive: true, force: true })));
    const kept = await Promise.all(KEPT.map((e) => (0,promises_namespaceObject.readdir)(external_node_path_default().join(dir, e)).then((inside) => inside.length > 0, () => false)));
    if (kept.some(Boolean))
        return dir;
    await (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true });
    return undefined;
}
async function temporaryWorkDir(cleanup = process_cleanup/* runCleanup */.Kt) {
    const dir = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(external_node_os_default().tmpdir(), 'mkosi-ci-'));
    const forget = cleanup.addStep({
        what: `the scratch in ${dir}`,
        run: async () => void (await removeScratch(dir)),
    });
    return {
        dir,
        async finish() {
            forget();
            return removeScratch(dir);
        },
    };
}

;// CONCATENATED MODULE: ./src/cli/main.ts
























function cacheRoot(env) {
    return external_node_path_default().join(env.XDG_CACHE_HOME || external_node_path_default().join(external_node_os_default().homedir(), '.cache'), 'mkosi-ci');
}
async function readSecretFile(file, flag) {
    try {
        return await (0,promises_namespaceObject.readFile)(file, 'utf8');
    }
    catch (error) {
        throw new ConfigurationError(`--${flag}: cannot read ${file} (${error.code ?? errorMessage(error)}).`);
    }
}
/** --work-dir or --cache-dir as given: a directory, or a path where one can be made. */
async function directoryFlag(given, flag) {
    const dir = external_node_path_default().resolve(given);
    const info = await (0,promises_namespaceObject.stat)(dir).catch(() => undefined);
    if (info && !info.isDirectory()) {
        throw new ConfigurationError(`--${flag}: ${dir} is not a directory; give a directory (it is made if missing).`);
    }
    return dir;
}
/** --sign-key-file and --sign-passphrase-file fill the inputs they stand for. */
async function withSecretFiles(inputs, flags) {
    const filled = { ...inputs };
    if (flags.signKeyFile)
        filled[Input.SignKey] = await readSecretFile(flags.signKeyFile, 'sign-key-file');
    if (flags.signPassphraseFile) {
        // A passphrase file's final newline is not part of the passphrase.
        filled[Input.SignPassphrase] = (await readSecretFile(flags.signPassphraseFile, 'sign-passphrase-file')).replace(/\r?\n$/, '');
    }
    return filled;
}
function streams(json) {
    const out = (text) => void process.stdout.write(text);
    const err = (text) => void process.stderr.write(text);
    return { out, text: json ? err : out };
}
/** --work-dir as given, kept whole; else a temporary one whose scratch goes at the end. */
async function workDirFor(flags) {
    if (!flags.workDir)
        return temporaryWorkDir();
    const dir = await directoryFlag(flags.workDir, 'work-dir');
    return { dir, finish: () => Promise.resolve(undefined) };
}
async function cliContext(flags, env, log, io, workDir) {
    const runner = new ProcessRunner((chunk) => io.text(chunk), env);
    return {
        runner,
        log,
        toolCache: directoryToolCache(external_node_path_default().join(cacheRoot(env), 'tools'), runner),
        workDir,
        cacheStore: directoryCacheStore(flags.cacheDir ? await directoryFlag(flags.cacheDir, 'cache-dir') : undefined, runner),
        // A laptop or another CI's runner is nobody's to reconfigure unless prepare-host says yes.
        host: hostFacts(env, external_node_os_default().homedir(), false),
        // Nothing is uploaded here: there is no artifact service.
        trigger: { tag: undefined, uploadByDefault: false },
    };
}
/** build, boot and repro: the pipeline, the cache save, the summary (and with --json the outputs). */
async function runCommand(ctx, options, command, flags, io) {
    const result = await runPipeline(ctx, options, command);
    const caches = result.caches?.records.length
        ? await saveCaches(ctx, result.caches.records, cacheSaveInputs(result, options))
        : [];
    io.text('\n' + renderText(result));
    const cacheLines = cacheText(caches, result.caches?.skipped);
    if (cacheLines.length > 0)
        io.text(cacheLines.join('\n') + '\n');
    if (flags.json) {
        const outputs = runOutputs(result, external_node_path_default().join(ctx.workDir, 'logs'));
        io.out(JSON.stringify({ ...outputs, ...(result.failure ? { failure: result.failure.message } : {}) }) + '\n');
    }
    if (!result.failure)
        return 0;
    reportFailure(ctx.log, result.failure.error, result.failure.message, result.failure.file);
    return 1;
}
async function runParsedCommand(ctx, options, parsed, io) {
    if (parsed.command === 'diff') {
        const [a, b] = parsed.operands;
        const diff = await diffOutputs(ctx, a, b, options.toolsTree, options.repro.maxFiles);
        io.out(diff.markdown + `\nreports: ${diff.markdownFile} ${diff.jsonFile}\n`);
        return diff.comparison.identical ? 0 : 1;
    }
    if (parsed.command === 'publish') {
        const published = await publishDirectory(ctx, options.publish, external_node_path_default().resolve(parsed.flags.outputDir));
        io.out(publishText({ ...published, notes: [] }).join('\n') + '\n');
        return 0;
    }
    return runCommand(ctx, options, parsed.command, parsed.flags, io);
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
            process.stdout.write(`mkosi-ci ${MKOSI_CI_VERSION}\n`);
            return 0;
        }
        debug = parsed.flags.debug;
        const options = parseOptions(await withSecretFiles(parsed.inputs, parsed.flags), process.cwd());
        maskSecrets(log, [options.publish.signKey, options.publish.signPassphrase, ...environmentSecrets(env)]);
        const io = streams(parsed.flags.json);
        const workDir = await workDirFor(parsed.flags);
        try {
            const ctx = await cliContext(parsed.flags, env, log, io, workDir.dir);
            return await runParsedCommand(ctx, options, parsed, io);
        }
        finally {
            const kept = await workDir.finish();
            if (kept)
                io.text(`Logs and reports are kept in ${kept}\n`);
        }
    }
    catch (error) {
        reportFailure(log, error);
        return 1;
    }
}


/***/ }),

/***/ 781:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Fx: () => (/* binding */ runCleanupCommand),
/* harmony export */   Kt: () => (/* binding */ runCleanup),
/* harmony export */   le: () => (/* binding */ endProcessesMentioning)
/* harmony export */ });
/* unused harmony exports livingMembers, processesMentioning, RunCleanup */
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(421);
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_child_process__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(24);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__nccwpck_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);


/**
 * What a run leaves behind while it works and must not leave when it is stopped: the process groups
 * the runner started (mkosi, qemu, vhost-device-vsock, gpg) and steps that remove a keyring or a
 * temporary copy. One registry per process, because a signal belongs to the process, not to a stage.
 */
/** How long a process group gets to end after SIGTERM before it gets SIGKILL. */
const TERM_GRACE_MS = 3_000;
/** How long one removal step may take while the run is being stopped. */
const STEP_LIMIT_MS = 3_000;
const POLL_MS = 50;
/** How long SIGKILLed processes get to be gone from /proc (or zombies) before removal goes on. */
const KILL_SETTLE_MS = 1_000;
/**
 * The fields of /proc/PID/stat after `pid (comm)`: `state ppid pgrp …`. comm may hold spaces and
 * parentheses, so they are read from the last ')'.
 */
function statFields(stat) {
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
/** Whether a process in this state has ended (a zombie has, and so has a dead one). */
function ended(state) {
    return state === 'Z' || state === 'X';
}
/** The members of a process group that have not ended (zombies have ended), from /proc. */
function livingMembers(pgid, proc = '/proc') {
    let entries;
    try {
        entries = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readdirSync)(proc);
    }
    catch {
        return signalReaches(pgid) ? [pgid] : [];
    }
    const members = [];
    for (const entry of entries) {
        if (!/^\d+$/.test(entry))
            continue;
        let stat;
        try {
            stat = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readFileSync)(`${proc}/${entry}/stat`, 'utf8');
        }
        catch {
            continue;
        }
        const fields = statFields(stat);
        if (Number(fields[2]) === pgid && !ended(fields[0]))
            members.push(Number(entry));
    }
    return members;
}
/** Living processes whose command line (arguments joined by spaces) contains `text`, from /proc. */
function processesMentioning(text, proc = '/proc') {
    let entries;
    try {
        entries = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readdirSync)(proc);
    }
    catch {
        return [];
    }
    const found = [];
    for (const entry of entries) {
        if (!/^\d+$/.test(entry) || Number(entry) === process.pid)
            continue;
        try {
            const cmdline = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readFileSync)(`${proc}/${entry}/cmdline`, 'utf8').split('\0').join(' ');
            const [state] = statFields((0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readFileSync)(`${proc}/${entry}/stat`, 'utf8'));
            if (cmdline.includes(text) && !ended(state))
                found.push(Number(entry));
        }
        catch {
            // Ended while being read.
        }
    }
    return found;
}
/**
 * Ends the processes whose command line contains `text` (a daemon such as gpg-agent, which leaves the
 * process group it was started in): waits `graceMs` for them to go after a polite request elsewhere,
 * then SIGKILLs what is left and waits for it to be gone.
 */
async function endProcessesMentioning(text, graceMs = 1_000) {
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && processesMentioning(text).length > 0)
        await sleep(POLL_MS);
    const left = processesMentioning(text);
    for (const pid of left) {
        try {
            process.kill(pid, 'SIGKILL');
        }
        catch {
            // Already gone.
        }
    }
    const settle = Date.now() + KILL_SETTLE_MS;
    while (left.length > 0 && Date.now() < settle && processesMentioning(text).length > 0)
        await sleep(POLL_MS);
}
function signalReaches(pgid) {
    try {
        process.kill(-pgid, 0);
        return true;
    }
    catch {
        return false;
    }
}
function killGroup(pgid, signal) {
    try {
        process.kill(-pgid, signal);
    }
    catch {
        // Already gone.
    }
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function withinLimit(work, ms) {
    let timer;
    const limit = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not finish within ${ms / 1000} s`)), ms);
    });
    try {
        await Promise.race([Promise.resolve(work), limit]);
    }
    finally {
        clearTimeout(timer);
    }
}
/** Runs a program (argument array, no shell) for a removal step, when the runner no longer starts any. */
function runCleanupCommand(command, args, timeoutMs = 2_000) {
    return new Promise((resolve) => {
        (0,node_child_process__WEBPACK_IMPORTED_MODULE_0__.execFile)(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, () => resolve());
    });
}
class RunCleanup {
    termGraceMs;
    groups = new Set();
    steps = new Set();
    pathListeners = new Set();
    exitHookInstalled = false;
    cancelling;
    stoppedBy;
    constructor(termGraceMs = TERM_GRACE_MS) {
        this.termGraceMs = termGraceMs;
    }
    /** The signal that is stopping the run, once one is: nothing new may start then. */
    get cancelledBy() {
        return this.stoppedBy;
    }
    /** A process group the run started; the returned function forgets it once its leader has ended. */
    addProcessGroup(pgid) {
        this.installExitHook();
        this.groups.add(pgid);
        return () => this.groups.delete(pgid);
    }
    processGroups() {
        return [...this.groups];
    }
    /** A removal to do when the run is stopped; the returned function forgets it once done normally. */
    addStep(step) {
        this.steps.add(step);
        this.notifyPaths();
        return () => {
            if (this.steps.delete(step))
                this.notifyPaths();
        };
    }
    /** The directories the pending steps remove. */
    paths() {
        return [...this.steps].flatMap((s) => (s.path ? [s.path] : []));
    }
    /** Called with the pending directories whenever they change (the action keeps them in its state). */
    onPathsChanged(listener) {
        this.pathListeners.add(listener);
        return () => this.pathListeners.delete(listener);
    }
    notifyPaths() {
        const paths = this.paths();
        for (const listener of this.pathListeners) {
            try {
                listener(paths);
            }
            catch {
                // Recording is best effort; the removal itself still happens.
            }
        }
    }
    /** node's 'exit' comes on every normal end, never on a signal: a last SIGKILL for what is still there. */
    installExitHook() {
        if (this.exitHookInstalled)
            return;
        this.exitHookInstalled = true;
        process.on('exit', () => this.killAllNow());
    }
    killAllNow() {
        for (const pgid of this.groups)
            killGroup(pgid, 'SIGKILL');
    }
    /**
     * Stops the run: SIGTERM to every process group, SIGKILL to what is left after the grace period,
     * then every removal step, newest first (a keyring before the directory holding it). Resolves when
     * done; a second call (a second signal) kills the groups at once and waits for the same work.
     */
    cancel(signal, report = () => undefined) {
        if (this.cancelling) {
            this.killAllNow();
            return this.cancelling;
        }
        this.stoppedBy = signal;
        this.cancelling = this.stop(report);
        return this.cancelling;
    }
    /** Resolves at once when the run is not being stopped, else when stopping is done. */
    settled() {
        return this.cancelling ?? Promise.resolve();
    }
    /** Waits until none of `groups` (nor of the registered ones) has a living member, or the time is up. */
    async groupsEnded(groups, withinMs) {
        const deadline = Date.now() + withinMs;
        const alive = () => [...groups, ...this.groups].some((g) => livingMembers(g).length > 0);
        while (Date.now() < deadline && alive())
            await sleep(POLL_MS);
    }
    async stop(report) {
        // The runner forgets a group once its leader is reaped; its other members may still be there.
        const stopping = new Set(this.groups);
        for (const pgid of stopping)
            killGroup(pgid, 'SIGTERM');
        await this.groupsEnded(stopping, this.termGraceMs);
        // Groups started while waiting are caught here too.
        for (const pgid of new Set([...stopping, ...this.groups]))
            killGroup(pgid, 'SIGKILL');
        // A killed process still holds its slot for a moment while the kernel tears it down.
        await this.groupsEnded(stopping, KILL_SETTLE_MS);
        for (const step of [...this.steps].reverse()) {
            try {
                await withinLimit(step.run(), STEP_LIMIT_MS);
            }
            catch (error) {
                report(`could not remove ${step.what}: ${error instanceof Error ? error.message : String(error)}`);
            }
            this.steps.delete(step);
        }
        this.notifyPaths();
    }
}
/** The registry of this process: the runner and the keyring register into it, the entry points stop it. */
const runCleanup = new RunCleanup();


/***/ }),

/***/ 396:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   ZI: () => (/* binding */ stopOnSignals)
/* harmony export */ });
/* unused harmony exports STOP_SIGNALS, signalExitStatus */
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(161);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_os__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _cleanup_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(781);


/** Ctrl-C, a cancelled job (GitHub sends SIGINT then SIGTERM, GitLab SIGTERM), a closed terminal. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** However long removal takes, the process is gone by then (GitHub kills the step 7.5 s after SIGINT). */
const HARD_DEADLINE_MS = 8_000;
/** The status a shell reports for a process ended by `signal`: 128 + its number. */
function signalExitStatus(signal) {
    return 128 + ((node_os__WEBPACK_IMPORTED_MODULE_0___default().constants).signals[signal] ?? 0);
}
/**
 * Makes SIGINT/SIGTERM/SIGHUP stop the run instead of ending node on the spot (which emits no 'exit'
 * and so left every detached process group and the keyring behind): end the process groups, remove the
 * keyrings and temporary copies, then exit with the signal's status. Returns the uninstaller.
 */
function stopOnSignals(options = {}) {
    const cleanup = options.cleanup ?? _cleanup_js__WEBPACK_IMPORTED_MODULE_1__/* .runCleanup */ .Kt;
    const report = options.report ?? ((message) => process.stderr.write(`mkosi-ci: ${message}\n`));
    const exit = options.exit ?? ((status) => process.exit(status));
    let exiting = false;
    const onSignal = (signal) => {
        if (cleanup.cancelledBy) {
            // A second signal: no more grace for the processes, the removals still run.
            void cleanup.cancel(signal, report);
            return;
        }
        const status = signalExitStatus(signal);
        const groups = cleanup.processGroups().length;
        const paths = cleanup.paths().length;
        report(`${signal}: stopping ${groups} process group(s), removing ${paths} temporary director(ies).`);
        const finish = () => {
            if (exiting)
                return;
            exiting = true;
            exit(status);
        };
        setTimeout(() => {
            cleanup.killAllNow();
            report(`${signal}: removal did not finish within ${HARD_DEADLINE_MS / 1000} s; exiting anyway.`);
            finish();
        }, HARD_DEADLINE_MS);
        void cleanup.cancel(signal, report).finally(finish);
    };
    for (const signal of STOP_SIGNALS)
        process.on(signal, onSignal);
    return () => {
        for (const signal of STOP_SIGNALS)
            process.removeListener(signal, onSignal);
    };
}


/***/ }),

/***/ 421:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");

/***/ }),

/***/ 24:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");

/***/ }),

/***/ 161:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");

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
