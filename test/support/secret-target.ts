/**
 * A planted build for test/e2e/secrets.test.ts: sets up the Log and the runner the way the adapter
 * named in argv[2] does (`action`: inputs read through getRawInputs, child output behind the command
 * fence; `cli`: the CLI's consoleLog and mask call), then runs a script that prints its environment and
 * the secrets it can read from files, one of them split across two writes.
 * argv: action|cli, work dir, passphrase file, key file, token file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { consoleLog } from '../../src/cli/log.js';
import { childOutputFence } from '../../src/github/command-fence.js';
import { getRawInputs } from '../../src/github/inputs.js';
import { actionsLog } from '../../src/github/log.js';
import { environmentSecrets } from '../../src/process/environment.js';
import { maskSecrets } from '../../src/process/mask.js';
import { ProcessRunner } from '../../src/process/runner.js';

const [mode, workDir, passphraseFile, keyFile, tokenFile] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];

const PLANTED = `
env
echo "passphrase from a file: $(cat "$1")"
printf 'split passphrase: %s' "$(head -c 5 "$1")"; sleep 0.3; printf '%s\\n' "$(tail -c +6 "$1")"
cat "$2"
sed 's/^/key line: /' "$2"
echo "token from a file: $(cat "$3")"
echo "::add-mask::harmless"
echo "::set-output name=image::/evil"
echo "::warning::planted by the build"
[ -n "$GITHUB_OUTPUT" ] && echo "image=/evil" >> "$GITHUB_OUTPUT"
echo planted done
`;

let log;
let runner;
if (mode === 'action') {
  getRawInputs();
  log = actionsLog;
  runner = new ProcessRunner((chunk) => childOutputFence.output(chunk), process.env);
} else {
  log = consoleLog(
    () => false,
    (text) => process.stdout.write(text),
  );
  maskSecrets(log, [
    readFileSync(keyFile, 'utf8'),
    readFileSync(passphraseFile, 'utf8'),
    ...environmentSecrets(process.env),
  ]);
  runner = new ProcessRunner((chunk) => process.stdout.write(chunk), process.env);
}
const result = await log.group('Planted build', () =>
  runner.run('sh', ['-c', PLANTED, 'sh', passphraseFile, keyFile, tokenFile], {
    logFile: path.join(workDir, 'logs', 'build.log'),
  }),
);
log.warning(`the planted build exited ${result.exitCode}`);
childOutputFence.lift();
