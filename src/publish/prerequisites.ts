import type { Context } from '../context.js';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import type { MkosiConfig } from '../mkosi/config.js';
import { artifactNameFields, renderArtifactName } from './artifact-name.js';
import { releaseTag, shouldUpload } from './destinations.js';
import type { PublishOptions } from './options.js';

/**
 * What publishing will need, checked against the run and the resolved configuration: an artifact
 * service for `upload: true`, a release store for a release, an artifact name that comes out non-empty.
 * Throws the ConfigurationError that names the input.
 */
export function checkPublishPrerequisites(
  ctx: Pick<Context, 'artifacts' | 'releases' | 'trigger'>,
  options: PublishOptions,
  config: MkosiConfig,
  profiles: readonly string[],
): void {
  if (options.upload === 'yes' && !ctx.artifacts) throw noArtifactService();
  if (shouldUpload(options.upload, ctx.trigger) && ctx.artifacts) {
    renderArtifactName(options.artifactName, artifactNameFields(config, profiles));
  }
  if (releaseTag(options, ctx.trigger).tag && !ctx.releases) throw noReleaseStore();
}

export function noArtifactService(where = ''): ConfigurationError {
  return new ConfigurationError(
    `Input ${Input.Upload}: true, but there is no artifact service here (it needs GitHub Actions' ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL)${where ? `; the files are in ${where}` : ''}.`,
  );
}

export function noReleaseStore(): ConfigurationError {
  return new ConfigurationError(
    `Input ${Input.Release}: releases need GitHub Actions (GITHUB_REPOSITORY, GITHUB_API_URL) and ${Input.GithubToken}.`,
  );
}
