import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCommandLine } from '../../src/cli/args.js';

/** The GitLab CI template: its structure, and every mkosi-ci command line in it, parsed by the CLI's parser. */

const FILE = path.resolve(import.meta.dirname, '../../ci-templates/gitlab/mkosi-ci.yml');
const template = parse(readFileSync(FILE, 'utf8')) as Record<string, Record<string, unknown>>;
const RESERVED = new Set(['variables', 'include', 'stages', 'default', 'workflow']);
const jobs = Object.entries(template).filter(([name]) => !name.startsWith('.') && !RESERVED.has(name));

/** Splits a shell command line the way sh would for these simple lines: quotes, no expansions. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"|'([^']*)'|(>)|([^\s"'>]+)/g)) {
    if (match[3]) break;
    words.push(match[1] ?? match[2] ?? match[4]!);
  }
  return words;
}

/** The mkosi-ci arguments of a script line, with variables replaced by plausible values. */
function mkosiCiArgs(line: string): string[] | undefined {
  const words = shellWords(line.replace(/\$\{?(\w+)\}?/g, (_, name: string) => `${name.toLowerCase()}`));
  const at = words.indexOf('mkosi_ci_package');
  return at < 0 ? undefined : words.slice(at + 1);
}

describe('the GitLab template', () => {
  it('has a job for each use, each extending the shared template and switched on by rules', () => {
    expect(jobs.map(([name]) => name).sort()).toEqual([
      'mkosi-ci:boot',
      'mkosi-ci:build',
      'mkosi-ci:release',
      'mkosi-ci:repro',
    ]);
    for (const [name, job] of jobs) {
      expect(job.extends, name).toBe('.mkosi-ci');
      expect(job.rules, name).toBeInstanceOf(Array);
    }
    expect(template['mkosi-ci:release']!.cache).toEqual([]);
  });

  it('runs only command lines the CLI accepts', () => {
    const lines = jobs.flatMap(([, job]) => (job.script as string[]) ?? []);
    const commands = lines.map(mkosiCiArgs).filter((args) => args !== undefined);
    expect(commands).toHaveLength(4);
    for (const args of commands) {
      expect(() => parseCommandLine(args), args.join(' ')).not.toThrow();
      expect(parseCommandLine(args)).toMatchObject({ kind: 'run', flags: { json: true } });
    }
  });

  it('would catch a flag the CLI does not have', () => {
    const args = mkosiCiArgs('npx --yes "$MKOSI_CI_PACKAGE" build --colour red > out.json')!;
    expect(args).toEqual(['build', '--colour', 'red']);
    expect(() => parseCommandLine(args)).toThrow(/Unknown flag --colour/);
  });
});
