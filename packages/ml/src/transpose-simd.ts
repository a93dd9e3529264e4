/**
 * A float32 matrix transpose, a 4 × 4 block at a time with WebAssembly SIMD:
 * the fused training step's input batch laid out for the first layer's kernel
 * gradient Xᵀ·G on the host, where it is gathered anyway. tfjs-wasm's own
 * transpose of a 256 × 10,000 batch costs about as much as half the product it
 * feeds (a strided scalar copy). Assembled here from its text below, like
 * adam-simd.ts; it imports the memory it works in, so it can transpose between
 * two tensors inside tfjs-wasm's own heap (wasm-heap.ts). Where SIMD is not
 * available, createTransposer returns null and the backend transposes.
 *
 *   (func (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
 *         (param $srcStride i32) (param $dstStride i32)
 *     ;; for r < rows, c < cols, both steps of 4 (byte strides of a row of src and of dst):
 *     ;;   load the 4 × 4 block at src[r … r+3][c … c+3], transpose it with shuffles,
 *     ;;   store it at dst[c … c+3][r … r+3]
 */

import { get, I32, I32_ADD, lazyModule, LOAD, set, simd, STORE, tee, V128, wasm } from './wasm-assembler.js';

/** i8x16.shuffle picking four 32-bit lanes (0–3 from the first operand, 4–7 from the second). */
const shuffle = (...lanes: number[]): number[] => [...simd(0x0d), ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])];
const I32_MUL = 0x6c;
const I32_SHL = 0x74;
const I32_GE_U = 0x4f;
const four = [0x41, 0x04]; // i32.const 4

// Parameters 0–5 as in the text above; locals 6 (r), 7 (c), 8 (p, source address), 9 (q, destination
// address), 10–13 (the block's rows), 14–17 (the half-transposed pairs).
const [SRC, DST, ROWS, COLS, SS, DS, R, C, P, Q, A, B, CC, D, T0, T1, T2, T3] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
] as const;

function transposeBody(): number[] {
  const storeAt = (lo: number, hi: number, lanes: number[]): number[] => [...get(Q), ...get(lo), ...get(hi), ...shuffle(...lanes), ...STORE];
  const nextQ = [...get(Q), ...get(DS), I32_ADD, ...set(Q)];
  const body = [
    ...[2, 4, I32, 8, V128], // locals: four i32, eight v128
    0x41, 0x00, ...set(R), // r = 0
    ...[0x02, 0x40, 0x03, 0x40], // block, loop (rows)
    ...get(R), ...get(ROWS), I32_GE_U, 0x0d, 0x01, // r ≥ rows: leave
    0x41, 0x00, ...set(C), // c = 0
    ...[0x02, 0x40, 0x03, 0x40], // block, loop (columns)
    ...get(C), ...get(COLS), I32_GE_U, 0x0d, 0x01, // c ≥ cols: leave
    // p = src + r·srcStride + 4c; q = dst + c·dstStride + 4r
    ...get(SRC), ...get(R), ...get(SS), I32_MUL, I32_ADD, ...get(C), 0x41, 0x02, I32_SHL, I32_ADD, ...tee(P),
    ...LOAD, ...set(A),
    ...get(P), ...get(SS), I32_ADD, ...tee(P), ...LOAD, ...set(B),
    ...get(P), ...get(SS), I32_ADD, ...tee(P), ...LOAD, ...set(CC),
    ...get(P), ...get(SS), I32_ADD, ...LOAD, ...set(D),
    ...get(A), ...get(B), ...shuffle(0, 4, 1, 5), ...set(T0), // a0 b0 a1 b1
    ...get(A), ...get(B), ...shuffle(2, 6, 3, 7), ...set(T1), // a2 b2 a3 b3
    ...get(CC), ...get(D), ...shuffle(0, 4, 1, 5), ...set(T2), // c0 d0 c1 d1
    ...get(CC), ...get(D), ...shuffle(2, 6, 3, 7), ...set(T3), // c2 d2 c3 d3
    ...get(DST), ...get(C), ...get(DS), I32_MUL, I32_ADD, ...get(R), 0x41, 0x02, I32_SHL, I32_ADD, ...set(Q),
    ...storeAt(T0, T2, [0, 1, 4, 5]), ...nextQ, // a0 b0 c0 d0
    ...storeAt(T0, T2, [2, 3, 6, 7]), ...nextQ, // a1 b1 c1 d1
    ...storeAt(T1, T3, [0, 1, 4, 5]), ...nextQ, // a2 b2 c2 d2
    ...storeAt(T1, T3, [2, 3, 6, 7]), // a3 b3 c3 d3
    ...get(C), ...four, I32_ADD, ...set(C), // c += 4
    ...[0x0c, 0x00, 0x0b, 0x0b], // br loop, end loop, end block
    ...get(R), ...four, I32_ADD, ...set(R), // r += 4
    ...[0x0c, 0x00, 0x0b, 0x0b],
    0x0b, // end function
  ];
  return body;
}

/** A WebAssembly.Memory: the module works in the memory it is given. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

const transposeModule = lazyModule('transpose', [I32, I32, I32, I32, I32, I32], transposeBody);

/**
 * transpose(src, dst, rows, cols): the rows × cols float32 matrix at byte
 * offset src of `memory` (row-major) written transposed (cols × rows,
 * row-major) at byte offset dst; the two must not overlap. Null when this
 * runtime has no WebAssembly SIMD.
 */
export type Transpose = (src: number, dst: number, rows: number, cols: number) => void;

export function createTransposer(memory: WasmMemory): Transpose | null {
  const module = transposeModule();
  if (module === null || wasm === undefined) return null;
  const instance = new wasm.Instance(module, { env: { memory } });
  const run = instance.exports.transpose as (src: number, dst: number, rows: number, cols: number, ss: number, ds: number) => void;
  return (src, dst, rows, cols) => {
    const rows4 = rows - (rows % 4);
    const cols4 = cols - (cols % 4);
    run(src, dst, rows4, cols4, 4 * cols, 4 * rows);
    if (rows4 === rows && cols4 === cols) return;
    // The edges the 4 × 4 blocks leave: the last rows (all columns) and the last columns (all rows).
    const from = new Float32Array(memory.buffer, src, rows * cols);
    const to = new Float32Array(memory.buffer, dst, rows * cols);
    for (let r = rows4; r < rows; r++) for (let c = 0; c < cols; c++) to[c * rows + r] = from[r * cols + c] as number;
    for (let c = cols4; c < cols; c++) for (let r = 0; r < rows4; r++) to[c * rows + r] = from[r * cols + c] as number;
  };
}
