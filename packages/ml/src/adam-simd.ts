/**
 * Adam's update over float32 weights, four at a time with WebAssembly SIMD: the
 * fused training step's optimizer pass at genomic width (hundreds of thousands
 * of weights per step), where a scalar JavaScript loop pays a division and a
 * square root per weight. The module is assembled here from its text below (no
 * binary blob, no build step); the weights, the moments and a gradient buffer
 * live in its own memory. Where SIMD is not available, createAdamKernel
 * returns null and the JavaScript loop is used.
 *
 *   (func (param $w i32) (param $m i32) (param $v i32) (param $g i32) (param $n i32)
 *         (param $scale f32) (param $a f32) (param $e f32)
 *     ;; for each 16-byte lane group i < n, with g = g[i]·scale:
 *     ;;   m[i] = β1·m[i] + (1 − β1)·g;  v[i] = β2·v[i] + (1 − β2)·g²
 *     ;;   w[i] = w[i] − a·m[i] / (√v[i] + e)
 */

import { F32, get, I32, I32_ADD, lazyModule, LOAD, set, simd, STORE, V128, wasm } from './wasm-assembler.js';

const BETA1 = 0.9;
const BETA2 = 0.999;

function f32const(x: number): number[] {
  return [0x43, ...new Uint8Array(new Float32Array([x]).buffer)];
}

const SPLAT = simd(0x13); // f32x4.splat
const SQRT = simd(0xe3);
const ADD = simd(0xe4);
const SUB = simd(0xe5);
const MUL = simd(0xe6);
const DIV = simd(0xe7);

// Parameters 0–7 as in the text above; locals 8 (i), 9–11 (g, m and v lanes).
const [W, M, V, G, N, SCALE, A, E, I, GV, MV, VV] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const;
const at = (base: number): number[] => [...get(base), ...get(I), I32_ADD];

function adamBody(): number[] {
  const body = [
    ...[2, 1, I32, 3, V128], // locals: one i32, three v128
    ...[0x02, 0x40, 0x03, 0x40], // block, loop
    ...get(I), ...get(N), 0x4f, 0x0d, 0x01, // i ≥ n (unsigned): leave the block
    ...at(G), ...LOAD, ...get(SCALE), ...SPLAT, ...MUL, ...set(GV),
    ...at(M), ...LOAD, ...f32const(BETA1), ...SPLAT, ...MUL,
    ...get(GV), ...f32const(1 - BETA1), ...SPLAT, ...MUL, ...ADD, ...set(MV),
    ...at(M), ...get(MV), ...STORE,
    ...at(V), ...LOAD, ...f32const(BETA2), ...SPLAT, ...MUL,
    ...get(GV), ...get(GV), ...MUL, ...f32const(1 - BETA2), ...SPLAT, ...MUL, ...ADD, ...set(VV),
    ...at(V), ...get(VV), ...STORE,
    ...at(W), // the store's address
    ...at(W), ...LOAD,
    ...get(A), ...SPLAT, ...get(MV), ...MUL,
    ...get(VV), ...SQRT, ...get(E), ...SPLAT, ...ADD,
    ...DIV, ...SUB, ...STORE,
    ...get(I), 0x41, 0x10, I32_ADD, ...set(I), // i += 16
    ...[0x0c, 0x00, 0x0b, 0x0b], // br loop, end loop, end block
    0x0b, // end function
  ];
  return body;
}

const adamModule = lazyModule('adam', [I32, I32, I32, I32, I32, F32, F32, F32], adamBody);

/** Weights, moments and a gradient buffer of `size` floats each, and the update over a run of them. */
export interface AdamKernel {
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** Where the caller writes the gradient of the run it updates (from index 0). */
  grad: Float32Array;
  /** w, m, v[offset … offset + length) from grad[0 … length)·scale, with step size a and shifted epsilon e. */
  update(offset: number, length: number, scale: number, a: number, e: number): void;
}

/** A kernel for `size` weights, or null when this runtime has no WebAssembly SIMD. */
export function createAdamKernel(size: number): AdamKernel | null {
  const module = adamModule();
  if (module === null || wasm === undefined) return null;
  const bytes = 4 * size;
  const memory = new wasm.Memory({ initial: Math.max(1, Math.ceil((4 * bytes) / 65536)) });
  const instance = new wasm.Instance(module, { env: { memory } });
  const adam = instance.exports.adam as (w: number, m: number, v: number, g: number, n: number, scale: number, a: number, e: number) => void;
  const view = (k: number) => new Float32Array(memory.buffer, k * bytes, size);
  const [params, m, v, grad] = [view(0), view(1), view(2), view(3)];
  return {
    params,
    m,
    v,
    grad,
    update(offset, length, scale, a, e) {
      const lanes = length - (length % 4);
      adam(4 * offset, bytes + 4 * offset, 2 * bytes + 4 * offset, 3 * bytes, 4 * lanes, scale, a, e);
      // The last one to three weights, as the lanes compute them (float32 arithmetic).
      const f = Math.fround;
      for (let j = lanes; j < length; j++) {
        const i = offset + j;
        const g = f((grad[j] as number) * scale);
        const mi = f(f(f(BETA1) * (m[i] as number)) + f(f(1 - BETA1) * g));
        const vi = f(f(f(BETA2) * (v[i] as number)) + f(f(1 - BETA2) * f(g * g)));
        m[i] = mi;
        v[i] = vi;
        params[i] = f((params[i] as number) - f(f(f(a) * mi) / f(f(Math.sqrt(vi)) + f(e))));
      }
    },
  };
}
