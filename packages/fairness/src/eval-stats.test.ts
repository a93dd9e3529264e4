import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { SCORE_BINS, binOfScore, scoreHistogram } from './eval-stats.js';

/** The largest double below x (x > 0). */
function previousDouble(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) - 1n);
  return view.getFloat64(0);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isCohortError(e) ? e.code : 'not a CohortError';
  }
  return undefined;
}

describe('binOfScore', () => {
  it('puts k/bins in bin k and the double just below it in bin k-1', () => {
    for (let k = 0; k < SCORE_BINS; k++) {
      expect(binOfScore(k / SCORE_BINS, SCORE_BINS)).toBe(k);
      if (k > 0) expect(binOfScore(previousDouble(k / SCORE_BINS), SCORE_BINS)).toBe(k - 1);
    }
  });
  it('closes the last bin at 1', () => {
    expect(binOfScore(1, SCORE_BINS)).toBe(SCORE_BINS - 1);
    expect(binOfScore(0, 10)).toBe(0);
  });
});

describe('scoreHistogram', () => {
  const labels = [1, 1, 0, 0, 1, 0];
  const scores = [0.9, 0.4, 0.6, 0.2, 0.8, 0.3];
  const sex = ['a', 'a', 'a', 'b', 'b', 'b'];

  it('counts each example in its bin, overall and per group', () => {
    const s = scoreHistogram({ labels, scores, groups: { sex } });
    expect(s.bins).toBe(1000);
    expect(s.overall.n).toBe(6);
    // positives at 0.9, 0.4, 0.8 -> bins 900, 400, 800; negatives at 0.6, 0.2, 0.3
    expect([...s.overall.pos.keys()].filter((i) => s.overall.pos[i] === 1)).toEqual([400, 800, 900]);
    expect([...s.overall.neg.keys()].filter((i) => s.overall.neg[i] === 1)).toEqual([200, 300, 600]);
    // Brier sum: 0.1² + 0.6² + 0.6² + 0.2² + 0.2² + 0.3² = 0.01+0.36+0.36+0.04+0.04+0.09 = 0.90
    expect(s.overall.brierSum).toBeCloseTo(0.9, 12);
    expect(Object.keys(s.byGroup.sex ?? {})).toEqual(['a', 'b']);
    const a = s.byGroup.sex?.a;
    expect(a?.n).toBe(3);
    expect(a?.pos[900]).toBe(1);
    expect(a?.pos[400]).toBe(1);
    expect(a?.neg[600]).toBe(1);
    // group a Brier sum: 0.01 + 0.36 + 0.36 = 0.73
    expect(a?.brierSum).toBeCloseTo(0.73, 12);
  });

  it('accepts typed arrays, empty input and a custom bin count', () => {
    const s = scoreHistogram({ labels: new Uint8Array([1, 0]), scores: new Float32Array([0.75, 0.25]), bins: 10 });
    expect(s.bins).toBe(10);
    expect(s.overall.pos[7]).toBe(1);
    expect(s.overall.neg[2]).toBe(1);
    expect(scoreHistogram({ labels: [], scores: [] }).overall.n).toBe(0);
  });

  it('keeps a group value named __proto__ as data', () => {
    const s = scoreHistogram({ labels: [1, 0], scores: [0.5, 0.5], groups: { g: ['__proto__', 'x'] } });
    expect(Object.keys(s.byGroup.g ?? {})).toEqual(['__proto__', 'x']);
    expect(Object.getPrototypeOf(s.byGroup.g)).toBe(Object.prototype);
  });

  it('refuses bad inputs', () => {
    expect(codeOf(() => scoreHistogram({ labels: [1, 0], scores: [0.5] }))).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => scoreHistogram({ labels: [1, 0], scores: [0.5, 1.5] }))).toBe('DATA_INVALID');
    expect(codeOf(() => scoreHistogram({ labels: [1, 0], scores: [0.5, -0.1] }))).toBe('DATA_INVALID');
    expect(codeOf(() => scoreHistogram({ labels: [1, 0], scores: [0.5, Number.NaN] }))).toBe('DATA_INVALID');
    expect(codeOf(() => scoreHistogram({ labels: [1, 2], scores: [0.5, 0.5] }))).toBe('DATA_INVALID');
    expect(codeOf(() => scoreHistogram({ labels: [1, Number.NaN], scores: [0.5, 0.5] }))).toBe('DATA_INVALID');
    expect(codeOf(() => scoreHistogram({ labels: [1, 0], scores: [0.5, 0.5], groups: { g: ['a'] } }))).toBe('SHAPE_MISMATCH');
    const missing = ['a', null] as unknown as string[];
    expect(codeOf(() => scoreHistogram({ labels: [1, 0], scores: [0.5, 0.5], groups: { g: missing } }))).toBe('DATA_INVALID');
    expect(codeOf(() => scoreHistogram({ labels: [1], scores: [0.5], bins: 15 }))).toBe('CONFIG_INVALID');
    expect(codeOf(() => scoreHistogram({ labels: null as unknown as number[], scores: [] }))).toBe('DATA_INVALID');
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`c${i}`, ['x']]));
    expect(codeOf(() => scoreHistogram({ labels: [1], scores: [0.5], groups: many }))).toBe('CONFIG_INVALID');
  });

  it('never puts a score or label value in an error message', () => {
    try {
      scoreHistogram({ labels: [1, 0], scores: [0.5, 1.23456] });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('1.23456');
      return;
    }
    throw new Error('expected a refusal');
  });
});
