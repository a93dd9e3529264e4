import { describe, expect, it } from 'vitest';
import { createMsgpackrParser, MsgpackrDecoder, MsgpackrEncoder, PacketRefusedError, RESERVED_EVENTS } from './socketio-parser.js';
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

  it('wraps a frame sent to several sockets once, and hands a received frame on without copying it', () => {
    const frame = Uint8Array.from({ length: 100_000 }, (_, i) => i & 0xff);
    const encoder = new MsgpackrEncoder();
    const [first] = encoder.encode({ type: 2, nsp: '/', data: ['msg', frame] });
    const [again] = new MsgpackrEncoder().encode({ type: 2, nsp: '/', data: ['msg', frame] });
    expect(again).toBe(first);
    // Another namespace, event, ack id or frame object is a packet of its own.
    expect(encoder.encode({ type: 2, nsp: '/x', data: ['msg', frame] })[0]).not.toBe(first);
    expect(encoder.encode({ type: 2, nsp: '/', data: ['other', frame] })[0]).not.toBe(first);
    expect(encoder.encode({ type: 2, nsp: '/', data: ['msg', frame], id: 1 })[0]).not.toBe(first);
    const copy = encoder.encode({ type: 2, nsp: '/', data: ['msg', Uint8Array.from(frame)] })[0]!;
    expect(copy).not.toBe(first);
    expect(Buffer.from(copy).equals(Buffer.from(first!))).toBe(true);
    const decoder = new MsgpackrDecoder();
    let got: { data: [string, Uint8Array] } | undefined;
    decoder.on('decoded', (p) => (got = p as typeof got));
    decoder.add(first);
    const bytes = got!.data[1];
    expect(Buffer.from(bytes).equals(Buffer.from(frame))).toBe(true);
    // A view into the received frame, not a copy of it.
    expect(bytes.buffer).toBe(first!.buffer);
  });

  it('refuses text frames, garbage and packets of the wrong shape', () => {
    const decoder = new MsgpackrDecoder();
    expect(() => decoder.add('2["msg"]')).toThrow(/text frame/);
    expect(() => decoder.add(new Uint8Array([0xc1]))).toThrow();
    const bad = new MsgpackrEncoder().encode({ type: 9, nsp: '/' })[0]!;
    expect(() => decoder.add(bad)).toThrow(/unknown packet type/);
  });

  const frame = (packet: Record<string, unknown>) => new MsgpackrEncoder().encode(packet as never)[0]!;
  const decodes = (packet: Record<string, unknown>) => {
    const decoder = new MsgpackrDecoder();
    const got: unknown[] = [];
    decoder.on('decoded', (p) => got.push(p));
    decoder.add(frame(packet));
    return got.length === 1;
  };

  it('accepts the packets socket.io sends', () => {
    expect(decodes({ type: 0, nsp: '/' })).toBe(true);
    expect(decodes({ type: 0, nsp: '/dashboard', data: { token: 't' } })).toBe(true);
    expect(decodes({ type: 0, nsp: '/', data: { sid: 'abc' } })).toBe(true);
    expect(decodes({ type: 1, nsp: '/' })).toBe(true);
    expect(decodes({ type: 2, nsp: '/', data: ['msg', new Uint8Array([1])] })).toBe(true);
    expect(decodes({ type: 5, nsp: '/', data: ['msg', new Uint8Array([1])] })).toBe(true);
    expect(decodes({ type: 3, nsp: '/', data: [], id: 3 })).toBe(true);
    expect(decodes({ type: 4, nsp: '/dashboard', data: { message: 'unauthorized' } })).toBe(true);
    expect(decodes({ type: 4, nsp: '/', data: 'Invalid namespace' })).toBe(true);
  });

  it('refuses data socket.io would throw on in its dispatch (issue 12, finding 1) and reserved event names (finding 2)', () => {
    const refused: Record<string, unknown>[] = [
      { type: 2, nsp: '/', data: 'msg' },
      { type: 5, nsp: '/', data: 7 },
      { type: 2, nsp: '/', data: { a: 1 }, id: 1 },
      { type: 2, nsp: '/', data: [] },
      { type: 2, nsp: '/', data: [7, 'x'] },
      { type: 2, nsp: '/', data: [null] },
      { type: 2, nsp: '/', data: null },
      { type: 2, nsp: '/' },
      { type: 0, nsp: '/', data: 'token' },
      { type: 0, nsp: '/', data: [1] },
      { type: 0, nsp: '/', data: null },
      { type: 0, nsp: '/', data: new Uint8Array(3) },
      { type: 1, nsp: '/', data: {} },
      { type: 3, nsp: '/', data: { a: 1 }, id: 1 },
      { type: 6, nsp: '/', data: 'x', id: 1 },
      { type: 4, nsp: '/', data: 3 },
      { type: 4, nsp: '/', data: null },
      { type: 2, nsp: 'x', data: ['msg'] },
      { type: 2, nsp: '/', data: ['msg'], id: -1 },
      { type: 2, nsp: '/', data: ['msg'], id: 1.5 },
      { type: -1, nsp: '/' },
      { type: 7, nsp: '/' },
      { type: '2', nsp: '/', data: ['msg'] },
    ];
    for (const name of RESERVED_EVENTS) refused.push({ type: 2, nsp: '/', data: [name] }, { type: 5, nsp: '/dashboard', data: [name, new Uint8Array(1)] });
    for (const packet of refused) expect(() => decodes(packet), JSON.stringify(packet)).toThrow(PacketRefusedError);
    const decoder = new MsgpackrDecoder();
    expect(() => decoder.add(new Uint8Array([0x93, 1, 2, 3]))).toThrow(/not a packet/);
    expect(() => decoder.add(new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff]))).toThrow(PacketRefusedError);
    expect(() => decoder.add(new Uint8Array(0))).toThrow(PacketRefusedError);
  });

  it('reports every refusal to the hooks of the parser it came from', () => {
    const seen: [string, number][] = [];
    const parser = createMsgpackrParser({ onRefused: (error, bytes) => seen.push([error.message, bytes]) });
    const decoder = new parser.Decoder();
    const bad = frame({ type: 2, nsp: '/', data: 'msg' });
    expect(() => decoder.add(bad)).toThrow(PacketRefusedError);
    expect(() => decoder.add('2["msg"]')).toThrow(/text frame/);
    expect(seen).toEqual([
      ['socket.io packet refused: event data must be a non-empty array', bad.byteLength],
      ['socket.io packet refused: text frame: this peer speaks msgpack', 8],
    ]);
    expect(parser.protocol).toBe(5);
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
