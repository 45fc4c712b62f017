import path from 'node:path';
import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import { lastErrorLine } from '../mkosi/messages.js';
import type { ToolsTree } from '../mkosi/options.js';
import type { Log, Runner } from '../ports.js';
import { diffoscopeArgs, findDiffoscope, type DiffoscopeRun } from './diffoscope.js';
import type { ReproOptions } from './options.js';

const DIFFOSCOPE_TIMEOUT_MS = 10 * 60_000;

/** diffoscope on the differing files only (copied into `narrowedDir` as a/ and b/), with a timeout. */
export async function runDiffoscope(
  ctx: { runner: Runner; log: Log },
  options: Pick<ReproOptions, 'diffoscope' | 'maxReportSize'>,
  toolsTree: ToolsTree,
  narrowedDir: string,
  reportDir: string,
  copied: number,
): Promise<DiffoscopeRun> {
  if (options.diffoscope === 'no') return { status: 'disabled' };
  const command = await findDiffoscope(toolsTree.kind === 'path' ? toolsTree.path : undefined, (c) =>
    ctx.runner.which(c),
  );
  if (!command) {
    if (options.diffoscope === 'yes') throw noDiffoscopeError();
    return { status: 'unavailable' };
  }
  if (copied === 0) return { status: 'nothing-to-explain' };
  const html = path.join(reportDir, 'diffoscope.html');
  const text = path.join(reportDir, 'diffoscope.txt');
  const started = Date.now();
  const result = await ctx.log.group(`diffoscope on ${copied} differing files`, () =>
    ctx.runner.run(
      command.command,
      [
        ...command.args,
        ...diffoscopeArgs({
          html,
          text,
          maxReportSize: options.maxReportSize,
          timeoutSeconds: DIFFOSCOPE_TIMEOUT_MS / 1000,
          a: 'a',
          b: 'b',
        }),
      ],
      // Relative paths, so the report's headings read a/<image>/<partition>/<file>.
      {
        cwd: narrowedDir,
        timeoutMs: DIFFOSCOPE_TIMEOUT_MS,
        stream: false,
        logFile: path.join(reportDir, 'diffoscope.log'),
      },
    ),
  );
  const durationMs = Date.now() - started;
  // diffoscope exits 1 when it found differences, which is what it was given.
  if (result.timedOut) return { status: 'timed-out', durationMs, files: copied };
  if (result.exitCode > 1) {
    return {
      status: 'failed',
      durationMs,
      files: copied,
      reason: lastErrorLine(result.stderr) ?? `exit status ${result.exitCode}`,
    };
  }
  return { status: 'ran', durationMs, files: copied, html: 'diffoscope.html', text: 'diffoscope.txt' };
}

export function noDiffoscopeError(): ConfigurationError {
  return new ConfigurationError(
    `Input ${Input.Diffoscope}: yes, but diffoscope is neither in the tools tree nor on PATH (add diffoscope-minimal to ToolsTreePackages= or install it).`,
  );
}
