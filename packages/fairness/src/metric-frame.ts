import { CohortError } from '@cohortfl/wire';
import { checkArrayLike, checkFinite, checkGroupValues, checkNonEmpty, checkSameLength } from './check-inputs.js';
import { compareKeys } from './eval-stats.js';
import { checkMethod, groupDifference, groupRatio, nanMax, nanMin } from './group-aggregate.js';
import type { DisparityMethod } from './group-aggregate.js';

export type MetricFn = (yTrue: number[], yPred: number[]) => number;

export interface MetricFrameInput<M extends string> {
  metrics: Record<M, MetricFn>;
  yTrue: ArrayLike<number>;
  /** Predictions, or scores for threshold-free metrics such as rocAuc. */
  yPred: ArrayLike<number>;
  /** One group label per example (a single sensitive feature). */
  sensitiveFeatures: ArrayLike<string>;
}

export interface MetricFrame<M extends string> {
  /** Group labels in sorted order, as pandas groupby sorts them. */
  groups: string[];
  overall: Record<M, number>;
  byGroup: Record<string, Record<M, number>>;
  groupMin(): Record<M, number>;
  groupMax(): Record<M, number>;
  difference(method?: DisparityMethod): Record<M, number>;
  ratio(method?: DisparityMethod): Record<M, number>;
}

function evaluate<M extends string>(metrics: [M, MetricFn][], yTrue: number[], yPred: number[]): Record<M, number> {
  return Object.fromEntries(metrics.map(([name, fn]) => [name, fn(yTrue, yPred)])) as Record<M, number>;
}

/**
 * Fairlearn's MetricFrame for one sensitive feature: each metric on the whole data and on
 * each group, then disparities across groups. Aggregations skip NaN group values (pandas).
 */
export function metricFrame<M extends string>(input: MetricFrameInput<M>): MetricFrame<M> {
  const { yTrue, yPred, sensitiveFeatures } = input;
  const n = checkArrayLike('yTrue', yTrue);
  checkNonEmpty('yTrue', yTrue);
  checkSameLength('yPred', yPred, n, 'yTrue');
  checkSameLength('sensitiveFeatures', sensitiveFeatures, n, 'yTrue');
  checkFinite('yTrue', yTrue);
  checkFinite('yPred', yPred);
  checkGroupValues('sensitiveFeatures', sensitiveFeatures);
  const metrics = Object.entries(input.metrics ?? {}) as [M, MetricFn][];
  if (metrics.length === 0 || metrics.some(([, fn]) => typeof fn !== 'function')) {
    throw new CohortError('CONFIG_INVALID', 'metrics must map names to functions (yTrue, yPred) => number');
  }

  const split = new Map<string, { yTrue: number[]; yPred: number[] }>();
  for (let i = 0; i < n; i++) {
    const g = sensitiveFeatures[i] as string;
    let part = split.get(g);
    if (part === undefined) split.set(g, (part = { yTrue: [], yPred: [] }));
    part.yTrue.push(yTrue[i] as number);
    part.yPred.push(yPred[i] as number);
  }
  const groups = [...split.keys()].sort(compareKeys);
  const overall = evaluate(metrics, Array.from(yTrue), Array.from(yPred));
  const byGroupList = groups.map((g): [string, Record<M, number>] => {
    const part = split.get(g) as { yTrue: number[]; yPred: number[] };
    return [g, evaluate(metrics, part.yTrue, part.yPred)];
  });
  const byGroup = Object.fromEntries(byGroupList);

  const column = (name: M): number[] => byGroupList.map(([, row]) => row[name]);
  const perMetric = (f: (values: number[], overallValue: number) => number): Record<M, number> =>
    Object.fromEntries(metrics.map(([name]) => [name, f(column(name), overall[name])])) as Record<M, number>;

  return {
    groups,
    overall,
    byGroup,
    groupMin: () => perMetric((v) => nanMin(v)),
    groupMax: () => perMetric((v) => nanMax(v)),
    difference: (method: DisparityMethod = 'between_groups') => {
      const m = checkMethod(method);
      return perMetric((v, o) => groupDifference(v, o, m));
    },
    ratio: (method: DisparityMethod = 'between_groups') => {
      const m = checkMethod(method);
      return perMetric((v, o) => groupRatio(v, o, m));
    },
  };
}
