import { aborted, invalid } from './fail.js';
import { isConnected, type NeighbourGraph } from './graph.js';
import type { Roster } from './roster.js';
import type { UnmaskRequest } from './types.js';
import type { RevealKind } from './vocabulary.js';

export interface RevealInputs {
  site: string;
  request: UnmaskRequest;
  roster: Roster;
  graph: NeighbourGraph;
  threshold: number;
  /** Neighbours whose shares this site received (its view of U2). */
  received: ReadonlySet<string>;
  /** What this site already revealed, by owner. */
  revealed: ReadonlyMap<string, RevealKind>;
}

function toSet(list: unknown, name: string, roster: Roster): Set<string> {
  if (!Array.isArray(list)) throw invalid(`unmask request ${name} must be an array`);
  const out = new Set<string>();
  for (const site of list) {
    if (typeof site !== 'string' || !roster.has(site)) throw invalid(`unmask request ${name} names '${String(site).slice(0, 80)}', which is not in the roster`);
    if (out.has(site)) throw invalid(`unmask request lists '${site}' twice in ${name}`);
    out.add(site);
  }
  return out;
}

/**
 * Decides which share of which owner to reveal. Throws SECAGG_ABORTED when
 * answering would break the guarantee (a site in both lists, fewer survivors than
 * the threshold, survivors whose masks would not cancel as one sum, a request to
 * reveal the other share of an owner), MESSAGE_INVALID when the request is malformed
 * or does not match what this site saw.
 */
export function planReveals(inputs: RevealInputs): { owner: string; kind: RevealKind }[] {
  const { site, request, roster, graph, threshold, received, revealed } = inputs;
  if (typeof request !== 'object' || request === null) throw invalid('unmask request must be an object');
  const survivors = toSet(request.survivors, 'survivors', roster);
  const dropped = toSet(request.dropped, 'dropped', roster);
  for (const owner of survivors) {
    if (dropped.has(owner)) throw aborted(`unmask request lists '${owner}' as both survivor and dropped: that would reveal both of its shares`);
  }
  if (survivors.size < threshold) throw aborted(`unmask request has ${survivors.size} survivors, fewer than the threshold ${threshold}`);
  if (!survivors.has(site) && !dropped.has(site)) throw invalid(`unmask request does not classify this site '${site}'`);
  for (const peer of received) {
    if (!survivors.has(peer) && !dropped.has(peer)) throw invalid(`unmask request does not classify neighbour '${peer}'`);
  }
  for (const peer of graph.neighbours(site)) {
    if ((survivors.has(peer) || dropped.has(peer)) && !received.has(peer)) {
      throw invalid(`unmask request lists neighbour '${peer}', whose shares this site never received`);
    }
  }
  // In a sparse graph, separate components of survivors would each unmask to their own sum.
  if (!isConnected(graph, [...survivors])) {
    throw aborted('survivors are not connected in the neighbour graph: unmasking would reveal partial sums');
  }
  const plan: { owner: string; kind: RevealKind }[] = [];
  for (const owner of [site, ...[...received].sort()]) {
    const kind: RevealKind = survivors.has(owner) ? 'b' : 's';
    // Never reveal this site's own mask key: it is alive, and its input may yet surface.
    if (owner === site && kind === 's') continue;
    const before = revealed.get(owner);
    if (before !== undefined && before !== kind) throw aborted(`asked to reveal the '${kind}' share of '${owner}' after its '${before}' share`);
    plan.push({ owner, kind });
  }
  return plan;
}
