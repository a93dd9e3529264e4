/** Shared fixtures of the black-box protocol tests: public API only. */
import { expect } from 'vitest';
import { isCohortError, type ErrorCode, type MessageBodies, type MessageType, type RefusalReason } from './index.js';

/** mulberry32: small, seeded, good enough to pick sizes and values. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomFloats(n: number, random: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (random() - 0.5) * 10 ** Math.floor(random() * 12 - 6);
  return out;
}

export function randomBytes(n: number, random: () => number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256);
  return out;
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Raw bytes of any typed array, for identical-bytes assertions. */
export function rawBytes(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

export const TASK_HASH = 'a3'.repeat(32);
export const WEIGHTS_HASH = '5e'.repeat(32);
export const PUBLIC_KEY = `ed25519:${'A'.repeat(42)}Q`;

/** A valid body of every message type; typing makes a missing type a compile error. */
export function sampleBodies(random: () => number): { [T in MessageType]: MessageBodies[T] } {
  // -0, a subnormal and the largest float32 check that raw bytes, not numbers, travel.
  const weights = Float32Array.from([-0, 1e-40, 3.4028234663852886e38, ...randomFloats(61, random)]);
  const round = { taskHash: TASK_HASH, round: 3, attempt: 2 };
  return {
    hello: { site: 'st-marys.hosp_1', protocolVersion: '2.0', publicKey: PUBLIC_KEY, nonce: randomBytes(32, random) },
    challenge: { challenge: randomBytes(32, random), coordinatorPublicKey: PUBLIC_KEY, binding: 'none', proof: randomBytes(64, random) },
    auth: { site: 'st-marys.hosp_1', signature: randomBytes(64, random) },
    welcome: { site: 'st-marys.hosp_1', sessionId: 'sess_Zq-19' },
    error: { code: 'POLICY_REFUSED', message: 'task not approved' },
    'round/start': {
      type: 'round/start', ...round, phase: 'train', cohort: ['a', 'b', 'c'],
      config: { lr: 0.01, optimizer: 'adam', shuffle: true }, weights,
    },
    'model/chunk': { ...round, index: 1, total: 4, hash: WEIGHTS_HASH, data: randomBytes(1000, random) },
    'update/submit': {
      type: 'update/submit', ...round, site: 'a', update: randomFloats(64, random), numExamples: 120,
      metrics: { loss: 0.41, accuracy: 0.83 },
    },
    'eval/result': { type: 'eval/result', ...round, site: 'b', numExamples: 40, metrics: { auc: 0.77, 'auc/sex=F': 0.74 } },
    'round/refuse': {
      type: 'round/refuse', ...round, site: 'c', phase: 'evaluate',
      error: { code: 'BUDGET_EXHAUSTED', message: 'privacy budget spent' },
    },
    'task/manifest': { hash: TASK_HASH, json: '{"model":{"layers":[]}}' },
    status: { epsilonSpent: 1.25, ready: true, seq: 1 },
    'secagg/keys': { type: 'secagg/keys', ...round, site: 'a', cPk: randomBytes(32, random), sPk: randomBytes(32, random), keySig: randomBytes(64, random) },
    'secagg/roster': {
      type: 'secagg/roster', ...round, threshold: 2, degree: 0, colluders: 0, membership: TASK_HASH,
      roster: ['a', 'b'].map((site) => ({ site, cPk: randomBytes(32, random), sPk: randomBytes(32, random), keySig: randomBytes(64, random), identityKey: `ed25519:${'A'.repeat(43)}` })),
    },
    'secagg/shares': { type: 'secagg/shares', ...round, site: 'a', shares: [{ to: 'b', ciphertext: randomBytes(338, random) }] },
    'secagg/relay': { type: 'secagg/relay', ...round, shares: [{ from: 'b', ciphertext: randomBytes(338, random) }] },
    'secagg/masked': { type: 'secagg/masked', ...round, site: 'a', masked: new Uint32Array(randomBytes(64, random).buffer) },
    'secagg/survivors': { type: 'secagg/survivors', ...round, survivors: ['a', 'b'], dropped: ['c'] },
    'secagg/attest': { type: 'secagg/attest', ...round, site: 'a', sig: randomBytes(64, random) },
    'secagg/unmask': { type: 'secagg/unmask', ...round, survivors: ['a', 'b'], dropped: ['c'], attestations: [{ site: 'a', sig: randomBytes(64, random) }] },
    'secagg/reveal': { type: 'secagg/reveal', ...round, site: 'a', reveals: [{ owner: 'b', kind: 'b', share: randomBytes(68, random) }] },
  };
}

/** Runs `fn`, expects a CohortError of this code and refusal reason, and returns it. */
export function expectRefusal(fn: () => unknown, code: ErrorCode, reason: RefusalReason) {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(isCohortError(thrown), `expected a CohortError, got ${String(thrown)}`).toBe(true);
  if (!isCohortError(thrown)) throw new Error('unreachable');
  expect({ code: thrown.code, reason: thrown.details?.['reason'] }).toEqual({ code, reason });
  return thrown;
}
