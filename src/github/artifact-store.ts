import { DefaultArtifactClient } from '@actions/artifact';
import type { ArtifactStore } from '../ports.js';

/**
 * Workflow artifacts through `@actions/artifact`, or undefined where the runner gives no results service
 * (act, older GitHub Enterprise Server).
 */
export function actionsArtifactStore(env: NodeJS.ProcessEnv = process.env): ArtifactStore | undefined {
  if (!env.ACTIONS_RUNTIME_TOKEN || !env.ACTIONS_RESULTS_URL) return undefined;
  return {
    async upload(upload) {
      const client = new DefaultArtifactClient();
      const result = await client.uploadArtifact(upload.name, upload.files, upload.rootDirectory, {
        retentionDays: upload.retentionDays,
        compressionLevel: upload.compressionLevel,
      });
      if (result.id === undefined) throw new Error(`The artifact service gave no id for ${upload.name}.`);
      const run = env.GITHUB_RUN_ID;
      const url =
        env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && run
          ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${run}/artifacts/${result.id}`
          : undefined;
      return { id: result.id, size: result.size ?? 0, url };
    },
  };
}
