import { describe, expect, it } from 'vitest';
import { MsgpackrDecoder, MsgpackrEncoder } from './socketio-parser.js';
import { encodeBody } from './codec.js';

describe('msgpackr socket.io parser', () => {
  it('round-trips packets with binary payloads in one binary frame', () => {
    const frames = new MsgpackrEncoder().encode({ type: 2, nsp: '/', data: ['msg', new Uint8Array([1, 2, 3])], id: 4 });
    expect(frames).toHaveLength(1);
    const decoder = new MsgpackrDecoder();
    const got: unknown[] = [];
    decoder.on('decoded', (p) => got.push(p));
    decoder.add(frames[0]);
    expect(got).toEqual([{ type: 2, nsp: '/', data: ['msg', new Uint8Array([1, 2, 3])], id: 4 }]);
  });

  it('refuses text frames, garbage and packets of the wrong shape', () => {
    const decoder = new MsgpackrDecoder();
    expect(() => decoder.add('2["msg"]')).toThrow(/text frame/);
    expect(() => decoder.add(new Uint8Array([0xc1]))).toThrow();
    const bad = new MsgpackrEncoder().encode({ type: 9, nsp: '/' })[0]!;
    expect(() => decoder.add(bad)).toThrow(/invalid socket.io packet/);
  });

  it('stops emitting after destroy', () => {
    const decoder = new MsgpackrDecoder();
    let n = 0;
    decoder.on('decoded', () => (n += 1));
    decoder.destroy();
    decoder.add(new MsgpackrEncoder().encode({ type: 0, nsp: '/' })[0]);
    expect(n).toBe(0);
  });

  it('encodes a body deterministically for signatures', () => {
    const body = { a: 1, b: new Float32Array([1.5, -0]), c: 'x' };
    const again = { a: 1, b: new Float32Array([1.5, -0]), c: 'x' };
    expect(Buffer.from(encodeBody(body)).equals(Buffer.from(encodeBody(again)))).toBe(true);
    expect(Buffer.from(encodeBody(body)).equals(Buffer.from(encodeBody({ ...body, a: 2 })))).toBe(false);
  });
});
