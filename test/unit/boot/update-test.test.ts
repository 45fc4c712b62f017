import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runningVersions, updateTestScript } from '../../../src/boot/update-test.js';

describe('the update round trip test (guest side)', () => {
  const script = updateTestScript({ url: 'http://10.0.2.2:4711/', toVersion: '2.0' });

  it('is a POSIX shell script with the URL and the version quoted', () => {
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain(`URL='http://10.0.2.2:4711/'`);
    expect(script).toContain(`TO='2.0'`);
    execFileSync('sh', ['-n'], { input: script });
  });

  it('refuses a URL or version that is not plain (nothing reaches the shell unquoted)', () => {
    expect(() => updateTestScript({ url: "http://x/'; reboot", toVersion: '2' })).toThrow(
      /invalid update URL/,
    );
    expect(() => updateTestScript({ url: 'http://x/', toVersion: '2;x' })).toThrow(/invalid version/);
  });

  it('points [Source] Path= at the server and leaves [Target] Path= alone (its sed, run here)', () => {
    const sed = /^\s*(sed ".*")/m.exec(script)![1]!.replace('$URL', 'http://10.0.2.2:4711/');
    const transfer =
      '[Transfer]\nProtectVersion=%A\n\n[Source]\nType=url-file\nPath=https://updates.example.com/x/\nMatchPattern=x_@v.raw\n\n[Target]\nType=partition\nPath=auto\n';
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'transfer-')), '60-root.transfer');
    writeFileSync(file, transfer);
    const out = execFileSync('sh', ['-c', `${sed} "$1"`, 'sh', file], { encoding: 'utf8' });
    expect(out).toContain('[Source]\nType=url-file\nPath=http://10.0.2.2:4711/\n');
    expect(out).toContain('[Target]\nType=partition\nPath=auto\n');
  });

  it('reads the version each boot ran from its lines', () => {
    expect(
      runningVersions(['x', 'update-round-trip: running 1.0', 'update-round-trip: installed 2.0']),
    ).toEqual(['1.0']);
  });
});
