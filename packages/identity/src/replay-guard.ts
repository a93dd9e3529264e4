import { CohortError } from '@cohortfl/wire';
import { decodeHexStrict, encodeHex, isBytes } from './bytes.js';
import { isUint32 } from './sign-context.js';

/** One signed message as the guard sees it; `digest` is its id (e.g. its signing digest). */
export interface ReplayCheck {
  site: string;
  round: number;
  attempt: number;
  phase: string;
  digest: Uint8Array;
}

export type ReplayReason = 'REPLAYED' | 'DUPLICATE';
export type ReplayVerdict = { ok: true } | { ok: false; reason: ReplayReason };

export interface ReplayGuardOptions {
  /**
   * Groups phases whose (round, attempt) order is shared, e.g. all secure-aggregation
   * steps of a round. Default: every phase is its own kind.
   */
  phaseKind?: (phase: string) => string;
}

/** The serializable form; digests are lowercase hex. */
export interface ReplayGuardState {
  format: typeof STATE_FORMAT;
  entries: ReplayEntryState[];
}

export interface ReplayEntryState {
  site: string;
  kind: string;
  round: number;
  attempt: number;
  phases: string[];
  digests: string[];
}

interface Entry {
  round: number;
  attempt: number;
  phases: Set<string>;
  digests: Set<string>;
}

const STATE_FORMAT = 'cohortfl-replay/1';

/**
 * Refuses signed messages that are older than, or repeat, what was already accepted.
 * Per (site, phase kind) it keeps only the latest (round, attempt) and the phases and
 * digests accepted for it, so memory is bounded by sites × kinds × phases per kind.
 */
export class ReplayGuard {
  private readonly entries = new Map<string, Entry & { site: string; kind: string }>();
  private readonly phaseKind: (phase: string) => string;

  constructor(options: ReplayGuardOptions = {}) {
    this.phaseKind = options.phaseKind ?? ((phase) => phase);
  }

  check(message: ReplayCheck): ReplayVerdict {
    checkMessage(message);
    const entry = this.entries.get(this.keyOf(message));
    if (entry === undefined) return { ok: true };
    const order = compare(message.round, message.attempt, entry.round, entry.attempt);
    if (order < 0) return { ok: false, reason: 'REPLAYED' };
    if (order > 0) return { ok: true };
    if (entry.digests.has(encodeHex(message.digest)) || entry.phases.has(message.phase)) {
      return { ok: false, reason: 'DUPLICATE' };
    }
    return { ok: true };
  }

  /** Records the message; throws REPLAYED if `check` would refuse it (check-then-accept races). */
  accept(message: ReplayCheck): void {
    const verdict = this.check(message);
    if (!verdict.ok) {
      throw new CohortError(
        'REPLAYED',
        `${verdict.reason === 'REPLAYED' ? 'replayed' : 'duplicate'} message from site '${message.site}' ` +
          `for round ${message.round} attempt ${message.attempt} phase '${message.phase}'`,
      );
    }
    const key = this.keyOf(message);
    const entry = this.entries.get(key);
    if (entry === undefined || entry.round !== message.round || entry.attempt !== message.attempt) {
      this.entries.set(key, {
        site: message.site,
        kind: this.phaseKind(message.phase),
        round: message.round,
        attempt: message.attempt,
        phases: new Set([message.phase]),
        digests: new Set([encodeHex(message.digest)]),
      });
      return;
    }
    entry.phases.add(message.phase);
    entry.digests.add(encodeHex(message.digest));
  }

  toJSON(): ReplayGuardState {
    const entries = [...this.entries.values()].map((entry) => ({
      site: entry.site,
      kind: entry.kind,
      round: entry.round,
      attempt: entry.attempt,
      phases: [...entry.phases].sort(),
      digests: [...entry.digests].sort(),
    }));
    entries.sort((a, b) => (a.site === b.site ? cmpText(a.kind, b.kind) : cmpText(a.site, b.site)));
    return { format: STATE_FORMAT, entries };
  }

  /** Restores saved state; CONFIG_INVALID if it is malformed or saved under another phase grouping. */
  static fromJSON(state: unknown, options: ReplayGuardOptions = {}): ReplayGuard {
    const guard = new ReplayGuard(options);
    if (!isRecord(state) || state['format'] !== STATE_FORMAT || !Array.isArray(state['entries'])) {
      throw corrupt(`expected { format: '${STATE_FORMAT}', entries: [...] }`);
    }
    for (const [index, raw] of (state['entries'] as unknown[]).entries()) {
      const entry = parseEntry(raw, index);
      for (const phase of entry.phases) {
        if (guard.phaseKind(phase) !== entry.kind) {
          throw corrupt(`entry ${index}: phase '${phase}' is not of kind '${entry.kind}' under this guard's phaseKind`);
        }
      }
      const key = JSON.stringify([entry.site, entry.kind]);
      if (guard.entries.has(key)) throw corrupt(`entry ${index}: site '${entry.site}' kind '${entry.kind}' appears twice`);
      guard.entries.set(key, entry);
    }
    return guard;
  }

  private keyOf(message: ReplayCheck): string {
    return JSON.stringify([message.site, this.phaseKind(message.phase)]);
  }
}

function parseEntry(raw: unknown, index: number): Entry & { site: string; kind: string } {
  const fields = ['attempt', 'digests', 'kind', 'phases', 'round', 'site'];
  if (!isRecord(raw) || Object.keys(raw).sort().join() !== fields.join()) {
    throw corrupt(`entry ${index}: expected exactly the fields ${fields.join(', ')}`);
  }
  const { site, kind, round, attempt, phases, digests } = raw;
  if (typeof site !== 'string' || typeof kind !== 'string') throw corrupt(`entry ${index}: site and kind must be strings`);
  if (!isUint32(round) || !isUint32(attempt)) throw corrupt(`entry ${index}: round and attempt must be uint32`);
  if (!isStringArray(phases) || phases.length === 0) throw corrupt(`entry ${index}: phases must be a non-empty string array`);
  if (!isStringArray(digests) || digests.length !== phases.length) {
    throw corrupt(`entry ${index}: digests must be a string array, one per phase`);
  }
  if (digests.some((d) => d.length === 0 || decodeHexStrict(d) === undefined)) {
    throw corrupt(`entry ${index}: digests must be lowercase hex`);
  }
  const entry = { site, kind, round, attempt, phases: new Set(phases), digests: new Set(digests) };
  if (entry.phases.size !== phases.length || entry.digests.size !== digests.length) {
    throw corrupt(`entry ${index}: repeated phase or digest`);
  }
  return entry;
}

function checkMessage(message: ReplayCheck): void {
  const ok =
    typeof message === 'object' && message !== null &&
    typeof message.site === 'string' && typeof message.phase === 'string' &&
    isUint32(message.round) && isUint32(message.attempt) &&
    isBytes(message.digest) && message.digest.length > 0;
  if (!ok) {
    throw new CohortError('MESSAGE_INVALID', 'replay check needs site and phase strings, uint32 round and attempt, a non-empty digest');
  }
}

function compare(round: number, attempt: number, otherRound: number, otherAttempt: number): number {
  return round !== otherRound ? round - otherRound : attempt - otherAttempt;
}

function cmpText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function corrupt(why: string): CohortError {
  return new CohortError('CONFIG_INVALID', `replay guard state is invalid: ${why}`);
}
