export { serveDashboard, type ServeOptions } from './serve.ts';
export { loadDashboardConfig, dashboardUrl, DEFAULT_DASHBOARD_PORT, type DashboardConfig } from './config.ts';
export { readDashboardRecord, type DashboardRecord } from './dashboard-record.ts';
export type { CollectStatus, StatusLike } from './server/pipeline-source.ts';
export type { DeadLetterQuery } from './server/sales-source.ts';
export { hashPassword } from './server/passwords.ts';
