// The short fuzz run CI does (`pnpm fuzz` runs 100,000 frames each way): mutated socket.io
// frames before and after authentication against a real coordinator process, and after
// authentication against a real site agent process; both stay up, every frame's outcome is
// known, the invalid_packet and frame_too_large counters match what was sent, and nothing
// reaches either process guard.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without types
import { runFuzz } from '../scripts/fuzz-lib.mjs';

describe('wire fuzzer (short run)', () => {
  it('2,000 frames each way: processes up, every frame answered or counted, no uncaught error', async () => {
    const r = await runFuzz({ frames: 2000, seed: 7, concurrency: 4, timeBudgetMs: 240_000 });
    expect(r.violations).toEqual([]);
    expect(r.coordinator.pre.frames + r.coordinator.post.frames).toBe(2000);
    expect(r.site.post.frames).toBe(2000);
    expect(r.coordinator.pre.invalid).toBeGreaterThan(0);
    expect(r.coordinator.pre.oversized + r.coordinator.post.invalid).toBeGreaterThan(0);
    expect(r.coordinator.counted.uncaught).toBe(0);
    expect(r.site.counted.uncaught).toBe(0);
    expect(r.coordinator.alive && r.site.alive).toBe(true);
  }, 300_000);
});
