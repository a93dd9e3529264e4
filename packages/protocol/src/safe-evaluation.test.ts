/**
 * The evaluate phase against a coordinator that uses it as a query interface. Each
 * attack runs against the real SiteRunner twice: with the defence switched off, where
 * the test shows by arithmetic that the patient's label, score or genotypes come back,
 * and with it on, where the site suppresses or refuses (with a counted reason) and
 * the same arithmetic recovers nothing.
 */
import { describe, expect, it } from 'vitest';
import { binOfScore, fromJSON, scoreHistogram, SCORE_BINS, toJSON } from '@cohortfl/fairness';
import { createLedger, createSeededRandom } from '@cohortfl/privacy';
import { hashWeights, type EvalResult, type EvalStatsWire, type RoundRefuse, type RoundStart, type SiteMessage } from '@cohortfl/wire';
import { EvaluationGuard } from './evaluation-guard.js';
import { evaluationReport } from './evaluation-report.js';
import { releaseEvaluation, suppressedValues } from './safe-evaluation.js';
import { DEFAULT_MIN_CELL_SIZE, type SitePolicy } from './site-policy.js';
import { SiteRunner, type SiteWork } from './site-runner.js';

const TASK = 'a'.repeat(64);
const SNPS = 10;
const basePolicy: SitePolicy = { acceptTasks: true, approvedTaskHashes: [TASK], minCohortSize: 1 };

/**
 * A hospital's validation split: 99 patients of ancestry EUR or AFR and one patient,
 * the target (last), who is the only one of ancestry XYZ. Genotypes are 0/1/2 per SNP.
 */
function hospital() {
  const n = 100;
  const genotypes: number[][] = [];
  const labels: number[] = [];
  const ancestry: string[] = [];
  for (let i = 0; i < n - 1; i++) {
    genotypes.push(Array.from({ length: SNPS }, (_, j) => (i * 7 + j * 3) % 3));
    labels.push(i % 3 === 0 ? 1 : 0);
    ancestry.push(i < 60 ? 'EUR' : 'AFR');
  }
  const target = { genotypes: [2, 0, 1, 1, 2, 0, 0, 2, 1, 2], label: 1 };
  genotypes.push(target.genotypes);
  labels.push(target.label);
  ancestry.push('XYZ');
  return { genotypes, labels, ancestry, target };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The site's real evaluation of a logistic model: weights are SNP coefficients then a bias. */
function modelWork(data = hospital()): SiteWork {
  return {
    load: async () => undefined,
    train: async (s) => ({ update: new Float32Array(s.weights.length), numExamples: data.labels.length, metrics: {} }),
    evaluate: async (start) => {
      const w = start.weights;
      const scores = data.genotypes.map((g) => sigmoid(g.reduce((z, x, j) => z + x * w[j]!, w[SNPS]!)));
      const stats = toJSON(scoreHistogram({ labels: data.labels, scores, groups: { ancestry: data.ancestry } }));
      return { numExamples: data.labels.length, metrics: { auc: 0.5 }, stats };
    },
  };
}

function evaluateStart(weights: Float32Array, over: Partial<RoundStart> = {}): RoundStart {
  return {
    type: 'round/start',
    taskHash: TASK,
    round: 1,
    attempt: 1,
    phase: 'evaluate',
    cohort: ['site'],
    config: { modelHash: hashWeights(weights) },
    weights,
    ...over,
  };
}

/** The coordinator's query: the score of SNP k's genotype alone, sigmoid(g_k). */
const snpQuery = (k: number) => {
  const w = new Float32Array(SNPS + 1);
  w[k] = 1;
  return w;
};

/** What a coordinator reads off a one-record cell: its label and the bin centre of its score. */
function readCell(stats: EvalStatsWire, column: string, value: string): { label: number; score: number } | undefined {
  const cell = stats.byGroup[column]?.[value];
  if (!cell || cell.n !== 1) return undefined;
  const label = cell.pos.some((c) => c > 0) ? 1 : 0;
  const bin = (label ? cell.pos : cell.neg).findIndex((c) => c > 0);
  return { label, score: (bin + 0.5) / stats.bins };
}

/** Per bin and label, the overall counts minus every released value of a column: what differencing isolates. */
function residual(stats: EvalStatsWire, column: string): { pos: number; neg: number } {
  let pos = stats.overall.pos.reduce((a, b) => a + b, 0);
  let neg = stats.overall.neg.reduce((a, b) => a + b, 0);
  for (const cell of Object.values(stats.byGroup[column] ?? {})) {
    pos -= cell.pos.reduce((a, b) => a + b, 0);
    neg -= cell.neg.reduce((a, b) => a + b, 0);
  }
  return { pos, neg };
}

const asResult = (m: SiteMessage) => {
  expect(m.type).toBe('eval/result');
  return m as EvalResult;
};

describe('a one-patient subgroup', () => {
  const weights = new Float32Array([0.3, -0.2, 0.5, 0.1, 0.4, -0.3, 0.2, 0.6, -0.1, 0.35, -0.4]);
  const { target } = hospital();
  const trueScore = sigmoid(target.genotypes.reduce((z, x, j) => z + x * weights[j]!, weights[SNPS]!));

  it('without the defence (minCellSize 1) gives away the label and the score', async () => {
    const runner = new SiteRunner({ site: 'site', policy: { ...basePolicy, minCellSize: 1 }, work: modelWork() });
    const result = asResult(await runner.handle(evaluateStart(weights)));
    const read = readCell(result.stats!, 'ancestry', 'XYZ');
    expect(read).toBeDefined();
    expect(read!.label).toBe(target.label);
    expect(Math.abs(read!.score - trueScore)).toBeLessThanOrEqual(0.5 / SCORE_BINS);
    // The overall counts minus the other values isolate the same record: one positive.
    const others = { ...result.stats!, byGroup: { ancestry: { EUR: result.stats!.byGroup.ancestry!.EUR!, AFR: result.stats!.byGroup.ancestry!.AFR! } } };
    expect(residual(others, 'ancestry')).toEqual({ pos: 1, neg: 0 });
    // The released Brier sum says no more than the bin: it is the bin centre's, not the exact score's.
    const brier = result.stats!.byGroup.ancestry!.XYZ!.brierSum;
    const bin = binOfScore(trueScore, SCORE_BINS);
    expect(brier).toBeCloseTo((1 - (bin + 0.5) / SCORE_BINS) ** 2, 12);
    expect(brier).not.toBeCloseTo((1 - trueScore) ** 2, 9);
  });

  it('with the default minCellSize the cell is suppressed and nothing per subgroup pins the record', async () => {
    const runner = new SiteRunner({ site: 'site', policy: basePolicy, work: modelWork() });
    const result = asResult(await runner.handle(evaluateStart(weights)));
    const stats = result.stats!;
    expect(stats.byGroup.ancestry!.XYZ).toEqual({ pos: [], neg: [], brierSum: 0, n: 0 });
    expect(readCell(stats, 'ancestry', 'XYZ')).toBeUndefined();
    // Complementary suppression: AFR (39 records, the smallest released value) is withheld with it,
    // so the overall counts minus what is released pool the target with ≥ 10 records of each label.
    expect(stats.byGroup.ancestry!.AFR).toEqual({ pos: [], neg: [], brierSum: 0, n: 0 });
    const hidden = residual(stats, 'ancestry');
    expect(hidden.pos).toBeGreaterThanOrEqual(DEFAULT_MIN_CELL_SIZE);
    expect(hidden.neg).toBeGreaterThanOrEqual(DEFAULT_MIN_CELL_SIZE);
    // No released cell has fewer than 10 records of a label, and no subgroup metric names XYZ.
    for (const cell of Object.values(stats.byGroup.ancestry!)) {
      if (cell.n === 0) continue;
      expect(cell.pos.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(DEFAULT_MIN_CELL_SIZE);
      expect(cell.neg.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(DEFAULT_MIN_CELL_SIZE);
    }
    expect(Object.keys(result.metrics).filter((k) => k.includes('XYZ') || k.includes('AFR'))).toEqual([]);
    // The coordinator still parses the release and reports the released value.
    const parsed = fromJSON(stats);
    expect(Object.keys(parsed.byGroup.ancestry!)).toEqual(['EUR']);
    expect(parsed.suppressed).toEqual({ ancestry: ['AFR', 'XYZ'] });
  });

  it('leaves nothing to difference when the other value would give the cell away, and the coordinator still reports', async () => {
    const two = hospital();
    two.ancestry.fill('EUR', 0, 99);
    const runner = new SiteRunner({ site: 'site', policy: basePolicy, work: modelWork(two) });
    const result = asResult(await runner.handle(evaluateStart(weights)));
    expect(result.stats!.byGroup.ancestry).toEqual({ EUR: { pos: [], neg: [], brierSum: 0, n: 0 }, XYZ: { pos: [], neg: [], brierSum: 0, n: 0 } });
    const report = evaluationReport([{ site: 'site', stats: result.stats! }, { site: 'other', stats: result.stats! }]);
    expect(report!.pooled.fairness).toEqual({});
    expect(report!.pooled.metrics.n).toBe(200);
  });

  it('suppresses the whole site when its validation split has a small label cell', async () => {
    const few = hospital();
    few.labels.fill(0);
    few.labels[0] = 1;
    const runner = new SiteRunner({ site: 'site', policy: basePolicy, work: modelWork(few) });
    const out = await runner.handle(evaluateStart(weights));
    expect(out).toMatchObject({ type: 'round/refuse', error: { code: 'POLICY_REFUSED', message: expect.stringContaining('suppressed') } });
  });
});

describe('ten chosen-weight evaluate rounds', () => {
  const { target } = hospital();
  // Suppression off, so that only the once-per-committed-model rule stands between the coordinator and the target.
  const policy = { ...basePolicy, minCellSize: 1 };
  const genotypeOf = (stats: EvalStatsWire) => {
    const read = readCell(stats, 'ancestry', 'XYZ');
    return read === undefined ? undefined : Math.round(Math.log(read.score / (1 - read.score)));
  };

  it('without the defence (a site that keeps no record) answers all ten and the genotypes come back', async () => {
    const recovered: (number | undefined)[] = [];
    for (let k = 0; k < SNPS; k++) {
      // A site without a record of what it evaluated: every runner starts afresh.
      const runner = new SiteRunner({ site: 'site', policy, work: modelWork() });
      const result = asResult(await runner.handle(evaluateStart(snpQuery(k), { round: 1, attempt: k + 1 })));
      recovered.push(genotypeOf(result.stats!));
    }
    expect(recovered).toEqual(target.genotypes);
  });

  it('with the defence the site evaluates once per round and model, and counts the refusals', async () => {
    const guard = new EvaluationGuard();
    const runner = new SiteRunner({ site: 'site', policy, work: modelWork(), evaluations: guard });
    const answers: SiteMessage[] = [];
    // Ten attempts of one round, each with weights of the coordinator's choosing.
    for (let k = 0; k < SNPS; k++) answers.push(await runner.handle(evaluateStart(snpQuery(k), { round: 1, attempt: k + 1 })));
    const results = answers.filter((a): a is EvalResult => a.type === 'eval/result');
    expect(results).toHaveLength(1);
    const refusals = answers.filter((a): a is RoundRefuse => a.type === 'round/refuse');
    expect(refusals).toHaveLength(9);
    expect(refusals.every((r) => r.error.code === 'REPLAYED')).toBe(true);
    expect(guard.refusals.eval_round_repeated).toBe(9);
    const recovered = results.map((r) => genotypeOf(r.stats!));
    expect(recovered.filter((g) => g !== undefined)).toHaveLength(1);
  });

  it('refuses weights that do not hash to the model the start names, a model already evaluated, and an unbound start', async () => {
    const guard = new EvaluationGuard();
    const runner = new SiteRunner({ site: 'site', policy, work: modelWork(), evaluations: guard });
    const committed = snpQuery(0);
    expect((await runner.handle(evaluateStart(committed, { round: 1 }))).type).toBe('eval/result');
    // Chosen weights under the committed model's hash.
    const swapped = await runner.handle(evaluateStart(snpQuery(1), { round: 2, config: { modelHash: hashWeights(committed) } }));
    expect(swapped).toMatchObject({ type: 'round/refuse', error: { code: 'MESSAGE_INVALID' } });
    // The same model again, in a later round, or in another run of the task.
    expect(await runner.handle(evaluateStart(committed, { round: 3 }))).toMatchObject({ error: { code: 'REPLAYED' } });
    expect(await runner.handle(evaluateStart(committed, { round: 4, config: { modelHash: hashWeights(committed), runId: 'again' } }))).toMatchObject({ error: { code: 'REPLAYED' } });
    // No model named at all.
    expect(await runner.handle(evaluateStart(snpQuery(2), { round: 5, config: {} }))).toMatchObject({ error: { code: 'MESSAGE_INVALID' } });
    expect(guard.refusals).toEqual({ eval_model_unbound: 2, eval_model_repeated: 2, eval_round_repeated: 0, train_model_unbound: 0 });
  });

  it('counts a next round that does not train from the evaluated model (evidence, since an honest retried round does the same)', async () => {
    const guard = new EvaluationGuard();
    const runner = new SiteRunner({ site: 'site', policy, work: modelWork(), evaluations: guard });
    const chosen = snpQuery(3);
    const other = new Float32Array(SNPS + 1).fill(0.1);
    expect((await runner.handle(evaluateStart(chosen, { round: 1 }))).type).toBe('eval/result');
    const train = (weights: Float32Array, attempt: number): RoundStart => ({ ...evaluateStart(weights, { round: 2, attempt }), phase: 'train', config: {} });
    expect((await runner.handle(train(chosen, 1))).type).toBe('update/submit');
    expect(guard.refusals.train_model_unbound).toBe(0);
    expect((await runner.handle(train(other, 2))).type).toBe('update/submit');
    expect(guard.refusals.train_model_unbound).toBe(1);
  });

  it('a restarted site continues from its stored record', async () => {
    const first = new EvaluationGuard();
    await new SiteRunner({ site: 'site', policy, work: modelWork(), evaluations: first }).handle(evaluateStart(snpQuery(0)));
    const restarted = new EvaluationGuard({ record: JSON.parse(JSON.stringify(first.toJSON())) });
    const again = await new SiteRunner({ site: 'site', policy, work: modelWork(), evaluations: restarted }).handle(evaluateStart(snpQuery(1), { attempt: 2 }));
    expect(again).toMatchObject({ type: 'round/refuse', error: { code: 'REPLAYED' } });
    expect(() => new EvaluationGuard({ record: { format: 'cohortfl-evaluations/1', evaluated: [{ round: 1 }] } })).toThrow(/damaged/);
  });

  it('does not admit an evaluation it could not record', async () => {
    const guard = new EvaluationGuard({ onChange: () => { throw new Error('disk full'); } });
    const out = await new SiteRunner({ site: 'site', policy, work: modelWork(), evaluations: guard }).handle(evaluateStart(snpQuery(0)));
    expect(out).toMatchObject({ type: 'round/refuse', error: { code: 'INTERNAL' } });
    expect(guard.models).toHaveLength(0);
  });
});

describe('noise on released histograms', () => {
  const weights = new Float32Array([0.3, -0.2, 0.5, 0.1, 0.4, -0.3, 0.2, 0.6, -0.1, 0.35, -0.4]);
  const noisy = (epsilonMax: number) => {
    const ledger = createLedger({ epsilonMax, delta: 1e-6, noiseFloor: 0 });
    const runner = new SiteRunner({ site: 'site', policy: { ...basePolicy, evaluationNoise: { sigma: 3 } }, work: modelWork(), privacy: { ledger } });
    return { ledger, runner };
  };

  it('charges the ledger and releases noised counts', async () => {
    const { ledger, runner } = noisy(1000);
    const exact = asResult(await new SiteRunner({ site: 'site', policy: { ...basePolicy, minCellSize: 1 }, work: modelWork() }).handle(evaluateStart(weights)));
    const result = asResult(await runner.handle(evaluateStart(weights)));
    expect(ledger.state().rounds).toBe(1);
    expect(ledger.state().history[0]!.mechanism).toEqual({ kind: 'gaussian', noiseMultiplier: 3 / Math.sqrt(2), samplingRate: 1, steps: 1 });
    expect(ledger.epsilonSpent()).toBeGreaterThan(0);
    expect(result.stats!.noiseSigma).toBe(3);
    const changed = result.stats!.overall.pos.filter((c, i) => c !== exact.stats!.overall.pos[i]).length;
    // Most bins are empty: a draw ≤ 0 leaves one at 0 after clamping, so about 44% change (sd 1.6%).
    expect(changed).toBeGreaterThan(SCORE_BINS / 4);
    // Only what the noised histograms determine: no exact loss, n is the noised total.
    expect(result.metrics.loss).toBeUndefined();
    expect(result.numExamples).toBe(result.stats!.overall.n);
    expect(fromJSON(result.stats!).noiseSigma).toBe(3);
  });

  it('refuses an evaluation over budget, before any release and without charging', async () => {
    const { ledger, runner } = noisy(0.01);
    const out = await runner.handle(evaluateStart(weights));
    expect(out).toMatchObject({ type: 'round/refuse', error: { code: 'BUDGET_EXHAUSTED' } });
    expect(ledger.state().rounds).toBe(0);
  });

  it('refuses noise without a budget to charge', async () => {
    const runner = new SiteRunner({ site: 'site', policy: { ...basePolicy, evaluationNoise: { sigma: 3 } }, work: modelWork() });
    expect(await runner.handle(evaluateStart(weights))).toMatchObject({ error: { code: 'CONFIG_INVALID' } });
  });

  it('adds discrete Gaussian noise of the stated σ to every count (statistical check)', () => {
    // 1000 bins × 2 labels of 100 records each: no count is near 0, so no draw is clamped.
    const bins = SCORE_BINS;
    const raw: EvalStatsWire = {
      bins,
      overall: { pos: new Array(bins).fill(100), neg: new Array(bins).fill(100), brierSum: 0, n: 200 * bins },
      byGroup: {},
    };
    const sigma = 3;
    const diffs: number[] = [];
    const random = createSeededRandom('safe-evaluation-noise');
    for (let draw = 0; draw < 5; draw++) {
      const release = releaseEvaluation(raw, { minCellSize: 10, noise: { sigma }, random });
      if (!release.released) throw new Error('unexpected suppression');
      for (const c of [...release.stats.overall.pos, ...release.stats.overall.neg]) diffs.push(c - 100);
    }
    const n = diffs.length;
    const mean = diffs.reduce((a, b) => a + b, 0) / n;
    const variance = diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    // 10 000 draws: the mean's standard error is 0.03, the variance's about 0.13 (σ² = 9).
    expect(Math.abs(mean)).toBeLessThan(0.15);
    expect(Math.abs(variance - sigma * sigma)).toBeLessThan(0.9);
    expect(diffs.every(Number.isInteger)).toBe(true);
    expect(diffs.filter((d) => d !== 0).length).toBeGreaterThan(n * 0.8);
  });
});

describe('suppressedValues', () => {
  it('withholds small cells, then the smallest values until the withheld pool has no small cell', () => {
    const overall = { pos: 40, neg: 60 };
    expect(suppressedValues(overall, { A: { pos: 30, neg: 30 }, B: { pos: 10, neg: 30 } }, 10)).toEqual([]);
    expect(suppressedValues(overall, { A: { pos: 25, neg: 30 }, B: { pos: 14, neg: 29 }, C: { pos: 1, neg: 1 } }, 10)).toEqual(['B', 'C']);
    // Empty cells are not small: a value with no positive is released.
    expect(suppressedValues({ pos: 20, neg: 60 }, { A: { pos: 20, neg: 30 }, B: { pos: 0, neg: 30 } }, 10)).toEqual([]);
    // Nothing to hide a small value in: the whole column goes.
    expect(suppressedValues({ pos: 21, neg: 20 }, { A: { pos: 20, neg: 20 }, B: { pos: 1, neg: 0 } }, 10)).toEqual(['A', 'B']);
  });
});
