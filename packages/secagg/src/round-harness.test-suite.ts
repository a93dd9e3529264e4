import { isCohortError } from '@cohortfl/wire';
import { SecAggClient } from './client.js';
import type { RoundContext } from './context.js';
import { SecAggServer } from './server.js';
import type { Reveal, SecAggConfig, UnmaskRequest } from './types.js';

/** Shared helpers for the protocol tests: a seeded generator for choices and a sans-IO round driver. */
export interface Rng {
  next(): number;
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(list: readonly T[]): T;
}

/** mulberry32: small, seeded, good enough to choose test cases (never used for secrets). */
export function seeded(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4_294_967_296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), pick: (list) => list[Math.floor(next() * list.length)]! };
}

export const CONTEXT: RoundContext = { taskHash: 'ab'.repeat(32), round: 7, attempt: 0 };

export function siteNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `site-${String(i).padStart(2, '0')}`);
}

/** The last message each dropped site got through: none, its keys, its shares, its masked input. */
export const DROP_POINTS = ['before-advertise', 'after-advertise', 'after-share', 'after-masked'] as const;
export type DropPoint = (typeof DROP_POINTS)[number];

export interface RoundPlan {
  sites: string[];
  config: SecAggConfig;
  inputs: ReadonlyMap<string, Uint32Array>;
  drops: ReadonlyMap<string, DropPoint>;
  context?: RoundContext;
}

export type RoundResult =
  | { outcome: 'done'; sum: Uint32Array; masked: Map<string, Uint32Array> }
  | { outcome: 'aborted'; message: string; masked: Map<string, Uint32Array> };

/** Drives one round through a server and its clients, as a coordinator would relay it. */
export function runRound(plan: RoundPlan): RoundResult {
  const context = plan.context ?? CONTEXT;
  const vectorLength = plan.inputs.values().next().value!.length;
  const server = new SecAggServer({ context, cohort: plan.sites, config: plan.config, vectorLength });
  const clients = new Map(plan.sites.map((site) => [site, new SecAggClient({ site, context, members: plan.sites })]));
  const masked = new Map<string, Uint32Array>();
  let alive = [...plan.sites];
  const leave = (point: DropPoint): void => {
    alive = alive.filter((site) => plan.drops.get(site) !== point);
  };
  try {
    leave('before-advertise');
    for (const site of alive) server.receiveAdvertisement(site, clients.get(site)!.advertiseKeys());
    const roster = server.closeAdvertisements();
    leave('after-advertise');
    for (const site of alive) server.receiveShares(site, clients.get(site)!.shareKeys(roster, plan.config));
    server.closeShares();
    leave('after-share');
    for (const site of alive) {
      const y = clients.get(site)!.maskInput(server.sharesFor(site), plan.inputs.get(site)!);
      masked.set(site, y);
      server.receiveMasked(site, y);
    }
    const request = server.closeMasked();
    leave('after-masked');
    for (const site of alive) {
      clients.get(site)!.attest(request);
      server.receiveAttestation(site);
    }
    const signers = server.closeAttestations();
    for (const site of signers) server.receiveUnmask(site, clients.get(site)!.unmask(request, signers));
    return { outcome: 'done', sum: server.finalize(), masked };
  } catch (error) {
    // Only the server may abort an honest run; anything else is a failure of the test.
    if (isCohortError(error, 'SECAGG_ABORTED') && server.stage === 'aborted') return { outcome: 'aborted', message: error.message, masked };
    throw error;
  }
}

/** Σ of the given sites' inputs, mod 2^32. */
export function sumOf(sites: readonly string[], inputs: ReadonlyMap<string, Uint32Array>): Uint32Array {
  const first = inputs.values().next().value!;
  const out = new Uint32Array(first.length);
  for (const site of sites) {
    const x = inputs.get(site)!;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + x[i]!;
  }
  return out;
}

/** χ² statistic of the 16-bucket histogram of the top 4 bits of every word. */
export function chiSquare16(words: Uint32Array): number {
  const counts = new Array<number>(16).fill(0);
  for (const word of words) counts[word >>> 28]!++;
  const expected = words.length / 16;
  return counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
}
/** χ²(15) upper quantile at p = 1e-4: a uniform source exceeds it once in 10,000 runs. */
export const CHI2_15_P1E4 = 44.26;


/** The consistency step, then unmask with `signers` taken as verified (default: every survivor). */
export function attestAndUnmask(client: SecAggClient, request: UnmaskRequest, signers: readonly string[] = request?.survivors ?? []): Reveal[] {
  client.attest(request);
  return client.unmask(request, signers);
}
