import fs from 'node:fs';

/** The last `bytes` of a file (its first line may be cut); empty when it cannot be read. */
export function readTail(file: string, bytes = 65_536): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const { size } = fs.fstatSync(fd);
      const buffer = Buffer.alloc(Math.min(bytes, size));
      fs.readSync(fd, buffer, 0, buffer.length, size - buffer.length);
      return buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** The last error a worker logged (pino JSON lines, level ≥ 50), read from the end of its log. Pure. */
export function lastLoggedError(logTail: string): { at: string; message: string } | null {
  const lines = logTail.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    if (!line.startsWith('{')) {
      if (line.startsWith('sales-pipeline: ')) return { at: '', message: line.slice(16) };
      continue;
    }
    try {
      const entry = JSON.parse(line) as {
        level?: number;
        time?: number;
        msg?: string;
        err?: { message?: string };
      };
      if ((entry.level ?? 0) >= 50) {
        const message = [entry.msg, entry.err?.message].filter(Boolean).join(': ');
        return { at: entry.time ? new Date(entry.time).toISOString() : '', message };
      }
    } catch {
      // a line cut by the tail window
    }
  }
  return null;
}
