// The one implementation lives in the platform, beside runWorker (light module: no client library loaded).
export { stopOnSignals } from '@sales-pipeline/platform/stop-on-signals';
