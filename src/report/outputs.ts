import type { CacheName } from '../cache/keys.js';
import { Output } from '../outputs.js';
import type { PipelineResult } from '../pipeline/result.js';
import { bootResultOutput, failedUnitRecords } from './boot-summary.js';
import { failedTestRecords } from './boot-tests-summary.js';
import { artifactRecords } from './build-summary.js';

const CACHE_HIT_OUTPUTS: Readonly<Record<CacheName, Output>> = {
  packages: Output.CacheHitPackages,
  incremental: Output.CacheHitIncremental,
  'tools-tree': Output.CacheHitToolsTree,
};

/**
 * The outputs of a run, as far as it got: what the action sets with `core.setOutput` and the CLI prints
 * with `--json`. An output the run did not reach is absent.
 */
export function runOutputs(result: PipelineResult, logsDir: string): Partial<Record<Output, string>> {
  const outputs: Partial<Record<Output, string>> = { [Output.Logs]: logsDir };
  for (const [name, output] of Object.entries(CACHE_HIT_OUTPUTS)) {
    outputs[output] = result.caches?.records.find((r) => r.name === name)?.hit ?? 'miss';
  }
  if (result.setup) outputs[Output.MkosiVersion] = result.setup.mkosi.version;
  const verdict = result.boot?.check.verdict;
  if (result.build) {
    outputs[Output.BootResult] = bootResultOutput(verdict, result.failure?.stage);
    outputs[Output.FailedUnits] = JSON.stringify(failedUnitRecords(verdict));
    outputs[Output.FailedTests] = JSON.stringify(failedTestRecords(verdict?.tests));
  }
  if (result.repro) {
    outputs[Output.Reproducible] = result.repro.reproducible ? 'yes' : 'no';
    outputs[Output.DiffReport] = result.repro.reportDir;
  }
  const build = result.build;
  if (!build) return outputs;
  outputs[Output.Image] = build.image?.path ?? '';
  outputs[Output.OutputDirectory] = build.outputDirectory;
  outputs[Output.Artifacts] = JSON.stringify(artifactRecords(build.artifacts));
  outputs[Output.Config] = build.configFile;
  const published = result.publish;
  if (!published) return outputs;
  outputs[Output.Checksums] = published.checksumsFile;
  outputs[Output.SigningFingerprint] = published.signature?.key.fingerprint ?? '';
  outputs[Output.ArtifactId] = published.artifact ? String(published.artifact.id) : '';
  outputs[Output.ArtifactUrl] = published.artifact?.url ?? '';
  outputs[Output.ReleaseUrl] = published.release?.url ?? '';
  return outputs;
}
