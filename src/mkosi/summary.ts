import { ConfigurationError } from '../errors.js';
import type { Runner } from '../ports.js';
import { summaryArgs, type Invocation } from './args.js';
import { parseSummary, type MkosiConfig } from './config.js';
import { lastErrorLine } from './messages.js';

/** `mkosi --json summary` of an invocation: the text as printed and the configuration parsed from it. */
export async function readSummary(
  runner: Runner,
  mkosiCommand: string,
  invocation: Invocation,
): Promise<{ text: string; config: MkosiConfig }> {
  const result = await runner.run(mkosiCommand, summaryArgs(invocation), { stream: false });
  if (result.exitCode !== 0) {
    const why = lastErrorLine(result.stderr || result.stdout) ?? `exit status ${result.exitCode}`;
    throw new ConfigurationError(
      `mkosi could not read the configuration in ${invocation.directory}: ${why}`,
      {
        file: invocation.directory,
      },
    );
  }
  return { text: result.stdout, config: parseSummary(result.stdout) };
}
