import { describe, expect, it } from 'vitest';
import { createTransposer } from './transpose-simd.js';

describe('SIMD transpose', () => {
  it('transposes in the memory it is given, blocks and edges alike', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const transpose = createTransposer(memory);
    expect(transpose).not.toBeNull(); // Node 20 has WebAssembly SIMD
    for (const [rows, cols] of [[4, 4], [8, 12], [5, 7], [3, 9], [1, 1], [13, 6]] as const) {
      const src = new Float32Array(memory.buffer, 0, rows * cols);
      for (let i = 0; i < src.length; i++) src[i] = i + 0.5;
      const dstOffset = 4 * 1024;
      transpose!(0, dstOffset, rows, cols);
      const dst = new Float32Array(memory.buffer, dstOffset, rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expect(dst[c * rows + r]).toBe(src[r * cols + c]);
    }
  });
});
