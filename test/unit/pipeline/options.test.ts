import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors.js';
import { defaultInputs, Input, type RawInputs } from '../../../src/inputs.js';
import { splitLines } from '../../../src/input-parsing.js';
import { parseEnvironment } from '../../../src/mkosi/options.js';
import { parseOptions } from '../../../src/pipeline/options.js';

const inputs = (overrides: Partial<RawInputs>): RawInputs => ({ ...defaultInputs(), ...overrides });

describe('parseOptions', () => {
  it('gives typed defaults with paths resolved against the working directory', () => {
    const options = parseOptions(defaultInputs(), '/work/project');
    expect(options).toEqual({
      directory: '/work/project',
      mkosiVersion: 'v27.1',
      mkosiSource: { kind: 'auto' },
      mkosiReleaseUrl: 'https://github.com/systemd/mkosi/archive/{ref}.tar.gz',
      mkosiSha256: undefined,
      prepareHost: 'auto',
      profiles: [],
      environment: [],
      args: [],
      mirror: undefined,
      toolsTree: { kind: 'default' },
      force: 1,
      boot: {
        enabled: 'auto',
        timeoutSeconds: undefined,
        transport: 'auto',
        kvm: 'auto',
        memoryMiB: undefined,
        cpus: undefined,
        firmware: 'auto',
        allowFailed: [],
        watchSeconds: 30,
        test: { kind: 'none' },
        testTimeoutSeconds: 300,
      },
      publish: {
        signKey: undefined,
        signPassphrase: undefined,
        upload: 'auto',
        artifactName: '{image}',
        retentionDays: undefined,
        release: { kind: 'none' },
      },
      repro: {
        mode: 'no',
        variations: ['build-path', 'time', 'timezone', 'locale', 'hostname'],
        maxFiles: 100,
        maxReportSize: 20 * 1024 * 1024,
        diffoscope: 'auto',
      },
      cache: {
        enabled: { packages: true, incremental: true, 'tools-tree': true },
        keySuffix: '',
        maxAgeDays: 7,
      },
    });
  });

  it('reads the cache inputs: cache: false switches all off, each one alone, suffix and max age', () => {
    expect(parseOptions(inputs({ [Input.Cache]: 'false' }), '/w').cache.enabled).toEqual({
      packages: false,
      incremental: false,
      'tools-tree': false,
    });
    const options = parseOptions(
      inputs({
        [Input.CacheIncremental]: 'false',
        [Input.CacheKeySuffix]: 'branch-1.x',
        [Input.CacheMaxAge]: '0',
      }),
      '/w',
    );
    expect(options.cache).toEqual({
      enabled: { packages: true, incremental: false, 'tools-tree': true },
      keySuffix: 'branch-1.x',
      maxAgeDays: 0,
    });
  });

  it.each([
    [Input.CachePackages, 'maybe', "Input cache-packages: 'maybe' is not valid; expected true or false."],
    [Input.CacheKeySuffix, 'a,b', "Input cache-key-suffix: 'a,b' is not valid"],
    [Input.CacheMaxAge, '1w', "Input cache-max-age: '1w' is not valid; expected a whole number of days"],
  ])('refuses %s=%s naming the input', (input, value, message) => {
    expect(() => parseOptions(inputs({ [input]: value }), '/w')).toThrow(ConfigurationError);
    expect(() => parseOptions(inputs({ [input]: value }), '/w')).toThrow(message);
  });

  it('reads every input', () => {
    const options = parseOptions(
      inputs({
        [Input.Directory]: 'images/rescue',
        [Input.MkosiVersion]: 'v26',
        [Input.MkosiSource]: './mkosi',
        [Input.MkosiSha256]: 'AB'.repeat(32),
        [Input.PrepareHost]: 'false',
        [Input.Profiles]: 'desktop, debug\nextra',
        [Input.Environment]: 'A=1\n# comment\n\nB_2=x=y ',
        [Input.Args]: '--image-version=1.2\n  --incremental=yes  ',
        [Input.Mirror]: 'http://mirror.example/debian/',
        [Input.ToolsTree]: '/opt/tools',
        [Input.Force]: '2',
        [Input.Boot]: 'true',
        [Input.BootTimeout]: '300',
        [Input.BootTransport]: 'serial',
        [Input.Kvm]: 'no',
        [Input.BootAllowFailed]: 'systemd-networkd-wait-online\nfoo@*.service',
        [Input.BootWatch]: '0',
      }),
      '/src',
    );
    expect(options.directory).toBe('/src/images/rescue');
    expect(options.mkosiSource).toEqual({ kind: 'checkout', path: '/src/mkosi' });
    expect(options.mkosiSha256).toBe('ab'.repeat(32));
    expect(options.prepareHost).toBe('no');
    expect(options.profiles).toEqual(['desktop', 'debug', 'extra']);
    expect(options.environment).toEqual([
      ['A', '1'],
      ['B_2', 'x=y'],
    ]);
    expect(options.args).toEqual(['--image-version=1.2', '--incremental=yes']);
    expect(options.mirror).toBe('http://mirror.example/debian');
    expect(options.toolsTree).toEqual({ kind: 'path', path: '/opt/tools' });
    expect(options.force).toBe(2);
    expect(options.boot).toMatchObject({
      enabled: 'yes',
      timeoutSeconds: 300,
      transport: 'serial',
      kvm: 'no',
      allowFailed: ['systemd-networkd-wait-online', 'foo@*.service'],
      watchSeconds: 0,
    });
  });

  it.each([
    [
      Input.MkosiSource,
      'pip',
      /Input mkosi-source: 'pip' is not valid; expected auto\|release\|system\|apt\|PATH/,
    ],
    [Input.MkosiVersion, 'latest', /Input mkosi-version: 'latest' is not valid; expected a release tag/],
    [Input.MkosiSha256, 'abc', /Input mkosi-sha256: 'abc' is not valid; expected a 64-character/],
    [Input.PrepareHost, 'maybe', /Input prepare-host: 'maybe' is not valid; expected auto, yes or no/],
    [Input.Profiles, 'a b', /Input profiles: 'a b' is not valid/],
    [Input.Environment, 'A=1\nNOEQUALS', /Input environment: line 2 'NOEQUALS' is not KEY=VALUE/],
    [Input.Environment, '1A=x', /Input environment: line 1 '1A=x' is not KEY=VALUE/],
    [Input.Args, 'build', /Input args: 'build' is not valid; expected mkosi options starting with -/],
    [
      Input.Args,
      '--directory=/elsewhere',
      /^Input args: '--directory=\/elsewhere' is not taken here: the project is the directory input\.$/,
    ],
    [
      Input.Args,
      '-C/elsewhere',
      /^Input args: '-C\/elsewhere' is not taken here: the project is the directory input/,
    ],
    [
      Input.Args,
      '--',
      /^Input args: '--' is not taken here: the verb and its arguments are chosen by mkosi-ci/,
    ],
    [Input.Args, '--help', /^Input args: '--help' is not taken here: mkosi-ci runs mkosi to build/],
    [
      Input.Mirror,
      'mirror.example/debian',
      /Input mirror: 'mirror.example\/debian' is not valid; expected an http/,
    ],
    [Input.ToolsTree, 'yes', /Input tools-tree: 'yes' is not valid; expected default, none or a path/],
    [Input.Force, '4', /Input force: '4' is not valid; expected a number from 0 to 3/],
    [Input.MkosiReleaseUrl, 'https://example.org/x.tar.gz', /Input mkosi-release-url: .* containing \{ref\}/],
    [Input.Boot, 'sometimes', /Input boot: 'sometimes' is not valid; expected auto, true or false/],
    [
      Input.BootTimeout,
      '5',
      /Input boot-timeout: '5' is not valid; expected auto or a whole number of seconds from 30/,
    ],
    [Input.BootTransport, 'ssh', /Input boot-transport: 'ssh' is not valid; expected auto, vsock, serial/],
    [Input.Kvm, 'maybe', /Input kvm: 'maybe' is not valid; expected auto, yes or no/],
    [Input.BootRam, '2G', /Input boot-ram: '2G' is not valid; expected a whole number of MiB/],
    [Input.BootCpus, '0', /Input boot-cpus: '0' is not valid; expected a whole number of CPUs from 1/],
    [
      Input.BootFirmware,
      'coreboot',
      /Input boot-firmware: 'coreboot' is not valid; expected auto, uefi, bios, linux/,
    ],
    [Input.BootAllowFailed, 'a b', /Input boot-allow-failed: 'a b' is not valid/],
    [Input.BootWatch, '-1', /Input boot-watch: '-1' is not valid/],
  ])('refuses %s=%j with one line naming the input and what is valid', (input, value, message) => {
    let error: unknown;
    try {
      parseOptions(inputs({ [input]: value }), '/');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('refuses a boot-watch that leaves no time to boot within boot-timeout', () => {
    const boot = (timeout: string, watch: string) =>
      parseOptions(inputs({ [Input.BootTimeout]: timeout, [Input.BootWatch]: watch }), '/').boot;
    expect(() => boot('120', '120')).toThrow(
      /^Input boot-watch: 120 seconds leaves no time to boot within boot-timeout \(120 seconds\); give a boot-watch shorter than boot-timeout\.$/,
    );
    expect(() => boot('60', '600')).toThrow(ConfigurationError);
    expect(boot('600', '119')).toMatchObject({ timeoutSeconds: 600, watchSeconds: 119 });
    // auto scales with the accelerator, known only at boot: at most the software-emulation timeout.
    expect(boot('auto', '599')).toMatchObject({ timeoutSeconds: undefined, watchSeconds: 599 });
    expect(() => boot('auto', '600')).toThrow(
      /^Input boot-watch: 600 seconds leaves no time to boot within boot-timeout \(auto: at most 600 seconds\)/,
    );
  });

  it('refuses a boot-timeout in seconds that leaves the guest too little time to settle', () => {
    const boot = (timeout: string, watch: string) =>
      parseOptions(inputs({ [Input.BootTimeout]: timeout, [Input.BootWatch]: watch }), '/').boot;
    // 105 = 30 s to settle + 30 s of watch + 45 s to start and report.
    expect(boot('105', '30')).toMatchObject({ timeoutSeconds: 105, watchSeconds: 30 });
    expect(() => boot('104', '30')).toThrow(
      'Input boot-timeout: 104 s leaves the guest 29 s to settle once boot-watch (30 s) and 45 s to start and report are taken; it needs at least 30 s: set boot-timeout to 105 or more, or lower boot-watch.',
    );
    expect(() => boot('120', '119')).toThrow(/^Input boot-timeout: 120 s leaves the guest 0 s to settle/);
    // auto is shared out at boot, when the accelerator is known.
    expect(boot('auto', '500')).toMatchObject({ timeoutSeconds: undefined });
  });

  it('reads boot-test against the working directory and leaves room in boot-timeout for one test', () => {
    const boot = (values: Partial<RawInputs>) => parseOptions(inputs(values), '/repo').boot;
    expect(boot({ [Input.BootTest]: 'ci/boot-tests' })).toMatchObject({
      test: { kind: 'path', path: '/repo/ci/boot-tests', given: 'ci/boot-tests' },
      testTimeoutSeconds: 300,
    });
    const inline = { [Input.BootTest]: '#!/bin/sh\ntrue\n', [Input.BootWatch]: '30' };
    expect(boot({ ...inline, [Input.BootTimeout]: '125', [Input.BootTestTimeout]: '20' })).toMatchObject({
      test: { kind: 'inline' },
      testTimeoutSeconds: 20,
    });
    expect(() => boot({ ...inline, [Input.BootTimeout]: '124', [Input.BootTestTimeout]: '20' })).toThrow(
      /^Input boot-timeout: 124 s leaves the guest 29 s to settle once boot-watch \(30 s\), the boot tests \(20 s of boot-test-timeout\)/,
    );
    expect(() => boot({ [Input.BootTestTimeout]: '0' })).toThrow(/boot-test-timeout/);
  });

  it('reads update-from against the working directory and refuses one that names nothing', () => {
    const boot = (values: Partial<RawInputs>, cwd = '/') => parseOptions(inputs(values), cwd).boot;
    expect(boot({}).updateFrom).toBeUndefined();
    expect(boot({ [Input.UpdateFrom]: 'tmp' }).updateFrom).toBe('/tmp');
    expect(() => boot({ [Input.UpdateFrom]: 'previous/os_1.raw' }, '/nonexistent')).toThrow(
      "Input update-from: 'previous/os_1.raw' is not valid; expected the disk image of an earlier version, or a directory holding one.",
    );
  });

  it('treats empty inputs as their defaults, as the runner passes unset inputs', () => {
    const empty = Object.fromEntries(Object.values(Input).map((i) => [i, ''])) as RawInputs;
    expect(parseOptions(empty, '/p')).toEqual(parseOptions(defaultInputs(), '/p'));
  });
});

describe('splitLines and parseEnvironment', () => {
  it('skips blank lines and comments and handles CRLF', () => {
    expect(splitLines('a\r\n\r\n # c\r\nb')).toEqual(['a', 'b']);
    expect(parseEnvironment('X=\nY= spaced value')).toEqual([
      ['X', ''],
      ['Y', ' spaced value'],
    ]);
  });
});

describe('boot-allow-failed globs', () => {
  it.each(['foo[z-a].service', 'foo[.service', 'bar['])(
    'refuses %j, which systemctl cannot match',
    (glob) => {
      expect(() => parseOptions(inputs({ [Input.BootAllowFailed]: glob }), '/w')).toThrow(
        new RegExp(`Input boot-allow-failed: '${glob.replace(/[[\]().]/g, '\\$&')}' is not valid`),
      );
    },
  );

  it('takes names, globs and bracket sets', () => {
    expect(
      parseOptions(inputs({ [Input.BootAllowFailed]: 'foo\nsystemd-*\nunit[0-9].service' }), '/w').boot
        .allowFailed,
    ).toEqual(['foo', 'systemd-*', 'unit[0-9].service']);
  });
});
