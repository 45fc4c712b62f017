import * as core from '@actions/core';
import path from 'node:path';
import type { PipelineResult } from '../pipeline/result.js';
import { runOutputs } from '../report/outputs.js';

/** The step's outputs: what the run did, as far as it got. */
export function setOutputs(result: PipelineResult, workDir: string): void {
  for (const [name, value] of Object.entries(runOutputs(result, path.join(workDir, 'logs')))) {
    core.setOutput(name, value);
  }
}
