/** mkosi colours its messages; the error line quoted in the annotation should not carry escapes. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

/**
 * The line of a failed mkosi run worth quoting: its last message, which is where mkosi says why,
 * without mkosi's "‣" bullet and skipping its parenthesized hints ("(rerun with --debug …)").
 */
export function lastErrorLine(output: string): string | undefined {
  return stripAnsi(output)
    .split('\n')
    .map((l) => l.replace(/^‣\s*/, '').trim())
    .filter((l) => l !== '' && !/^(\[[^\]]*\]\s*)?\(/.test(l))
    .at(-1);
}
