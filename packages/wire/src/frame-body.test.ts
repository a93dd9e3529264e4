/** The body's bytes inside a frame: what a receiver hashes for a signature instead of packing the body again. */
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { createCodec, encodeBody, packrOptions } from './codec.js';
import { createEnvelope } from './envelope.js';
import { frameBody } from './frame-body.js';
import { isCohortError } from './errors.js';

const codec = createCodec();
const packr = new Packr(packrOptions());
const TASK = 'a'.repeat(64);

const update = (n: number) =>
  createEnvelope('update/submit', {
    type: 'update/submit',
    taskHash: TASK,
    round: 3,
    attempt: 1,
    site: 'site-a',
    update: Float32Array.from({ length: n }, (_, i) => i / 7 - 1),
    numExamples: 120,
    metrics: { loss: 0.25, zero: -0, big: 1e300 },
  });

describe('frameBody', () => {
  it.each([0, 3, 100_000])('is exactly encodeBody of the body, for frames the codec makes (%i weights), as a view', (n) => {
    const envelope = { ...update(n), sig: new Uint8Array(64).fill(9) };
    const frame = codec.encode(envelope);
    const received = codec.decodeReceived(frame);
    expect(Buffer.from(received.body).equals(Buffer.from(encodeBody(received.envelope.body)))).toBe(true);
    expect(Buffer.from(received.body).equals(Buffer.from(encodeBody(envelope.body)))).toBe(true);
    expect(received.body.buffer).toBe(frame.buffer);
  });

  it('finds the body wherever it is in the map, whatever the map size', () => {
    const body = { type: 'x', n: [1, 2, { deep: new Float64Array([1.5]) }], s: 'é'.repeat(300), big: 2 ** 40, neg: -70000, f: 0.1 };
    const big: Record<string, unknown> = {};
    for (let i = 0; i < 20; i++) big[`k${i}`] = i % 2 ? 'v' : new Uint8Array(i);
    for (const frame of [packr.pack({ body, v: '2.1' }), packr.pack({ v: '2.1', body, id: 'x' }), packr.pack({ ...big, body })]) {
      expect(Buffer.from(frameBody(frame)).equals(Buffer.from(packr.pack(body)))).toBe(true);
    }
  });

  it('refuses a frame that is not one map of string keys with one body (MALFORMED)', () => {
    const refused = (frame: Uint8Array) => {
      try {
        frameBody(frame);
      } catch (error) {
        return isCohortError(error) ? error.details?.['reason'] : 'other';
      }
      return 'accepted';
    };
    const good = packr.pack({ v: '2.1', body: { a: 1 } });
    expect(refused(good)).toBe('accepted');
    // Two `body` keys: msgpackr would keep the last; the signature must not be over one and the value the other.
    expect(refused(Uint8Array.from([0x82, 0xa4, ...Buffer.from('body'), 0x01, 0xa4, ...Buffer.from('body'), 0x02]))).toBe('MALFORMED');
    expect(refused(packr.pack({ v: '2.1' }))).toBe('MALFORMED'); // no body
    expect(refused(packr.pack([1, 2]))).toBe('MALFORMED'); // not a map
    expect(refused(Uint8Array.from([0x81, 0x01, 0x02]))).toBe('MALFORMED'); // an integer key
    expect(refused(Uint8Array.from([...good, 0x00]))).toBe('MALFORMED'); // bytes after the map
    expect(refused(good.subarray(0, good.length - 1))).toBe('MALFORMED'); // cut short
    expect(refused(Uint8Array.from([0x81, 0xa4, ...Buffer.from('body'), 0xc6, 0xff, 0xff, 0xff, 0xff]))).toBe('MALFORMED'); // a length past the end
    expect(refused(Uint8Array.from([0x81, 0xa4, ...Buffer.from('body'), 0xc1]))).toBe('MALFORMED'); // the unused type byte
    const deep = new Uint8Array(200).fill(0x91); // an array in an array in an array …
    expect(refused(Uint8Array.from([0x81, 0xa4, ...Buffer.from('body'), ...deep, 0x01]))).toBe('MALFORMED');
  });
});
