// Public entry of telemetry: verdict events, the JSONL decision log, Prometheus metrics.
export * from './events.js';
export { DecisionLog } from './decision-log.js';
export { Metrics, METRIC_DEFS, type MetricsSnapshot } from './metrics.js';
