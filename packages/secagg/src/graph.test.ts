import { describe, expect, it } from 'vitest';
import { createGraph, defaultDegree, isConnected } from './graph.js';
import { CONTEXT, siteNames } from './round-harness.test-suite.js';

describe('neighbour graph', () => {
  it('full graph: every pair, the default', () => {
    const sites = siteNames(6);
    const graph = createGraph(sites, CONTEXT, { kind: 'full' });
    expect(graph.kind).toBe('full');
    expect(graph.degree).toBe(5);
    expect(graph.neighbours('site-02')).toEqual(sites.filter((s) => s !== 'site-02'));
    expect(graph.isNeighbour('site-00', 'site-05')).toBe(true);
    expect(graph.isNeighbour('site-00', 'site-00')).toBe(false);
  });

  it('default degree is 2·ceil(log2 n) capped at n − 1', () => {
    expect(defaultDegree(2)).toBe(1);
    expect(defaultDegree(8)).toBe(6);
    expect(defaultDegree(6)).toBe(5);
    expect(defaultDegree(10)).toBe(8);
    expect(defaultDegree(100)).toBe(14);
    expect(defaultDegree(1024)).toBe(20);
  });

  it('k-regular graph: symmetric, degree k, a ring over a permutation of the roster', () => {
    for (const [n, k] of [[100, undefined], [30, 4], [11, 8], [17, 2]] as const) {
      const sites = siteNames(n);
      const graph = createGraph([...sites].reverse(), CONTEXT, k === undefined ? { kind: 'k-regular' } : { kind: 'k-regular', k });
      const degree = k ?? defaultDegree(n);
      expect(graph.kind).toBe('k-regular');
      expect(graph.degree).toBe(degree);
      expect(graph.sites).toEqual(sites);
      for (const site of sites) {
        const list = graph.neighbours(site);
        expect(new Set(list).size).toBe(degree);
        expect(list).not.toContain(site);
        for (const peer of list) expect(graph.neighbours(peer)).toContain(site);
      }
      expect(isConnected(graph, sites)).toBe(true);
    }
  });

  it('is the same for every party, attempt, round and participant set; only the task and the membership change it', () => {
    const sites = siteNames(40);
    const a = createGraph(sites, CONTEXT, { kind: 'k-regular' });
    const b = createGraph([...sites].reverse(), CONTEXT, { kind: 'k-regular' });
    const retried = createGraph(sites, { ...CONTEXT, attempt: 7 }, { kind: 'k-regular' });
    const later = createGraph(sites, { ...CONTEXT, round: 99 }, { kind: 'k-regular' });
    const otherTask = createGraph(sites, { ...CONTEXT, taskHash: 'cd'.repeat(32) }, { kind: 'k-regular' });
    const otherMembers = createGraph(sites.slice(1), CONTEXT, { kind: 'k-regular' });
    const lists = (g: typeof a, list: string[]) => list.map((s) => g.neighbours(s).join());
    expect(lists(b, sites)).toEqual(lists(a, sites));
    expect(lists(retried, sites)).toEqual(lists(a, sites));
    expect(lists(later, sites)).toEqual(lists(a, sites));
    expect(lists(otherTask, sites)).not.toEqual(lists(a, sites));
    expect(lists(otherMembers, sites.slice(1))).not.toEqual(lists(a, sites.slice(1)));
  });

  it('a site left out is only removed: every other site keeps its membership neighbours that take part', () => {
    const members = siteNames(40);
    const full = createGraph(members, CONTEXT, { kind: 'k-regular', k: 6 });
    const without = members.filter((s) => s !== 'site-07');
    const cut = createGraph(without, CONTEXT, { kind: 'k-regular', k: 6 }, members);
    for (const site of without) expect(cut.neighbours(site)).toEqual(full.neighbours(site).filter((p) => p !== 'site-07'));
    expect(cut.degree).toBe(6);
    expect(() => createGraph([...members, 'site-zz'], CONTEXT, { kind: 'full' }, members)).toThrow(/not a member/);
  });

  it('falls back to the full graph when k reaches n − 1', () => {
    const graph = createGraph(siteNames(7), CONTEXT, { kind: 'k-regular' });
    expect(graph.kind).toBe('full');
    expect(graph.degree).toBe(6);
    expect(createGraph(siteNames(5), CONTEXT, { kind: 'k-regular', k: 4 }).kind).toBe('full');
  });

  it('refuses odd or tiny k, duplicate or invalid sites, unknown sites', () => {
    const sites = siteNames(20);
    expect(() => createGraph(sites, CONTEXT, { kind: 'k-regular', k: 5 })).toThrow(/even/);
    expect(() => createGraph(sites, CONTEXT, { kind: 'k-regular', k: 0 })).toThrow(/even/);
    expect(() => createGraph(['a', 'a'], CONTEXT, { kind: 'full' })).toThrow(/twice/);
    expect(() => createGraph(['Bad Site'], CONTEXT, { kind: 'full' })).toThrow(/site name/);
    expect(() => createGraph(sites, CONTEXT, { kind: 'star' } as never)).toThrow(/graph kind/);
    expect(() => createGraph(sites, CONTEXT, { kind: 'full' }).neighbours('nobody')).toThrow(/not in the roster/);
  });

  it('detects a disconnected subset', () => {
    const sites = siteNames(30);
    const graph = createGraph(sites, CONTEXT, { kind: 'k-regular', k: 2 }); // a single ring
    const [first] = sites;
    const [left, right] = graph.neighbours(first!);
    // Removing both neighbours of a ring node isolates it.
    const subset = sites.filter((s) => s !== left && s !== right);
    expect(isConnected(graph, subset)).toBe(false);
    expect(isConnected(graph, sites)).toBe(true);
    expect(isConnected(graph, [])).toBe(false);
    expect(isConnected(createGraph(sites, CONTEXT, { kind: 'full' }), ['site-01', 'nobody'])).toBe(false);
  });
});
