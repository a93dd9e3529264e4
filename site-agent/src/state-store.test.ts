import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateStore } from './state-store.js';
import { removeTempDirs, tempDir } from './site-fixtures.test-suite.js';

const HASH = 'b'.repeat(64);
const check = (round: number, digest: number) => ({ site: HASH, round, attempt: 1, phase: 'train', digest: new Uint8Array([digest]) });

afterAll(removeTempDirs);

describe('StateStore', () => {
  it('starts empty, then round-trips the replay guard and last round through an atomic write', () => {
    const dir = join(tempDir(), 'state');
    const store = new StateStore(dir);
    const state = store.load();
    expect(state.lastRound).toBeNull();
    state.replay.accept(check(3, 1));
    state.lastRound = { taskHash: HASH, round: 3, attempt: 1, phase: 'train', at: '2025-01-01T00:00:00.000Z' };
    store.save(state);
    store.save(state);
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(statSync(join(dir, 'state.json')).mode & 0o077).toBe(0);

    const again = new StateStore(dir).load();
    expect(again.lastRound).toEqual(state.lastRound);
    expect(again.replay.check(check(3, 1))).toEqual({ ok: false, reason: 'DUPLICATE' });
    expect(again.replay.check(check(2, 9))).toEqual({ ok: false, reason: 'REPLAYED' });
    expect(again.replay.check(check(4, 9))).toEqual({ ok: true });
  });

  it('refuses a corrupt state file with CONFIG_INVALID naming it and the way out', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'state.json'), '{"format":"cohortfl-site-state/1","replay":{"format":"x","entries":[]},"lastRound":null}');
    expect(() => new StateStore(dir).load()).toThrow(/site state .*state\.json is corrupt .*move it aside/);
    writeFileSync(join(dir, 'state.json'), '{"format":"other"}');
    expect(() => new StateStore(dir).load()).toThrow(/format/);
    writeFileSync(join(dir, 'state.json'), 'not json');
    expect(() => new StateStore(dir).load()).toThrow(/not valid JSON/);
  });
});
