import { describe, expect, it } from 'vitest';
import { createGraph, defaultDegree, type GraphSpec, type NeighbourGraph } from './graph.js';
import { createQuantizer } from './quantize.js';
import { minimumThreshold } from './roster.js';
import { CHI2_15_P1E4, CONTEXT, DROP_POINTS, chiSquare16, runRound, seeded, siteNames, sumOf, type DropPoint, type Rng } from './round-harness.test-suite.js';

type Expected = { outcome: 'done'; survivors: string[] } | { outcome: 'aborted'; phase: string };

/** What must happen, worked out from the drop sets alone (independently of the server's code). */
function expectedOutcome(sites: string[], drops: Map<string, DropPoint>, t: number, spec: GraphSpec): Expected {
  const after = (points: DropPoint[]): string[] => sites.filter((s) => !points.includes(drops.get(s)!));
  const u1 = after(['before-advertise']);
  if (u1.length < t) return { outcome: 'aborted', phase: 'advertise' };
  const graph: NeighbourGraph = createGraph(u1, CONTEXT, spec, sites);
  if (u1.some((u) => t > graph.neighbours(u).length + 1)) return { outcome: 'aborted', phase: 'advertise' };
  const closed = (site: string): string[] => [site, ...graph.neighbours(site)];
  const count = (site: string, set: string[], self: boolean): number =>
    closed(site).filter((s) => (self || s !== site) && set.includes(s)).length;
  const u2 = after(['before-advertise', 'after-advertise']);
  if (u2.length < t || u2.some((u) => count(u, u2, true) < t)) return { outcome: 'aborted', phase: 'share' };
  const u3 = after(['before-advertise', 'after-advertise', 'after-share']);
  if (u3.length < t || !connected(graph, u3)) return { outcome: 'aborted', phase: 'masked' };
  const hasSurvivingNeighbour = (v: string): boolean => graph.neighbours(v).some((s) => u3.includes(s));
  const dropped = u2.filter((v) => !u3.includes(v) && hasSurvivingNeighbour(v));
  if (u3.some((u) => count(u, u3, true) < t) || dropped.some((v) => count(v, u3, false) < t)) return { outcome: 'aborted', phase: 'masked' };
  const u4 = after(['before-advertise', 'after-advertise', 'after-share', 'after-masked']);
  // The consistency step: every owner's holders in U4 must have signed, t of them.
  if (u4.length < t) return { outcome: 'aborted', phase: 'attest' };
  if (u3.some((u) => count(u, u4, true) < t) || dropped.some((v) => count(v, u4, true) < t)) return { outcome: 'aborted', phase: 'attest' };
  return { outcome: 'done', survivors: u3 };
}

function connected(graph: NeighbourGraph, subset: string[]): boolean {
  const seen = new Set([subset[0]!]);
  const queue = [subset[0]!];
  while (queue.length > 0) {
    const site = queue.shift()!;
    for (const peer of graph.neighbours(site)) if (subset.includes(peer) && !seen.has(peer)) (seen.add(peer), queue.push(peer));
  }
  return seen.size === subset.length;
}

function randomInputs(rng: Rng, sites: string[], length: number, quantized: boolean): Map<string, Uint32Array> {
  const quantizer = createQuantizer({ clip: 1, maxSites: 64, weightScale: 10_000 });
  return new Map(
    sites.map((site) => {
      if (!quantized) return [site, Uint32Array.from({ length }, () => Math.floor(rng.next() * 2 ** 32))];
      const update = Float64Array.from({ length: length - 1 }, () => (rng.next() - 0.5) * 3);
      return [site, quantizer.quantize(update, rng.int(1, 10_000))];
    }),
  );
}

describe('secure aggregation rounds (property tests over random cohorts, graphs and dropouts)', () => {
  it('finalize equals the survivors’ exact sum mod 2^32 while ≥ t survive, and aborts cleanly below', () => {
    const rng = seeded(0x5eca66);
    const outcomes = { done: 0, aborted: 0, sparse: 0, droppedMidRound: 0 };
    for (let trial = 0; trial < 26; trial++) {
      const n = trial < 4 ? [2, 3, 50, 47][trial]! : rng.int(2, 50);
      const spec: GraphSpec = rng.next() < 0.5 ? { kind: 'full' } : { kind: 'k-regular' };
      const degree = spec.kind === 'full' ? n - 1 : defaultDegree(n);
      const top = Math.min(n, degree + 1);
      const t = rng.int(Math.min(top, minimumThreshold(top, 0)), top);
      const length = trial === 0 ? 1 : rng.int(1, 2000);
      const sites = siteNames(n);
      const dropRate = rng.pick([0, 0.05, 0.15, 0.3, 0.6]);
      const drops = new Map<string, DropPoint>(sites.filter(() => rng.next() < dropRate).map((s) => [s, rng.pick(DROP_POINTS)]));
      // Quantized vectors are P + 1 ≥ 2 words; raw words cover length 1 as well.
      const quantized = length > 1 && rng.next() < 0.5;
      const inputs = randomInputs(rng, sites, length, quantized);
      const expected = expectedOutcome(sites, drops, t, spec);
      const result = runRound({ sites, config: { threshold: t, graph: spec }, inputs, drops });
      const label = `trial ${trial}: n=${n} t=${t} ${spec.kind} drops=${drops.size}`;
      expect(result.outcome, label).toBe(expected.outcome);
      if (result.outcome === 'done' && expected.outcome === 'done') {
        expect(result.sum, label).toEqual(sumOf(expected.survivors, inputs));
        outcomes.done++;
        if ([...drops.values()].some((p) => p === 'after-share' || p === 'after-masked')) outcomes.droppedMidRound++;
      } else if (result.outcome === 'aborted' && expected.outcome === 'aborted') {
        expect(result.message, label).toContain(`phase '${expected.phase}'`);
        outcomes.aborted++;
      }
      if (createGraph(sites, CONTEXT, spec).kind === 'k-regular') outcomes.sparse++;
    }
    // The generator must exercise every branch, or this test would prove little.
    expect(outcomes.done).toBeGreaterThanOrEqual(8);
    expect(outcomes.aborted).toBeGreaterThanOrEqual(3);
    expect(outcomes.sparse).toBeGreaterThanOrEqual(4);
    expect(outcomes.droppedMidRound).toBeGreaterThanOrEqual(3);
  });

  it('recovers the sum with drops at every point in one round (full and sparse graphs)', () => {
    for (const spec of [{ kind: 'full' }, { kind: 'k-regular', k: 14 }] as GraphSpec[]) {
      const sites = siteNames(24);
      const drops = new Map<string, DropPoint>([
        ['site-01', 'before-advertise'],
        ['site-05', 'after-advertise'],
        ['site-09', 'after-share'],
        ['site-13', 'after-share'],
        ['site-17', 'after-masked'],
      ]);
      const inputs = randomInputs(seeded(11), sites, 301, false);
      const holders = spec.kind === 'full' ? sites.length : (spec.k ?? defaultDegree(sites.length)) + 1;
      const result = runRound({ sites, config: { threshold: minimumThreshold(holders, 0), graph: spec }, inputs, drops });
      expect(result.outcome === 'aborted' ? result.message : result.outcome).toBe('done');
      const survivors = sites.filter((s) => !['site-01', 'site-05', 'site-09', 'site-13'].includes(s));
      if (result.outcome === 'done') expect(result.sum).toEqual(sumOf(survivors, inputs));
    }
  });

  it('aborts in the phase where survivors fall below the threshold, with the counts', () => {
    const sites = siteNames(5);
    const inputs = randomInputs(seeded(3), sites, 10, false);
    const cases: [DropPoint, string][] = [
      ['before-advertise', "phase 'advertise': 2 sites answered, threshold is 3"],
      ['after-advertise', "phase 'share': 2 sites answered, threshold is 3"],
      ['after-share', "phase 'masked': 2 sites answered, threshold is 3"],
      ['after-masked', "phase 'attest': 2 sites answered, threshold is 3"],
    ];
    for (const [point, message] of cases) {
      const drops = new Map<string, DropPoint>(sites.slice(0, 3).map((s) => [s, point]));
      const result = runRound({ sites, config: { threshold: 3, graph: { kind: 'full' } }, inputs, drops });
      expect(result.outcome).toBe('aborted');
      if (result.outcome === 'aborted') expect(result.message).toContain(message);
    }
  });

  it('masked vectors of an all-zero input look uniform (χ², p = 1e-4), unlike the input', () => {
    const sites = siteNames(6);
    const inputs = new Map(sites.map((s) => [s, new Uint32Array(20_000)]));
    const drops = new Map<string, DropPoint>([['site-05', 'after-share']]);
    const result = runRound({ sites, config: { threshold: 4, graph: { kind: 'full' } }, inputs, drops });
    expect(result.outcome).toBe('done');
    expect(result.masked.size).toBe(5);
    for (const y of result.masked.values()) expect(chiSquare16(y)).toBeLessThan(CHI2_15_P1E4);
    expect(chiSquare16(inputs.get('site-00')!)).toBeGreaterThan(CHI2_15_P1E4);
    if (result.outcome === 'done') expect(result.sum).toEqual(new Uint32Array(20_000));
  });
});
