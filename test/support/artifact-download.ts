import { spawn } from 'node:child_process';
import os from 'node:os';
import { REPO } from './paths.js';

const CHILD = `
const { DefaultArtifactClient } = await import('@actions/artifact');
const client = new DefaultArtifactClient();
const result = await client.downloadArtifact(Number(process.env.ARTIFACT_ID), { path: process.env.ARTIFACT_PATH });
process.stdout.write('\\n::download::' + JSON.stringify(result) + '\\n');
`;

/**
 * Downloads an artifact with the real @actions/artifact in a child node, which reads the results
 * service's address from the environment exactly as a later job's download step would.
 */
export function downloadArtifact(env: Record<string, string>, id: number, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME ?? os.homedir(),
        ...env,
        ARTIFACT_ID: String(id),
        ARTIFACT_PATH: into,
      },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 && output.includes('::download::')
        ? resolve()
        : reject(new Error(`artifact download failed (${code}):\n${output.slice(-3000)}`)),
    );
  });
}
