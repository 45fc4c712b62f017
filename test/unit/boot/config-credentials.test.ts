import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { smbiosCredentialArgs } from '../../../src/boot/check-unit.js';
import { checkCredentialNames, configCredentials } from '../../../src/boot/config-credentials.js';
import {
  checkSmbiosBudget,
  SMBIOS_CREDENTIALS_BUDGET_BYTES,
  smbiosStringBytes,
} from '../../../src/boot/smbios-budget.js';
import { parseImage, parseSummary } from '../../../src/mkosi/config.js';
import { ProcessRunner } from '../../../src/process/runner.js';

const runner = new ProcessRunner(() => undefined, process.env);
const summary = readFileSync(new URL('../../fixtures/summary/debian-bootable.json', import.meta.url), 'utf8');
const raw = JSON.parse(summary).Images[1];
const dir = mkdtempSync(path.join(os.tmpdir(), 'credentials-'));

describe("mkosi's Credentials=", () => {
  it('are read from the summary as mkosi prints them (Name, Value, Path)', () => {
    expect(parseSummary(summary).main.credentials).toEqual([]);
    const image = parseImage({
      ...raw,
      Credentials: [
        { Name: 'foo', Path: null, Value: 'bar' },
        { Name: 'file', Path: '/etc/hostname', Value: null },
      ],
    });
    expect(image.credentials).toEqual([
      { name: 'foo', value: 'bar', path: undefined },
      { name: 'file', value: undefined, path: '/etc/hostname' },
    ]);
  });

  it('resolve as mkosi vm does: a value as it stands, a file read, an executable run', async () => {
    writeFileSync(path.join(dir, 'plain'), 'line one\nline two\n');
    writeFileSync(path.join(dir, 'program'), '#!/bin/sh\necho "made by $(basename "$0")"\n');
    chmodSync(path.join(dir, 'program'), 0o755);
    const credentials = await configCredentials(
      [
        { name: 'a.value', value: 'x=y', path: undefined },
        { name: 'empty', value: undefined, path: undefined },
        { name: 'a.file', value: undefined, path: path.join(dir, 'plain') },
        { name: 'a.program', value: undefined, path: path.join(dir, 'program') },
      ],
      runner,
    );
    expect(credentials).toEqual([
      { name: 'a.value', value: 'x=y' },
      { name: 'empty', value: '' },
      { name: 'a.file', value: 'line one\nline two\n' },
      { name: 'a.program', value: 'made by program\n' },
    ]);
    // They become SMBIOS strings like the check's own.
    expect(smbiosCredentialArgs(credentials.slice(0, 1))).toEqual([
      '-smbios',
      `type=11,value=io.systemd.credential.binary:a.value=${Buffer.from('x=y').toString('base64')}`,
    ]);
  });

  it('refuse, naming Credentials=, a name that cannot travel, one the check uses, and a failing program', async () => {
    const one = (name: string, p?: string) =>
      configCredentials([{ name, value: p ? undefined : 'v', path: p }], runner);
    await expect(one('bad name')).rejects.toThrow(
      `Credentials= (mkosi's [Runtime]): "bad name" is not a credential name the boot check can pass`,
    );
    await expect(one('vmm.notify_socket')).rejects.toThrow('is a credential the boot check sets itself');
    await expect(one('mkosi-ci.check')).rejects.toThrow('is a credential the boot check sets itself');
    // The names alone are judged before the build.
    expect(() => checkCredentialNames([{ name: 'a b', value: '', path: undefined }])).toThrow('"a b" is not');
    expect(() => checkCredentialNames([{ name: 'a.b', value: '', path: '/never/read' }])).not.toThrow();
    writeFileSync(path.join(dir, 'fails'), '#!/bin/sh\necho broken >&2\nexit 3\n');
    chmodSync(path.join(dir, 'fails'), 0o755);
    await expect(one('x', path.join(dir, 'fails'))).rejects.toThrow(
      `Credentials= (mkosi's [Runtime]): x: ${path.join(dir, 'fails')} is executable, so mkosi runs it for the value, and it exited with 3: broken`,
    );
    await expect(one('x', path.join(dir, 'missing'))).rejects.toThrow(
      "Credentials= (mkosi's [Runtime]): x: cannot read",
    );
  });
});

describe('the SMBIOS budget of the credentials', () => {
  it('counts the bytes each type 11 string puts into the table', () => {
    expect(smbiosStringBytes(['-smbios', 'type=11,value=abc', '-m', '2G'])).toBe(4);
    // A doubled comma is one in the table; other -smbios types are not credentials.
    expect(smbiosStringBytes(['-smbios', 'type=11,value=a,,b', '-smbios', 'type=1,serial=x'])).toBe(4);
  });

  it('lets credentials through up to the budget and refuses more, naming Credentials= and the sizes', () => {
    const config = smbiosCredentialArgs([{ name: 'big', value: Buffer.alloc(24 * 1024) }]);
    const check = smbiosCredentialArgs([{ name: 'check', value: Buffer.alloc(9 * 1024) }]);
    expect(() => checkSmbiosBudget([...check, ...config], config)).not.toThrow();
    const more = smbiosCredentialArgs([{ name: 'big', value: Buffer.alloc(33 * 1024) }]);
    const total = smbiosStringBytes([...check, ...more]);
    expect(total).toBeGreaterThan(SMBIOS_CREDENTIALS_BUDGET_BYTES);
    expect(() => checkSmbiosBudget([...check, ...more], more)).toThrow(
      `Credentials= (mkosi's [Runtime]): the guest's credentials come to ${total} bytes of SMBIOS strings (${smbiosStringBytes(more)} of them from Credentials=, the rest the check and boot-test); at most ${SMBIOS_CREDENTIALS_BUDGET_BYTES} fit`,
    );
  });
});
