import type { Log } from '../ports.js';
import type { MkosiConfig } from './config.js';
import { discoverArtifacts, outputDirectory, type Artifact } from './outputs.js';

/** What a build left: its configuration, its outputs and its log. */
export interface BuildResult {
  config: MkosiConfig;
  /** The resolved `mkosi --json summary`, as a file. */
  configFile: string;
  outputDirectory: string;
  /** The main image's main output. */
  image: Artifact | undefined;
  artifacts: Artifact[];
  logFile: string;
  /** How long mkosi build took; undefined when the outputs of an earlier build were taken as they are. */
  durationMs: number | undefined;
}

/** The outputs the configuration says a build of `directory` makes, as they are on disk. */
export async function collectOutputs(
  log: Log,
  directory: string,
  config: MkosiConfig,
): Promise<Pick<BuildResult, 'outputDirectory' | 'image' | 'artifacts'>> {
  const dir = outputDirectory(config, directory);
  const artifacts = await discoverArtifacts(config, directory);
  if (artifacts.length === 0) {
    log.warning(`No outputs of ${config.main.output} were found in ${dir}.`);
  }
  const image = artifacts.find((a) => a.image === config.main.image && a.kind === 'image');
  return { outputDirectory: dir, image, artifacts };
}
