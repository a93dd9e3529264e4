import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, mlp } from '@cohortfl/ml';
import { createRandom } from '@cohortfl/protocol';
import { defineTask, type Task } from './define-task.js';
import { simulate, type SimulationEvent } from './simulate.js';
import { trainLocalOnly, trainPooled } from './baselines.js';

let root: string;
let task: Task;
let secureTask: Task;
const SITES = [
  { name: 'alpha', n: 240 },
  { name: 'beta', n: 160 },
  { name: 'gamma', n: 120 },
];

/** Learnable toy hospitals: risk rises with age and with the ALT dosage of rs2. */
function writeSite(dir: string, n: number, seed: number): void {
  mkdirSync(dir, { recursive: true });
  const rnd = createRandom(seed);
  const rows = ['sample_id,age,sex,consent,y'];
  const gts: string[] = [];
  for (let i = 0; i < n; i++) {
    const age = 20 + Math.floor(rnd() * 60);
    const dosage = (rnd() < 0.4 ? 1 : 0) + (rnd() < 0.4 ? 1 : 0);
    const logit = (age - 50) / 8 + 1.2 * dosage - 1;
    const y = rnd() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    rows.push(`${dir.slice(-5)}-${i},${age},${rnd() < 0.5 ? 'M' : 'F'},1,${y}`);
    gts.push(['0/0', '0/1', '1/1'][dosage]!);
  }
  writeFileSync(join(dir, 'clinical.csv'), `${rows.join('\n')}\n`);
  const ids = rows.slice(1).map((r) => r.split(',')[0]);
  const rs1 = ids.map((_, i) => (i % 3 === 0 ? '0/1' : '0/0'));
  writeFileSync(
    join(dir, 'genotypes.vcf'),
    [
      '##fileformat=VCFv4.2',
      '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
      ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...ids].join('\t'),
      ['1', '100', 'rs1', 'A', 'G', '.', 'PASS', '.', 'GT', ...rs1].join('\t'),
      ['1', '200', 'rs2', 'C', 'T', '.', 'PASS', '.', 'GT', ...gts].join('\t'),
      '',
    ].join('\n'),
  );
}

beforeAll(async () => {
  await initBackend();
  root = mkdtempSync(join(tmpdir(), 'cohortfl-sim-'));
  SITES.forEach((s, i) => writeSite(join(root, s.name), s.n, 100 + i));
  task = defineTask({
    name: 'toy',
    version: '1',
    model: ({ inputDim }) => mlp({ inputDim, hidden: [] }),
    schema: {
      label: { name: 'y' },
      clinical: [{ name: 'age', type: 'number', range: [18, 90] }, { name: 'sex', type: 'category', values: ['M', 'F'] }],
      genomic: { variants: ['rs1', 'rs2'] },
      consent: 'consent',
    },
    training: { epochs: 2, batchSize: 32, optimizer: 'adam', learningRate: 0.05 },
    strategy: { name: 'fedavg' },
    rounds: 4,
    minSites: 2,
    seed: 3,
    secureAggregation: false,
  });
  const { model: _m, secureAggregation: _s, ...rest } = task;
  secureTask = defineTask({ ...rest, model: task.model, secureAggregation: { clip: 5 } });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sites = () => SITES.map((s) => ({ name: s.name, dataDir: join(root, s.name) }));

describe('simulate', () => {
  it('runs the federation on the round engine and learns', async () => {
    const seen: number[] = [];
    // Validation splits of 24 to 48 records: below the default small-cell rule, so the fixture sets it to 1.
    const result = await simulate(task, { sites: sites(), seed: 11, minCellSize: 1, onRound: (r) => seen.push(r.round) });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(result.rounds.every((r) => r.trained.length === 3 && r.perSite.length === 3)).toBe(true);
    expect(result.federated.auc).toBeGreaterThan(0.75);
    expect(result.perSite.map((p) => p.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(result.perSite.reduce((s, p) => s + p.validation, 0)).toBe(result.federated.n);
    expect(['wasm', 'cpu', 'tensorflow']).toContain(result.backend);
    expect(result.rounds.at(-1)!.trainLoss).toBeLessThan(result.rounds[0]!.trainLoss);
  });

  it('is repeatable for a seed', async () => {
    const a = await simulate(task, { sites: sites(), seed: 5, rounds: 2 });
    const b = await simulate(task, { sites: sites(), seed: 5, rounds: 2, datasets: a.datasets });
    expect(Buffer.from(b.weights.buffer).equals(Buffer.from(a.weights.buffer))).toBe(true);
  });

  it('leaves out dropped sites and stragglers, retrying rounds that fall below the minimum', async () => {
    const events: SimulationEvent[] = [];
    const result = await simulate(task, { sites: sites(), seed: 2, rounds: 4, dropout: 0.25, stragglers: 0.15, maxAttempts: 20, onEvent: (e) => events.push(e) });
    const dropped = events.filter((e) => e.kind === 'dropped').length;
    const late = events.filter((e) => e.kind === 'straggled').length;
    expect(dropped + late).toBeGreaterThan(0);
    expect(result.rounds).toHaveLength(4);
    const failures = result.rounds.flatMap((r) => r.failures.map((f) => f.reason));
    expect(failures.every((f) => f === 'TIMEOUT')).toBe(true);
    // A straggler's late update arrives after its phase closed and is refused, never aggregated.
    if (late > 0) expect(events.some((e) => e.kind === 'rejected')).toBe(true);
    for (const r of result.rounds) expect(r.trained.length).toBeGreaterThanOrEqual(2);
  });

  it('gives up with a clear error when every attempt loses too many sites', async () => {
    await expect(simulate(task, { sites: sites(), seed: 1, rounds: 1, dropout: 1, maxAttempts: 2 })).rejects.toThrow(/failed 2 attempts/);
  });

  it('computes pooled and local-only references on the same data', async () => {
    const { datasets } = await simulate(task, { sites: sites(), seed: 4, rounds: 1 });
    const pooled = await trainPooled(task, datasets, { rounds: 2 });
    const local = await trainLocalOnly(task, datasets, { rounds: 2 });
    expect(pooled.auc).toBeGreaterThan(0.7);
    expect(local.map((l) => l.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(local.every((l) => l.unionAuc > 0.5 && l.unionAuc <= 1)).toBe(true);
  });

  it('with secure aggregation, learns the same model up to quantization noise', async () => {
    const plain = await simulate(task, { sites: sites(), seed: 9, rounds: 3 });
    const secure = await simulate(secureTask, { sites: sites(), seed: 9, rounds: 3, datasets: plain.datasets });
    expect(secure.rounds.every((r) => r.trained.length === 3)).toBe(true);
    let maxDiff = 0;
    for (let i = 0; i < plain.weights.length; i++) maxDiff = Math.max(maxDiff, Math.abs(plain.weights[i]! - secure.weights[i]!));
    expect(maxDiff).toBeLessThan(1e-3);
    expect(maxDiff).toBeGreaterThan(0); // stochastic rounding really ran
    expect(Math.abs(secure.federated.auc - plain.federated.auc)).toBeLessThan(0.005);
    expect(secure.rounds[0]!.trainLoss).toBeCloseTo(plain.rounds[0]!.trainLoss, 3);
  });

  it('with secure aggregation, completes rounds when sites drop in its later steps', async () => {
    const events: SimulationEvent[] = [];
    // Three hospitals can lose one only when no colluder is assumed: t = 2 of 3 (with one, t = 3).
    // The seed's drops never cost a reveal step its threshold: without DP, sites that revealed
    // refuse a retry of the round (coordinator-run.test.ts and the malicious-coordinator suite cover that).
    const { model: _m, secureAggregation: _s, ...rest } = secureTask;
    const lenient = defineTask({ ...rest, model: task.model, secureAggregation: { clip: 5, colluders: 0 } });
    const result = await simulate(lenient, { sites: sites(), seed: 23, rounds: 3, dropout: 0, secureDropout: 0.12, maxAttempts: 30, onEvent: (e) => events.push(e) });
    const droppedSteps = new Set(events.flatMap((e) => (e.kind === 'dropped' ? [e.phase] : [])));
    expect(droppedSteps.size).toBeGreaterThan(0);
    expect(result.rounds).toHaveLength(3);
    for (const r of result.rounds) expect(r.trained.length).toBeGreaterThanOrEqual(2);
  });

  it('with site-level DP under secure aggregation, charges every site its distributed discrete Gaussian ε', async () => {
    const { model: _m, secureAggregation: _s, privacy: _p, ...rest } = secureTask;
    const dpTask = defineTask({ ...rest, model: task.model, secureAggregation: { clip: 5 }, privacy: { unit: 'site', clip: 0.5, noiseMultiplier: 1, delta: 1e-5 } });
    const result = await simulate(dpTask, { sites: sites(), seed: 3, rounds: 2 });
    expect(result.privacy?.unit).toBe('site');
    const spent = result.privacy!.perSite.map((p) => p.epsilonSpent);
    expect(spent.every((e) => e > 0 && Number.isFinite(e))).toBe(true);
    // All sites took part in both rounds under the same mechanism: the same ε.
    expect(Math.max(...spent) - Math.min(...spent)).toBeLessThan(1e-9);
    expect(result.privacy!.perSite.every((p) => p.rounds === 2)).toBe(true);
    const { computeEpsilon } = await import('@cohortfl/privacy');
    // The distributed discrete Gaussian never costs less ε than the central Gaussian it approximates.
    expect(spent[0]!).toBeGreaterThanOrEqual(computeEpsilon({ noiseMultiplier: 1, samplingRate: 1, steps: 2, delta: 1e-5 }).epsilon - 1e-6);
  });

  it('skips a site whose budget is spent and goes on with the others', async () => {
    const { model: _m, secureAggregation: _s, privacy: _p, ...rest } = task;
    const dpTask = defineTask({ ...rest, model: task.model, secureAggregation: false, privacy: { unit: 'site', clip: 0.5, noiseMultiplier: 2, delta: 1e-5 } });
    const { computeEpsilon } = await import('@cohortfl/privacy');
    const oneRound = computeEpsilon({ noiseMultiplier: 2, samplingRate: 1, steps: 1, delta: 1e-5 }).epsilon;
    const twoRounds = computeEpsilon({ noiseMultiplier: 2, samplingRate: 1, steps: 2, delta: 1e-5 }).epsilon;
    const result = await simulate(dpTask, { sites: sites(), seed: 3, rounds: 4, budgets: { gamma: { epsilonMax: (oneRound + twoRounds) / 2, delta: 1e-5 } } });
    expect(result.rounds).toHaveLength(4);
    const gamma = result.privacy!.perSite.find((p) => p.name === 'gamma')!;
    expect(gamma.rounds).toBe(1);
    expect(gamma.refusedRounds).toBe(1);
    expect(gamma.epsilonSpent).toBeLessThanOrEqual((oneRound + twoRounds) / 2);
    expect(result.rounds.slice(2).every((r) => !r.trained.includes('gamma') && r.trained.length === 2)).toBe(true);
  });

  it('with patient-level DP-SGD, each site plans and charges its own steps', async () => {
    const { model: _m, secureAggregation: _s, privacy: _p, ...rest } = secureTask;
    const dpTask = defineTask({ ...rest, model: task.model, secureAggregation: { clip: 5 }, privacy: { unit: 'patient', clip: 1, targetEpsilon: 4, delta: 1e-5 } });
    const result = await simulate(dpTask, { sites: sites(), seed: 3, rounds: 2 });
    for (const p of result.privacy!.perSite) {
      expect(p.epsilonSpent).toBeGreaterThan(0);
      expect(p.epsilonSpent).toBeLessThanOrEqual(4 + 1e-6);
    }
    expect(result.federated.auc).toBeGreaterThan(0.5);
  });

  it('reports fairness from score histograms, and validates externally on a held-out site', async () => {
    const result = await simulate(task, { sites: sites(), seed: 8, rounds: 2, holdOut: ['gamma'] });
    expect(result.rounds.every((r) => !r.trained.includes('gamma') && r.trained.length === 2)).toBe(true);
    expect(result.external.map((e) => e.name)).toEqual(['gamma']);
    expect(result.external[0]!.auc).toBe(result.perSite.find((p) => p.name === 'gamma')!.auc);
    const f = result.fairness!;
    expect(f.perSite.map((p) => p.site)).toEqual(['alpha', 'beta', 'gamma']);
    // Binned AUC of the pooled histograms vs the exact AUC on the union of validation splits.
    expect(Math.abs(f.pooled.metrics.auc - result.federated.auc)).toBeLessThan(0.002);
    expect(f.pooled.metrics.n).toBe(result.federated.n);
    await expect(simulate(task, { sites: sites(), holdOut: ['nowhere'] })).rejects.toThrow(/not one of the sites/);
  });

  it('refuses an empty or duplicated site list', async () => {
    await expect(simulate(task, { sites: [] })).rejects.toThrow(/at least one site/);
    await expect(simulate(task, { sites: [...sites(), sites()[0]!] })).rejects.toThrow(/unique/);
  });
});
