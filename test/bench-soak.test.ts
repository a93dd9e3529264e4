// Keeps `pnpm bench soak` working: its harness run for 3 rounds (a sample after every round)
// over real processes on loopback, exactly as `node scripts/bench-soak.mjs --json`. Checks
// the shape and consistency of what it reports, never a timing or a growth verdict (those
// are the benchmark's own, printed, figures). Needs the built dist/ (pnpm test builds).
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../scripts/bench-soak.mjs', import.meta.url));

interface ProcessFigures {
  name: string;
  pid: number;
  rss: number;
  heapUsed: number;
  fds: number;
  handles: number;
  resources: number;
  resourcesByType: Record<string, number>;
}
interface Sample {
  afterRound: number;
  processes: ProcessFigures[];
  store: { dbBytes: number; auditEntries: number; auditBytes: number; siteStateBytes: number };
}

describe('pnpm bench soak (3 rounds)', () => {
  it('samples every process after every round and reports growth per process', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script, '--rounds=3', '--every=1', '--params=10000', '--json'], {
      env: { ...process.env, COHORTFL_QUIET: '1' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 240_000,
    });
    const result = JSON.parse(stdout);
    expect(result.config).toEqual({ rounds: 3, every: 1, sites: 5, perProcess: 1, params: 10_000, secureAggregation: true });
    const samples = result.samples as Sample[];
    expect(samples.map((s) => s.afterRound)).toEqual([0, 1, 2, 3]);
    for (const s of samples) {
      // The coordinator and one process per site, each distinct and alive.
      expect(s.processes.map((p) => p.name)).toEqual(['coordinator', ...[1, 2, 3, 4, 5].map((i) => `sites site-0${i}`)]);
      expect(new Set(s.processes.map((p) => p.pid)).size).toBe(6);
      for (const p of s.processes) {
        expect(p.rss).toBeGreaterThan(p.heapUsed);
        expect(p.heapUsed).toBeGreaterThan(0);
        expect(p.fds).toBeGreaterThan(0);
        // Each process listens (coordinator server or the site's metrics server) and holds sockets.
        expect(p.resourcesByType.TCPServerWrap).toBe(1);
        expect(Object.values(p.resourcesByType).reduce((a, b) => a + b, 0)).toBe(p.resources);
      }
    }
    // The same processes throughout; the audit log and the store grow with the rounds.
    expect(samples.every((s) => s.processes.every((p, i) => p.pid === samples[0]!.processes[i]!.pid))).toBe(true);
    for (let i = 1; i < samples.length; i++) {
      expect(samples[i]!.store.auditEntries).toBeGreaterThan(samples[i - 1]!.store.auditEntries);
      expect(samples[i]!.store.siteStateBytes).toBeGreaterThan(samples[i - 1]!.store.siteStateBytes);
    }
    // The verdict compares the first sample after warm-up (round 1) with the last, per process.
    expect(result.verdict.warmRound).toBe(1);
    expect(result.verdict.lastRound).toBe(3);
    expect(result.verdict.processes).toHaveLength(6);
    for (const p of result.verdict.processes) {
      expect(typeof p.ok).toBe('boolean');
      const warm = samples[1]!.processes.find((q) => q.name === p.name)!;
      const last = samples[3]!.processes.find((q) => q.name === p.name)!;
      expect(p.growth.rss).toBe(last.rss - warm.rss);
      expect(p.growth.handles).toBe(last.handles - warm.handles);
    }
    expect(result.verdict.ok).toBe(result.verdict.processes.every((p: { ok: boolean }) => p.ok));
  }, 300_000);
});
