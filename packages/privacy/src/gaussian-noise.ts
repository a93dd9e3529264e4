import { type RandomSource, defaultRandom, uniformDouble } from './random.js';
import { requireInteger, requireNonNegative } from './validate.js';

/**
 * `count` draws of continuous N(0, σ²) in float64 by Box–Muller from secure
 * uniforms: r = √(−2 ln u₁) with u₁ ∈ (0, 1], θ = 2π u₂, giving r·cos θ and r·sin θ.
 * For plaintext local DP only: floating-point Gaussian noise has gaps an attacker
 * can exploit (Mironov, CCS 2012), so anything sent under secure aggregation or
 * accounted exactly should use the discrete Gaussian instead.
 */
export function gaussianNoise(count: number, sigma: number, rng: RandomSource = defaultRandom()): Float64Array {
  const n = requireInteger('count', count, 0);
  const s = requireNonNegative('sigma', sigma);
  const out = new Float64Array(n);
  if (s === 0) return out;
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - uniformDouble(rng); // (0, 1]: log never sees 0
    const u2 = uniformDouble(rng);
    const r = s * Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    out[i] = r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}
