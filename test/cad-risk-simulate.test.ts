// The acceptance check for the foundation, run as a test: on the cad-risk
// federation (5 synthetic hospitals, 20 rounds) the federated model's AUC is
// within 0.02 of the pooled reference and above every local-only model's AUC on
// the union of validation sets. Runs the built CLI exactly as `pnpm simulate --json`.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../examples/cad-risk/dist/simulate-cli.js', import.meta.url));

const simulateJson = async (args: string[]) => {
  const { stdout } = await promisify(execFile)(process.execPath, [cli, '--json', ...args], {
    env: { ...process.env, COHORTFL_QUIET: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
};

describe('pnpm simulate --json (cad-risk)', () => {
  it('matches pooled training within 0.02 AUC and beats every local-only model; secure aggregation costs < 0.005 AUC', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohortfl-cad-'));
    try {
      const reportPath = join(dir, 'report.html');
      const result = await simulateJson(['--data', dir, '--report', reportPath]);
      expect(result.secureAggregation).toBe(true);
      // --report: one self-contained page whose data are this run's rounds and sites.
      const html = readFileSync(reportPath, 'utf8');
      expect(html).not.toMatch(/(src|href)="https?:/);
      const report = JSON.parse(/<script type="application\/json" id="cohort-report-data">([\s\S]*?)<\/script>/.exec(html)![1]!);
      expect(report.series.rounds).toHaveLength(20);
      expect(report.series.rounds[19].auc).toBeGreaterThan(0.7);
      expect(Object.keys(report.series.rounds[19].groupAucGap)).toContain('ancestry');
      expect(report.sites.map((s: { site: string }) => s.site).sort()).toEqual(result.perSite.map((s: { name: string }) => s.name).sort());
      expect(report.series.rounds.every((r: { bytesReceived: null }) => r.bytesReceived === null)).toBe(true);
      expect(result.rounds).toHaveLength(20);
      expect(result.perSite).toHaveLength(5);
      expect(result.perSite.every((s: { n: number; auc: number }) => s.n >= 290 && s.auc > 0.5)).toBe(true);
      expect(Math.abs(result.federated.auc - result.pooled.auc)).toBeLessThanOrEqual(0.02);
      for (const local of result.localOnly) expect(result.federated.auc).toBeGreaterThan(local.unionAuc);
      expect(result.federated.auc).toBeGreaterThan(0.7);
      expect(['wasm', 'cpu', 'tensorflow']).toContain(result.backend);
      expect(result.seconds).toBeGreaterThan(0);

      const plaintext = await simulateJson(['--data', dir, '--plaintext']);
      expect(plaintext.secureAggregation).toBe(false);
      expect(Math.abs(result.federated.auc - plaintext.federated.auc)).toBeLessThan(0.005);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('with --dp, reports ε spent per site within the target and the AUC with and without DP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohortfl-cad-dp-'));
    try {
      for (const unit of ['site', 'patient']) {
        const result = await simulateJson(['--data', dir, '--dp', unit, '--epsilon', '8', '--rounds', '2']);
        expect(result.privacy.unit).toBe(unit);
        expect(result.privacy.perSite).toHaveLength(5);
        for (const p of result.privacy.perSite) {
          expect(p.rounds).toBe(2);
          expect(p.epsilonSpent).toBeGreaterThan(0);
          expect(p.epsilonSpent).toBeLessThanOrEqual(8 + 1e-9);
        }
        expect(result.privacy.aucWithDp).toBe(result.federated.auc);
        expect(result.privacy.aucWithoutDp).toBeGreaterThan(0.6);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
