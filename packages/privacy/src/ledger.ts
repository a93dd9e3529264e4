import { CohortError } from '@cohortfl/wire';
import { type LedgerJSON, ledgerToJSON, parseLedgerJSON } from './ledger-json.js';
import { type Mechanism, canonicalMechanism, mechanismNoiseMultiplier, mechanismRdp } from './mechanism.js';
import { rdpToEpsilon } from './rdp-conversion.js';
import { DEFAULT_ORDERS } from './rdp-orders.js';
import { configError, requireDelta, requireNonNegative, requireOrders, requirePositive } from './validate.js';

export interface LedgerConfig {
  /** ε the site will never exceed (at `delta`). */
  epsilonMax: number;
  delta: number;
  /** Smallest noise multiplier the site accepts; 0 disables the check. */
  noiseFloor: number;
  /** RDP orders tracked; DEFAULT_ORDERS if omitted. Fixed for the ledger's life. */
  orders?: readonly number[];
}

export interface LedgerEntry {
  /** 1-based index of the committed release. */
  round: number;
  mechanism: Mechanism;
  epsilonAfter: number;
  order: number;
  label?: string;
}

export interface LedgerState {
  orders: readonly number[];
  spentRdp: number[];
  rounds: number;
  history: LedgerEntry[];
}

export interface LedgerPreview {
  epsilonAfter: number;
  order: number;
  allowed: boolean;
  /** Why it is not allowed: the hospital's noise floor, or the budget. */
  refusal?: 'POLICY_REFUSED' | 'BUDGET_EXHAUSTED';
  reason?: string;
}

export interface Ledger {
  readonly config: Readonly<Required<LedgerConfig>>;
  /** A copy of the state. */
  state(): LedgerState;
  /** What committing `mechanism` would do; changes nothing. */
  preview(mechanism: Mechanism): LedgerPreview;
  /** Records the release, or throws POLICY_REFUSED / BUDGET_EXHAUSTED and records nothing. */
  commit(mechanism: Mechanism, label?: string): LedgerEntry;
  /** ε spent so far at the ledger's δ. */
  epsilonSpent(): number;
  /** Everything needed to rebuild the ledger with ledgerFromJSON. */
  toJSON(): LedgerJSON;
}

function validateConfig(config: LedgerConfig): Required<LedgerConfig> {
  if (typeof config !== 'object' || config === null) throw configError('ledger config must be an object');
  return {
    epsilonMax: requirePositive('epsilonMax', config.epsilonMax),
    delta: requireDelta(config.delta),
    noiseFloor: requireNonNegative('noiseFloor', config.noiseFloor),
    orders: Object.freeze([...requireOrders(config.orders ?? DEFAULT_ORDERS)]),
  };
}

function buildLedger(cfg: Required<LedgerConfig>, spent: number[], history: LedgerEntry[]): Ledger {
  const evaluate = (mechanism: Mechanism): LedgerPreview & { rdp: number[] } => {
    const rdp = mechanismRdp(mechanism, cfg.orders);
    const after = spent.map((r, k) => r + rdp[k]!);
    const { epsilon, order } = rdpToEpsilon(cfg.orders, after, cfg.delta);
    const multiplier = mechanismNoiseMultiplier(mechanism, cfg.orders);
    // The hospital's own rule comes first, whatever the budget says.
    if (cfg.noiseFloor > 0 && (multiplier === undefined || !(multiplier >= cfg.noiseFloor))) {
      const reason =
        multiplier === undefined
          ? `the release states no noise multiplier; this site requires at least ${cfg.noiseFloor}`
          : `noise multiplier ${multiplier} is below this site's floor ${cfg.noiseFloor}`;
      return { epsilonAfter: epsilon, order, allowed: false, refusal: 'POLICY_REFUSED', reason, rdp };
    }
    if (!(epsilon <= cfg.epsilonMax)) {
      const before = rdpToEpsilon(cfg.orders, spent, cfg.delta).epsilon;
      const reason = `the release would raise ε from ${before} to ${epsilon}, above this site's budget ${cfg.epsilonMax} (δ = ${cfg.delta})`;
      return { epsilonAfter: epsilon, order, allowed: false, refusal: 'BUDGET_EXHAUSTED', reason, rdp };
    }
    return { epsilonAfter: epsilon, order, allowed: true, rdp };
  };

  const state = (): LedgerState => ({
    orders: cfg.orders,
    spentRdp: [...spent],
    rounds: history.length,
    history: history.map((e) => ({ ...e, mechanism: canonicalMechanism(e.mechanism) })),
  });

  return {
    config: cfg,
    state,
    preview: (mechanism) => {
      const { rdp: _unused, ...result } = evaluate(mechanism);
      return result;
    },
    commit: (mechanism, label) => {
      if (label !== undefined && (typeof label !== 'string' || label.length > 200)) throw configError('label must be a string of at most 200 characters');
      const stored = canonicalMechanism(mechanism);
      const result = evaluate(stored);
      if (!result.allowed) {
        throw new CohortError(result.refusal!, result.reason!, { details: { epsilonAfter: result.epsilonAfter, epsilonMax: cfg.epsilonMax } });
      }
      for (let k = 0; k < spent.length; k++) spent[k]! += result.rdp[k]!;
      const entry: LedgerEntry = { round: history.length + 1, mechanism: stored, epsilonAfter: result.epsilonAfter, order: result.order };
      if (label !== undefined) entry.label = label;
      history.push(entry);
      return { ...entry, mechanism: canonicalMechanism(stored) };
    },
    epsilonSpent: () => rdpToEpsilon(cfg.orders, spent, cfg.delta).epsilon,
    toJSON: () => ledgerToJSON(cfg, state()),
  };
}

/**
 * A site's privacy budget, sans IO: RDP spent per order (releases compose by
 * adding RDP), the count and history of releases, and the hospital's two rules:
 * no release whose noise multiplier is below the noise floor (POLICY_REFUSED, checked
 * first), none that would take ε above epsilonMax (BUDGET_EXHAUSTED). The caller
 * persists toJSON() durably before it sends anything the release protects.
 */
export function createLedger(config: LedgerConfig): Ledger {
  const cfg = validateConfig(config);
  return buildLedger(cfg, new Array<number>(cfg.orders.length).fill(0), []);
}

export type LedgerPolicyOverride = Partial<Pick<LedgerConfig, 'epsilonMax' | 'delta' | 'noiseFloor'>>;

/**
 * Rebuilds a ledger from toJSON() output (DATA_INVALID if malformed). The RDP of
 * every history entry is recomputed: a stored total below what the history implies
 * is refused, and the larger of the two is kept, so a damaged file can never lower
 * the spend. `policy` may replace ε_max, δ or the noise floor (the orders are fixed).
 */
export function ledgerFromJSON(json: unknown, policy: LedgerPolicyOverride = {}): Ledger {
  const parsed = parseLedgerJSON(json);
  const cfg = validateConfig({ ...parsed.config, ...policy });
  if (parsed.spentRdp.length !== cfg.orders.length) throw new CohortError('DATA_INVALID', 'privacy ledger: spentRdp needs one value per order');
  const replayed = new Array<number>(cfg.orders.length).fill(0);
  const cache = new Map<string, number[]>();
  for (const entry of parsed.history) {
    const key = JSON.stringify(entry.mechanism);
    let rdp = cache.get(key);
    if (rdp === undefined) {
      try {
        rdp = mechanismRdp(entry.mechanism, cfg.orders);
      } catch (cause) {
        throw new CohortError('DATA_INVALID', `privacy ledger: history entry ${entry.round} is not a valid mechanism`, { cause });
      }
      cache.set(key, rdp);
    }
    for (let k = 0; k < replayed.length; k++) replayed[k]! += rdp[k]!;
  }
  const spent = parsed.spentRdp.map((stored, k) => {
    const implied = replayed[k]!;
    if (stored < implied * (1 - 1e-9) - 1e-12) {
      throw new CohortError('DATA_INVALID', `privacy ledger: spentRdp at order ${cfg.orders[k]} (${stored}) is below what its history implies (${implied})`);
    }
    return Math.max(stored, implied);
  });
  return buildLedger(cfg, spent, parsed.history.map((e) => ({ ...e, mechanism: canonicalMechanism(e.mechanism) })));
}
