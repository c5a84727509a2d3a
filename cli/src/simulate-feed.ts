import fs from 'node:fs/promises';
import { rhythm, SaleSimulator } from '@sales-pipeline/producer';

export interface SimulateOptions {
  /** Mean sales per second. */
  rate: number;
  out: string;
  /** Vary the rate with the hour and weekday of a simulated clock (one simulated day per `daySeconds`). */
  rhythm: boolean;
  daySeconds: number;
  /** Stop after this many seconds (undefined: until aborted). */
  durationSeconds?: number;
  /** Stop after this many sales (undefined: no limit). */
  maxSales?: number;
  tickMs?: number;
}

/**
 * Appends sales to a feed file at a steady mean rate, in whole lines (CRLF, as the client's export), each
 * write holding complete lines only. Writes the header when the file is new or empty; when the file ends
 * without a line ending (the client's export does), starts with one. Returns the number of sales written.
 */
export async function simulateFeed(
  simulator: SaleSimulator,
  options: SimulateOptions,
  stop: AbortSignal,
  onTick?: (written: number) => void,
): Promise<number> {
  const tickMs = options.tickMs ?? 20;
  const file = await fs.open(options.out, 'a+');
  try {
    const { size } = await file.stat();
    let prefix = '';
    if (size === 0) prefix = `${SaleSimulator.HEADER}\r\n`;
    else {
      const last = Buffer.alloc(1);
      await file.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\r\n';
    }
    if (prefix) await file.appendFile(prefix);
    const started = performance.now();
    const simulatedStart = Date.now();
    const end = options.durationSeconds === undefined ? Infinity : started + options.durationSeconds * 1000;
    let due = 0;
    let written = 0;
    let last = started;
    while (!stop.aborted && written < (options.maxSales ?? Infinity)) {
      const now = performance.now();
      if (now >= end) break;
      const at = options.rhythm
        ? new Date(simulatedStart + ((now - started) / 1000 / options.daySeconds) * 86_400_000)
        : new Date();
      due += ((now - last) / 1000) * options.rate * (options.rhythm ? rhythm(at) : 1);
      last = now;
      const count = Math.min(Math.floor(due - written), (options.maxSales ?? Infinity) - written);
      if (count > 0) {
        const lines: string[] = [];
        for (let i = 0; i < count; i++) lines.push(`${simulator.line(at)}\r\n`);
        await file.appendFile(lines.join(''));
        written += count;
        onTick?.(written);
      }
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
    return written;
  } finally {
    await file.close();
  }
}
