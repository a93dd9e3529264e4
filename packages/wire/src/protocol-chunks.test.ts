/** Black-box suite, part 2: chunked model delivery and seeded property checks. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ChunkAssembler,
  createCodec,
  createEnvelope,
  hashWeights,
  splitIntoChunks,
  type ModelChunk,
} from './index.js';
import { createRandom, expectRefusal, randomFloats, rawBytes, shuffle, TASK_HASH } from './protocol-fixtures.test-suite.js';

const codec = createCodec();

function chunkMessages(weights: Float32Array, chunkBytes: number): ModelChunk[] {
  const { hash, chunks } = splitIntoChunks(weights, chunkBytes);
  return chunks.map((data, index) => ({ taskHash: TASK_HASH, round: 1, attempt: 1, index, total: chunks.length, hash, data }));
}

/** Feeds chunks in order; returns the result of the last one. */
function feed(assembler: ChunkAssembler, chunks: ModelChunk[]): Float32Array | undefined {
  let result: Float32Array | undefined;
  for (const chunk of chunks) result = assembler.accept(chunk);
  return result;
}

describe('chunked weights', () => {
  it('reassemble from shuffled chunks sent through the codec, as an aligned copy', () => {
    const random = createRandom(21);
    const weights = randomFloats(10_001, random);
    // 1003 bytes: slices deliberately cut through float32 values.
    const messages = shuffle(chunkMessages(weights, 1003), random);
    expect(messages).toHaveLength(Math.ceil(40_004 / 1003));
    const assembler = new ChunkAssembler({ expect: { hash: hashWeights(weights), total: messages.length } });
    const results = messages.map((m) => assembler.accept(codec.decode(codec.encode(createEnvelope('model/chunk', m))).body as ModelChunk));
    expect(results.slice(0, -1).every((r) => r === undefined)).toBe(true);
    const out = results.at(-1) as Float32Array;
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.byteOffset).toBe(0);
    expect(out.buffer).not.toBe(weights.buffer);
    expect(rawBytes(out).equals(rawBytes(weights))).toBe(true);
    expect(assembler.complete).toBe(true);
    expectRefusal(() => assembler.accept(messages[0] as ModelChunk), 'MESSAGE_INVALID', 'SCHEMA');
  });

  it('refuse a corrupted chunk by the model hash', () => {
    const messages = chunkMessages(randomFloats(500, createRandom(22)), 256);
    const bad = messages[3] as ModelChunk;
    const data = Uint8Array.from(bad.data);
    data[17] = (data[17] as number) ^ 0x01;
    messages[3] = { ...bad, data };
    const e = expectRefusal(() => feed(new ChunkAssembler(), messages), 'MESSAGE_INVALID', 'HASH');
    expect(e.message).toBe('model hash mismatch');
  });

  it('ignore an identical duplicate and refuse a different one', () => {
    const messages = chunkMessages(randomFloats(300, createRandom(23)), 400);
    const assembler = new ChunkAssembler();
    const first = messages[0] as ModelChunk;
    expect(assembler.accept(first)).toBeUndefined();
    expect(assembler.accept({ ...first, data: Uint8Array.from(first.data) })).toBeUndefined();
    expect(assembler.received).toBe(1);
    const changed = Uint8Array.from(first.data);
    changed[0] = (changed[0] as number) ^ 0xff;
    expectRefusal(() => assembler.accept({ ...first, data: changed }), 'MESSAGE_INVALID', 'SCHEMA');
    // A refusal poisons the assembly: the rest cannot complete it.
    expectRefusal(() => feed(assembler, messages.slice(1)), 'MESSAGE_INVALID', 'SCHEMA');
  });

  it('refuse an out-of-range index, inconsistent totals or hashes, and an unannounced model', () => {
    const messages = chunkMessages(randomFloats(300, createRandom(24)), 400);
    const first = messages[0] as ModelChunk;
    const second = messages[1] as ModelChunk;
    for (const index of [first.total, first.total + 5, -1]) {
      expectRefusal(() => new ChunkAssembler().accept({ ...first, index }), 'MESSAGE_INVALID', 'SCHEMA');
    }
    const mixed = (other: Partial<ModelChunk>) => () => feed(new ChunkAssembler(), [first, { ...second, ...other }]);
    expectRefusal(mixed({ total: first.total + 1 }), 'MESSAGE_INVALID', 'SCHEMA');
    expectRefusal(mixed({ hash: 'f'.repeat(64) }), 'MESSAGE_INVALID', 'SCHEMA');
    expectRefusal(mixed({ round: 2 }), 'MESSAGE_INVALID', 'SCHEMA');
    const announced = new ChunkAssembler({ expect: { hash: 'e'.repeat(64) } });
    expectRefusal(() => announced.accept(first), 'MESSAGE_INVALID', 'SCHEMA');
  });

  it('refuse a model above the size limit and bytes that are not whole floats', () => {
    const messages = chunkMessages(randomFloats(64, createRandom(25)), 64);
    const e = expectRefusal(() => feed(new ChunkAssembler({ maxBytes: 100 }), messages), 'PAYLOAD_TOO_LARGE', 'TOO_LARGE');
    expect(e.details).toMatchObject({ limit: 100 });
    const odd = Uint8Array.from([1, 2, 3]);
    const hash = createHash('sha256').update(odd).digest('hex');
    const chunk: ModelChunk = { taskHash: TASK_HASH, round: 1, attempt: 1, index: 0, total: 1, hash, data: odd };
    expectRefusal(() => new ChunkAssembler().accept(chunk), 'MESSAGE_INVALID', 'SCHEMA');
  });

  it('refuse to split nothing or into non-positive chunks', () => {
    expect(() => splitIntoChunks(new Float32Array(0), 10)).toThrow(/non-empty/);
    expect(() => splitIntoChunks(new Float32Array(4), 0)).toThrow(/chunkBytes/);
  });
});

describe('seeded properties over random sizes', () => {
  it('any tensor survives the codec byte for byte at 4 bytes per value, and any chunking reassembles it', () => {
    const random = createRandom(2024);
    for (let trial = 0; trial < 60; trial++) {
      const n = 1 + Math.floor(random() ** 2 * 20_000);
      const update = randomFloats(n, random);
      const body = {
        type: 'update/submit' as const, taskHash: TASK_HASH, round: 1 + trial, attempt: 1, site: `site-${trial}`,
        update, numExamples: 1 + Math.floor(random() * 1e6), metrics: { loss: random() },
      };
      const bytes = codec.encode(createEnvelope('update/submit', body));
      expect(bytes.byteLength).toBeGreaterThanOrEqual(4 * n);
      expect(bytes.byteLength).toBeLessThan(4 * n + 300);
      const back = codec.decode(bytes).body as typeof body;
      expect(rawBytes(back.update).equals(rawBytes(update))).toBe(true);
      expect(back).toEqual(body);

      // From one chunk per 4 bytes of 1000 (at most 1000 chunks) up to one chunk for everything.
      const smallest = Math.ceil((4 * n) / 1000);
      const chunkBytes = smallest + Math.floor(random() * (4 * n - smallest + 1));
      const messages = shuffle(chunkMessages(update, chunkBytes), random);
      const out = feed(new ChunkAssembler(), messages) as Float32Array;
      expect(rawBytes(out).equals(rawBytes(update))).toBe(true);
    }
  });
});
