import { formatStatus } from '../format-status.ts';
import type { PipelineStatus } from './pipeline-status.ts';

const mark = (ok: boolean | null) => (ok === null ? '·' : ok ? '✓' : '✗');

/** The human view of `status` (and the live view of `up`). Pure. */
export function formatPipelineStatus(status: PipelineStatus, home: string): string {
  const lines = [
    formatStatus({
      mode: status.mode,
      home,
      endpoints: status.endpoints,
      components: status.components,
      healthy: status.healthy,
    }),
  ];
  if (status.replicationSlot) {
    const s = status.replicationSlot;
    lines.push(
      `  ${mark(s.active)} slot       ${s.name}: ${s.active ? 'active' : 'inactive'}, ${s.lagBytes} bytes behind`,
    );
  }
  if (status.workers.length === 0) {
    lines.push('workers: none running (start them with: sales-pipeline up)');
  } else {
    lines.push(
      `workers${status.supervisor ? ` (supervisor pid ${status.supervisor.pid}${status.supervisor.demo ? ', demo' : ''})` : ''}:`,
    );
    for (const w of status.workers) {
      const rate = w.ratePerSecond === null ? '' : `  ${w.ratePerSecond}/s`;
      const state = w.failed ? `FAILED: ${w.failed}` : w.alive ? `pid ${w.pid}` : 'not running';
      const restarts = w.restarts > 0 ? `, ${w.restarts} restarts` : '';
      lines.push(`  ${mark(w.failed ? false : w.healthy)} ${w.name.padEnd(9)}  ${state}${restarts}${rate}`);
      if (w.waitingFor) lines.push(`      waiting for topics: ${w.waitingFor.join(', ')}`);
      if (w.lastError) lines.push(`      last error ${w.lastError.at}: ${w.lastError.message}`);
    }
  }
  if (status.consumerLag.length > 0) {
    lines.push('lag (messages behind):');
    for (const l of status.consumerLag) lines.push(`  ${l.group}  ${l.topic}  ${l.lag}`);
  }
  if (status.totals) {
    const t = status.totals;
    lines.push(
      `totals: ${t.sales} sales (${t.pendingSales} pending), ${t.rejectedRows} rejected rows, revenue ${t.revenue} € net ` +
        `(gross ${t.grossRevenue} €, ${t.returns} returns ${t.returnsRevenue} €), ${t.milestones} milestones`,
    );
  }
  for (const h of status.heldFeeds)
    lines.push(
      `  ! warning: feed ${h.feed} held since ${h.held_at}: its new version would cancel ${h.cancels} of its ` +
        `${h.live_sales} sales (${h.reason}); apply it with: sales-pipeline feed accept ${h.feed}`,
    );
  for (const b of status.backfills)
    lines.push(
      `  backfill ${b.feed} open since ${b.started_at}: ${b.held_milestones} milestone(s) held for its summary ` +
        `(resume it with the same backfill command, or close it with: sales-pipeline backfill --abandon ${b.feed})`,
    );
  if (status.verification) {
    const v = status.verification;
    const behind =
      v.behind.sales > 0
        ? `; ${v.behind.sales} sales not counted yet (first: ${v.behind.oldest_sale_id})`
        : '';
    lines.push(
      `  ${mark(v.drift.length === 0)} verified   through ${v.verified_through ?? 'nothing yet'} (checked ${v.checked_at ?? 'never'})${behind}`,
    );
    for (const d of v.drift)
      lines.push(
        `  ! drift: ${d.aggregate} ${d.key} holds revenue ${d.stored.revenue} (units ${d.stored.units}), its sales add up to ` +
          `${d.recomputed.revenue} (units ${d.recomputed.units}), since ${d.detected_at}; fix it with: sales-pipeline reconcile --repair`,
      );
  }
  if (status.feeds.length > 0) lines.push('sources:');
  for (const f of status.feeds)
    lines.push(
      `  ${f.name}  ${f.kind === 'http' ? 'http' : f.kind === 'feed' ? 'file/url' : '?'}  ${f.lines} lines, ` +
        `${f.rejected} rejected, last grew ${f.last_growth_at}`,
    );
  for (const f of status.feeds.filter((feed) => feed.stale))
    lines.push(
      `  ! warning: feed ${f.name} has not grown since ${f.last_growth_at} (stale since ${f.stale_since})`,
    );
  for (const m of status.lastMilestones)
    lines.push(`  milestone ${m.detectedAt}  ${m.rule} ${m.subject} ${m.step}  (${m.status})`);
  if (status.dashboard) lines.push(`dashboard: ${status.dashboard.url}`);
  if (status.ingest) lines.push(`ingest: POST ${status.ingest.url}`);
  for (const e of status.errors) lines.push(`  ! ${e}`);
  return lines.join('\n');
}
