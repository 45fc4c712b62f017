import { ConfigurationError } from '../errors.js';
import { Input } from '../inputs.js';
import type { Runner } from '../ports.js';
import { summaryArgs, type Invocation } from './args.js';
import { parseSummary, type MkosiConfig } from './config.js';
import { lastErrorLine } from './messages.js';

/** The options mkosi's argument parser refused, when every one of them is the user's own (the args input). */
export function unknownUserOptions(why: string, extraArgs: readonly string[]): string | undefined {
  const refused = /unrecognized arguments: (.+)$/.exec(why)?.[1]?.trim().split(' ');
  if (!refused || !refused.every((arg) => extraArgs.includes(arg))) return undefined;
  return refused.join(' ');
}

/** `mkosi --json summary` of an invocation: the text as printed and the configuration parsed from it. */
export async function readSummary(
  runner: Runner,
  mkosiCommand: string,
  invocation: Invocation,
): Promise<{ text: string; config: MkosiConfig }> {
  const result = await runner.run(mkosiCommand, summaryArgs(invocation), { stream: false });
  if (result.exitCode !== 0) {
    const why = lastErrorLine(result.stderr || result.stdout) ?? `exit status ${result.exitCode}`;
    const unknown = unknownUserOptions(why, invocation.extraArgs);
    if (unknown) {
      throw new ConfigurationError(
        `Input ${Input.Args}: mkosi does not know ${unknown}; give options of the mkosi that runs (mkosi --help lists them), one per line.`,
      );
    }
    throw new ConfigurationError(
      `mkosi could not read the configuration in ${invocation.directory}: ${why}`,
      {
        file: invocation.directory,
      },
    );
  }
  return { text: result.stdout, config: parseSummary(result.stdout) };
}
