import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { hashWeights, type RoundStart } from '@cohortfl/wire';
import { createSiteMetrics } from './metrics.js';
import { evaluationRecordPath, loadEvaluationGuard } from './evaluation-record.js';
import { removeTempDirs, tempDir } from './site-fixtures.test-suite.js';

afterAll(removeTempDirs);

const evaluate = (weights: Float32Array, round: number, attempt = 1): RoundStart => ({
  type: 'round/start',
  taskHash: 'e'.repeat(64),
  round,
  attempt,
  phase: 'evaluate',
  cohort: ['a'],
  config: { modelHash: hashWeights(weights) },
  weights,
});

describe('the record of evaluated models', () => {
  it('is saved at each admission and survives a restart', async () => {
    const dir = tempDir();
    const metrics = createSiteMetrics();
    const guard = loadEvaluationGuard(dir, { metrics });
    const model = new Float32Array([1, 2, 3]);
    guard.admitEvaluation(evaluate(model, 1));
    const saved = JSON.parse(readFileSync(evaluationRecordPath(dir), 'utf8'));
    expect(saved.evaluated).toEqual([expect.objectContaining({ round: 1, modelHash: hashWeights(model) })]);
    const restarted = loadEvaluationGuard(dir, { metrics });
    expect(() => restarted.admitEvaluation(evaluate(model, 2))).toThrow(/already evaluated model/);
    expect(() => restarted.admitEvaluation(evaluate(new Float32Array([4, 5, 6]), 1, 2))).toThrow(/already evaluated round 1/);
    const counted = (await metrics.rejected.get()).values.map((v) => [v.labels.reason, v.value]);
    expect(counted).toEqual(expect.arrayContaining([['eval_model_repeated', 1], ['eval_round_repeated', 1]]));
  });

  it('refuses to start from a damaged record instead of forgetting it', () => {
    const dir = tempDir();
    writeFileSync(evaluationRecordPath(dir), '{ nope');
    expect(() => loadEvaluationGuard(dir)).toThrow(/not valid JSON/);
    writeFileSync(evaluationRecordPath(dir), JSON.stringify({ format: 'cohortfl-evaluations/1', evaluated: [{ round: 'x' }] }));
    expect(() => loadEvaluationGuard(dir)).toThrow(/evaluated-models\.json: .*damaged/);
  });
});
