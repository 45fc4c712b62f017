import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/** The shipped workflows, validated by GitHub's own workflow parser and checked against action.yml. */

const REPO = path.resolve(import.meta.dirname, '../..');
const WORKFLOWS = path.join(REPO, '.github/workflows');
const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const action = parse(readFileSync(path.join(REPO, 'action.yml'), 'utf8')) as {
  inputs: Record<string, unknown>;
};

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}
interface Job {
  'timeout-minutes'?: number;
  steps?: Step[];
}
interface Workflow {
  concurrency?: unknown;
  permissions?: unknown;
  jobs: Record<string, Job>;
}

function parserErrors(name: string, content: string): string[] {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => e.message);
}

function read(file: string): { text: string; workflow: Workflow } {
  const text = readFileSync(path.join(WORKFLOWS, file), 'utf8');
  return { text, workflow: parse(text) as Workflow };
}

describe.each(files)('%s', (file) => {
  const { text, workflow } = read(file);
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps ?? []);

  it('is a valid workflow for GitHub', () => {
    expect(parserErrors(file, text)).toEqual([]);
  });

  it('gives the action only inputs action.yml has', () => {
    for (const step of steps.filter((s) => s.uses === './')) {
      const unknown = Object.keys(step.with ?? {}).filter((key) => !(key in action.inputs));
      expect(unknown, `with: of a uses: ./ step`).toEqual([]);
    }
  });

  it('pins every other action by commit, with its version in a comment', () => {
    for (const step of steps.filter((s) => s.uses && s.uses !== './')) {
      expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(text).toMatch(new RegExp(`${step.uses!.replace(/[.]/g, '\\.')} # v\\d+(\\.\\d+)*`));
    }
  });

  it('sets timeouts, concurrency and least permissions', () => {
    expect(workflow.concurrency).toBeDefined();
    expect(workflow.permissions).toEqual({ contents: 'read' });
    for (const [name, job] of Object.entries(workflow.jobs)) {
      expect(job['timeout-minutes'], `job ${name}`).toBeGreaterThan(0);
    }
  });
});

describe('the workflow checks', () => {
  it('find the mistakes they are there for', () => {
    expect(parserErrors('bad.yml', 'on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n')).not.toEqual([]);
    expect(
      parserErrors('bad.yml', 'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: a\n'),
    ).toEqual([]);
  });

  it('cover the four uses', () => {
    expect(files).toEqual(
      expect.arrayContaining(['pr-boot.yml', 'nightly-repro.yml', 'release.yml', 'distributions.yml']),
    );
  });
});

describe('distributions.yml', () => {
  it('names only distributions the rescue-uki example has: debian by default, the others as profiles', () => {
    const { workflow } = read('distributions.yml');
    const job = workflow.jobs.build as Job & { strategy: { matrix: { distribution: string[] } } };
    const project = path.join(REPO, 'test-projects/rescue-uki');
    const others = job.strategy.matrix.distribution.filter((d) => d !== 'debian');
    expect(others.length).toBeGreaterThan(0);
    for (const distribution of others) {
      const profile = path.join(project, 'mkosi.profiles', distribution, 'mkosi.conf');
      expect(readFileSync(profile, 'utf8')).toMatch(new RegExp(`^Distribution=${distribution}$`, 'm'));
      // Packages are named per distribution, picked by the profile.
      const packages = readFileSync(path.join(project, `mkosi.conf.d/10-${distribution}.conf`), 'utf8');
      expect(packages).toMatch(new RegExp(`^Profiles=${distribution}$`, 'm'));
    }
  });
});
