import fs from 'node:fs';

/**
 * The processes whose command line names `dir` (PostgreSQL's `-D <home>/postgres/data`, the broker's and
 * Connect's properties files under the home): what a stack under that home left running.
 */
export function processesUsing(dir: string): Array<{ pid: number; cmdline: string }> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue; // gone meanwhile
    }
    if (cmdline.includes(dir)) found.push({ pid: Number(entry), cmdline: cmdline.slice(0, 200) });
  }
  return found;
}
