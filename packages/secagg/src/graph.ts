import type { RoundContext } from './context.js';
import { encodeSite, encodeTag, sha256, u16be } from './bytes.js';
import { invalid } from './fail.js';
import { createWordStream } from './prg.js';
import { DOMAINS } from './vocabulary.js';

/**
 * Who shares masks and secrets with whom. 'full': every pair (Bonawitz et al. 2017).
 * 'k-regular': Bell et al. (CCS 2020) replace the complete graph by a sparse random
 * one so each site's work grows with log n instead of n; we build it as a circulant
 * graph over a random order of the consortium's members, each member linked to the
 * k/2 members on each side of it on that ring, then keep only the round's
 * participants (a member that did not advertise is simply absent).
 *
 * The ring's seed is SHA-256 of the task hash and the member list, nothing else: not
 * the round, not the attempt, not who advertised. Both are fixed before any round (the
 * task hash and the membership are approved by every hospital out of band), so a
 * coordinator that aborts attempts or leaves sites out cannot draw a new graph, and
 * leaving a site out only removes it: it never moves a colluder next to anyone.
 */
export type GraphSpec = { kind: 'full' } | { kind: 'k-regular'; k?: number };

export interface NeighbourGraph {
  /** 'k-regular' falls back to 'full' when k would reach (members − 1). */
  readonly kind: 'full' | 'k-regular';
  /**
   * Neighbours per member in the membership graph (members − 1 for the full graph): a
   * site's shares have at most degree + 1 holders, itself included, whoever takes part.
   */
  readonly degree: number;
  /** The roster, sorted. */
  readonly sites: readonly string[];
  /** Neighbours of a site, excluding itself, sorted. */
  neighbours(site: string): readonly string[];
  isNeighbour(a: string, b: string): boolean;
}

const GRAPH_TAG = encodeTag(DOMAINS.GRAPH);

/** The default degree: 2·ceil(log2 n), capped at n − 1. */
export function defaultDegree(n: number): number {
  return Math.min(2 * Math.ceil(Math.log2(Math.max(n, 2))), n - 1);
}

/** A uniform integer in [0, bound) from a word stream, by rejection (no modulo bias). */
function uniformBelow(next: () => number, bound: number): number {
  const limit = Math.floor(0x1_0000_0000 / bound) * bound;
  for (;;) {
    const word = next();
    if (word < limit) return word % bound;
  }
}

/** The public random order of the members (Fisher–Yates driven by ChaCha20 keyed by the seed). */
function publicOrder(sites: readonly string[], taskHash: string): string[] {
  const seed = sha256([GRAPH_TAG, Buffer.from(taskHash, 'hex'), u16be(sites.length), ...sites.map(encodeSite)]);
  const stream = createWordStream(seed);
  let buffer = new Uint32Array(0);
  let position = 0;
  const next = (): number => {
    if (position === buffer.length) {
      buffer = Uint32Array.from(stream.next(256));
      position = 0;
    }
    return buffer[position++]!;
  };
  const order = [...sites];
  for (let i = order.length - 1; i > 0; i--) {
    const j = uniformBelow(next, i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function checkSites(sites: readonly string[]): string[] {
  const sorted = [...sites].sort();
  for (let i = 0; i < sorted.length; i++) {
    encodeSite(sorted[i]!);
    if (i > 0 && sorted[i] === sorted[i - 1]) throw invalid(`site '${sorted[i]}' appears twice in the roster`);
  }
  return sorted;
}

/**
 * The neighbour graph of one round's participants `sites`, cut out of the graph over
 * `members` (the pinned consortium; default: the participants themselves). Only the
 * context's task hash feeds the graph.
 */
export function createGraph(sites: readonly string[], context: RoundContext, spec: GraphSpec, members: readonly string[] = sites): NeighbourGraph {
  const sorted = checkSites(sites);
  const all = checkSites(members);
  const memberSet = new Set(all);
  for (const site of sorted) {
    if (!memberSet.has(site)) throw invalid(`site '${site}' is not a member of the consortium`);
  }
  const n = all.length;
  if (spec?.kind !== 'full' && spec?.kind !== 'k-regular') throw invalid("graph kind must be 'full' or 'k-regular'");
  const k = spec.kind === 'k-regular' ? (spec.k ?? defaultDegree(n)) : n - 1;
  if (spec.kind === 'k-regular' && spec.k !== undefined && (!Number.isInteger(k) || k < 2 || k % 2 !== 0)) {
    throw invalid(`graph degree k = ${String(spec.k)} must be an even integer ≥ 2`);
  }
  const participants = new Set(sorted);
  const known = (site: string): string => {
    if (!participants.has(site)) throw invalid(`site '${String(site).slice(0, 80)}' is not in the roster`);
    return site;
  };
  if (k >= n - 1) {
    return {
      kind: 'full',
      degree: Math.max(n - 1, 0),
      sites: sorted,
      neighbours: (site) => sorted.filter((s) => s !== known(site)),
      isNeighbour: (a, b) => known(a) !== known(b),
    };
  }
  const order = publicOrder(all, context.taskHash);
  // Neighbour lists as indices into `sorted` (numeric order is name order), packed in one
  // Int32Array: a graph lives for a whole round at every site, and in a simulation of n
  // sites n graphs coexist, so a list of strings per site would cost O(n²) memory.
  const indexOf = new Map(sorted.map((site, index) => [site, index]));
  const offsets = new Int32Array(sorted.length + 1);
  const flat = new Int32Array(sorted.length * k);
  let filled = 0;
  const positionOf = new Map(order.map((site, position) => [site, position]));
  sorted.forEach((site, index) => {
    offsets[index] = filled;
    const position = positionOf.get(site)!;
    const list: number[] = [];
    for (let step = 1; step <= k / 2; step++) {
      for (const peer of [order[(position + step) % n]!, order[(position - step + n) % n]!]) {
        const peerIndex = indexOf.get(peer);
        if (peerIndex !== undefined) list.push(peerIndex);
      }
    }
    list.sort((a, b) => a - b);
    flat.set(list, filled);
    filled += list.length;
  });
  offsets[sorted.length] = filled;
  const range = (site: string): Int32Array => {
    const index = indexOf.get(known(site))!;
    return flat.subarray(offsets[index]!, offsets[index + 1]!);
  };
  return {
    kind: 'k-regular',
    degree: k,
    sites: sorted,
    neighbours: (site) => Array.from(range(site), (index) => sorted[index]!),
    isNeighbour: (a, b) => range(a).includes(indexOf.get(known(b))!),
  };
}

/** Whether the subgraph induced by `subset` is connected (an empty subset is not). */
export function isConnected(graph: NeighbourGraph, subset: readonly string[]): boolean {
  const inside = new Set(subset);
  const first = subset[0];
  if (first === undefined) return false;
  const roster = new Set(graph.sites);
  if (subset.some((site) => !roster.has(site))) return false;
  if (graph.kind === 'full') return true;
  const seen = new Set([first]);
  const stack = [first];
  while (stack.length > 0) {
    for (const peer of graph.neighbours(stack.pop()!)) {
      if (inside.has(peer) && !seen.has(peer)) {
        seen.add(peer);
        stack.push(peer);
      }
    }
  }
  return seen.size === inside.size;
}
