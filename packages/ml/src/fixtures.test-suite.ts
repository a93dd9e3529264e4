/** Seeded synthetic data and output capture for the tests of this package. */
import { vi } from 'vitest';
import { mulberry32 } from './prng.js';
import type { MatrixData } from './types.js';

/** Standard normal draws (Box–Muller) from a seeded stream. */
export function normals(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = 1 - random();
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

/** Linearly separable records: y = 1 exactly when x · w > 0 for a hidden w. */
export function separable(n: number, k: number, seed: number): MatrixData {
  const x = normals(n * k, seed);
  const w = normals(k, seed + 1);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += (x[i * k + j] as number) * (w[j] as number);
    y[i] = s > 0 ? 1 : 0;
  }
  return { x, y, n, featureCount: k };
}

/** Everything written to the console or stderr while capturing, for banner checks. */
export interface Capture {
  text(): string;
  restore(): void;
}

export function captureOutput(): Capture {
  const chunks: string[] = [];
  const record = (...args: unknown[]) => {
    chunks.push(args.map((a) => (typeof a === 'string' ? a : a instanceof Uint8Array ? Buffer.from(a).toString() : String(a))).join(' '));
  };
  const spies = (['log', 'warn', 'error', 'info', 'debug'] as const).map((m) => vi.spyOn(console, m).mockImplementation(record));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    record(chunk);
    return true;
  });
  return {
    text: () => chunks.join('\n'),
    restore: () => {
      for (const s of spies) s.mockRestore();
      write.mockRestore();
    },
  };
}

/** The tfjs cpu backend's first-use message (tfjs-backend-cpu 4.22, backend_cpu.js). */
export const CPU_BANNER = /looks like you are running TensorFlow\.js in Node\.js|install our node backend|Hi there/i;
