/** White-box check of the msgpackr configuration: what the protocol's encoding section promises. */
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { packrOptions } from './codec.js';

const packr = new Packr(packrOptions());

function raw(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

describe('packr options', () => {
  it.each([
    ['Uint8Array', Uint8Array.from([0, 1, 255]), 1],
    ['Uint32Array', Uint32Array.from([0, 1, 0xffff_ffff]), 6],
    ['Float32Array', Float32Array.from([-0, 1e-40, 1.5]), 7],
    ['Float64Array', Float64Array.from([-0, Number.MIN_VALUE, Math.PI]), 8],
  ] as const)('%s travels as extension type 0x74 with its raw bytes', (_name, array, kind) => {
    // A view at an offset: only its own bytes go on the wire.
    const padded = new (array.constructor as new (n: number) => typeof array)(array.length + 2);
    padded.set(array as never, 1);
    const view = padded.subarray(1, 1 + array.length);
    const bytes = packr.pack({ x: view });
    // fixmap(1), fixstr "x", ext8 of type 0x74 whose (1 + byteLength)-byte payload is the kind, then raw bytes.
    expect([...bytes.subarray(0, 7)]).toEqual([0x81, 0xa1, 0x78, 0xc7, array.byteLength + 1, 0x74, kind]);
    expect(raw(bytes.subarray(7)).equals(raw(array))).toBe(true);
    const back = (packr.unpack(bytes) as { x: ArrayBufferView }).x;
    expect(back.constructor).toBe(array.constructor);
    expect(raw(back).equals(raw(array))).toBe(true);
  });

  it('writes plain maps without records, and omits undefined fields', () => {
    const bytes = packr.pack({ a: 1, b: undefined });
    expect([...bytes]).toEqual([0x81, 0xa1, 0x61, 0x01]);
    expect(packr.unpack(Uint8Array.from([0x81, 0xa1, 0x61, 0x01]))).toEqual({ a: 1 });
  });
});
