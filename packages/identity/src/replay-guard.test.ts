import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { ReplayGuard } from './replay-guard.js';
import type { ReplayCheck } from './replay-guard.js';

let counter = 0;
/** A distinct 64-byte digest per message, deterministic across runs. */
function message(site: string, round: number, attempt: number, phase = 'train'): ReplayCheck {
  counter += 1;
  const digest = new Uint8Array(64);
  new DataView(digest.buffer).setUint32(0, counter);
  return { site, round, attempt, phase, digest };
}

describe('ReplayGuard', () => {
  it('accepts the first message and newer rounds and attempts', () => {
    const guard = new ReplayGuard();
    for (const m of [message('a', 1, 0), message('a', 1, 1), message('a', 2, 0), message('a', 2, 5), message('a', 9, 0)]) {
      expect(guard.check(m)).toEqual({ ok: true });
      guard.accept(m);
    }
  });

  it('refuses an older round or an older attempt as REPLAYED', () => {
    const guard = new ReplayGuard();
    guard.accept(message('a', 5, 2));
    expect(guard.check(message('a', 4, 9))).toEqual({ ok: false, reason: 'REPLAYED' });
    expect(guard.check(message('a', 5, 1))).toEqual({ ok: false, reason: 'REPLAYED' });
    expect(guard.check(message('a', 0, 0))).toEqual({ ok: false, reason: 'REPLAYED' });
    expect(guard.check(message('a', 5, 3))).toEqual({ ok: true });
    expect(guard.check(message('a', 6, 0))).toEqual({ ok: true });
  });

  it('refuses the same digest or a second message for the same (site, round, attempt, phase) as DUPLICATE', () => {
    const guard = new ReplayGuard();
    const first = message('a', 3, 0);
    guard.accept(first);
    expect(guard.check(first)).toEqual({ ok: false, reason: 'DUPLICATE' });
    expect(guard.check({ ...first, digest: new Uint8Array(first.digest) })).toEqual({ ok: false, reason: 'DUPLICATE' });
    expect(guard.check(message('a', 3, 0))).toEqual({ ok: false, reason: 'DUPLICATE' });
  });

  it('keeps sites and phases apart', () => {
    const guard = new ReplayGuard();
    guard.accept(message('a', 5, 0, 'train'));
    expect(guard.check(message('b', 1, 0, 'train'))).toEqual({ ok: true });
    expect(guard.check(message('a', 5, 0, 'evaluate'))).toEqual({ ok: true });
    expect(guard.check(message('a', 2, 0, 'evaluate'))).toEqual({ ok: true });
  });

  it('with a phase kind, orders phases of one kind together and allows one message per phase', () => {
    const guard = new ReplayGuard({ phaseKind: (phase) => (phase.startsWith('secagg/') ? 'secagg' : phase) });
    guard.accept(message('a', 4, 0, 'secagg/advertise'));
    guard.accept(message('a', 4, 0, 'secagg/share'));
    expect(guard.check(message('a', 4, 0, 'secagg/share'))).toEqual({ ok: false, reason: 'DUPLICATE' });
    expect(guard.check(message('a', 4, 0, 'secagg/masked'))).toEqual({ ok: true });
    guard.accept(message('a', 4, 1, 'secagg/advertise'));
    // A late share from the aborted attempt 0 is now a replay.
    expect(guard.check(message('a', 4, 0, 'secagg/masked'))).toEqual({ ok: false, reason: 'REPLAYED' });
    expect(guard.toJSON().entries).toHaveLength(1);
    expect(guard.toJSON().entries[0]!.phases).toEqual(['secagg/advertise']);
  });

  it('accept throws REPLAYED for what check refuses, and records nothing', () => {
    const guard = new ReplayGuard();
    const first = message('a', 2, 0);
    guard.accept(first);
    const before = JSON.stringify(guard);
    for (const bad of [first, message('a', 1, 0), message('a', 2, 0)]) {
      try {
        guard.accept(bad);
        expect.unreachable('accept must refuse');
      } catch (error) {
        expect(isCohortError(error, 'REPLAYED')).toBe(true);
      }
    }
    expect(JSON.stringify(guard)).toBe(before);
  });

  it('keeps only the latest (round, attempt) per site and phase (bounded memory)', () => {
    const guard = new ReplayGuard();
    for (let round = 0; round < 200; round++) {
      guard.accept(message('a', round, 0, 'train'));
      guard.accept(message('a', round, 0, 'evaluate'));
    }
    const state = guard.toJSON();
    expect(state.entries).toHaveLength(2);
    expect(state.entries.every((entry) => entry.round === 199 && entry.digests.length === 1)).toBe(true);
  });

  it('survives a JSON round trip with the same verdicts', () => {
    const guard = new ReplayGuard();
    const seen = message('a', 5, 1);
    guard.accept(seen);
    guard.accept(message('b', 2, 0, 'evaluate'));
    const restored = ReplayGuard.fromJSON(JSON.parse(JSON.stringify(guard)));
    expect(restored.toJSON()).toEqual(guard.toJSON());
    expect(restored.check(seen)).toEqual({ ok: false, reason: 'DUPLICATE' });
    expect(restored.check(message('a', 5, 0))).toEqual({ ok: false, reason: 'REPLAYED' });
    expect(restored.check(message('b', 1, 9, 'evaluate'))).toEqual({ ok: false, reason: 'REPLAYED' });
    expect(restored.check(message('a', 5, 2))).toEqual({ ok: true });
    expect(ReplayGuard.fromJSON(new ReplayGuard().toJSON()).toJSON().entries).toEqual([]);
  });

  it('refuses malformed or mismatched saved state with CONFIG_INVALID', () => {
    const guard = new ReplayGuard();
    guard.accept(message('a', 5, 1, 'secagg/share'));
    const good = guard.toJSON();
    const entry = good.entries[0]!;
    const bad: unknown[] = [
      null,
      [],
      { ...good, format: 'cohortfl-replay/2' },
      { format: good.format },
      { ...good, entries: [{ ...entry, round: -1 }] },
      { ...good, entries: [{ ...entry, attempt: 1.5 }] },
      { ...good, entries: [{ ...entry, site: 3 }] },
      { ...good, entries: [{ ...entry, phases: [] , digests: [] }] },
      { ...good, entries: [{ ...entry, digests: ['XYZ'] }] },
      { ...good, entries: [{ ...entry, digests: [] }] },
      { ...good, entries: [{ ...entry, extra: true }] },
      { ...good, entries: [entry, entry] },
    ];
    for (const state of bad) {
      try {
        ReplayGuard.fromJSON(state);
        expect.unreachable(`state must be refused: ${JSON.stringify(state)}`);
      } catch (error) {
        expect(isCohortError(error, 'CONFIG_INVALID')).toBe(true);
      }
    }
    // Saved under a phase grouping the restoring guard does not use.
    const grouped = new ReplayGuard({ phaseKind: () => 'all' });
    grouped.accept(message('a', 1, 0, 'train'));
    expect(() => ReplayGuard.fromJSON(grouped.toJSON())).toThrow(/not of kind/);
  });

  it('refuses malformed messages with MESSAGE_INVALID', () => {
    const guard = new ReplayGuard();
    const ok = message('a', 1, 0);
    for (const bad of [{ ...ok, round: -1 }, { ...ok, attempt: 2 ** 32 }, { ...ok, site: 1 }, { ...ok, digest: new Uint8Array(0) }, { ...ok, digest: 'x' }]) {
      try {
        guard.check(bad as ReplayCheck);
        expect.unreachable('malformed message must throw');
      } catch (error) {
        expect(isCohortError(error, 'MESSAGE_INVALID')).toBe(true);
      }
    }
  });
});
