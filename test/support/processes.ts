import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  pgid: number;
  state: string;
  cmdline: string;
}

/** Every process on the machine, from /proc (read independently of src/process/cleanup.ts). */
export function processes(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      found.push({ pid: Number(entry), state: rest[0]!, pgid: Number(rest[2]), cmdline });
    } catch {
      // Ended while being read.
    }
  }
  return found;
}

/** Processes that still run (zombies have ended; only their parent's wait() is missing). */
export function living(list: ProcessInfo[]): ProcessInfo[] {
  return list.filter((p) => p.state !== 'Z' && p.state !== 'X');
}

/** What still runs in these process groups, or mentions `text` on its command line (a GnuPG home). */
export function leftovers(pgids: readonly number[], text?: string): ProcessInfo[] {
  return living(processes()).filter(
    (p) => pgids.includes(p.pgid) || (text !== undefined && p.cmdline.includes(text)),
  );
}

export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}
