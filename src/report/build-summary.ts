import type { Artifact } from '../mkosi/outputs.js';
import type { PipelineResult } from '../pipeline/run.js';
import { reproText } from '../repro/repro-report.js';
import { bootMarkdown, bootText } from './boot-summary.js';
import { cell, formatBytes, formatDuration } from './format.js';
import { publishMarkdown, publishText } from './publish-summary.js';
import { timelineMarkdown, timelineText } from './timeline.js';
import { verdictMarkdown, verdictText } from './verdicts.js';

export interface ArtifactRecord {
  name: string;
  path: string;
  image: string;
  kind: string;
  type: string;
  size: number;
  sha256: string | null;
  target?: string;
}

/** The `artifacts` output: every output file with its size and sha256, as JSON-ready records. */
export function artifactRecords(artifacts: readonly Artifact[]): ArtifactRecord[] {
  return artifacts.map(({ name, path, image, kind, type, size, sha256, target }) => ({
    name,
    path,
    image,
    kind,
    type,
    size,
    sha256,
    ...(target === undefined ? {} : { target }),
  }));
}

function describe(artifact: Artifact): string {
  if (artifact.type === 'symlink') return `→ ${artifact.target ?? ''}`;
  if (artifact.type === 'directory') return 'directory';
  return artifact.sha256 ?? '';
}

function headline(result: PipelineResult): string {
  if (result.failure) return `❌ mkosi-ci: ${result.failure.stage} failed`;
  if (result.repro)
    return `✅ mkosi-ci: image built${result.boot ? ', booted' : ''} and checked: ${result.repro.reproducible ? 'reproducible' : 'not reproducible (warn)'}`;
  if (result.boot) return '✅ mkosi-ci: image built and booted';
  return '✅ mkosi-ci: image built';
}

/** "built in 1m 23s" for a build of this run, "built earlier" for outputs that were taken as they are. */
function builtPhrase(durationMs: number | undefined): string {
  return durationMs === undefined ? 'built earlier' : `built in ${formatDuration(durationMs)}`;
}

/** The job summary of a run, as markdown. */
export function renderMarkdown(result: PipelineResult): string {
  const lines = [`## ${headline(result)}`, '', ...verdictMarkdown(result), ''];
  if (result.failure) {
    lines.push('> [!CAUTION]', `> ${cell(result.failure.message)}`, '');
  }
  const timeline = timelineMarkdown(result.phases ?? []);
  if (timeline.length > 0) lines.push(...timeline, '');
  const mkosi = result.setup?.mkosi;
  const build = result.build;
  if (mkosi) lines.push(`mkosi ${mkosi.version} (${mkosi.origin})`, '');
  if (build) {
    const main = build.config.main;
    lines.push(
      `**${main.distribution} ${main.release}** ${main.architecture}, \`Format=${main.format}\`, ${builtPhrase(build.durationMs)} into \`${build.outputDirectory}\``,
      '',
      '| File | Kind | Size | sha256 |',
      '| --- | --- | ---: | --- |',
      ...build.artifacts.map(
        (a) =>
          `| \`${cell(a.name)}\` | ${a.kind} | ${a.type === 'symlink' ? '' : formatBytes(a.size)} | ${a.sha256 ? `\`${a.sha256}\`` : cell(describe(a))} |`,
      ),
      '',
    );
  }
  if (result.boot) lines.push(...bootMarkdown(result.boot), '');
  if (result.publish) lines.push(...publishMarkdown(result.publish), '');
  if (result.repro) lines.push(result.repro.markdown, '');
  return lines.join('\n');
}

/** The same summary as plain text, for the CLI. */
export function renderText(result: PipelineResult): string {
  const lines = [headline(result).replace(/^\S+ /, '')];
  const mkosi = result.setup?.mkosi;
  const build = result.build;
  if (mkosi) lines.push(`mkosi ${mkosi.version} (${mkosi.origin})`);
  if (build) {
    const main = build.config.main;
    lines.push(
      `${main.distribution} ${main.release} ${main.architecture}, Format=${main.format}, ${builtPhrase(build.durationMs)}`,
      `output directory: ${build.outputDirectory}`,
      '',
    );
    const width = Math.max(4, ...build.artifacts.map((a) => a.name.length));
    lines.push(`${'file'.padEnd(width)}  ${'kind'.padEnd(18)}  ${'size'.padStart(10)}  sha256`);
    for (const a of build.artifacts) {
      lines.push(
        `${a.name.padEnd(width)}  ${a.kind.padEnd(18)}  ${(a.type === 'symlink' ? '' : formatBytes(a.size)).padStart(10)}  ${describe(a)}`,
      );
    }
  }
  if (result.boot) lines.push('', ...bootText(result.boot));
  if (result.publish) lines.push('', ...publishText(result.publish));
  if (result.repro) lines.push('', ...reproText(result.repro.comparison, result.repro.reportDir));
  const timeline = timelineText(result.phases ?? []);
  if (timeline.length > 0) lines.push('', 'timeline:', ...timeline);
  lines.push('', ...verdictText(result));
  return lines.join('\n') + '\n';
}
