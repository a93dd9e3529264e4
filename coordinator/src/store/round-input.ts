/** Checks a completed round before its transaction starts and turns it into column values. */
import { LIMITS } from '@cohortfl/wire';
import { checkArray, checkPositiveInt, checkSiteName, checkText, checkTime, checkUniqueSites, clipMessage, refuse } from './check.js';
import { encodeMetrics, stringifyObject, stringifyValue } from './json-codec.js';
import { encodeWeights } from './weights-codec.js';
import type { RoundFailure, SaveRoundInput } from './types.js';

export interface RoundColumns {
  runId: number;
  round: number;
  attempt: number;
  cohort: string[];
  trained: string[];
  failures: RoundFailure[];
  perSite: { site: string; numExamples: number; metrics: [string, number][] }[];
  cohortJson: string;
  trainedJson: string;
  failuresJson: string;
  trainMetricsJson: string;
  evalMetricsJson: string;
  weights: Buffer;
  sha256: string;
  strategyStateJson: string;
  startedAt: number;
  finishedAt: number;
}

function sites(value: unknown, what: string): string[] {
  const list = checkArray(value, what).map((site, i) => checkSiteName(site, `${what}[${i}]`, 'DATA_INVALID'));
  checkUniqueSites(list, what);
  return list;
}

function failuresOf(value: unknown, what: string): RoundFailure[] {
  return checkArray(value, what).map((item, i): RoundFailure => {
    const f = (item ?? {}) as Partial<RoundFailure>;
    const site = checkSiteName(f.site, `${what}[${i}].site`, 'DATA_INVALID');
    const reason = checkText(f.reason, `${what}[${i}].reason`, LIMITS.KEY_MAX);
    const message = clipMessage(f.message, `${what}[${i}].message`);
    return message === null ? { site, reason } : { site, reason, message };
  });
}

function metricsOf(value: unknown, what: string): [string, number][] {
  encodeMetrics(value, what); // same checks as the JSON columns
  return Object.entries(value as Record<string, number>);
}

export function roundColumns(input: SaveRoundInput): RoundColumns {
  const round = checkPositiveInt(input.round, 'round');
  const what = `round ${round}`;
  const cohort = sites(input.cohort, `cohort of ${what}`);
  const trained = sites(input.trained, `trained sites of ${what}`);
  const failures = failuresOf(input.failures, `failures of ${what}`);
  const inCohort = new Set(cohort);
  const trainedSet = new Set(trained);
  for (const site of trained) if (!inCohort.has(site)) refuse('DATA_INVALID', `site '${site}' trained in ${what} but is not in its cohort`);
  for (const { site } of failures) {
    if (!inCohort.has(site)) refuse('DATA_INVALID', `site '${site}' failed in ${what} but is not in its cohort`);
    if (trainedSet.has(site)) refuse('DATA_INVALID', `site '${site}' is both trained and failed in ${what}`);
  }
  checkUniqueSites(failures.map((f) => f.site), `failures of ${what}`);
  const perSite = checkArray(input.perSite, `per-site results of ${what}`).map((item, i) => {
    const p = (item ?? {}) as Partial<SaveRoundInput['perSite'][number]>;
    const at = `per-site results of ${what}[${i}]`;
    const numExamples = p.numExamples;
    if (typeof numExamples !== 'number' || !Number.isSafeInteger(numExamples) || numExamples < 0 || numExamples > LIMITS.NUM_EXAMPLES_MAX) {
      refuse('DATA_INVALID', `${at}.numExamples must be an integer from 0 to ${LIMITS.NUM_EXAMPLES_MAX}`);
    }
    return { site: checkSiteName(p.site, `${at}.site`, 'DATA_INVALID'), numExamples, metrics: metricsOf(p.metrics, `${at}.metrics`) };
  });
  checkUniqueSites(perSite.map((p) => p.site), `per-site results of ${what}`);
  const startedAt = checkTime(input.startedAt, `start time of ${what}`);
  const finishedAt = checkTime(input.finishedAt, `finish time of ${what}`);
  if (finishedAt < startedAt) refuse('DATA_INVALID', `${what} finished (${finishedAt}) before it started (${startedAt})`);
  const { blob, sha256 } = encodeWeights(input.weights, `weights of ${what}`);
  return {
    runId: checkPositiveInt(input.runId, 'run id'),
    round,
    attempt: checkPositiveInt(input.attempt, 'attempt'),
    cohort,
    trained,
    failures,
    perSite,
    cohortJson: stringifyValue(cohort, `cohort of ${what}`),
    trainedJson: stringifyValue(trained, `trained sites of ${what}`),
    failuresJson: stringifyValue(failures, `failures of ${what}`),
    trainMetricsJson: encodeMetrics(input.trainMetrics, `train metrics of ${what}`),
    evalMetricsJson: encodeMetrics(input.evalMetrics, `eval metrics of ${what}`),
    weights: blob,
    sha256,
    strategyStateJson: stringifyObject(input.strategyState, `strategy state of ${what}`),
    startedAt,
    finishedAt,
  };
}
