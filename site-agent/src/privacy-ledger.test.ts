import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mechanism } from '@cohortfl/privacy';
import { isCohortError } from '@cohortfl/wire';
import { LEDGER_FILE, ledgerPath, loadLedger, saveLedger, storedLedger } from './privacy-ledger.js';
import { removeTempDirs, tempDir } from './site-fixtures.test-suite.js';

const budget = { epsilonMax: 5, delta: 1e-5, noiseFloor: 0 };
const round: Mechanism = { kind: 'gaussian', noiseMultiplier: 2, samplingRate: 1, steps: 1 };

afterAll(removeTempDirs);

function codeOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    return isCohortError(error) ? `${error.code}: ${error.message}` : String(error);
  }
  throw new Error('expected an error');
}

describe('privacy ledger file', () => {
  it('starts empty, and a reloaded ledger (a restarted site) keeps the ε and rounds it spent', () => {
    const dir = tempDir();
    const fresh = loadLedger(dir, budget);
    expect(fresh.epsilonSpent()).toBe(0);
    expect(storedLedger(dir)).toBeUndefined();
    fresh.commit(round, 'task round 1');
    fresh.commit(round, 'task round 2');
    saveLedger(dir, fresh);
    expect(statSync(ledgerPath(dir)).mode & 0o777).toBe(0o600);
    const again = loadLedger(dir, budget);
    expect(again.epsilonSpent()).toBe(fresh.epsilonSpent());
    expect(again.epsilonSpent()).toBeGreaterThan(3);
    expect(again.state().rounds).toBe(2);
    expect(again.state().history.map((e) => e.label)).toEqual(['task round 1', 'task round 2']);
    expect(storedLedger(dir)!.epsilonSpent()).toBe(fresh.epsilonSpent());
  });

  it('applies the policy\'s current budget over the stored one: a lowered ε_max refuses the next round', () => {
    const dir = tempDir();
    const ledger = loadLedger(dir, budget);
    ledger.commit(round);
    saveLedger(dir, ledger);
    const spent = ledger.epsilonSpent();
    const tighter = loadLedger(dir, { ...budget, epsilonMax: spent + 0.1 });
    expect(tighter.config.epsilonMax).toBe(spent + 0.1);
    expect(tighter.epsilonSpent()).toBe(spent);
    expect(tighter.preview(round)).toMatchObject({ allowed: false, refusal: 'BUDGET_EXHAUSTED' });
    expect(loadLedger(dir, { ...budget, noiseFloor: 3 }).preview(round)).toMatchObject({ allowed: false, refusal: 'POLICY_REFUSED' });
  });

  it('refuses a damaged ledger rather than forgetting what was spent', () => {
    const dir = tempDir();
    const ledger = loadLedger(dir, budget);
    ledger.commit(round);
    saveLedger(dir, ledger);
    const json = JSON.parse(readFileSync(join(dir, LEDGER_FILE), 'utf8'));
    json.spentRdp = json.spentRdp.map(() => 0); // a lowered total under a history that says otherwise
    writeFileSync(join(dir, LEDGER_FILE), JSON.stringify(json));
    expect(codeOf(() => loadLedger(dir, budget))).toMatch(/^DATA_INVALID: the privacy ledger .*privacy-ledger\.json is damaged .*below what its history implies/);
    writeFileSync(join(dir, LEDGER_FILE), '{ half a file');
    expect(codeOf(() => loadLedger(dir, budget))).toMatch(/^DATA_INVALID: .*not valid JSON.*deleting it would forget/);
    expect(codeOf(() => storedLedger(dir))).toMatch(/^DATA_INVALID: /);
    expect(existsSync(join(dir, LEDGER_FILE))).toBe(true); // never replaced by an empty one
  });
});
