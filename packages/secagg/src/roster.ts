import { encodeSite, isBytes } from './bytes.js';
import { invalid } from './fail.js';
import type { NeighbourGraph } from './graph.js';
import type { RosterEntry, SecAggConfig } from './types.js';
import { MAX_ROSTER, MIN_THRESHOLD, SIZES } from './vocabulary.js';

/** A checked roster: entries by site, sites sorted, Shamir x = 1 + position in sorted order. */
export interface Roster {
  readonly sites: readonly string[];
  entry(site: string): RosterEntry;
  xOf(site: string): number;
  has(site: string): boolean;
}

/** Refuses duplicate sites, reused keys, bad sizes and oversize rosters (MESSAGE_INVALID). */
export function checkRoster(entries: readonly RosterEntry[]): Roster {
  if (!Array.isArray(entries)) throw invalid('roster must be an array');
  if (entries.length > MAX_ROSTER) throw invalid(`roster has ${entries.length} sites, at most ${MAX_ROSTER} allowed`);
  // One copy of every key, 64 bytes a site (c then s), and entries made on demand: a site
  // holds its roster for a whole round, and in a simulation of n sites n rosters coexist.
  const keyBytes = new Uint8Array(entries.length * 2 * SIZES.KEY);
  const indexOf = new Map<string, number>();
  const keys = new Set<string>();
  for (const entry of entries) {
    encodeSite(entry?.site);
    if (indexOf.has(entry.site)) throw invalid(`site '${entry.site}' appears twice in the roster`);
    const index = indexOf.size;
    for (const [slot, key] of [entry.cPk, entry.sPk].entries()) {
      if (!isBytes(key, SIZES.KEY)) throw invalid(`site '${entry.site}': public keys must be 32 bytes`);
      const hex = Buffer.from(key).toString('hex');
      if (keys.has(hex)) throw invalid(`site '${entry.site}': a public key is reused in the roster`);
      keys.add(hex);
      keyBytes.set(key, (2 * index + slot) * SIZES.KEY);
    }
    indexOf.set(entry.site, index);
  }
  const sites = [...indexOf.keys()].sort();
  const xs = new Map(sites.map((site, index) => [site, index + 1]));
  const known = (site: string): number => {
    const index = indexOf.get(site);
    if (index === undefined) throw invalid(`site '${String(site).slice(0, 80)}' is not in the roster`);
    return index;
  };
  const entry = (site: string): RosterEntry => {
    const at = 2 * known(site) * SIZES.KEY;
    return { site, cPk: keyBytes.slice(at, at + SIZES.KEY), sPk: keyBytes.slice(at + SIZES.KEY, at + 2 * SIZES.KEY) };
  };
  return {
    sites,
    entry,
    xOf: (site) => (known(site), xs.get(site)!),
    has: (site) => indexOf.has(site),
  };
}

/** The threshold must be an integer ≥ 2 (MESSAGE_INVALID otherwise). */
export function parseThreshold(config: SecAggConfig): number {
  const t = config?.threshold;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < MIN_THRESHOLD || t > MAX_ROSTER) {
    throw invalid(`threshold ${String(t)} must be an integer in ${MIN_THRESHOLD}..${MAX_ROSTER}`);
  }
  return t;
}

/** Every site's closed neighbourhood (itself and the holders of its shares) must be able to reach t. */
export function fitsNeighbourhood(threshold: number, graph: NeighbourGraph): boolean {
  return graph.sites.every((site) => threshold <= graph.neighbours(site).length + 1);
}

/** Colluders tolerated: an integer ≥ 0, default 0 (MESSAGE_INVALID otherwise). */
export function parseColluders(config: SecAggConfig): number {
  const c = config?.colluders ?? 0;
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > MAX_ROSTER) throw invalid(`colluders ${String(c)} must be an integer in 0..${MAX_ROSTER}`);
  return c;
}

/** The most holders any participant's shares have in this graph (itself included). */
export function maxHolders(graph: NeighbourGraph): number {
  let most = 0;
  for (const site of graph.sites) most = Math.max(most, graph.neighbours(site).length + 1);
  return most;
}

/**
 * The threshold rule against a coordinator that tells holders different stories
 * (Bonawitz et al. 2017; per neighbourhood as in Bell et al. 2020). An honest holder
 * reveals one share of an owner, never both; to get t self-mask shares and t mask-key
 * shares of one owner out of its h holders, c colluders among them and a split of the
 * honest ones need 2(t − c) ≤ h − c, i.e. 2t ≤ h + c. With 2t > h + c for every owner
 * that cannot happen, whatever each holder is told.
 */
export function consistencyHolds(threshold: number, graph: NeighbourGraph, colluders: number): boolean {
  return 2 * threshold > maxHolders(graph) + colluders;
}

/** The smallest threshold the consistency rule allows for holder groups of `holders` sites. */
export function minimumThreshold(holders: number, colluders: number): number {
  return Math.max(MIN_THRESHOLD, Math.floor((holders + colluders) / 2) + 1);
}
