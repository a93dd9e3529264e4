import { randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import { isCohortError, type CohortError } from '@cohortfl/wire';
import { checkContext, type RoundContext } from './context.js';
import { bytesEqual, encodeSite, wipe } from './bytes.js';
import { planReveals } from './client-reveals.js';
import { aborted, invalid } from './fail.js';
import { createGraph, type NeighbourGraph } from './graph.js';
import { pairMaskKey, pairSign, selfMaskKey } from './mask-keys.js';
import { applyMasks, type SignedMask } from './prg.js';
import { checkRoster, consistencyHolds, fitsNeighbourhood, maxHolders, minimumThreshold, parseColluders, parseThreshold, type Roster } from './roster.js';
import { survivorSetBytes } from './signed-bytes.js';
import { encodeShare, split } from './shamir.js';
import { decryptShares, encryptShares, type SharePair } from './share-payload.js';
import { createAgreement, generateKeyPair } from './x25519.js';
import type { EncryptedShare, KeyAdvertisement, ReceivedShare, Reveal, RosterEntry, SecAggConfig, UnmaskRequest } from './types.js';
import { CLIENT_STEPS, type ClientStage, type ClientStep, type RevealKind } from './vocabulary.js';

export interface SecAggClientOptions {
  site: string;
  context: RoundContext;
  /** The consortium's members, the neighbour graph's nodes (default: each roster's sites). */
  members?: readonly string[];
}

/** Public facts fixed by shareKeys. */
interface RoundView {
  roster: Roster;
  graph: NeighbourGraph;
  threshold: number;
}

/** The survivor set this site signed in the consistency step: the only one it will ever unmask for. */
interface Attested {
  survivors: ReadonlySet<string>;
  dropped: ReadonlySet<string>;
}

/** Secrets kept from shareKeys to maskInput, then wiped. */
interface MaskSecrets {
  seed: Uint8Array;
  /** Per neighbour: nacl.box key (to open its shares) and the X25519 secret of the pairwise mask. */
  peers: Map<string, { boxKey: Uint8Array; pairSecret: Uint8Array }>;
}

/**
 * One site's side of secure aggregation, sans IO: each step takes the relayed
 * inputs and returns what to send. Stages: init → advertised → shared → masked →
 * unmasked. SECAGG_ABORTED moves it to 'aborted' for good and wipes its secrets;
 * a MESSAGE_INVALID refusal changes nothing.
 */
export class SecAggClient {
  readonly site: string;
  readonly context: RoundContext;
  readonly #members: readonly string[] | undefined;
  #stage: ClientStage = 'init';
  #attested: Attested | undefined;
  #c: nacl.BoxKeyPair | undefined;
  #s: nacl.BoxKeyPair | undefined;
  #view: RoundView | undefined;
  #secrets: MaskSecrets | undefined;
  /** Shares addressed to this site, by owner (itself included). */
  readonly #held = new Map<string, SharePair>();
  /** U2 as this site saw it: neighbours whose shares it received. */
  #received: ReadonlySet<string> = new Set();
  /** Which share of which owner has been revealed, across calls. */
  readonly #revealed = new Map<string, RevealKind>();

  constructor(options: SecAggClientOptions) {
    encodeSite(options?.site);
    this.site = options.site;
    this.context = checkContext(options.context);
    this.#members = options.members === undefined ? undefined : [...options.members];
  }

  get stage(): ClientStage {
    return this.#stage;
  }

  /** Two fresh X25519 key pairs: c encrypts shares to this site, s agrees pairwise masks. */
  advertiseKeys(): KeyAdvertisement {
    this.#begin('advertiseKeys');
    this.#c = generateKeyPair();
    this.#s = generateKeyPair();
    this.#stage = CLIENT_STEPS.advertiseKeys.to;
    return { cPk: Uint8Array.from(this.#c.publicKey), sPk: Uint8Array.from(this.#s.publicKey) };
  }

  /**
   * Shamir-shares the self-mask seed b and the s secret key t-of-(neighbours + 1)
   * and encrypts each neighbour's two shares to it. The caller must have verified
   * every roster entry's signature over advertisementBytes.
   */
  shareKeys(roster: readonly RosterEntry[], config: SecAggConfig): EncryptedShare[] {
    this.#begin('shareKeys');
    const c = this.#c!;
    const s = this.#s!;
    const checked = checkRoster(roster);
    if (!checked.has(this.site)) throw invalid(`roster does not include this site '${this.site}'`);
    const own = checked.entry(this.site);
    if (!bytesEqual(own.cPk, c.publicKey) || !bytesEqual(own.sPk, s.publicKey)) {
      throw invalid('roster carries keys for this site that it did not advertise');
    }
    const threshold = parseThreshold(config);
    const colluders = parseColluders(config);
    const graph = createGraph(checked.sites, this.context, config.graph, this.#members ?? checked.sites);
    if (checked.sites.length < threshold) {
      throw this.#abort(`roster has ${checked.sites.length} sites, fewer than the threshold ${threshold}`);
    }
    if (!consistencyHolds(threshold, graph, colluders)) {
      throw this.#abort(`threshold ${threshold} is too low: with up to ${maxHolders(graph)} holders of a site's shares and ${colluders} colluding site(s) tolerated, it must be at least ${minimumThreshold(maxHolders(graph), colluders)}`);
    }
    if (!fitsNeighbourhood(threshold, graph)) {
      throw this.#abort(`threshold ${threshold} exceeds the holders of some site's shares in this roster`);
    }
    const neighbours = graph.neighbours(this.site);
    const boxAgreement = createAgreement(c.secretKey);
    const maskAgreement = createAgreement(s.secretKey);
    const peers = new Map<string, { boxKey: Uint8Array; pairSecret: Uint8Array }>();
    for (const peer of neighbours) {
      const entry = checked.entry(peer);
      peers.set(peer, { boxKey: boxAgreement.boxKey(entry.cPk, peer), pairSecret: maskAgreement.shared(entry.sPk, peer) });
    }
    const holders = [this.site, ...neighbours];
    const xs = holders.map((site) => checked.xOf(site));
    const seed = new Uint8Array(randomBytes(32));
    const bShares = split(seed, holders.length, threshold, xs);
    const sShares = split(s.secretKey, holders.length, threshold, xs);
    const out = neighbours.map((to, i): EncryptedShare => {
      const shares = { b: bShares[i + 1]!, s: sShares[i + 1]! };
      const ciphertext = encryptShares(peers.get(to)!.boxKey, { context: this.context, from: this.site, to }, shares);
      wipe(shares.b.y, shares.s.y);
      return { from: this.site, to, ciphertext };
    });
    this.#held.set(this.site, { b: bShares[0]!, s: sShares[0]! });
    this.#view = { roster: checked, graph, threshold };
    this.#secrets = { seed, peers };
    // Both secret keys now live only as shares and as the per-peer keys derived above.
    wipe(c.secretKey, s.secretKey);
    this.#stage = CLIENT_STEPS.shareKeys.to;
    return out;
  }

  /** Opens the shares relayed to this site, then y = x + PRG(b) + Σ_{v ∈ U2 ∩ N(u)} ±PRG(k_uv) mod 2^32. */
  maskInput(received: readonly ReceivedShare[], vector: Uint32Array): Uint32Array {
    this.#begin('maskInput');
    const { roster, threshold } = this.#view!;
    const secrets = this.#secrets!;
    if (!(vector instanceof Uint32Array) || vector.length === 0) throw invalid('the input must be a non-empty Uint32Array');
    if (!Array.isArray(received)) throw invalid('received shares must be an array');
    const myX = roster.xOf(this.site);
    const opened = new Map<string, SharePair>();
    for (const item of received) {
      const from: unknown = item?.from;
      const peer = typeof from === 'string' ? secrets.peers.get(from) : undefined;
      if (typeof from !== 'string' || peer === undefined) {
        throw invalid(`share relayed from '${String(from).slice(0, 80)}', which is not a neighbour of '${this.site}'`);
      }
      if (opened.has(from)) throw invalid(`two shares relayed from '${from}'`);
      const pair = decryptShares(peer.boxKey, item.ciphertext, { context: this.context, from, to: this.site });
      if (pair.b.x !== myX || pair.s.x !== myX) throw invalid(`shares from '${from}' carry another site's x-coordinate`);
      opened.set(from, pair);
    }
    if (opened.size + 1 < threshold) {
      throw this.#abort(`received shares from ${opened.size} neighbours; ${threshold - 1} needed for threshold ${threshold}`);
    }
    const masked = vector.slice();
    // The self mask and every pairwise mask, expanded together in one pass over the vector.
    const masks: SignedMask[] = [{ key: selfMaskKey(this.context, this.site, secrets.seed), sign: 1 }];
    for (const peer of [...opened.keys()].sort()) {
      masks.push({ key: pairMaskKey(this.context, this.site, peer, secrets.peers.get(peer)!.pairSecret), sign: pairSign(this.site, peer) });
    }
    try {
      applyMasks(masked, masks);
    } finally {
      for (const mask of masks) wipe(mask.key);
    }
    for (const [from, pair] of opened) this.#held.set(from, pair);
    this.#received = new Set(opened.keys());
    this.#wipeSecrets();
    this.#stage = CLIENT_STEPS.maskInput.to;
    return masked;
  }

  /**
   * The consistency step: checks the survivor set as unmask would (without revealing)
   * and commits to it. Returns the bytes the caller signs with the site's identity key;
   * this site signs one survivor set per attempt and unmasks for that set only.
   */
  attest(request: UnmaskRequest): Uint8Array {
    this.#begin('attest');
    const { roster } = this.#view!;
    this.#planOrAbort(request);
    this.#attested = { survivors: new Set(request.survivors), dropped: new Set(request.dropped) };
    this.#stage = CLIENT_STEPS.attest.to;
    return survivorSetBytes(this.context, roster.sites.map((site) => roster.entry(site)), request);
  }

  /**
   * The shares to reveal: a survivor's b-share, a dropped site's s-share, never both
   * for one site across calls. `signers`: the roster sites whose signatures over this
   * site's attested survivor set the caller verified. Refuses (SECAGG_ABORTED) a request
   * other than the one attested, an owner whose share holders gave fewer than
   * `threshold` signatures, a site in both lists, fewer survivors than the threshold,
   * or survivors whose sum would split into parts.
   */
  unmask(request: UnmaskRequest, signers: Iterable<string>): Reveal[] {
    this.#begin('unmask');
    const { roster, graph, threshold } = this.#view!;
    const attested = this.#attested!;
    const same = (list: readonly string[], set: ReadonlySet<string>) => Array.isArray(list) && list.length === set.size && list.every((s) => set.has(s));
    if (!same(request?.survivors, attested.survivors) || !same(request?.dropped, attested.dropped)) {
      throw this.#abort('the unmask request differs from the survivor set this site signed');
    }
    const plan = this.#planOrAbort(request);
    const signed = new Set<string>([this.site]);
    for (const signer of signers) if (roster.has(signer)) signed.add(signer);
    for (const { owner } of plan) {
      const holders = [owner, ...graph.neighbours(owner)];
      const count = holders.filter((h) => signed.has(h)).length;
      if (count < threshold) {
        throw this.#abort(`only ${count} holders of the shares of '${owner}' signed this survivor set; ${threshold} needed before anything is revealed`);
      }
    }
    const out = plan.map(({ owner, kind }): Reveal => {
      this.#revealed.set(owner, kind);
      return { owner, kind, share: encodeShare(this.#held.get(owner)![kind]) };
    });
    this.#wipeHeld();
    this.#stage = CLIENT_STEPS.unmask.to;
    return out;
  }

  #planOrAbort(request: UnmaskRequest): { owner: string; kind: RevealKind }[] {
    const { roster, graph, threshold } = this.#view!;
    try {
      return planReveals({ site: this.site, request, roster, graph, threshold, received: this.#received, revealed: this.#revealed });
    } catch (error) {
      if (isCohortError(error, 'SECAGG_ABORTED')) throw this.#abort(error.message);
      throw error;
    }
  }

  #begin(step: ClientStep): void {
    const { from } = CLIENT_STEPS[step];
    if (this.#stage === 'aborted') throw aborted(`site '${this.site}': secure aggregation already aborted; ${step} refused`);
    if (this.#stage !== from) throw this.#abort(`${step} is not allowed in stage '${this.#stage}' (expected '${from}')`);
  }

  #wipeSecrets(): void {
    if (this.#secrets === undefined) return;
    wipe(this.#secrets.seed);
    for (const peer of this.#secrets.peers.values()) wipe(peer.boxKey, peer.pairSecret);
    this.#secrets = undefined;
  }

  #wipeHeld(): void {
    for (const pair of this.#held.values()) wipe(pair.b.y, pair.s.y);
    this.#held.clear();
  }

  #abort(message: string): CohortError {
    this.#stage = 'aborted';
    wipe(this.#c?.secretKey, this.#s?.secretKey);
    this.#wipeSecrets();
    this.#wipeHeld();
    return aborted(`site '${this.site}': ${message}`);
  }
}
