import { describe, expect, it } from 'vitest';
import { createRandom } from '@cohortfl/protocol';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles from 500 ms up to 10 s without jitter, and starts over after reset', () => {
    const b = new Backoff({ jitter: 0 });
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(b.attempts).toBe(7);
    b.reset();
    expect(b.next()).toBe(500);
  });

  it('keeps each jittered delay within ±50% of its step and never above the maximum', () => {
    const b = new Backoff({ random: createRandom(9) });
    const steps = [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000];
    for (const step of steps) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(step * 0.5);
      expect(d).toBeLessThanOrEqual(Math.min(10_000, step * 1.5));
    }
  });

  it('uses the random source (different seeds give different schedules)', () => {
    const a = new Backoff({ random: createRandom(1) });
    const c = new Backoff({ random: createRandom(2) });
    const da = [a.next(), a.next(), a.next()];
    const dc = [c.next(), c.next(), c.next()];
    expect(da).not.toEqual(dc);
  });
});
