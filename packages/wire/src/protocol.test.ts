/**
 * Black-box suite of the wire protocol (PROTOCOL.md): codec and validation,
 * exercised through the public API only. Foreign frames are built with a plain
 * msgpack encoder, as a peer written in another language would.
 */
import { Packr, type Options } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  checkUpdate,
  createCodec,
  createEnvelope,
  MESSAGE_TYPES,
  parseEnvelope,
  PROTOCOL_VERSION,
  type Envelope,
} from './index.js';
import { createRandom, expectRefusal, PUBLIC_KEY, rawBytes, sampleBodies, TASK_HASH } from './protocol-fixtures.test-suite.js';

const foreign = new Packr({ useRecords: false, moreTypes: true, skipValues: [undefined] } as Options);
const codec = createCodec();
const ID = '0123456789abcdef0123456789abcdef';

/** An envelope as a peer could send it, bypassing our encoder's own validation. */
function frame(type: string, body: unknown, extra: Record<string, unknown> = {}): Uint8Array {
  return foreign.pack({ v: PROTOCOL_VERSION, type, id: ID, body, ...extra });
}

function update(overrides: Record<string, unknown>): Uint8Array {
  return frame('update/submit', { ...sampleBodies(createRandom(1))['update/submit'], ...overrides });
}

describe('codec round trips', () => {
  const bodies = sampleBodies(createRandom(7));

  it.each(Object.values(MESSAGE_TYPES))('%s survives encode → decode with identical bytes', (type) => {
    const sent = createEnvelope(type, bodies[type]) as Envelope;
    const received = codec.decode(codec.encode(sent));
    expect(received).toEqual(sent);
    for (const [field, value] of Object.entries(sent.body)) {
      if (!ArrayBuffer.isView(value)) continue;
      const got = (received.body as unknown as Record<string, unknown>)[field];
      expect(got, field).toBeInstanceOf(value.constructor);
      expect(rawBytes(got as ArrayBufferView).equals(rawBytes(value)), field).toBe(true);
    }
  });

  it('carries a 64-byte signature and a fresh 16-byte hex id', () => {
    const sig = new Uint8Array(64).fill(7);
    const sent: Envelope = { ...createEnvelope('status', { ready: false, seq: 1 }), sig };
    const received = codec.decode(codec.encode(sent));
    expect(received.sig).toBeInstanceOf(Uint8Array);
    expect(rawBytes(received.sig as Uint8Array).equals(rawBytes(sig))).toBe(true);
    expect(received.id).toMatch(/^[0-9a-f]{32}$/);
    expect(createEnvelope('status', { ready: true, seq: 1 }).id).not.toBe(received.id);
  });

  it('sends a 1,000,000-value Float32Array as raw bytes, not as a number array', () => {
    const weights = new Float32Array(1_000_000);
    for (let i = 0; i < weights.length; i++) weights[i] = Math.sin(i);
    const body = { ...bodies['round/start'], cohort: ['a'], config: {}, weights };
    const bytes = codec.encode(createEnvelope('round/start', body));
    expect(bytes.byteLength).toBeGreaterThan(4_000_000);
    expect(bytes.byteLength).toBeLessThan(4_000_300);
    // The tensor itself costs its 4,000,000 bytes plus a 7-byte extension header, nothing per value.
    const empty = codec.encode(createEnvelope('round/start', { ...body, weights: new Float32Array(0) }));
    expect(bytes.byteLength - empty.byteLength).toBeLessThanOrEqual(4_000_010);
    const back = codec.decode(bytes).body as typeof body;
    expect(rawBytes(back.weights).equals(rawBytes(weights))).toBe(true);
    expect(back.weights.byteOffset % 4).toBe(0);
  });

  it('accepts bin-encoded bytes from other msgpack implementations', () => {
    const { challenge } = bodies.challenge;
    const received = codec.decode(frame('challenge', { challenge: Buffer.from(challenge), coordinatorPublicKey: PUBLIC_KEY, binding: 'none', proof: Buffer.from(bodies.challenge.proof) }));
    const got = (received.body as { challenge: Uint8Array }).challenge;
    expect(got.constructor).toBe(Uint8Array);
    expect(rawBytes(got).equals(rawBytes(challenge))).toBe(true);
  });
});

describe('frames that are not messages', () => {
  it('refuses malformed msgpack as MALFORMED, and never with a foreign error', () => {
    for (const bad of [[], [0xc7, 2, 0x74, 99, 0], [0x01, 0x02], [0x81, 0xa1, 0x76]]) {
      const e = expectRefusal(() => codec.decode(Uint8Array.from(bad)), 'MESSAGE_INVALID', 'MALFORMED');
      expect(e.message).toBe('malformed msgpack frame');
      expect(e.cause).toBeUndefined();
    }
    expectRefusal(() => codec.decode('hello' as unknown as Uint8Array), 'MESSAGE_INVALID', 'MALFORMED');
  });

  it('refuses every truncation of a valid frame', () => {
    const whole = codec.encode(createEnvelope('update/submit', sampleBodies(createRandom(2))['update/submit']));
    const random = createRandom(3);
    for (let k = 0; k < 40; k++) {
      const cut = Math.floor(random() * whole.byteLength);
      expectRefusal(() => codec.decode(whole.subarray(0, cut)), 'MESSAGE_INVALID', 'MALFORMED');
    }
  });

  it('refuses an oversized frame by its length, before decoding it', () => {
    const small = createCodec({ maxMessageBytes: 1024 });
    // Garbage that would be MALFORMED if it were decoded at all.
    const e = expectRefusal(() => small.decode(new Uint8Array(1025).fill(0xc1)), 'PAYLOAD_TOO_LARGE', 'TOO_LARGE');
    expect(e.details).toMatchObject({ bytes: 1025, limit: 1024 });
    const big = createEnvelope('update/submit', { ...sampleBodies(createRandom(4))['update/submit'], update: new Float32Array(300) });
    expectRefusal(() => small.encode(big), 'PAYLOAD_TOO_LARGE', 'TOO_LARGE');
    expect(() => createCodec({ maxMessageBytes: 0 })).toThrow(/maxMessageBytes/);
  });

  it('never throws anything but a CohortError on corrupted frames', () => {
    const random = createRandom(11);
    const bodies = sampleBodies(random);
    const frames = Object.values(MESSAGE_TYPES).map((t) => codec.encode(createEnvelope(t, bodies[t]) as Envelope));
    for (let k = 0; k < 600; k++) {
      const source = frames[k % frames.length] as Uint8Array;
      const copy = Uint8Array.from(source.subarray(0, Math.min(source.length, 200)));
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
        copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      }
      try {
        codec.decode(copy);
      } catch (error) {
        expect((error as Error).name).toBe('CohortError');
      }
    }
  });
});

describe('envelope validation', () => {
  it('refuses another major version first, and accepts another minor', () => {
    const e = expectRefusal(() => codec.decode(frame('update/submit', 'garbage', { v: '3.0' })), 'MESSAGE_INVALID', 'VERSION');
    expect(e.message).toContain('3.0');
    expectRefusal(() => parseEnvelope({ v: 'x'.repeat(5000), type: 'status', id: ID, body: {} }), 'MESSAGE_INVALID', 'VERSION');
    expect(codec.decode(frame('status', { ready: true, seq: 1 }, { v: '2.9' })).v).toBe('2.9');
    const hello = { ...sampleBodies(createRandom(5)).hello, protocolVersion: '3.1' };
    expectRefusal(() => codec.decode(frame('hello', hello)), 'MESSAGE_INVALID', 'VERSION');
  });

  it('refuses an unknown message type, id or signature size', () => {
    expectRefusal(() => codec.decode(frame('keys/advertise', {})), 'MESSAGE_INVALID', 'SCHEMA');
    expectRefusal(() => codec.decode(frame('status', { ready: true, seq: 1 }, { id: 'ABC' })), 'MESSAGE_INVALID', 'SCHEMA');
    expectRefusal(() => codec.decode(frame('status', { ready: true, seq: 1 }, { sig: new Uint8Array(63) })), 'MESSAGE_INVALID', 'SCHEMA');
    expectRefusal(() => parseEnvelope([1, 2]), 'MESSAGE_INVALID', 'SCHEMA');
  });

  it('refuses unknown keys in the envelope and in bodies, naming but not quoting', () => {
    expectRefusal(() => codec.decode(frame('status', { ready: true, seq: 1 }, { extra: 1 })), 'MESSAGE_INVALID', 'SCHEMA');
    const e = expectRefusal(() => codec.decode(update({ extra: 1 })), 'MESSAGE_INVALID', 'SCHEMA');
    expect(e.message).toContain("'extra'");
    const hostile = expectRefusal(() => codec.decode(update({ 'Jane Doe, MRN 4471': 1 })), 'MESSAGE_INVALID', 'SCHEMA');
    expect(hostile.message).not.toContain('Jane');
  });
});

describe('body validation', () => {
  it('refuses a plain array or another typed array where a Float32Array is expected', () => {
    const e = expectRefusal(() => codec.decode(update({ update: [0.1, 0.2] })), 'MESSAGE_INVALID', 'SCHEMA');
    expect(e.message).toContain('body.update');
    expectRefusal(() => codec.decode(update({ update: new Float64Array(4) })), 'MESSAGE_INVALID', 'SCHEMA');
  });

  it('refuses NaN and ±Infinity in a tensor, naming the index and not the value', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const values = new Float32Array(10);
      values[6] = bad;
      const e = expectRefusal(() => codec.decode(update({ update: values })), 'MESSAGE_INVALID', 'NON_FINITE');
      expect(e.message).toContain('index 6');
      expect(e.message).not.toMatch(/NaN|Infinity/);
    }
  });

  it('refuses bad site names without quoting them', () => {
    for (const site of ['', 'Hospital A', '-lead', 'a/b', 'x'.repeat(65), 'patient.Smith']) {
      const e = expectRefusal(() => codec.decode(update({ site })), 'MESSAGE_INVALID', 'SCHEMA');
      if (site.length > 0) expect(e.message).not.toContain(site);
    }
    expect(codec.decode(update({ site: 'x'.repeat(64) })).type).toBe('update/submit');
  });

  it('refuses bad task hashes', () => {
    for (const taskHash of [TASK_HASH.toUpperCase(), TASK_HASH.slice(1), `${TASK_HASH.slice(1)}g`, 42]) {
      expectRefusal(() => codec.decode(update({ taskHash })), 'MESSAGE_INVALID', 'SCHEMA');
    }
  });

  it('bounds counters, example counts, metrics, strings and bytes', () => {
    const schema = (overrides: Record<string, unknown>) =>
      expectRefusal(() => codec.decode(update(overrides)), 'MESSAGE_INVALID', 'SCHEMA');
    for (const round of [0, -1, 1.5, 2 ** 32, '3']) schema({ round });
    schema({ attempt: 0 });
    for (const numExamples of [0, 2.5, 1e9 + 1]) schema({ numExamples });
    schema({ metrics: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, i])) });
    schema({ metrics: { loss: NaN } });
    schema({ metrics: { loss: '0.3' } });
    schema({ type: 'eval/result' });
    const refuse = sampleBodies(createRandom(6))['round/refuse'];
    expectRefusal(() => codec.decode(frame('round/refuse', { ...refuse, error: { code: 'NOPE', message: 'x' } })), 'MESSAGE_INVALID', 'SCHEMA');
    const long = { ...refuse, error: { code: 'INTERNAL', message: 'x'.repeat(1025) } };
    expectRefusal(() => codec.decode(frame('round/refuse', long)), 'MESSAGE_INVALID', 'SCHEMA');
    expectRefusal(() => codec.decode(frame('auth', { site: 'a', signature: new Uint8Array(63) })), 'MESSAGE_INVALID', 'SCHEMA');
    expectRefusal(() => codec.decode(frame('challenge', { challenge: new Uint8Array(32), coordinatorPublicKey: 'ed25519:short' })), 'MESSAGE_INVALID', 'SCHEMA');
  });

  it('checks that a chunked round/start names its hash and count and carries no inline weights', () => {
    const start = sampleBodies(createRandom(8))['round/start'];
    const chunked = { ...start, weights: new Float32Array(0), weightsHash: TASK_HASH, weightsChunks: 3 };
    expect(codec.decode(codec.encode(createEnvelope('round/start', chunked))).body).toEqual(chunked);
    for (const bad of [{ ...chunked, weights: start.weights }, { ...chunked, weightsHash: undefined }, { ...start, weightsChunks: 2 }]) {
      expectRefusal(() => codec.decode(frame('round/start', bad)), 'MESSAGE_INVALID', 'SCHEMA');
    }
    expectRefusal(() => codec.decode(frame('round/start', { ...start, cohort: ['a', 'a'] })), 'MESSAGE_INVALID', 'SCHEMA');
  });

  it('refuses to encode what a peer would refuse', () => {
    const body = { ...sampleBodies(createRandom(9))['update/submit'], numExamples: 0 };
    expectRefusal(() => codec.encode(createEnvelope('update/submit', body)), 'MESSAGE_INVALID', 'SCHEMA');
  });
});

describe('checkUpdate', () => {
  it('accepts the right shape and refuses a wrong one or a non-finite value', () => {
    expect(() => checkUpdate(new Float32Array(5), 5)).not.toThrow();
    const shape = expectRefusal(() => checkUpdate(new Float32Array(4), 5), 'SHAPE_MISMATCH', 'SHAPE');
    expect(shape.details).toMatchObject({ length: 4, expectedLength: 5 });
    const values = Float32Array.from([0, 1, 2, Infinity, 4]);
    const e = expectRefusal(() => checkUpdate(values, 5), 'MESSAGE_INVALID', 'NON_FINITE');
    expect(e.details).toMatchObject({ index: 3 });
    expect(e.message).not.toContain('Infinity');
    expectRefusal(() => checkUpdate([0, 1] as unknown as Float32Array, 2), 'MESSAGE_INVALID', 'SCHEMA');
  });
});
