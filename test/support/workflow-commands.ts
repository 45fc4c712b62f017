/**
 * What the Actions runner does with a step's stdout, line by line, as its ActionCommandManager does it:
 * a line `::name props::data` is a command; `::stop-commands::TOKEN` stops all command processing until
 * a line whose command is exactly TOKEN (case-insensitive). Returns the commands that were obeyed.
 */
export interface ObeyedCommand {
  command: string;
  data: string;
}

function parse(line: string): ObeyedCommand | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('::')) return undefined;
  const end = trimmed.indexOf('::', 2);
  if (end < 0) return undefined;
  const head = trimmed.slice(2, end);
  const command = head.split(' ')[0]!;
  return command ? { command, data: trimmed.slice(end + 2) } : undefined;
}

export function obeyedCommands(stdout: string): ObeyedCommand[] {
  const obeyed: ObeyedCommand[] = [];
  let stopToken: string | undefined;
  for (const line of stdout.split(/\r?\n/)) {
    const command = parse(line);
    if (!command) continue;
    if (stopToken !== undefined) {
      if (command.command.toLowerCase() === stopToken.toLowerCase()) stopToken = undefined;
      continue;
    }
    if (command.command === 'stop-commands') {
      stopToken = command.data;
      continue;
    }
    obeyed.push(command);
  }
  return obeyed;
}
