import { describe, expect, it } from 'vitest';
import { createTransposer, type WasmMemory } from './transpose-simd.js';

const Memory = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }).WebAssembly.Memory;

describe('createTransposer', () => {
  it('transposes exactly, including rows and columns the 4 × 4 blocks leave, at any aligned offsets', () => {
    const memory = new Memory({ initial: 4 });
    const transpose = createTransposer(memory);
    expect(transpose).not.toBeNull();
    if (transpose === null) return;
    for (const [rows, cols, src, dst] of [
      [4, 4, 0, 64],
      [7, 13, 8, 4096],
      [64, 250, 0, 65536],
      [61, 250, 12, 65540],
      [5, 3, 4, 200],
      [1, 9, 0, 400],
      [3, 2, 100, 4],
    ] as const) {
      const from = new Float32Array(memory.buffer, src, rows * cols);
      for (let i = 0; i < rows * cols; i++) from[i] = i * 0.5 - 7;
      transpose(src, dst, rows, cols);
      const to = new Float32Array(memory.buffer, dst, rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expect(to[c * rows + r]).toBe(from[r * cols + c]);
    }
  });
});
