import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHI2_15_P1E4, CONTEXT, chiSquare16 } from './round-harness.test-suite.js';
import { pairMaskKey, pairSign, selfMaskKey } from './mask-keys.js';
import { applyMask, applyMasks, expandMask } from './prg.js';

const key = (): Uint8Array => new Uint8Array(randomBytes(32));

describe('ChaCha20 mask expansion', () => {
  it('is the ChaCha20 keystream with a zero IV, read as little-endian words', () => {
    const k = key();
    const bytes = createCipheriv('chacha20', k, Buffer.alloc(16)).update(Buffer.alloc(4 * 100));
    const words = expandMask(k, 100);
    for (let i = 0; i < 100; i++) expect(words[i]).toBe(bytes.readUInt32LE(4 * i));
  });

  it('is deterministic, prefix-consistent across chunk boundaries, and key-dependent', () => {
    const k = key();
    const long = expandMask(k, 40_000);
    expect(expandMask(k, 16_385)).toEqual(long.subarray(0, 16_385));
    expect(expandMask(key(), 100)).not.toEqual(long.subarray(0, 100));
  });

  it('adds and subtracts masks mod 2^32', () => {
    const k = key();
    const x = Uint32Array.from({ length: 33_000 }, (_, i) => (i * 2_654_435_761) >>> 0);
    const y = Uint32Array.from(x);
    applyMask(y, k, 1);
    expect(y).not.toEqual(x);
    const mask = expandMask(k, x.length);
    for (let i = 0; i < x.length; i += 997) expect(y[i]).toBe((x[i]! + mask[i]!) >>> 0);
    applyMask(y, k, -1);
    expect(y).toEqual(x);
  });

  it('refuses a wrong key size', () => {
    expect(() => expandMask(new Uint8Array(31), 4)).toThrow(expect.objectContaining({ code: 'MESSAGE_INVALID' }));
  });

  it('passes a χ² uniformity test, which a biased source fails', () => {
    expect(chiSquare16(expandMask(key(), 50_000))).toBeLessThan(CHI2_15_P1E4);
    // Negative control: words with their top bit cleared fill only half the buckets.
    const biased = expandMask(key(), 50_000).map((w) => w >>> 1);
    expect(chiSquare16(biased)).toBeGreaterThan(CHI2_15_P1E4);
  });
});

describe('mask key derivation', () => {
  const seed = key();

  it('separates self masks from pairwise masks for the same 32 bytes', () => {
    expect(selfMaskKey(CONTEXT, 'site-a', seed)).not.toEqual(pairMaskKey(CONTEXT, 'site-a', 'site-b', seed));
  });

  it('binds keys to the round context, the sites and the seed', () => {
    const base = pairMaskKey(CONTEXT, 'site-a', 'site-b', seed);
    expect(pairMaskKey(CONTEXT, 'site-b', 'site-a', seed)).toEqual(base);
    expect(pairMaskKey({ ...CONTEXT, attempt: 1 }, 'site-a', 'site-b', seed)).not.toEqual(base);
    expect(pairMaskKey({ ...CONTEXT, round: 8 }, 'site-a', 'site-b', seed)).not.toEqual(base);
    expect(pairMaskKey({ ...CONTEXT, taskHash: 'cd'.repeat(32) }, 'site-a', 'site-b', seed)).not.toEqual(base);
    expect(pairMaskKey(CONTEXT, 'site-a', 'site-c', seed)).not.toEqual(base);
    expect(selfMaskKey(CONTEXT, 'site-a', seed)).not.toEqual(selfMaskKey(CONTEXT, 'site-b', seed));
    expect(selfMaskKey({ ...CONTEXT, attempt: 1 }, 'site-a', seed)).not.toEqual(selfMaskKey(CONTEXT, 'site-a', seed));
  });

  it('refuses degenerate inputs', () => {
    expect(() => pairMaskKey(CONTEXT, 'site-a', 'site-a', seed)).toThrow();
    expect(() => pairMaskKey(CONTEXT, 'site-a', 'site-b', new Uint8Array(32))).toThrow(/all zeros/);
    expect(() => selfMaskKey(CONTEXT, 'site-a', new Uint8Array(16))).toThrow();
    expect(() => selfMaskKey({ ...CONTEXT, taskHash: 'AB'.repeat(32) }, 'site-a', seed)).toThrow();
    expect(() => selfMaskKey({ ...CONTEXT, round: -1 }, 'site-a', seed)).toThrow();
    expect(() => selfMaskKey(CONTEXT, 'Site A', seed)).toThrow();
  });

  it('gives the lower site name the + sign', () => {
    expect(pairSign('site-a', 'site-b')).toBe(1);
    expect(pairSign('site-b', 'site-a')).toBe(-1);
  });

  it('applies several masks in one pass exactly as one after another, across chunk boundaries', () => {
    const masks = [
      { key: key(), sign: 1 as const },
      { key: key(), sign: -1 as const },
      { key: key(), sign: 1 as const },
    ];
    const start = Uint32Array.from({ length: 40_001 }, (_, i) => (i * 2_654_435_761) >>> 0);
    const oneByOne = start.slice();
    for (const { key: k, sign } of masks) applyMask(oneByOne, k, sign);
    const fused = start.slice();
    applyMasks(fused, masks);
    expect(fused).toEqual(oneByOne);
    expect(fused).not.toEqual(start);
    const none = start.slice();
    applyMasks(none, []);
    expect(none).toEqual(start);
    // Removing the same masks restores the vector.
    applyMasks(fused, masks.map(({ key: k, sign }) => ({ key: k, sign: sign === 1 ? (-1 as const) : (1 as const) })));
    expect(fused).toEqual(start);
  });

  it('refuses a mask with a bad sign or key before touching the target', () => {
    const target = new Uint32Array(10).fill(7);
    expect(() => applyMasks(target, [{ key: key(), sign: 1 }, { key: key(), sign: 2 as unknown as 1 }])).toThrow(/sign/);
    expect(() => applyMasks(target, [{ key: key(), sign: 1 }, { key: new Uint8Array(31), sign: 1 }])).toThrow(/32 bytes/);
    expect(target.every((v) => v === 7)).toBe(true);
  });
});
