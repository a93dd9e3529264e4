// The `report` command on a store seeded with two rounds, and the evaluation gauges
// set from a completed round.
import { afterEach, describe, expect, it } from 'vitest';
import { encodePublicKey } from '@cohortfl/identity';
import { runCli } from './cli-app.js';
import { setEvalGauges } from './eval-gauges.js';
import { makeDataDir, removeDataDirs, withStore } from './fixtures.test-suite.js';
import { createMetrics } from './metrics.js';
import type { SaveRoundInput } from './store/index.js';

afterEach(() => removeDataDirs());

const TASK_HASH = 'ab'.repeat(32);

function round(runId: number, n: number, auc: { alpha: number; beta: number }): SaveRoundInput {
  return {
    runId,
    round: n,
    attempt: 1,
    cohort: ['alpha', 'beta'],
    trained: ['alpha', 'beta'],
    failures: [],
    trainMetrics: { loss: 0.5 },
    evalMetrics: { auc: 0.7, 'pooled/auc': 0.7 + n / 100, 'sites/worstAuc': auc.beta, 'sites/aucSpread': auc.alpha - auc.beta, 'ancestry/aucGap': 0.1 / n, 'sex/aucGap': 0.05 },
    perSite: [
      { site: 'alpha', numExamples: 120, metrics: { auc: auc.alpha, loss: 0.4, 'auc/ancestry=EUR': 0.8, 'auc/ancestry=AFR': 0.7 } },
      { site: 'beta', numExamples: 80, metrics: { auc: auc.beta, loss: 0.45, 'auc/ancestry=EUR': 0.66 } },
    ],
    weights: new Float32Array([0.1, -0.2, 0.3]),
    strategyState: { name: 'fedavg' },
    startedAt: 10_000 * n,
    finishedAt: 10_000 * n + 500,
  };
}

async function seeded(): Promise<string> {
  const dir = await makeDataDir();
  withStore(dir, (store) => {
    store.addSite({ name: 'alpha', publicKey: encodePublicKey(new Uint8Array(32).fill(1)), at: 1 });
    store.addSite({ name: 'beta', publicKey: encodePublicKey(new Uint8Array(32).fill(2)), at: 1 });
    store.publishTask({ hash: TASK_HASH, name: 'cad-risk', version: '1', manifestJson: '{}', at: 2 });
    const run = store.createRun({ taskHash: TASK_HASH, rounds: 3, config: {}, at: 3 });
    for (const [n, auc] of [[1, { alpha: 0.75, beta: 0.6 }], [2, { alpha: 0.8125, beta: 0.625 }]] as const) {
      store.startAttempt({ runId: run.id, round: n, attempt: 1, at: 10_000 * n });
      store.saveRound(round(run.id, n, auc));
    }
  });
  return dir;
}

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
  return { code, text: out.join('\n'), err: err.join('\n') };
}

describe('cohort-coordinator report', () => {
  it('prints the headline numbers per round and a per-site table with subgroup AUCs', async () => {
    const dir = await seeded();
    const r = await cli(['report', '--data-dir', dir]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.text).toContain('run 1: task cad-risk, running, 2 of 3 rounds completed');
    // Round rows: pooled AUC 0.71 / 0.72, worst site 0.600 / 0.625, gaps 0.100 / 0.050.
    expect(r.text).toMatch(/│ 1 +│ 1 +│ 0\.710 +│ 0\.600 +│ 0\.150 +│ 0\.100 +│ 0\.050 +│/);
    expect(r.text).toMatch(/│ 2 +│ 1 +│ 0\.720 +│ 0\.625 +│ 0\.188 +│ 0\.050 +│ 0\.050 +│/);
    expect(r.text).toContain('AUC gap ancestry');
    expect(r.text).toContain('sites in round 2:');
    expect(r.text).toContain('AUC ancestry=AFR');
    expect(r.text).toMatch(/│ alpha +│ 120 +│ 0\.813 +│ 0\.700 +│ 0\.800 +│/);
    // beta has no AFR AUC (e.g. one class only): shown as '-'.
    expect(r.text).toMatch(/│ beta +│ 80 +│ 0\.625 +│ - +│ 0\.660 +│/);
    expect(r.text).not.toMatch(/\u001b\[/);
  });

  it('--json prints the same data', async () => {
    const dir = await seeded();
    const r = await cli(['report', '--json', '--run', '1', '--data-dir', dir]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.text);
    expect(report.run).toEqual({ id: 1, task: 'cad-risk', status: 'running', rounds: 3 });
    expect(report.rounds[1]).toEqual({ round: 2, attempt: 1, pooledAuc: 0.72, worstSiteAuc: 0.625, aucSpread: 0.1875, aucGap: { ancestry: 0.05, sex: 0.05 } });
    expect(report.lastRound.round).toBe(2);
    expect(report.lastRound.sites).toEqual([
      { site: 'alpha', numExamples: 120, auc: 0.8125, subgroupAuc: { 'ancestry=EUR': 0.8, 'ancestry=AFR': 0.7 } },
      { site: 'beta', numExamples: 80, auc: 0.625, subgroupAuc: { 'ancestry=EUR': 0.66 } },
    ]);
  });

  it('refuses an unknown run and says so when there is no run yet', async () => {
    const dir = await seeded();
    const missing = await cli(['report', '--run', '9', '--data-dir', dir]);
    expect(missing.code).toBe(14);
    expect(missing.err).toContain('no run 9');
    expect((await cli(['report', '--run', '0', '--data-dir', dir])).code).toBe(2);
    const empty = await makeDataDir();
    expect((await cli(['report', '--data-dir', empty])).text).toBe('no runs yet');
    expect(JSON.parse((await cli(['report', '--json', '--data-dir', empty])).text)).toEqual({ run: null, rounds: [], lastRound: null });
  });
});

describe('evaluation gauges', () => {
  const text = async (m: ReturnType<typeof createMetrics>) => m.registry.metrics();

  it('sets site AUCs, pooled and worst-site AUC and the fairness gaps; only the latest round shows', async () => {
    const m = createMetrics();
    setEvalGauges(m, {
      evalMetrics: { 'pooled/auc': 0.74, 'sites/worstAuc': 0.61, 'ancestry/aucGap': 0.12, 'sex/demographicParityDifference': 0.08, 'pooled/brier': 0.2, 'sex/other': 1 },
      perSite: [
        { site: 'alpha', metrics: { auc: 0.8, 'auc/sex=F': 0.77 } },
        { site: 'gamma', metrics: { auc: 0.61 } },
      ],
    });
    let t = await text(m);
    expect(t).toMatch(/^cohort_site_auc\{site="alpha"\} 0\.8$/m);
    expect(t).toMatch(/^cohort_site_auc\{site="gamma"\} 0\.61$/m);
    expect(t).toMatch(/^cohort_fairness_gap\{column="ancestry",metric="aucGap"\} 0\.12$/m);
    expect(t).toMatch(/^cohort_fairness_gap\{column="sex",metric="demographicParityDifference"\} 0\.08$/m);
    expect(t).not.toMatch(/metric="other"|column="pooled"|sex=F/);
    expect(t).toMatch(/^cohort_pooled_auc 0\.74$/m);
    expect(t).toMatch(/^cohort_worst_site_auc 0\.61$/m);

    // A round without histograms: no pooled AUC, worst site from the sites' AUCs, gamma gone.
    setEvalGauges(m, { evalMetrics: { auc: 0.7 }, perSite: [{ site: 'alpha', metrics: { auc: 0.7 } }, { site: 'beta', metrics: { auc: 0.65, loss: Number.NaN } }] });
    t = await text(m);
    expect(t).not.toContain('site="gamma"');
    expect(t).not.toMatch(/^cohort_fairness_gap\{/m);
    // prom-client writes "Nan"; Prometheus parses it as NaN (no value), not a stale AUC.
    expect(t).toMatch(/^cohort_pooled_auc nan$/im);
    expect(t).toMatch(/^cohort_worst_site_auc 0\.65$/m);
  });
});
