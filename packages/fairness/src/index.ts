export { binOfScore, emptyCounts, SCORE_BINS, scoreHistogram } from './eval-stats.js';
export type { EvalCounts, EvalStats, ScoreHistogramInput } from './eval-stats.js';
export { GROUP_LIMITS } from './check-inputs.js';
export { fromJSON, isSuppressedCell, SUPPRESSED_CELL, toJSON } from './stats-json.js';
export { binnedBrierSum, countsBrierSum } from './binned-brier.js';
export type { EvalCountsJSON, EvalStatsJSON } from './stats-json.js';
export { mergeStats } from './merge-stats.js';
export { metricsByGroup, metricsFromStats } from './metrics-from-stats.js';
export type { EvalMetrics } from './metrics-from-stats.js';
export { ECE_BINS } from './calibration.js';
export { falsePositiveRate, selectionRate, truePositiveRate } from './rates.js';
export { rocAuc } from './roc-auc.js';
export { metricFrame } from './metric-frame.js';
export type { MetricFn, MetricFrame, MetricFrameInput } from './metric-frame.js';
export type { DisparityMethod } from './group-aggregate.js';
export {
  demographicParityDifference,
  demographicParityRatio,
  equalizedOddsDifference,
  equalizedOddsRatio,
  equalOpportunityDifference,
  equalOpportunityRatio,
} from './fairness-metrics.js';
export type { EqualizedOddsOptions, FairnessOptions } from './fairness-metrics.js';
export { fairnessFromStats } from './fairness-from-stats.js';
export type { GroupRates, StatsFairness } from './fairness-from-stats.js';
export { siteDisparity } from './site-disparity.js';
export type { SiteAuc, SiteDisparity } from './site-disparity.js';
