import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideTpm, findSwtpm, tpmQemuArgs, withSwtpm } from '../../../src/boot/swtpm.js';
import { ConfigurationError } from '../../../src/errors.js';
import { ProcessRunner } from '../../../src/process/runner.js';

const swtpm = { swtpm: '/usr/bin/swtpm', setup: '/usr/bin/swtpm_setup' };

describe("mkosi's TPM=", () => {
  it('auto: a TPM when the boot is through UEFI and swtpm is there, else none, saying why', () => {
    expect(decideTpm('auto', true, swtpm)).toEqual({ swtpm, note: 'swtpm (TPM=auto, swtpm found)' });
    expect(decideTpm('auto', true, undefined)).toEqual({
      swtpm: undefined,
      note: "none (TPM=auto, and there is no swtpm and swtpm_setup on the host's PATH)",
    });
    expect(decideTpm('auto', true, undefined, true).note).toContain(
      "swtpm is in the tools tree, but mkosi-ci runs swtpm and swtpm_setup from the host's PATH only",
    );
    expect(decideTpm('auto', false, swtpm)).toEqual({
      swtpm: undefined,
      note: 'none (TPM=auto, and the boot is not through UEFI)',
    });
  });

  it('no: never a TPM; yes: swtpm, or one error naming TPM= and swtpm', () => {
    expect(decideTpm('disabled', true, swtpm).swtpm).toBeUndefined();
    expect(decideTpm('no', true, swtpm).note).toBe('none (TPM=no)');
    expect(decideTpm('enabled', false, swtpm)).toEqual({ swtpm, note: 'swtpm (TPM=yes)' });
    expect(() => decideTpm('enabled', true, undefined)).toThrow(ConfigurationError);
    expect(() => decideTpm('yes', true, undefined)).toThrow(
      "TPM= (mkosi's [Runtime]): yes needs swtpm, and there is no swtpm and swtpm_setup on the host's PATH; install swtpm",
    );
  });

  it('gives qemu the TPM as mkosi does: an emulator on the control socket behind tpm-tis', () => {
    expect(tpmQemuArgs('/w/logs/boot/swtpm,1.sock')).toEqual([
      '-chardev',
      'socket,id=chrtpm,path=/w/logs/boot/swtpm,,1.sock',
      '-tpmdev',
      'emulator,id=tpm0,chardev=chrtpm',
      '-device',
      'tpm-tis,tpmdev=tpm0',
    ]);
  });

  it('finds swtpm only when both programs are on the PATH', async () => {
    const which = (found: string[]) => (c: string) =>
      Promise.resolve(found.includes(c) ? `/bin/${c}` : undefined);
    expect((await findSwtpm(which(['swtpm', 'swtpm_setup']), undefined)).swtpm).toEqual({
      swtpm: '/bin/swtpm',
      setup: '/bin/swtpm_setup',
    });
    expect(await findSwtpm(which(['swtpm']), undefined)).toEqual({ swtpm: undefined, treeHasSwtpm: false });
    const tree = mkdtempSync(path.join(os.tmpdir(), 'tree-'));
    mkdirSync(path.join(tree, 'usr/bin'), { recursive: true });
    writeFileSync(path.join(tree, 'usr/bin/swtpm'), '');
    expect((await findSwtpm(which([]), tree)).treeHasSwtpm).toBe(true);
  });
});

/**
 * The supervisor, run for real with stand-ins for swtpm_setup and swtpm (swtpm is not installed on the
 * machines these tests run on): the state is prepared first, qemu's stand-in runs only once swtpm's
 * socket is there, and swtpm is gone when the supervisor returns qemu's status.
 */
describe('swtpm beside qemu', () => {
  it('prepares the state, waits for the socket, runs qemu, then stops swtpm', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'swtpm-'));
    const file = (name: string, text: string): string => {
      writeFileSync(path.join(dir, name), text);
      chmodSync(path.join(dir, name), 0o755);
      return path.join(dir, name);
    };
    const setup = file('swtpm_setup', `#!/bin/sh\necho "$@" >"${dir}/setup.args"\n`);
    const fake = file(
      'swtpm',
      `#!/bin/sh
echo $$ >"${dir}/swtpm.pid"; echo "$@" >"${dir}/swtpm.args"
sock=$(echo "$@" | sed -n 's/.*type=unixio,path=\\([^ ]*\\).*/\\1/p')
sleep 0.3
exec python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(60)' "$sock"
`,
    );
    const qemu = file('qemu', `#!/bin/sh\n[ -S "$1" ] && echo socket-was-there >"${dir}/qemu.out"\nexit 7\n`);
    const state = path.join(dir, 'state');
    mkdirSync(state);
    const socket = path.join(dir, 'swtpm.sock');
    const invocation = withSwtpm(
      { swtpm: fake, setup },
      { state, socket },
      { command: qemu, args: [socket] },
    );
    const run = await new ProcessRunner(() => undefined, process.env).run(
      invocation.command,
      invocation.args,
      {
        stream: false,
        timeoutMs: 20_000,
      },
    );
    expect(run.exitCode).toBe(7);
    expect(readFileSync(path.join(dir, 'setup.args'), 'utf8')).toBe(
      `--tpm-state ${state} --tpm2 --pcr-banks sha256 --config /dev/null\n`,
    );
    expect(readFileSync(path.join(dir, 'swtpm.args'), 'utf8')).toBe(
      `socket --tpm2 --tpmstate dir=${state} --ctrl type=unixio,path=${socket}\n`,
    );
    expect(readFileSync(path.join(dir, 'qemu.out'), 'utf8')).toBe('socket-was-there\n');
    const pid = readFileSync(path.join(dir, 'swtpm.pid'), 'utf8').trim();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  }, 30_000);

  it('does not start qemu when swtpm_setup fails', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'swtpm-'));
    const invocation = withSwtpm(
      { swtpm: '/bin/true', setup: '/bin/false' },
      { state: dir, socket: path.join(dir, 's') },
      { command: 'touch', args: [path.join(dir, 'qemu-ran')] },
    );
    const run = await new ProcessRunner(() => undefined, process.env).run(
      invocation.command,
      invocation.args,
      {
        stream: false,
      },
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('mkosi-ci: swtpm_setup failed');
    expect(existsSync(path.join(dir, 'qemu-ran'))).toBe(false);
  });
});
