/**
 * The pieces adam-simd.ts and transpose-simd.ts assemble their WebAssembly SIMD
 * modules from: LEB128 and section encoding, the opcodes both use, and the
 * compilation of a module that imports its memory (`env.memory`) and exports one
 * function. Each module's own instructions stay in its file, next to its text.
 */

export function leb(n: number): number[] {
  const out: number[] = [];
  let rest = n >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

function section(id: number, bytes: number[]): number[] {
  return [id, ...leb(bytes.length), ...bytes];
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...leb(bytes.length), ...bytes];
}

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export const I32_ADD = 0x6a;
export const simd = (op: number): number[] => [0xfd, ...leb(op)];
export const LOAD = [...simd(0x00), 0x00, 0x00]; // v128.load, alignment hint 1, offset 0
export const STORE = [...simd(0x0b), 0x00, 0x00]; // v128.store
export const get = (i: number): number[] => [0x20, ...leb(i)];
export const set = (i: number): number[] => [0x21, ...leb(i)];
export const tee = (i: number): number[] => [0x22, ...leb(i)];

/** The part of the WebAssembly JS API used here (this package's type libraries do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
}

export const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/**
 * The bytes of a module importing `env.memory` and exporting `exportName`, one
 * function of the given parameter types and no results, whose body (locals and
 * code, ending with `end`) is `body`.
 */
function moduleBytes(exportName: string, params: number[], body: number[]): Uint8Array {
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, params.length, ...params, 0]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x00]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name(exportName), 0x00, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

/**
 * A lazily compiled module: the first call assembles and compiles it, later calls
 * return the same; null when this runtime has no WebAssembly or rejects the module
 * (no SIMD), so the caller falls back to JavaScript.
 */
export function lazyModule(exportName: string, params: number[], body: () => number[]): () => object | null {
  let compiled: object | null | undefined;
  return () => {
    if (compiled === undefined) {
      const bytes = moduleBytes(exportName, params, body());
      compiled = wasm !== undefined && wasm.validate(bytes) ? new wasm.Module(bytes) : null;
    }
    return compiled;
  };
}
