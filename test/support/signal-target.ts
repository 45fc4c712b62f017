/**
 * A run to be stopped, for test/e2e/signals.test.ts: installs what the entry points install, signs with
 * a real gpg (so an agent runs and the key sits in a throwaway keyring), then starts a long child in
 * its own process group and waits. Prints one JSON line `{"home": …, "pid": …}` when all of that runs,
 * and the child prints `GROUP <pgid>`.
 * argv: key file, passphrase file (or ''), file to sign.
 */
import { readFileSync } from 'node:fs';
import { keepTemporaryPathsInState } from '../../src/github/temporary-state.js';
import { ProcessRunner } from '../../src/process/runner.js';
import { stopOnSignals } from '../../src/process/signals.js';
import { ThrowawayKeyring } from '../../src/publish/gpg.js';

const [keyFile, passphraseFile, file] = process.argv.slice(2) as [string, string, string];
stopOnSignals();
if (process.env.GITHUB_STATE) keepTemporaryPathsInState();
const runner = new ProcessRunner((chunk) => process.stdout.write(chunk), process.env);
const keyring = await ThrowawayKeyring.create(runner);
const key = await keyring.importSigningKey(readFileSync(keyFile, 'utf8'));
const passphrase = passphraseFile ? readFileSync(passphraseFile, 'utf8').trimEnd() : undefined;
await keyring.sign(file, `${file}.gpg`, key, passphrase);
process.stdout.write(`${JSON.stringify({ home: keyring.home, pid: process.pid })}\n`);
// A grandchild in the same group, as mkosi starts qemu: only a group kill reaches it.
await runner.run('sh', ['-c', 'echo "GROUP $$"; sleep 300 & sleep 300; wait']);
await keyring.remove();
