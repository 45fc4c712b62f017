// The README's input and output reference, generated from action.yml so the two cannot drift apart.
//   node scripts/reference.mjs          rewrite the reference in README.md
//   node scripts/reference.mjs --check  exit 1 when README.md is not what action.yml gives
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const START = '<!-- reference:start (generated from action.yml by scripts/reference.mjs) -->';
const END = '<!-- reference:end -->';

const cell = (text) =>
  String(text)
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
const code = (text) => (text === '' ? '' : `\`${String(text).replace(/`/g, "'")}\``);

/** The reference as markdown: one table of the inputs (name, default, meaning), one of the outputs. */
export function renderReference(actionYml) {
  const action = parse(actionYml);
  const lines = [START, '', '### Inputs', '', '| Input | Default | Meaning |', '| --- | --- | --- |'];
  for (const [name, input] of Object.entries(action.inputs)) {
    lines.push(`| \`${name}\` | ${cell(code(input.default ?? ''))} | ${cell(input.description)} |`);
  }
  lines.push('', '### Outputs', '', '| Output | Meaning |', '| --- | --- |');
  for (const [name, output] of Object.entries(action.outputs)) {
    lines.push(`| \`${name}\` | ${cell(output.description)} |`);
  }
  lines.push('', END);
  return lines.join('\n');
}

/** README with its reference replaced; throws when the markers are missing. */
export function withReference(readme, reference) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} block`);
  return readme.slice(0, start) + reference + readme.slice(end + END.length);
}

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const readmeFile = path.join(repo, 'README.md');
  const readme = readFileSync(readmeFile, 'utf8');
  const updated = withReference(readme, renderReference(readFileSync(path.join(repo, 'action.yml'), 'utf8')));
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error('README.md: the reference differs from action.yml; run node scripts/reference.mjs');
      process.exit(1);
    }
  } else {
    writeFileSync(readmeFile, updated);
  }
}
