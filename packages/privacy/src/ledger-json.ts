import { CohortError } from '@cohortfl/wire';
import type { LedgerConfig, LedgerEntry, LedgerState } from './ledger.js';
import type { Mechanism } from './mechanism.js';

/** JSON has no ∞: RDP values that are +∞ are written as the string "Infinity". */
export type JsonNumber = number | 'Infinity';

export interface LedgerJSON {
  format: 'cohortfl/privacy-ledger';
  version: 1;
  config: { epsilonMax: number; delta: number; noiseFloor: number; orders: number[] };
  spentRdp: JsonNumber[];
  rounds: number;
  history: Array<{ round: number; mechanism: unknown; epsilonAfter: JsonNumber; order: number; label?: string }>;
}

const FORMAT = 'cohortfl/privacy-ledger';

const encode = (x: number): JsonNumber => (x === Number.POSITIVE_INFINITY ? 'Infinity' : x);

function encodeMechanism(m: Mechanism): unknown {
  return m.kind === 'rdp' ? { ...m, rdp: m.rdp.map(encode) } : m;
}

export function ledgerToJSON(config: Required<LedgerConfig>, state: LedgerState): LedgerJSON {
  return {
    format: FORMAT,
    version: 1,
    config: { epsilonMax: config.epsilonMax, delta: config.delta, noiseFloor: config.noiseFloor, orders: [...config.orders] },
    spentRdp: state.spentRdp.map(encode),
    rounds: state.rounds,
    history: state.history.map((e) => ({
      round: e.round,
      mechanism: encodeMechanism(e.mechanism),
      epsilonAfter: encode(e.epsilonAfter),
      order: e.order,
      ...(e.label === undefined ? {} : { label: e.label }),
    })),
  };
}

const invalid = (message: string): CohortError => new CohortError('DATA_INVALID', `privacy ledger: ${message}`);

function record(value: unknown, where: string, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${where} must be an object`);
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!required.includes(key) && !optional.includes(key)) throw invalid(`${where} has an unknown field '${key}'`);
  }
  for (const key of required) if (!(key in obj)) throw invalid(`${where} is missing '${key}'`);
  return obj;
}

function decodeNumber(value: unknown, where: string): number {
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${where} must be a finite number or "Infinity"`);
  return value;
}

function numberArray(value: unknown, where: string): number[] {
  if (!Array.isArray(value)) throw invalid(`${where} must be an array`);
  return value.map((v, i) => decodeNumber(v, `${where}[${i}]`));
}

function decodeMechanism(value: unknown, where: string): Mechanism {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind === 'gaussian') return record(value, where, ['kind', 'noiseMultiplier', 'samplingRate', 'steps']) as unknown as Mechanism;
  if (kind === 'distributed-discrete-gaussian') {
    const m = record(value, where, ['kind', 'params']);
    record(m.params, `${where}.params`, ['l2Clip', 'grid', 'dimension', 'perSiteVariance', 'minSites', 'rounds'], ['samplingRate', 'roundingBeta']);
    return m as unknown as Mechanism;
  }
  if (kind === 'rdp') {
    const m = record(value, where, ['kind', 'rdp'], ['noiseMultiplier']);
    return { ...m, rdp: numberArray(m.rdp, `${where}.rdp`) } as unknown as Mechanism;
  }
  throw invalid(`${where}.kind must be 'gaussian', 'distributed-discrete-gaussian' or 'rdp'`);
}

/** Structural decoding of a stored ledger (values are re-checked when the ledger is rebuilt). */
export function parseLedgerJSON(value: unknown): { config: Required<LedgerConfig>; spentRdp: number[]; rounds: number; history: LedgerEntry[] } {
  const top = record(value, 'ledger', ['format', 'version', 'config', 'spentRdp', 'rounds', 'history']);
  if (top.format !== FORMAT) throw invalid(`format must be '${FORMAT}'`);
  if (top.version !== 1) throw invalid(`version ${String(top.version)} is not supported (expected 1)`);
  const c = record(top.config, 'config', ['epsilonMax', 'delta', 'noiseFloor', 'orders']);
  const config = {
    epsilonMax: decodeNumber(c.epsilonMax, 'config.epsilonMax'),
    delta: decodeNumber(c.delta, 'config.delta'),
    noiseFloor: decodeNumber(c.noiseFloor, 'config.noiseFloor'),
    orders: numberArray(c.orders, 'config.orders'),
  };
  const spentRdp = numberArray(top.spentRdp, 'spentRdp');
  if (typeof top.rounds !== 'number' || !Number.isSafeInteger(top.rounds) || top.rounds < 0) throw invalid('rounds must be a non-negative integer');
  if (!Array.isArray(top.history)) throw invalid('history must be an array');
  const history = top.history.map((raw, i): LedgerEntry => {
    const where = `history[${i}]`;
    const e = record(raw, where, ['round', 'mechanism', 'epsilonAfter', 'order'], ['label']);
    if (e.round !== i + 1) throw invalid(`${where}.round must be ${i + 1}`);
    if (e.label !== undefined && typeof e.label !== 'string') throw invalid(`${where}.label must be a string`);
    const entry: LedgerEntry = {
      round: i + 1,
      mechanism: decodeMechanism(e.mechanism, `${where}.mechanism`),
      epsilonAfter: decodeNumber(e.epsilonAfter, `${where}.epsilonAfter`),
      order: decodeNumber(e.order, `${where}.order`),
    };
    if (typeof e.label === 'string') entry.label = e.label;
    return entry;
  });
  if (top.rounds !== history.length) throw invalid(`rounds (${top.rounds}) must equal the number of history entries (${history.length})`);
  return { config, spentRdp, rounds: top.rounds, history };
}
