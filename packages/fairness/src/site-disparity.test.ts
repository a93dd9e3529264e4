import { describe, expect, it } from 'vitest';
import { siteDisparity } from './site-disparity.js';

describe('siteDisparity', () => {
  it('finds the worst site and the spread', () => {
    const r = siteDisparity([
      { site: 'h1', auc: 0.8 },
      { site: 'h2', auc: 0.7 },
      { site: 'h3', auc: 0.9 },
    ]);
    expect(r.worstSite).toBe('h2');
    expect(r.worstAuc).toBe(0.7);
    expect(r.maxMinusMin).toBeCloseTo(0.2, 12); // 0.9 - 0.7
    // mean 0.8; population variance (0 + 0.01 + 0.01) / 3 = 0.0066667; sqrt = 0.0816497
    expect(r.std).toBeCloseTo(0.0816496581, 9);
    expect(r.undefinedSites).toEqual([]);
  });
  it('sets aside sites with NaN AUC and breaks ties by input order', () => {
    const r = siteDisparity([
      { site: 'h1', auc: 0.75 },
      { site: 'h2', auc: Number.NaN },
      { site: 'h3', auc: 0.75 },
    ]);
    expect(r).toEqual({ worstSite: 'h1', worstAuc: 0.75, maxMinusMin: 0, std: 0, undefinedSites: ['h2'] });
  });
  it('refuses empty input, all-NaN, duplicates and out-of-range AUC', () => {
    expect(() => siteDisparity([])).toThrow(/no site/);
    expect(() => siteDisparity([{ site: 'h1', auc: Number.NaN }])).toThrow(/no site/);
    expect(() => siteDisparity([{ site: 'h1', auc: 0.5 }, { site: 'h1', auc: 0.6 }])).toThrow(/repeated/);
    expect(() => siteDisparity([{ site: 'h1', auc: 1.2 }])).toThrow(/\[0, 1\]/);
    expect(() => siteDisparity([{ site: 'h1', auc: Number.POSITIVE_INFINITY }])).toThrow(/\[0, 1\]/);
  });
});
