/**
 * A site's side of one secure train phase. It quantizes the (already privatized)
 * update, advertises fresh keys signed by the site's identity, checks every
 * peer's key signature and the threshold before sharing anything, masks its
 * input, and reveals only what the unmask request needs — and only when the
 * survivors are at least the hospital's minimum cohort.
 */
import { decodePublicKey, SIGN_DOMAINS, signPayload, verifyPayload } from '@cohortfl/identity';
import { advertisementBytes, clipL2, createQuantizer, SecAggClient } from '@cohortfl/secagg';
import { sampleDiscreteGaussian } from '@cohortfl/privacy';
import { CohortError, type RoundStart, type SecAggKeys, type SecAggMasked, type SecAggRelay, type SecAggReveal, type SecAggRoster, type SecAggShares, type SecAggUnmask } from '@cohortfl/wire';
import type { QuantizerSettings } from './secure-settings.js';

/** The signing context of a key advertisement (peers verify it against the site's enrolled key). */
export function advertisementContext(taskHash: string, round: number, attempt: number, site: string) {
  return { domain: SIGN_DOMAINS.KEYS, taskHash, round, attempt, site, phase: 'secagg/advertise' };
}

export class SecureSiteRound {
  private readonly client: SecAggClient;
  private readonly vector: Uint32Array;
  private readonly keys: { cPk: Uint8Array; sPk: Uint8Array };

  constructor(
    private readonly site: string,
    readonly start: RoundStart,
    settings: QuantizerSettings,
    update: Float32Array,
    numExamples: number,
    trainLoss: number,
    /** Site-level DP: this site's share of the discrete Gaussian noise, in grid units². */
    noiseVariance?: number,
  ) {
    const quantizer = createQuantizer({ clip: settings.clip, weightScale: settings.weightScale, maxSites: settings.maxSites });
    if (numExamples > settings.weightScale) {
      throw new CohortError('POLICY_REFUSED', `this site has ${numExamples} training records, above the round's weight scale of ${settings.weightScale}`);
    }
    // The training loss rides as one extra coordinate, so the coordinator learns the
    // example-weighted mean loss of the survivors, like the update, and nothing per site.
    const clipped = clipL2(update, settings.clip).clipped;
    const withLoss = new Float32Array(clipped.length + 1);
    withLoss.set(clipped);
    withLoss[clipped.length] = Number.isFinite(trainLoss) ? Math.min(Math.max(trainLoss, 0), settings.clip) : 0;
    this.vector = quantizer.quantize(withLoss, numExamples);
    if (noiseVariance !== undefined) {
      // Distributed discrete Gaussian (Kairouz, Liu, Steinke 2021): added in Z_2^32 to
      // the update's coordinates, so the sum of at least n_min sites carries σ·C.
      const noise = sampleDiscreteGaussian(noiseVariance, clipped.length);
      for (let i = 0; i < clipped.length; i++) this.vector[i] = (this.vector[i]! + noise[i]!) >>> 0;
    }
    this.client = new SecAggClient({ site, context: this.context });
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

  /** Step 2: check the roster, then share the seeds with the neighbours. */
  share(roster: SecAggRoster, minCohortSize: number): SecAggShares {
    const c = this.context;
    if (roster.roster.length < minCohortSize) {
      throw new CohortError('POLICY_REFUSED', `roster of ${roster.roster.length} sites is below this site's minimum of ${minCohortSize}`);
    }
    const group = roster.degree > 0 ? Math.min(roster.degree + 1, roster.roster.length) : roster.roster.length;
    if (roster.threshold <= group / 2) {
      throw new CohortError('POLICY_REFUSED', `secure aggregation threshold ${roster.threshold} is not a strict majority of ${group} share holders`);
    }
    for (const entry of roster.roster) {
      const bytes = advertisementBytes(entry.site, entry.cPk, entry.sPk, c);
      const ok = verifyPayload(decodePublicKey(entry.identityKey), advertisementContext(c.taskHash, c.round, c.attempt, entry.site), bytes, entry.keySig);
      if (!ok) throw new CohortError('SIGNATURE_INVALID', `the key advertisement of '${entry.site}' is not signed by its identity key`);
    }
    const graph = roster.degree > 0 ? ({ kind: 'k-regular', k: roster.degree } as const) : ({ kind: 'full' } as const);
    const shares = this.client.shareKeys(
      roster.roster.map((e) => ({ site: e.site, cPk: e.cPk, sPk: e.sPk })),
      { threshold: roster.threshold, graph },
    );
    return { type: 'secagg/shares', ...this.header(), shares: shares.map((s) => ({ to: s.to, ciphertext: s.ciphertext })) };
  }

  /** Step 3: the masked, quantized update. */
  mask(relay: SecAggRelay): SecAggMasked {
    return { type: 'secagg/masked', ...this.header(), masked: this.client.maskInput(relay.shares, this.vector) };
  }

  /** Step 4: reveal what removes the masks, if the survivors meet the hospital's minimum cohort. */
  reveal(request: SecAggUnmask, minCohortSize: number): SecAggReveal {
    if (request.survivors.length < minCohortSize) {
      throw new CohortError('POLICY_REFUSED', `only ${request.survivors.length} sites survived, below this site's minimum cohort of ${minCohortSize}`);
    }
    const reveals = this.client.unmask({ survivors: request.survivors, dropped: request.dropped });
    return { type: 'secagg/reveal', ...this.header(), reveals: reveals.map((r) => ({ owner: r.owner, kind: r.kind, share: r.share })) };
  }
}
