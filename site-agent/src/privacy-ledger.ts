/**
 * The hospital's privacy ledger on disk: `<stateDir>/privacy-ledger.json`, one
 * per site, shared by every task it joins (the budget protects the same patients
 * whatever the task). It is read at start with the policy's budget applied over
 * what was stored, and replaced atomically after every charge, before the update
 * it pays for leaves the site. A damaged file stops the agent: starting from an
 * empty ledger would forget ε already spent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLedger, ledgerFromJSON, type Ledger } from '@cohortfl/privacy';
import { CohortError, isCohortError } from '@cohortfl/wire';
import { writeFileAtomic } from './atomic-file.js';
import type { PrivacyBudget } from './config-schema.js';

export const LEDGER_FILE = 'privacy-ledger.json';

export function ledgerPath(stateDir: string): string {
  return join(stateDir, LEDGER_FILE);
}

/** The stored ledger JSON, or undefined when the site has spent nothing yet. */
function readLedgerJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CohortError('CONFIG_INVALID', `cannot read the privacy ledger ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw damaged(path, 'not valid JSON', error);
  }
}

/** The site's ledger: the stored one under the policy's budget, else a fresh one. */
export function loadLedger(stateDir: string, budget: PrivacyBudget): Ledger {
  const path = ledgerPath(stateDir);
  const json = readLedgerJson(path);
  if (json === undefined) return createLedger(budget);
  try {
    return ledgerFromJSON(json, budget);
  } catch (error) {
    if (isCohortError(error) && error.code === 'CONFIG_INVALID') throw error;
    throw damaged(path, (error as Error).message, error);
  }
}

/** ε spent so far according to the stored ledger (0 when none), without a budget to apply. */
export function storedLedger(stateDir: string): Ledger | undefined {
  const path = ledgerPath(stateDir);
  const json = readLedgerJson(path);
  if (json === undefined) return undefined;
  try {
    return ledgerFromJSON(json);
  } catch (error) {
    throw damaged(path, (error as Error).message, error);
  }
}

export function saveLedger(stateDir: string, ledger: Ledger): void {
  writeFileAtomic(stateDir, LEDGER_FILE, `${JSON.stringify(ledger.toJSON(), null, 2)}\n`);
}

function damaged(path: string, why: string, cause: unknown): CohortError {
  return new CohortError(
    'DATA_INVALID',
    `the privacy ledger ${path} is damaged (${why}); restore it from a backup — deleting it would forget the privacy budget already spent`,
    { cause },
  );
}
