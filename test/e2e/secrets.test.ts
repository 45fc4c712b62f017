import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKey, leakedSecrets, secretsOf, type TestKey } from '../support/gpg-keys.js';
import { REPO, actionNode } from '../support/paths.js';
import { obeyedCommands } from '../support/workflow-commands.js';

/**
 * A planted build script that prints its whole environment and every secret it can read from files, run
 * through the adapters' Log and runner (src code through tsx, real processes): nothing of the key, the
 * passphrase or a token may reach stdout, the log file or any other file written, and in the action
 * none of the workflow commands it prints may be obeyed.
 */

const TOKENS = {
  'INPUT_GITHUB-TOKEN': 'ghs_inputtoken0123456789',
  ACTIONS_RUNTIME_TOKEN: 'eyJruntime.token.0123456789',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'eyJoidc.request.0123456789',
  GITHUB_TOKEN: 'ghs_envtoken0123456789',
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe('a planted build printing its environment and the secrets it can read', () => {
  let key: TestKey;
  let secrets: string[];
  beforeAll(() => {
    key = generateKey(`pass ${Math.random().toString(36).slice(2)} word`);
    secrets = [...secretsOf(key), ...Object.values(TOKENS)];
  });

  function run(mode: 'action' | 'cli') {
    const root = mkdtempSync(path.join(os.tmpdir(), `secrets-${mode}-`));
    const workDir = path.join(root, 'work');
    const runnerDir = path.join(root, 'runner');
    mkdirSync(runnerDir, { recursive: true });
    const tokenFile = path.join(root, 'token');
    // A token both adapters know (the CLI never reads the action's inputs).
    writeFileSync(tokenFile, TOKENS.GITHUB_TOKEN);
    const commandFiles = Object.fromEntries(
      ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY'].map((name) => {
        const file = path.join(runnerDir, name.toLowerCase());
        writeFileSync(file, '');
        return [name, file];
      }),
    );
    const passphraseFile = path.join(root, 'passphrase');
    // Without the final newline, so the printed passphrase is exactly the secret.
    writeFileSync(passphraseFile, key.passphrase);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GITHUB_ACTIONS: 'true',
      'INPUT_SIGN-KEY': key.armored,
      'INPUT_SIGN-PASSPHRASE': key.passphrase,
      ...TOKENS,
      ...commandFiles,
    };
    const result = spawnSync(
      actionNode(),
      [
        '--import',
        'tsx',
        path.join(REPO, 'test/support/secret-target.ts'),
        mode,
        workDir,
        passphraseFile,
        key.keyFile,
        tokenFile,
      ],
      { cwd: REPO, env, encoding: 'utf8' },
    );
    return { ...result, workDir, runnerDir, logFile: path.join(workDir, 'logs/build.log') };
  }

  it.each(['action', 'cli'] as const)('%s: every secret is masked in stdout and every file', (mode) => {
    const result = run(mode);
    expect(result.status, result.stderr).toBe(0);
    const log = readFileSync(result.logFile, 'utf8');
    // The plant did run and print: the environment, the file contents (masked) and the split write.
    for (const text of [result.stdout, log]) {
      expect(text).toContain(`HOME=${process.env.HOME}`);
      expect(text).toContain('passphrase from a file: ***');
      expect(text).toContain('split passphrase: ***');
      expect(text).toContain('token from a file: ***');
      // The key printed whole, then line by line (each line of its body masked on its own).
      expect(text).toContain('***\n');
      expect(text).toContain('key line: -----BEGIN PGP PRIVATE KEY BLOCK-----\nkey line: \nkey line: ***\n');
      expect(text).toContain('planted done');
      // The child never had the inputs, the runner's tokens or the command files.
      expect(text).not.toMatch(/^(INPUT_|ACTIONS_|GITHUB_TOKEN=|GITHUB_OUTPUT=|GITHUB_ENV=)/m);
    }
    expect(leakedSecrets(result.stdout + result.stderr, secrets)).toEqual([]);
    for (const file of [...filesUnder(result.workDir), ...filesUnder(result.runnerDir)]) {
      expect(leakedSecrets(readFileSync(file, 'utf8'), secrets), file).toEqual([]);
    }
    expect(readFileSync(path.join(result.runnerDir, 'github_output'), 'utf8')).toBe('');
  });

  it("action: the plant's workflow commands are shown, not obeyed; mkosi-ci's own are", () => {
    const result = run('action');
    expect(result.stdout).toContain('::set-output name=image::/evil');
    const obeyed = obeyedCommands(result.stdout);
    expect(obeyed.filter((c) => c.command !== 'add-mask')).toEqual([
      { command: 'group', data: 'Planted build' },
      { command: 'endgroup', data: '' },
      { command: 'warning', data: 'the planted build exited 0' },
    ]);
    // Only mkosi-ci's own masks: the secrets it was given, never the plant's "harmless".
    const masks = obeyed.filter((c) => c.command === 'add-mask').map((c) => c.data);
    expect(masks).toContain(key.passphrase);
    expect(masks).toContain(TOKENS['INPUT_GITHUB-TOKEN']);
    expect(masks).toContain(TOKENS.ACTIONS_RUNTIME_TOKEN);
    expect(masks).not.toContain('harmless');
  });
});
