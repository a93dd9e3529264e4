/**
 * A malicious coordinator in the test process, driving the real site code
 * (SiteRunner → SecureSiteRound → SecAggClient) message by message, so each test can
 * deviate from the protocol exactly where an attack needs it. Sites are honest; a
 * colluding site is played by the adversary itself with that site's identity key (its
 * advertisement keys are the adversary's own, so it can open what is sent to it).
 */
import { generateKeyPairSync } from 'node:crypto';
import { encodePublicKey, generateIdentity, signPayload, type Identity } from '@cohortfl/identity';
import {
  advertisementContext,
  attestationContext,
  createMembership,
  privacyRoundConfig,
  secureRoundConfig,
  SiteRunner,
  type Membership,
  type RevealedRounds,
  type RoundPrivacy,
  type SitePolicy,
  type SiteWork,
} from '@cohortfl/protocol';
import {
  advertisementBytes,
  applyMask,
  createAgreement,
  createQuantizer,
  decodeShare,
  decryptShares,
  pairMaskKey,
  pairSign,
  selfMaskKey,
  shamirCombine,
  survivorSetBytes,
  type RosterEntry,
  type ShamirShare,
} from '@cohortfl/secagg';
import type {
  RoundStart,
  SecAggAttest,
  SecAggKeys,
  SecAggMasked,
  SecAggReveal,
  SecAggRoster,
  SecAggShares,
  SiteMessage,
} from '@cohortfl/wire';

export const TASK = 'c0'.repeat(32);
export const CLIP = 5;
export const WEIGHT_SCALE = 1000;
export const PARAMS = 8;

export interface Hospital {
  name: string;
  identity: Identity;
  runner: SiteRunner;
  /** The update it trains to, and its record count: what an attack tries to recover. */
  update: Float32Array;
  numExamples: number;
  refusals: { reason: string; message: string }[];
}

/** A distinct, recognisable update per site (clipped well inside CLIP). */
export function updateOf(index: number): Float32Array {
  return Float32Array.from({ length: PARAMS }, (_, j) => ((index + 1) * (j % 2 === 0 ? 1 : -1) * (j + 1)) / 40);
}

export interface ConsortiumOptions {
  /** The hospitals' policy beyond task approval (colluders, minNoiseSites, minCohortSize). */
  policy?: Partial<SitePolicy>;
  /** Which membership each site pins; default: the real one of every hospital. */
  pinned?: (real: Membership) => Membership;
  /** Extra members the sites pin (e.g. a colluder the adversary plays). */
  extraMembers?: { name: string; identity: Identity }[];
  /** Where each site keeps the rounds it revealed for (default: in memory). */
  revealed?: () => RevealedRounds;
}

/** n honest hospitals (and their real, pinned consortium). */
export function hospitals(names: readonly string[], options: ConsortiumOptions = {}) {
  const identities = new Map(names.map((name) => [name, generateIdentity()]));
  for (const extra of options.extraMembers ?? []) identities.set(extra.name, extra.identity);
  const membership = createMembership([...identities].map(([site, id]) => ({ site, identityKey: encodePublicKey(id.publicKey) })));
  const pinned = options.pinned ? options.pinned(membership) : membership;
  const list: Hospital[] = names.map((name, i) => {
    const update = updateOf(i);
    const numExamples = 10 * (i + 1);
    const work: SiteWork = {
      load: async () => undefined,
      train: async () => ({ update: Float32Array.from(update), numExamples, metrics: { loss: 0.25 } }),
      evaluate: async () => ({ numExamples: 20, metrics: { auc: 0.5 } }),
    };
    const refusals: Hospital['refusals'] = [];
    const runner = new SiteRunner({
      site: name,
      policy: { acceptTasks: true, approvedTaskHashes: [TASK], minCohortSize: 2, ...options.policy },
      work,
      identitySecretKey: identities.get(name)!.secretKey,
      membership: pinned,
      ...(options.revealed ? { revealed: options.revealed() } : {}),
      onRefusal: (reason, error) => refusals.push({ reason, message: error.message }),
    });
    return { name, identity: identities.get(name)!, runner, update, numExamples, refusals };
  });
  return { list, byName: new Map(list.map((h) => [h.name, h])), membership, identities };
}

/** The signed round/start of a secure train phase (what every site checks before training). */
export function roundStart(cohort: readonly string[], membership: Membership, round = 1, attempt = 1, privacy?: RoundPrivacy): RoundStart {
  const config = {
    ...(privacy ? privacyRoundConfig(privacy) : {}),
    ...secureRoundConfig({ clip: CLIP, weightScale: WEIGHT_SCALE, stepTimeoutMs: 1000, membership }, cohort.length, privacy),
    runId: 1,
  };
  return { type: 'round/start', taskHash: TASK, round, attempt, phase: 'train', cohort: [...cohort], config, weights: new Float32Array(PARAMS) };
}

export type Answer<T> = { ok: true; message: T } | { ok: false; reason: string; code: string; message: string };

export async function ask<T extends SiteMessage>(h: Hospital, message: Parameters<SiteRunner['handle']>[0]): Promise<Answer<T>> {
  const reply = await h.runner.handle(structuredClone(message));
  if (reply.type === 'round/refuse') {
    const last = h.refusals.at(-1);
    return { ok: false, reason: last?.reason ?? reply.error.code.toLowerCase(), code: reply.error.code, message: reply.error.message };
  }
  return { ok: true, message: reply as T };
}

export function must<T>(answer: Answer<T>, what: string): T {
  if (!answer.ok) throw new Error(`${what} refused (${answer.reason}): ${answer.message}`);
  return answer.message;
}

/** A colluding member played by the adversary: its identity key, and advertisement keys the adversary made. */
/** A fresh X25519 key pair as raw 32-byte keys (what advertisements carry). */
function x25519KeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const raw = (b64: string | undefined) => new Uint8Array(Buffer.from(b64!, 'base64url'));
  return { publicKey: raw(publicKey.export({ format: 'jwk' }).x), secretKey: raw(privateKey.export({ format: 'jwk' }).d) };
}

export class Colluder {
  readonly c = x25519KeyPair();
  readonly s = x25519KeyPair();
  constructor(readonly name: string, readonly identity: Identity) {}

  advertise(round = 1, attempt = 1): SecAggKeys {
    const context = { taskHash: TASK, round, attempt };
    const bytes = advertisementBytes(this.name, this.c.publicKey, this.s.publicKey, context);
    const keySig = signPayload(this.identity.secretKey, advertisementContext(TASK, round, attempt, this.name), bytes);
    return { type: 'secagg/keys', taskHash: TASK, round, attempt, site: this.name, cPk: this.c.publicKey, sPk: this.s.publicKey, keySig };
  }

  /** Opens the share pair `from` sent it: both of that site's shares at this colluder's x. */
  open(from: string, ciphertext: Uint8Array, round = 1, attempt = 1, fromCPk: Uint8Array): { b: ShamirShare; s: ShamirShare } {
    const boxKey = createAgreement(this.c.secretKey).boxKey(fromCPk, from);
    return decryptShares(boxKey, ciphertext, { context: { taskHash: TASK, round, attempt }, from, to: this.name });
  }

  /** A colluder signs whatever survivor set the adversary wants. */
  attest(roster: RosterEntry[], survivors: string[], dropped: string[], round = 1, attempt = 1): { site: string; sig: Uint8Array } {
    const bytes = survivorSetBytes({ taskHash: TASK, round, attempt }, roster, { survivors, dropped });
    return { site: this.name, sig: signPayload(this.identity.secretKey, attestationContext(TASK, round, attempt, this.name), bytes) };
  }
}

/** The roster message from collected advertisements, with each member's (or a substituted) identity key. */
export function rosterOf(keys: SecAggKeys[], identityKeyOf: (site: string) => string, membership: Membership, threshold: number, round = 1, attempt = 1, colluders = 1, degree = 0): SecAggRoster {
  return {
    type: 'secagg/roster',
    taskHash: TASK,
    round,
    attempt,
    threshold,
    degree,
    colluders,
    membership: membership.digest,
    roster: keys.map((k) => ({ site: k.site, cPk: k.cPk, sPk: k.sPk, keySig: k.keySig, identityKey: identityKeyOf(k.site) })),
  };
}

export const entriesOf = (roster: SecAggRoster): RosterEntry[] => roster.roster.map((e) => ({ site: e.site, cPk: e.cPk, sPk: e.sPk }));

/** The relay for `to`: every share list's ciphertext addressed to it. */
export function relayFor(to: string, shares: SecAggShares[], round = 1, attempt = 1) {
  return {
    type: 'secagg/relay' as const,
    taskHash: TASK,
    round,
    attempt,
    shares: shares.flatMap((s) => s.shares.filter((x) => x.to === to).map((x) => ({ from: s.site, ciphertext: x.ciphertext }))),
  };
}

/**
 * What the adversary does with shares it got hold of: t self-mask shares and t
 * mask-key shares of `owner` give its seed and X25519 mask secret; removing the self
 * mask and every pairwise mask with `peers` (its neighbours that sent shares) from its
 * masked vector leaves its quantized update. Returns the dequantized update and count.
 */
export function unmaskOne(options: {
  owner: string;
  masked: Uint32Array;
  bShares: Uint8Array[];
  sShares: Uint8Array[];
  threshold: number;
  roster: RosterEntry[];
  peers: readonly string[];
  maxSites: number;
  round?: number;
  attempt?: number;
}): { update: Float32Array; numExamples: number } {
  const context = { taskHash: TASK, round: options.round ?? 1, attempt: options.attempt ?? 1 };
  const seed = shamirCombine(options.bShares.map(decodeShare), options.threshold);
  const sSecret = shamirCombine(options.sShares.map(decodeShare), options.threshold);
  const y = Uint32Array.from(options.masked);
  const self = selfMaskKey(context, options.owner, seed);
  applyMask(y, self, -1);
  const agreement = createAgreement(sSecret);
  for (const peer of options.peers) {
    const entry = options.roster.find((e) => e.site === peer)!;
    const key = pairMaskKey(context, options.owner, peer, agreement.shared(entry.sPk, peer));
    applyMask(y, key, pairSign(options.owner, peer) === 1 ? -1 : 1);
  }
  const quantizer = createQuantizer({ clip: CLIP, weightScale: WEIGHT_SCALE, maxSites: options.maxSites });
  const out = quantizer.dequantizeSum(y, 1);
  return { update: out.weightedMeanUpdate.slice(0, PARAMS), numExamples: out.totalExamples };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

export type { SecAggAttest, SecAggMasked, SecAggReveal, SecAggShares, SecAggKeys };
