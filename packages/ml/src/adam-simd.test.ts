import { describe, expect, it } from 'vitest';
import { createAdamKernel } from './adam-simd.js';
import { normals } from './fixtures.test-suite.js';
import { flatOptimizer } from './fused-train.js';

/** Adam in float32 arithmetic, one weight at a time: what each SIMD lane computes. */
function reference(w: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, offset: number, scale: number, a: number, e: number): void {
  const f = Math.fround;
  for (let j = 0; j < g.length; j++) {
    const i = offset + j;
    const gj = f((g[j] as number) * scale);
    m[i] = f(f(f(0.9) * (m[i] as number)) + f(f(1 - 0.9) * gj));
    v[i] = f(f(f(0.999) * (v[i] as number)) + f(f(1 - 0.999) * f(gj * gj)));
    w[i] = f((w[i] as number) - f(f(f(a) * (m[i] as number)) / f(f(Math.sqrt(v[i] as number)) + f(e))));
  }
}

describe('adam with WebAssembly SIMD', () => {
  it('updates exactly the run asked for, as float32 adam does, at an unaligned offset and a length that is not a multiple of 4', () => {
    const size = 1003;
    const kernel = createAdamKernel(size);
    expect(kernel).not.toBeNull(); // Node 20 has WebAssembly SIMD
    if (kernel === null) return;
    const w = normals(size, 1);
    const m = new Float32Array(size);
    const v = new Float32Array(size);
    kernel.params.set(w);
    for (let t = 1; t <= 6; t++) {
      const g = normals(997, 10 + t);
      const root = Math.sqrt(1 - 0.999 ** t);
      const [a, e] = [(0.01 * root) / (1 - 0.9 ** t), 1e-7 * root];
      kernel.grad.set(g);
      kernel.update(3, g.length, 0.25, a, e);
      reference(w, m, v, g, 3, 0.25, a, e);
    }
    let gap = 0;
    for (let i = 0; i < size; i++) gap = Math.max(gap, Math.abs((kernel.params[i] as number) - (w[i] as number)), Math.abs((kernel.m[i] as number) - (m[i] as number)));
    expect(gap).toBeLessThan(1e-6);
    expect(kernel.params[3]).not.toBe(normals(size, 1)[3]); // the run moved
    for (const i of [0, 1, 2, 1000, 1001, 1002]) expect(kernel.params[i]).toBe(normals(size, 1)[i]); // outside it nothing did
  });

  it('gives the same training steps as the JavaScript loop, with and without penalties', () => {
    const size = 517;
    const start = normals(size, 3);
    const decay = new Float32Array(size).fill(0.02);
    const pull = normals(size, 4).map((x) => 0.01 * x);
    for (const penalties of [null, { decay, pull }]) {
      const simd = flatOptimizer('adam', 0.01, start, penalties, 1e-7, true);
      const plain = flatOptimizer('adam', 0.01, start, penalties, 1e-7, false);
      for (let t = 0; t < 8; t++) {
        simd.begin();
        plain.begin();
        for (const [offset, length] of [[0, 300], [300, 217]] as const) {
          simd.apply(offset, normals(length, 20 + t + offset), 1 / 32);
          plain.apply(offset, normals(length, 20 + t + offset), 1 / 32);
        }
      }
      let gap = 0;
      let moved = 0;
      for (let i = 0; i < size; i++) {
        gap = Math.max(gap, Math.abs((simd.params[i] as number) - (plain.params[i] as number)));
        moved = Math.max(moved, Math.abs((plain.params[i] as number) - (start[i] as number)));
      }
      expect(moved).toBeGreaterThan(0.01);
      expect(gap).toBeLessThan(1e-5);
    }
  });
});
