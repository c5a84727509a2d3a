import type { NativeComponent } from '@sales-pipeline/stack';
import type { cpuBetween } from '../../lib/proc-cpu.ts';

/** The stack's process trees (found from their pid files) and the workers (the bench's children). */
export const STACK: NativeComponent[] = ['postgres', 'kafka', 'connect'];
export const WORKERS = ['producer', 'consumer', 'analytics', 'notifier'] as const;
export const PROCESS_LABEL: Record<string, string> = {
  postgres: 'PostgreSQL (postmaster + backends)',
  kafka: 'Kafka broker (JVM)',
  connect: 'Kafka Connect + Debezium (JVM)',
  producer: 'producer',
  consumer: 'consumer',
  analytics: 'analytics',
  notifier: 'notifier',
};

export type CpuWindow = ReturnType<typeof cpuBetween>;

/**
 * Per process tree and for the whole stack: CPU in the load window, ms per sale of the window, % of one
 * core in the load window and in the idle window; which process used the most in each.
 */
export function cpuFigures(cpu: CpuWindow, idle: CpuWindow, sales: number) {
  const names = [...STACK, ...WORKERS];
  const perSale = (ms: number) => Math.round((ms / sales) * 1000) / 1000;
  const pct = (ms: number, windowMs: number) => Math.round((ms / windowMs) * 1000) / 10;
  const totalMs = names.reduce((s, n) => s + (cpu.ms[n] ?? 0), 0);
  const idleTotalMs = names.reduce((s, n) => s + (idle.ms[n] ?? 0), 0);
  const processes = Object.fromEntries(
    names.map((n) => [
      n,
      {
        processes: cpu.processes[n],
        cpuMs: Math.round(cpu.ms[n] ?? 0),
        msPerSale: perSale(cpu.ms[n] ?? 0),
        percentOfCore: pct(cpu.ms[n] ?? 0, cpu.windowMs),
        idlePercentOfCore: pct(idle.ms[n] ?? 0, idle.windowMs),
      },
    ]),
  );
  const stack = {
    cpuMs: Math.round(totalMs),
    msPerSale: perSale(totalMs),
    percentOfCore: pct(totalMs, cpu.windowMs),
    idlePercentOfCore: pct(idleTotalMs, idle.windowMs),
  };
  return {
    names,
    processes,
    stack,
    totalMs,
    dominant: [...names].sort((a, b) => (cpu.ms[b] ?? 0) - (cpu.ms[a] ?? 0))[0] as string,
    idleDominant: [...names].sort((a, b) => (idle.ms[b] ?? 0) - (idle.ms[a] ?? 0))[0] as string,
    perSale,
    pct,
  };
}
export type CpuFigures = ReturnType<typeof cpuFigures>;
