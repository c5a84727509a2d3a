export { analyze, worker } from './analyze.ts';
export { loadAnalyticsConfig, type AnalyticsConfig } from './config.ts';
export { readReport, formatReport, euros, type Report } from './report.ts';
export { reconcile, type Drift } from './reconcile.ts';
export { SALE_COUNTED_AS_IT_IS } from './verify-aggregates.ts';
