/**
 * The coordinator's secure train phase: five exchanges (keys → shares → masked
 * input → attest → reveal), each closed when every expected site answered or its
 * deadline passed. It relays what it cannot read, collects every survivor's signature
 * over the one survivor set it announced, and ends with the dequantized
 * example-weighted mean update of the survivors, never one site's update.
 */
import { decodePublicKey, verifyPayload } from '@cohortfl/identity';
import { createQuantizer, SecAggServer, survivorSetBytes, type RosterEntry } from '@cohortfl/secagg';
import { CohortError, isCohortError, type CoordinatorMessage, type SecAggKeys, type SecAggSiteMessage } from '@cohortfl/wire';
import type { SiteFailure } from '@cohortfl/strategies';
import { resolveThreshold, type QuantizerSettings, type SecureAggregationOptions } from './secure-settings.js';
import { attestationContext } from './secure-site.js';
import { DEFAULT_COLLUDERS } from './site-policy.js';

export const SECURE_STEPS = ['keys', 'shares', 'masked', 'attest', 'reveal'] as const;
export type SecureStep = (typeof SECURE_STEPS)[number];

const EXPECTED: Record<SecureStep, SecAggSiteMessage['type']> = {
  keys: 'secagg/keys',
  shares: 'secagg/shares',
  masked: 'secagg/masked',
  attest: 'secagg/attest',
  reveal: 'secagg/reveal',
};

export type SecureOutcome =
  | { kind: 'continue'; sends: { to: string; message: CoordinatorMessage }[]; step: SecureStep }
  | { kind: 'done'; update: Float32Array; numExamples: number; loss: number; survivors: string[] }
  | { kind: 'aborted'; message: string };

export interface SecureTrainInput {
  taskHash: string;
  round: number;
  attempt: number;
  cohort: string[];
  parameterCount: number;
  options: SecureAggregationOptions;
  /** The quantizer the sites were told to use (from the signed round config). */
  quantizer: QuantizerSettings;
  /** Distributed DP: honest noise shares the sites were charged for (n_min); the sum must hold them. */
  noiseSites?: number;
}

export class SecureTrainPhase {
  step: SecureStep = 'keys';
  readonly failures: SiteFailure[] = [];
  private expected: Set<string>;
  private readonly answered = new Set<string>();
  private readonly keys = new Map<string, SecAggKeys>();
  private readonly server: SecAggServer;
  private readonly threshold: number;
  private readonly colluders: number;
  private readonly quantizer;
  private roster: RosterEntry[] = [];
  private survivorBytes: Uint8Array | undefined;
  private readonly attestations = new Map<string, Uint8Array>();

  constructor(private readonly input: SecureTrainInput) {
    const { cohort, options } = input;
    this.threshold = resolveThreshold(cohort.length, options);
    this.colluders = options.colluders ?? DEFAULT_COLLUDERS;
    const degree = options.degree ?? 0;
    this.server = new SecAggServer({
      context: { taskHash: input.taskHash, round: input.round, attempt: input.attempt },
      cohort,
      members: options.membership.sites,
      config: { threshold: this.threshold, graph: degree > 0 ? { kind: 'k-regular', k: degree } : { kind: 'full' }, colluders: this.colluders },
      vectorLength: input.parameterCount + 2, // the update, the training loss, the example count
    });
    this.quantizer = createQuantizer(input.quantizer);
    this.expected = new Set(cohort);
  }

  /** Is `site` still expected to answer the current step? */
  awaits(site: string): boolean {
    return this.expected.has(site) && !this.answered.has(site);
  }

  get complete(): boolean {
    return [...this.expected].every((s) => this.answered.has(s));
  }

  /**
   * Whether receive would take this message, recording nothing: its step, its sender and its
   * body (the masked vector's length, the shares list, the reveal list, the attestation's
   * signature). The coordinator asks before its replay guard records the message, so a
   * refused body does not use up the site's answer for the step.
   */
  check(site: string, message: SecAggSiteMessage): { ok: true } | { ok: false; reason: string } {
    if (message.type !== EXPECTED[this.step]) return { ok: false, reason: `${message.type} arrived during the ${this.step} step` };
    if (!this.awaits(site)) return { ok: false, reason: `site '${site}' is not expected in the ${this.step} step` };
    try {
      switch (message.type) {
        case 'secagg/keys':
          this.server.checkAdvertisement(site, { cPk: message.cPk, sPk: message.sPk });
          break;
        case 'secagg/shares':
          if (!Array.isArray(message.shares)) return { ok: false, reason: `shares from '${site}' must be a list` };
          this.server.checkShares(site, message.shares.map((s) => ({ from: site, to: s.to, ciphertext: s.ciphertext })));
          break;
        case 'secagg/masked':
          this.server.checkMasked(site, message.masked);
          break;
        case 'secagg/attest': {
          this.server.checkAttestation(site);
          const key = this.input.options.membership.keyOf(site);
          const c = { taskHash: this.input.taskHash, round: this.input.round, attempt: this.input.attempt };
          const ok = key !== undefined && verifyPayload(decodePublicKey(key), attestationContext(c.taskHash, c.round, c.attempt, site), this.survivorBytes!, message.sig);
          if (!ok) return { ok: false, reason: `the survivor-set signature of '${site}' does not verify` };
          break;
        }
        case 'secagg/reveal':
          this.server.checkUnmask(site, message.reveals);
          break;
      }
    } catch (error) {
      if (isCohortError(error, 'SECAGG_ABORTED')) throw error;
      return { ok: false, reason: isCohortError(error) ? error.message : 'invalid secure aggregation message' };
    }
    return { ok: true };
  }

  /** Accept a site's message for the current step; false with a reason if it does not fit (see check). */
  receive(site: string, message: SecAggSiteMessage): { ok: true } | { ok: false; reason: string } {
    const verdict = this.check(site, message);
    if (!verdict.ok) return verdict;
    try {
      switch (message.type) {
        case 'secagg/keys':
          this.server.receiveAdvertisement(site, { cPk: message.cPk, sPk: message.sPk });
          this.keys.set(site, message);
          break;
        case 'secagg/shares':
          this.server.receiveShares(site, message.shares.map((s) => ({ from: site, to: s.to, ciphertext: s.ciphertext })));
          break;
        case 'secagg/masked':
          this.server.receiveMasked(site, message.masked);
          break;
        case 'secagg/attest':
          // check verified the survivor-set signature.
          this.server.receiveAttestation(site);
          this.attestations.set(site, message.sig);
          break;
        case 'secagg/reveal':
          this.server.receiveUnmask(site, message.reveals);
          break;
      }
    } catch (error) {
      if (isCohortError(error, 'SECAGG_ABORTED')) throw error;
      return { ok: false, reason: isCohortError(error) ? error.message : 'invalid secure aggregation message' };
    }
    this.answered.add(site);
    return { ok: true };
  }

  /** A site failed in the current step (refused, timed out, disconnected). */
  fail(site: string, reason: string, message: string): void {
    if (!this.awaits(site)) return;
    this.answered.add(site);
    this.failures.push({ site, reason, message: `${this.step} step: ${message}` });
  }

  /** Close the current step: the next messages, the summed result, or an abort. */
  close(): SecureOutcome {
    const ctx = { taskHash: this.input.taskHash, round: this.input.round, attempt: this.input.attempt };
    try {
      switch (this.step) {
        case 'keys': {
          const roster = this.server.closeAdvertisements();
          const { membership } = this.input.options;
          const entries = roster.map((r) => {
            const k = this.keys.get(r.site)!;
            const identityKey = membership.keyOf(r.site);
            if (!identityKey) throw new CohortError('SECAGG_ABORTED', `'${r.site}' is not a member of the consortium`);
            return { site: r.site, cPk: k.cPk, sPk: k.sPk, keySig: k.keySig, identityKey };
          });
          this.roster = roster;
          const degree = this.input.options.degree ?? 0;
          const message: CoordinatorMessage = {
            type: 'secagg/roster',
            ...ctx,
            threshold: this.threshold,
            degree,
            colluders: this.colluders,
            membership: membership.digest,
            roster: entries,
          };
          return this.next('shares', roster.map((r) => ({ to: r.site, message })));
        }
        case 'shares': {
          this.server.closeShares();
          const sends = [...this.answered].filter((s) => !this.failed(s)).sort().map((to) => ({
            to,
            message: { type: 'secagg/relay' as const, ...ctx, shares: this.server.sharesFor(to) },
          }));
          return this.next('masked', sends);
        }
        case 'masked': {
          const request = this.server.closeMasked();
          const { noiseSites } = this.input;
          // The sites would refuse to reveal; abort before asking, not after unmasking.
          if (noiseSites !== undefined && request.survivors.length - this.colluders < noiseSites) {
            return {
              kind: 'aborted',
              message: `${request.survivors.length} survivors, ${this.colluders} of them possibly colluding, hold fewer than the ${noiseSites} honest noise shares the sites were charged for`,
            };
          }
          this.survivorBytes = survivorSetBytes(ctx, this.roster, request);
          const message: CoordinatorMessage = { type: 'secagg/survivors', ...ctx, survivors: request.survivors, dropped: request.dropped };
          return this.next('attest', request.survivors.map((to) => ({ to, message })));
        }
        case 'attest': {
          const signers = this.server.closeAttestations();
          const request = this.server.unmaskRequest();
          const attestations = signers.map((site) => ({ site, sig: this.attestations.get(site)! }));
          const message: CoordinatorMessage = { type: 'secagg/unmask', ...ctx, survivors: request.survivors, dropped: request.dropped, attestations };
          return this.next('reveal', signers.map((to) => ({ to, message })));
        }
        case 'reveal': {
          const survivors = [...this.server.unmaskRequest().survivors];
          const sum = this.server.finalize();
          const result = this.quantizer.dequantizeSum(sum, survivors.length);
          const p = this.input.parameterCount;
          const mean = result.weightedMeanUpdate;
          return { kind: 'done', update: mean.slice(0, p), numExamples: result.totalExamples, loss: mean[p]!, survivors };
        }
      }
    } catch (error) {
      if (isCohortError(error)) return { kind: 'aborted', message: error.message };
      throw error;
    }
  }

  private failed(site: string): boolean {
    return this.failures.some((f) => f.site === site);
  }

  private next(step: SecureStep, sends: { to: string; message: CoordinatorMessage }[]): SecureOutcome {
    this.step = step;
    this.expected = new Set(sends.map((s) => s.to));
    this.answered.clear();
    return { kind: 'continue', sends, step };
  }
}
