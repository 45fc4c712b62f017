/**
 * Result files a boot test may leave in its MKOSI_CI_TEST_RESULTS directory: JUnit XML (`*.xml`) or
 * TAP (`*.tap`). The guest sends the first RESULT_FILE_BYTES of each back in the report; the host only
 * names the failing cases from them, for the summary. The test's exit status alone decides the verdict:
 * a file is the test's own account, not evidence the check can vouch for.
 */

export interface ResultFile {
  /** The file's name in the test's results directory. */
  file: string;
  lines: string[];
}

/** How much of each result file the report carries (the start: a cut XML file is still mostly readable). */
export const RESULT_FILE_BYTES = 64 * 1024;

/** A file name the guest sends back: no spaces or shell syntax, an extension the host can read. */
export const RESULT_FILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*\.(xml|tap)$/;

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(attributes);
  return match ? (match[2] ?? match[3]) : undefined;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** JUnit: the `<testcase>` elements holding a `<failure>` or `<error>`, as `classname.name` or `name`. */
export function failingJunitCases(xml: string): string[] {
  const cases: string[] = [];
  const testcase = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase\s*>)/g;
  for (let match = testcase.exec(xml); match; match = testcase.exec(xml)) {
    const body = match[3] ?? '';
    if (!/<(failure|error)\b/.test(body)) continue;
    const name = attribute(match[1]!, 'name') ?? '(unnamed)';
    const classname = attribute(match[1]!, 'classname');
    cases.push(unescapeXml(classname ? `${classname}.${name}` : name));
  }
  return cases;
}

/** TAP: `not ok` lines, except those marked `# TODO` or `# SKIP`, as `N description`. */
export function failingTapCases(tap: string): string[] {
  const cases: string[] = [];
  for (const line of tap.split('\n')) {
    const match = /^\s*not ok\b\s*(\d*)\s*(?:-\s*)?(.*)$/.exec(line);
    if (!match) continue;
    const [description, directive] = splitDirective(match[2]!);
    // TAP 14: the directive may go on (SKIPPED, todo-later), in any case.
    if (/^(todo|skip)/i.test(directive)) continue;
    cases.push([match[1], description].filter((s) => s !== '').join(' ') || 'not ok');
  }
  return cases;
}

/** `description # DIRECTIVE` → [description, directive]; an escaped `\#` is part of the description. */
function splitDirective(text: string): [string, string] {
  const hash = /(?<!\\)#/.exec(text);
  if (!hash) return [text.trim(), ''];
  return [text.slice(0, hash.index).trim(), text.slice(hash.index + 1).trim()];
}

/** The failing cases named by a test's result files, `file: case` each. */
export function failingCases(files: readonly ResultFile[]): string[] {
  return files.flatMap((f) => {
    const text = f.lines.join('\n');
    const cases = f.file.endsWith('.xml') ? failingJunitCases(text) : failingTapCases(text);
    return cases.map((c) => `${f.file}: ${c}`);
  });
}
