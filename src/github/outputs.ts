import * as core from '@actions/core';
import path from 'node:path';
import type { CacheName } from '../cache/keys.js';
import type { PipelineResult } from '../pipeline/result.js';
import { failedUnitRecords } from '../report/boot-summary.js';
import { artifactRecords } from '../report/build-summary.js';
import { Output } from './constants.js';

const CACHE_HIT_OUTPUTS: Readonly<Record<CacheName, Output>> = {
  packages: Output.CacheHitPackages,
  incremental: Output.CacheHitIncremental,
  'tools-tree': Output.CacheHitToolsTree,
};

/** The step's outputs: what the run did, as far as it got. */
export function setOutputs(result: PipelineResult, workDir: string): void {
  core.setOutput(Output.Logs, path.join(workDir, 'logs'));
  for (const [name, output] of Object.entries(CACHE_HIT_OUTPUTS)) {
    core.setOutput(output, result.caches?.records.find((r) => r.name === name)?.hit ?? 'miss');
  }
  if (result.setup) core.setOutput(Output.MkosiVersion, result.setup.mkosi.version);
  const verdict = result.boot?.check.verdict;
  if (result.build) {
    core.setOutput(Output.BootResult, verdict?.result ?? 'skipped');
    core.setOutput(Output.FailedUnits, JSON.stringify(failedUnitRecords(verdict)));
  }
  if (result.repro) {
    core.setOutput(Output.Reproducible, result.repro.reproducible ? 'yes' : 'no');
    core.setOutput(Output.DiffReport, result.repro.reportDir);
  }
  const build = result.build;
  if (!build) return;
  core.setOutput(Output.Image, build.image?.path ?? '');
  core.setOutput(Output.OutputDirectory, build.outputDirectory);
  core.setOutput(Output.Artifacts, JSON.stringify(artifactRecords(build.artifacts)));
  core.setOutput(Output.Config, build.configFile);
  const published = result.publish;
  if (!published) return;
  core.setOutput(Output.Checksums, published.checksumsFile);
  core.setOutput(Output.SigningFingerprint, published.signature?.key.fingerprint ?? '');
  core.setOutput(Output.ArtifactId, published.artifact ? String(published.artifact.id) : '');
  core.setOutput(Output.ArtifactUrl, published.artifact?.url ?? '');
  core.setOutput(Output.ReleaseUrl, published.release?.url ?? '');
}
