/**
 * A site's side of one secure train phase. It quantizes the (already privatized)
 * update, advertises fresh keys signed by the site's identity, accepts a roster
 * only of pinned consortium members whose key signatures verify and whose threshold
 * tolerates the colluders it assumes, masks its input, signs the one survivor set it
 * is shown, and reveals only after enough share holders signed that same set, the
 * survivors meet the hospital's minimum cohort, and (under distributed DP) the sum
 * carries at least as many honest noise shares as the site's ledger was charged for.
 */
import { decodePublicKey, SIGN_DOMAINS, signPayload, verifyPayload } from '@cohortfl/identity';
import { advertisementBytes, clipL2Into, createQuantizer, minimumThreshold, SecAggClient, survivorSetBytes, type RosterEntry } from '@cohortfl/secagg';
import { sampleDiscreteGaussian } from '@cohortfl/privacy';
import {
  CohortError,
  type ErrorCode,
  type RoundStart,
  type SecAggAttest,
  type SecAggKeys,
  type SecAggMasked,
  type SecAggRelay,
  type SecAggReveal,
  type SecAggRoster,
  type SecAggShares,
  type SecAggSurvivors,
  type SecAggUnmask,
} from '@cohortfl/wire';
import type { Membership } from './membership.js';
import type { NoisePool } from './noise-pool.js';
import type { QuantizerSettings } from './secure-settings.js';

/** Why a site refused a secure step: the label its refusal counter and log carry. */
export const SECURE_REFUSALS = {
  UNPINNED_MEMBER: 'unpinned_member',
  THRESHOLD_UNSAFE: 'threshold_unsafe',
  COHORT_TOO_SMALL: 'cohort_too_small',
  SURVIVORS_CHANGED: 'survivors_changed',
  ATTESTATIONS_SHORT: 'attestations_short',
  NOISE_FLOOR: 'noise_floor',
  ROUND_REVEALED: 'round_revealed',
} as const;
export type SecureRefusal = (typeof SECURE_REFUSALS)[keyof typeof SECURE_REFUSALS];

/** A refusal carrying its counted reason in `details.reason`. */
export function secureRefusal(code: ErrorCode, reason: SecureRefusal, message: string): CohortError {
  return new CohortError(code, message, { details: { reason } });
}

/** The signing context of a key advertisement (peers verify it against the site's pinned key). */
export function advertisementContext(taskHash: string, round: number, attempt: number, site: string) {
  return { domain: SIGN_DOMAINS.KEYS, taskHash, round, attempt, site, phase: 'secagg/advertise' };
}

/** The signing context of a survivor-set attestation (the consistency step). */
export function attestationContext(taskHash: string, round: number, attempt: number, site: string) {
  return { domain: SIGN_DOMAINS.SURVIVORS, taskHash, round, attempt, site, phase: 'secagg/attest' };
}

/** What the site holds the coordinator to, whatever the round's messages say. */
export interface SecureSiteGuard {
  /** The consortium membership this hospital approved (its pinned peers). */
  membership: Membership;
  /** Colluding sites this hospital assumes at least (its policy); the task may assume more. */
  colluders: number;
  /** The hospital's minimum cohort: rosters and survivor sets below it are refused. */
  minCohortSize: number;
  /** Distributed DP: the honest noise shares the site's charge assumed (n_min); absent without DP. */
  noiseSites?: number;
}

export class SecureSiteRound {
  private readonly client: SecAggClient;
  private readonly vector: Uint32Array;
  private readonly keys: { cPk: Uint8Array; sPk: Uint8Array };
  private roster: RosterEntry[] | undefined;
  private colluders = 0;
  private attestedBytes: Uint8Array | undefined;

  constructor(
    private readonly site: string,
    readonly start: RoundStart,
    settings: QuantizerSettings,
    update: Float32Array,
    numExamples: number,
    trainLoss: number,
    private readonly guard: SecureSiteGuard,
    /** Site-level DP: this site's share of the discrete Gaussian noise, in grid units². */
    noiseVariance?: number,
    /** Where the noise comes from (pre-drawn if it holds a vector of this shape); absent: drawn here. */
    noisePool?: NoisePool,
  ) {
    const quantizer = createQuantizer({ clip: settings.clip, weightScale: settings.weightScale, maxSites: settings.maxSites });
    if (numExamples > settings.weightScale) {
      throw new CohortError('POLICY_REFUSED', `this site has ${numExamples} training records, above the round's weight scale of ${settings.weightScale}`);
    }
    // The training loss rides as one extra coordinate, so the coordinator learns the
    // example-weighted mean loss of the survivors, like the update, and nothing per site.
    const withLoss = new Float32Array(update.length + 1);
    clipL2Into(update, settings.clip, withLoss.subarray(0, update.length));
    withLoss[update.length] = Number.isFinite(trainLoss) ? Math.min(Math.max(trainLoss, 0), settings.clip) : 0;
    this.vector = quantizer.quantize(withLoss, numExamples);
    if (noiseVariance !== undefined) {
      // Distributed discrete Gaussian (Kairouz, Liu, Steinke 2021): added in Z_2^32 to
      // the update's coordinates, so the sum of at least n_min sites carries σ·C. The
      // noise may have been drawn before the round (noise-pool.ts); it is used once.
      const shape = { sigmaSquared: noiseVariance, length: update.length };
      const noise = noisePool ? noisePool.take(shape) : sampleDiscreteGaussian(noiseVariance, update.length);
      const words = new Int32Array(this.vector.buffer, this.vector.byteOffset, update.length);
      for (let i = 0; i < words.length; i++) words[i] = (words[i]! + noise[i]!) | 0;
      noise.fill(0);
    }
    this.client = new SecAggClient({ site, context: this.context, members: guard.membership.sites });
    this.keys = this.client.advertiseKeys();
  }

  private get context() {
    return { taskHash: this.start.taskHash, round: this.start.round, attempt: this.start.attempt };
  }

  private header() {
    return { taskHash: this.start.taskHash, round: this.start.round, attempt: this.start.attempt, site: this.site };
  }

  /** Step 1: fresh keys, bound to this round and signed by the site's identity. */
  advertise(identitySecretKey: Uint8Array): SecAggKeys {
    const c = this.context;
    const bytes = advertisementBytes(this.site, this.keys.cPk, this.keys.sPk, c);
    const keySig = signPayload(identitySecretKey, advertisementContext(c.taskHash, c.round, c.attempt, this.site), bytes);
    return { type: 'secagg/keys', ...this.header(), cPk: this.keys.cPk, sPk: this.keys.sPk, keySig };
  }

  /** Step 2: check the roster against the pinned membership and the threshold rule, then share. */
  share(roster: SecAggRoster): SecAggShares {
    const c = this.context;
    const { membership, minCohortSize } = this.guard;
    if (roster.membership !== membership.digest) {
      throw secureRefusal('POLICY_REFUSED', SECURE_REFUSALS.UNPINNED_MEMBER, `the roster is drawn over consortium ${roster.membership.slice(0, 12)}…, not the membership this site approved (${membership.digest.slice(0, 12)}…)`);
    }
    for (const entry of roster.roster) {
      const pinned = membership.keyOf(entry.site);
      if (pinned === undefined) throw secureRefusal('POLICY_REFUSED', SECURE_REFUSALS.UNPINNED_MEMBER, `roster entry '${entry.site}' is not a member of the approved consortium`);
      if (pinned !== entry.identityKey) throw secureRefusal('POLICY_REFUSED', SECURE_REFUSALS.UNPINNED_MEMBER, `roster entry '${entry.site}' names an identity key other than its pinned one`);
    }
    if (roster.roster.length < minCohortSize) {
      throw secureRefusal('POLICY_REFUSED', SECURE_REFUSALS.COHORT_TOO_SMALL, `roster of ${roster.roster.length} sites is below this site's minimum of ${minCohortSize}`);
    }
    const colluders = Math.max(roster.colluders, this.guard.colluders);
    // The most holders any site's shares can have in this roster (the site and its neighbours).
    const holders = roster.degree > 0 ? Math.min(roster.degree + 1, roster.roster.length) : roster.roster.length;
    if (2 * roster.threshold <= holders + colluders) {
      throw secureRefusal('POLICY_REFUSED', SECURE_REFUSALS.THRESHOLD_UNSAFE, `secure aggregation threshold ${roster.threshold} is below ${minimumThreshold(holders, colluders)}, the least that keeps ${colluders} colluding site(s) from splitting ${holders} share holders`);
    }
    const noiseSites = this.guard.noiseSites;
    if (noiseSites !== undefined && roster.roster.length - colluders < noiseSites) {
      throw secureRefusal('POLICY_REFUSED', SECURE_REFUSALS.NOISE_FLOOR, `a roster of ${roster.roster.length} sites, ${colluders} of them possibly colluding, cannot carry the ${noiseSites} honest noise shares this site's privacy charge assumes`);
    }
    for (const entry of roster.roster) {
      const bytes = advertisementBytes(entry.site, entry.cPk, entry.sPk, c);
      const ok = verifyPayload(decodePublicKey(membership.keyOf(entry.site)!), advertisementContext(c.taskHash, c.round, c.attempt, entry.site), bytes, entry.keySig);
      if (!ok) throw new CohortError('SIGNATURE_INVALID', `the key advertisement of '${entry.site}' is not signed by its pinned identity key`);
    }
    const graph = roster.degree > 0 ? ({ kind: 'k-regular', k: roster.degree } as const) : ({ kind: 'full' } as const);
    const entries = roster.roster.map((e) => ({ site: e.site, cPk: e.cPk, sPk: e.sPk }));
    const shares = this.client.shareKeys(entries, { threshold: roster.threshold, graph, colluders });
    this.roster = entries;
    this.colluders = colluders;
    return { type: 'secagg/shares', ...this.header(), shares: shares.map((s) => ({ to: s.to, ciphertext: s.ciphertext })) };
  }

  /** Step 3: the masked, quantized update. */
  mask(relay: SecAggRelay): SecAggMasked {
    return { type: 'secagg/masked', ...this.header(), masked: this.client.maskInput(relay.shares, this.vector) };
  }

  /**
   * Step 4, the consistency step: sign the survivor set, once. The floors are checked
   * here already, so a site never signs a set it would not reveal for.
   */
  attest(request: SecAggSurvivors, identitySecretKey: Uint8Array): SecAggAttest {
    this.checkFloors(request.survivors.length);
    const bytes = this.client.attest({ survivors: request.survivors, dropped: request.dropped });
    this.attestedBytes = bytes;
    const c = this.context;
    const sig = signPayload(identitySecretKey, attestationContext(c.taskHash, c.round, c.attempt, this.site), bytes);
    return { type: 'secagg/attest', ...this.header(), sig };
  }

  /**
   * Step 5: reveal what removes the masks, only for the set this site signed, once at
   * least `threshold` holders of every share it reveals signed that same set.
   */
  reveal(request: SecAggUnmask): SecAggReveal {
    const bytes = this.attestedBytes;
    if (bytes === undefined) throw new CohortError('SECAGG_ABORTED', 'no survivor set was attested in this round');
    this.checkFloors(request.survivors.length);
    const c = this.context;
    const own = survivorSetBytes(c, this.roster!, { survivors: request.survivors, dropped: request.dropped });
    if (!bytesEqual(own, bytes)) {
      throw secureRefusal('SECAGG_ABORTED', SECURE_REFUSALS.SURVIVORS_CHANGED, 'the unmask request names another survivor set than the one this site signed');
    }
    const signers: string[] = [];
    for (const { site, sig } of request.attestations) {
      const key = this.guard.membership.keyOf(site);
      if (key === undefined || !this.roster!.some((e) => e.site === site)) continue;
      if (verifyPayload(decodePublicKey(key), attestationContext(c.taskHash, c.round, c.attempt, site), bytes, sig)) signers.push(site);
    }
    let reveals;
    try {
      reveals = this.client.unmask({ survivors: request.survivors, dropped: request.dropped }, signers);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/signed this survivor set/.test(message)) throw secureRefusal('SECAGG_ABORTED', SECURE_REFUSALS.ATTESTATIONS_SHORT, message);
      throw error;
    }
    return { type: 'secagg/reveal', ...this.header(), reveals: reveals.map((r) => ({ owner: r.owner, kind: r.kind, share: r.share })) };
  }

  private checkFloors(survivors: number): void {
    const { minCohortSize, noiseSites } = this.guard;
    if (survivors < minCohortSize) {
      throw secureRefusal('POLICY_REFUSED', SECURE_REFUSALS.COHORT_TOO_SMALL, `only ${survivors} sites survived, below this site's minimum cohort of ${minCohortSize}`);
    }
    if (noiseSites !== undefined && survivors - this.colluders < noiseSites) {
      throw secureRefusal('POLICY_REFUSED', SECURE_REFUSALS.NOISE_FLOOR, `${survivors} survivors, ${this.colluders} of them possibly colluding, hold fewer than the ${noiseSites} honest noise shares this site was charged for`);
    }
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
