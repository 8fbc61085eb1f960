/**
 * Metrics: the services' CPU and memory, sampled only while someone watches (MetricsSampler.ts, which
 * reads through the Platform), `top`'s view of them (usageView.ts) and the Prometheus text format
 * (prometheus.ts).
 */
export {
  BASELINE_MAX_AGE_MS,
  MetricsSampler,
  MIN_SAMPLE_INTERVAL_MS,
  type Sample,
  type SampleTarget,
  type UsageSample,
} from './MetricsSampler.js';
export { escapeLabelValue, type MetricRow, PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js';
export { type SampledService, sampleTargets, topSnapshot, usageKey, usageOf } from './usageView.js';
