import type { StackStatus } from '@sales-pipeline/stack';

/** A human-readable view of the stack's status: endpoints, then one line per component. */
export function formatStatus(status: StackStatus): string {
  if (status.mode === 'none') return `No stack under ${status.home}. Start one with: sales-pipeline stack up`;
  const lines = [
    `stack (${status.mode}) under ${status.home}: ${status.healthy ? 'healthy' : 'NOT healthy'}`,
  ];
  if (status.endpoints) {
    lines.push(
      `  database  ${status.endpoints.databaseUrl}`,
      `  kafka     ${status.endpoints.kafkaBrokers}`,
      `  connect   ${status.endpoints.connectUrl}`,
    );
  }
  const width = Math.max(...status.components.map((c) => c.name.length));
  for (const c of status.components) {
    const pid = c.pid ? ` (pid ${c.pid})` : '';
    lines.push(`  ${c.healthy ? '✓' : '✗'} ${c.name.padEnd(width)}  ${c.detail}${pid}`);
  }
  return lines.join('\n');
}
