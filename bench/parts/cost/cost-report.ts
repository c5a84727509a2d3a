import { fmt } from '../../bench-stack.ts';
import type { PartResult } from '../../lib/part.ts';
import { PROCESS_LABEL, type CpuFigures, type CpuWindow } from './cpu-figures.ts';
import type { HopLatencies } from './hop-latency.ts';
import { HOP_LABEL } from './hop-stamps.ts';
import type { Amplification } from './stack-counters.ts';

export const COST_TARGETS = {
  cpuMsPerSale: 1.0,
  idlePercentOfCore: 5,
  rowP99Ms: 50,
  aggregateP99Ms: 250,
  milestoneP99Ms: 400,
};

/** Everything the cost part measured, for its figures and its section of the report. */
export interface CostMeasurements {
  rate: {
    target: number;
    achieved: number;
    warmupSeconds: number;
    seconds: number;
    idleSeconds: number;
    windowSales: number;
  };
  cpu: CpuWindow;
  idle: CpuWindow;
  caughtUpMs: number;
  cpuFigures: CpuFigures;
  /** CPU of the bench process itself (the appender) in the load and the idle window, ms. */
  benchCpuMs: number;
  idleBenchMs: number;
  latency: HopLatencies;
  salesRecordsWithoutCommitMarker: number;
  amplification: Amplification;
  milestones: { expected: number; recorded: number; revenueStepEuros: number; productUnitsStep: number };
  memory: Record<string, number>;
}

const verdict = (value: number, target: number, unit: string, digits = 0) => {
  const f = (n: number) => `${n.toFixed(digits)}${unit}`;
  return value <= target
    ? `met (${f(value)} ≤ ${f(target)}, ${f(target - value)} to spare)`
    : `**missed** by ${f(value - target)} (${f(value)} > ${f(target)})`;
};

export function costResult(m: CostMeasurements): PartResult {
  const { cpu, idle, caughtUpMs, benchCpuMs, idleBenchMs, amplification } = m;
  const { names, processes, stack: stackTotal, totalMs, dominant, idleDominant, perSale, pct } = m.cpuFigures;
  const { hops, milestoneHop, endToEnd, complete } = m.latency;
  const { target: ratePerSecond, achieved, warmupSeconds, windowSales } = m.rate;
  const withoutMarker = m.salesRecordsWithoutCommitMarker;
  const slowestHop = [...hops].sort((a, b) => b.meanMs - a.meanMs)[0];
  const slowestP99Hop = [...hops].sort((a, b) => b.p99Ms - a.p99Ms)[0];
  const t = COST_TARGETS;
  const aggregatesP99 = endToEnd.aggregates.p99Ms;
  const meets = {
    cpuPerSale: stackTotal.msPerSale <= t.cpuMsPerSale,
    idle: stackTotal.idlePercentOfCore <= t.idlePercentOfCore,
    rowP99: endToEnd.row.p99Ms <= t.rowP99Ms,
    aggregateP99: aggregatesP99 <= t.aggregateP99Ms,
    milestoneP99: endToEnd.milestone.p99Ms <= t.milestoneP99Ms,
  };
  const ms = (n: number) => `${n} ms`;
  return {
    figures: {
      rate: m.rate,
      windowMs: cpu.windowMs,
      idleWindowMs: idle.windowMs,
      caughtUpMs,
      cpu: {
        processes,
        stack: stackTotal,
        bench: { cpuMs: Math.round(benchCpuMs), idleCpuMs: Math.round(idleBenchMs) },
      },
      dominantProcess: dominant,
      idleDominantProcess: idleDominant,
      hops,
      aggregateToMilestone: milestoneHop,
      endToEnd,
      completeSamples: complete,
      coverage: m.latency.coverage,
      salesRecordsWithoutCommitMarker: withoutMarker,
      amplification,
      milestones: m.milestones,
      targets: t,
      meetsTargets: meets,
      memory: m.memory,
    },
    markdown: [
      `## cost — CPU and latency per hop at ${fmt(achieved)} sales/s (window ${(cpu.windowMs / 1000).toFixed(1)} s after ${warmupSeconds} s warm-up; four workers, Debezium, fake Slack)`,
      '',
      `| process | processes | CPU in window | ms / sale | % of one core | idle: % of one core |`,
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...names.map((n) => {
        const p = processes[n] as (typeof processes)[string];
        return `| ${PROCESS_LABEL[n]} | ${p.processes} | ${fmt(p.cpuMs)} ms | ${p.msPerSale.toFixed(3)} | ${p.percentOfCore} % | ${p.idlePercentOfCore} % |`;
      }),
      `| **whole stack** | | ${fmt(stackTotal.cpuMs)} ms | **${stackTotal.msPerSale.toFixed(3)}** | ${stackTotal.percentOfCore} % | **${stackTotal.idlePercentOfCore} %** |`,
      `| _(the bench itself: appender, not counted)_ | 1 | ${fmt(benchCpuMs)} ms | ${perSale(benchCpuMs).toFixed(3)} | ${pct(benchCpuMs, cpu.windowMs)} % | ${pct(idleBenchMs, idle.windowMs)} % |`,
      '',
      `Most CPU: ${PROCESS_LABEL[dominant]} (${processes[dominant]?.msPerSale.toFixed(3)} ms/sale, ${Math.round(((cpu.ms[dominant] ?? 0) / totalMs) * 100)} % of the stack's); idle: ${PROCESS_LABEL[idleDominant]} (${processes[idleDominant]?.idlePercentOfCore} % of a core). Idle measured over ${(idle.windowMs / 1000).toFixed(1)} s once caught up (${(caughtUpMs / 1000).toFixed(1)} s after the load stopped).`,
      '',
      `| hop: from → to | samples | p50 | p99 | max | mean |`,
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...hops.map(
        (h) =>
          `| ${HOP_LABEL[h.from]} → ${HOP_LABEL[h.to]} | ${fmt(h.samples)} | ${ms(h.p50Ms)} | ${ms(h.p99Ms)} | ${ms(h.maxMs)} | ${ms(h.meanMs)} |`,
      ),
      `| aggregates committed → milestone recorded | ${fmt(milestoneHop.samples)} | ${ms(milestoneHop.p50Ms)} | ${ms(milestoneHop.p99Ms)} | ${ms(milestoneHop.maxMs)} | ${ms(milestoneHop.meanMs)} |`,
      `| **end to end: appended → aggregates committed** (same sales) | ${fmt(endToEnd.aggregatesOfComplete.samples)} | ${ms(endToEnd.aggregatesOfComplete.p50Ms)} | ${ms(endToEnd.aggregatesOfComplete.p99Ms)} | ${ms(endToEnd.aggregatesOfComplete.maxMs)} | ${ms(endToEnd.aggregatesOfComplete.meanMs)} |`,
      '',
      `Hops over the ${fmt(complete)} of ${fmt(windowSales)} window sales that have every timestamp (${withoutMarker} \`sales\` records without a COMMIT marker read), so the mean hops add up to the mean end to end. Largest mean hop: ${slowestHop ? `${HOP_LABEL[slowestHop.from]} → ${HOP_LABEL[slowestHop.to]} (${slowestHop.meanMs} ms)` : '—'}; largest p99: ${slowestP99Hop ? `${HOP_LABEL[slowestP99Hop.from]} → ${HOP_LABEL[slowestP99Hop.to]} (${slowestP99Hop.p99Ms} ms)` : '—'}. Kafka and Debezium timestamps are ms; PostgreSQL's µs.`,
      '',
      '| target (issue 13) | measured | verdict |',
      '| --- | ---: | --- |',
      `| CPU per sale, whole stack, at ${fmt(ratePerSecond)} sales/s ≤ ${t.cpuMsPerSale} ms | ${stackTotal.msPerSale.toFixed(3)} ms | ${verdict(stackTotal.msPerSale, t.cpuMsPerSale, ' ms', 3)} |`,
      `| idle ≤ ${t.idlePercentOfCore} % of one core | ${stackTotal.idlePercentOfCore} % | ${verdict(stackTotal.idlePercentOfCore, t.idlePercentOfCore, ' %', 1)} |`,
      `| p99 appended → \`sales\` row ≤ ${t.rowP99Ms} ms | ${endToEnd.row.p99Ms} ms (${fmt(endToEnd.row.samples)}) | ${verdict(endToEnd.row.p99Ms, t.rowP99Ms, ' ms', 1)} |`,
      `| p99 appended → aggregates ≤ ${t.aggregateP99Ms} ms | ${aggregatesP99} ms (${fmt(endToEnd.aggregates.samples)}) | ${verdict(aggregatesP99, t.aggregateP99Ms, ' ms', 1)} |`,
      `| p99 appended → milestone ≤ ${t.milestoneP99Ms} ms | ${endToEnd.milestone.p99Ms} ms (${fmt(endToEnd.milestone.samples)}) | ${verdict(endToEnd.milestone.p99Ms, t.milestoneP99Ms, ' ms', 1)} |`,
      '',
      `Per sale over the window: ${fmt(amplification.walBytesPerSale)} B of WAL, ${amplification.transactionsPerSale} PostgreSQL transactions, ${amplification.tuplesWrittenPerSale} tuples written (pg_stat_database, flushed by backends about once a second), ${amplification.kafkaMessagesPerSale} Kafka records incl. transaction markers (${Object.entries(
        amplification.kafkaMessagesPerSaleByTopic,
      )
        .map(([topic, n]) => `${topic} ${n}`)
        .join(
          ', ',
        )}). Milestones: ${m.milestones.recorded} of ${m.milestones.expected} expected (every ${fmt(m.milestones.revenueStepEuros)} € of revenue, every ${fmt(m.milestones.productUnitsStep)} units of a product).`,
    ],
  };
}
