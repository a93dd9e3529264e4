/**
 * Where the envelope's `body` value lies inside a received frame, so the signature digest
 * is computed over the bytes as received (PROTOCOL.md §11) instead of packing the decoded
 * body again. A small msgpack walker: the frame must be one map whose keys are strings; each
 * value is skipped by its header, never decoded. Called only on frames msgpackr has already
 * decoded, but every length is still checked against the frame.
 */
import { refusal } from './refusal.js';

const MAX_DEPTH = 64;

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at: number,
  ) {}

  private need(n: number): void {
    if (this.at + n > this.bytes.length) throw malformed();
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.at++]!;
  }

  uint(n: 1 | 2 | 4): number {
    this.need(n);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.bytes[this.at++]!;
    return v;
  }

  skipBytes(n: number): void {
    this.need(n);
    this.at += n;
  }

  /** A string value (the map's keys), undefined when the next value is not a string. */
  key(): string | undefined {
    const b = this.u8();
    let n: number;
    if (b >= 0xa0 && b <= 0xbf) n = b & 0x1f;
    else if (b === 0xd9) n = this.uint(1);
    else if (b === 0xda) n = this.uint(2);
    else if (b === 0xdb) n = this.uint(4);
    else return undefined;
    this.need(n);
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.bytes[this.at + i]!);
    this.at += n;
    return s;
  }

  /** Skips one value of any type. */
  skip(depth: number): void {
    if (depth > MAX_DEPTH) throw malformed();
    const b = this.u8();
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return; // fixint, nil, bool
    if (b >= 0x80 && b <= 0x8f) return this.skipEntries(2 * (b & 0x0f), depth);
    if (b >= 0x90 && b <= 0x9f) return this.skipEntries(b & 0x0f, depth);
    if (b >= 0xa0 && b <= 0xbf) return this.skipBytes(b & 0x1f);
    switch (b) {
      case 0xc4: case 0xd9: return this.skipBytes(this.uint(1)); // bin 8, str 8
      case 0xc5: case 0xda: return this.skipBytes(this.uint(2));
      case 0xc6: case 0xdb: return this.skipBytes(this.uint(4));
      case 0xc7: return this.skipBytes(this.uint(1) + 1); // ext 8: length, type, data
      case 0xc8: return this.skipBytes(this.uint(2) + 1);
      case 0xc9: return this.skipBytes(this.uint(4) + 1);
      case 0xca: return this.skipBytes(4); // float 32
      case 0xcb: return this.skipBytes(8); // float 64
      case 0xcc: case 0xd0: return this.skipBytes(1);
      case 0xcd: case 0xd1: return this.skipBytes(2);
      case 0xce: case 0xd2: return this.skipBytes(4);
      case 0xcf: case 0xd3: return this.skipBytes(8);
      case 0xd4: return this.skipBytes(2); // fixext 1: type + 1
      case 0xd5: return this.skipBytes(3);
      case 0xd6: return this.skipBytes(5);
      case 0xd7: return this.skipBytes(9);
      case 0xd8: return this.skipBytes(17);
      case 0xdc: return this.skipEntries(this.uint(2), depth);
      case 0xdd: return this.skipEntries(this.uint(4), depth);
      case 0xde: return this.skipEntries(2 * this.uint(2), depth);
      case 0xdf: return this.skipEntries(2 * this.uint(4), depth);
      default: throw malformed(); // 0xc1 is never used
    }
  }

  private skipEntries(count: number, depth: number): void {
    for (let i = 0; i < count; i++) this.skip(depth + 1);
  }
}

function malformed() {
  return refusal('MALFORMED', 'malformed msgpack frame');
}

/**
 * The bytes of the `body` value of an envelope frame (a view into `frame`, not a copy).
 * Refuses (MALFORMED) a frame that is not a map of string keys, names `body` twice or not
 * at all, or has bytes after the map.
 */
export function frameBody(frame: Uint8Array): Uint8Array {
  const r = new Reader(frame, 0);
  const b = r.u8();
  const entries = b >= 0x80 && b <= 0x8f ? b & 0x0f : b === 0xde ? r.uint(2) : b === 0xdf ? r.uint(4) : -1;
  if (entries < 0) throw malformed();
  let body: Uint8Array | undefined;
  for (let i = 0; i < entries; i++) {
    const key = r.key();
    if (key === undefined) throw malformed();
    const start = r.at;
    r.skip(1);
    if (key === 'body') {
      if (body !== undefined) throw refusal('MALFORMED', 'malformed msgpack frame: the body appears twice');
      body = frame.subarray(start, r.at);
    }
  }
  if (r.at !== frame.length || body === undefined) throw malformed();
  return body;
}
