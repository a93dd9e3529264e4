import { describe, expect, it } from 'vitest';
import { createTransposer } from './transpose-simd.js';

describe('createTransposer', () => {
  it('transposes exactly, including rows and columns the 4 × 4 blocks leave', () => {
    for (const [maxRows, rows, cols] of [
      [4, 4, 4],
      [8, 7, 13],
      [64, 64, 250],
      [64, 61, 250],
      [5, 5, 3],
      [3, 1, 9],
      [3, 3, 2],
    ] as const) {
      const t = createTransposer(maxRows, cols);
      expect(t).not.toBeNull();
      if (t === null) return;
      for (let i = 0; i < rows * cols; i++) t.matrix[i] = i * 0.5 - 7;
      t.transpose(rows);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expect(t.transposed[c * rows + r]).toBe(t.matrix[r * cols + c]);
    }
  });
});
