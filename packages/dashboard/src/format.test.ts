import { describe, expect, it } from 'vitest';
import { finiteOrNull, formatAgo, formatBytes, formatDuration, formatMetric } from './format.js';
import { lastScored, latestSiteAuc } from './series-stats.js';
import { makeSeries } from './fixtures.test-suite.js';

describe('formatters', () => {
  it('formats bytes in powers of 1024', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KB');
    expect(formatBytes(25 * 1024 * 1024)).toBe('25.0 MB');
    expect(formatBytes(Number.NaN)).toBe('–');
  });

  it('formats durations and treats negative ones (clock skew) as zero', () => {
    expect(formatDuration(4_900)).toBe('4s');
    expect(formatDuration(75_000)).toBe('1m 15s');
    expect(formatDuration(3_720_000)).toBe('1h 2m');
    expect(formatDuration(-5_000)).toBe('0s');
  });

  it('formats relative times', () => {
    expect(formatAgo(null, 10_000)).toBe('never');
    expect(formatAgo(9_500, 10_000)).toBe('just now');
    expect(formatAgo(0, 90_000)).toBe('1m 30s ago');
  });

  it('shows a dash for missing metrics, never a zero', () => {
    expect(formatMetric(null)).toBe('–');
    expect(formatMetric(Number.NaN)).toBe('–');
    expect(formatMetric(0)).toBe('0.000');
    expect(formatMetric(0.83456, 2)).toBe('0.83');
    expect(finiteOrNull(Infinity)).toBeNull();
  });
});

describe('series stats', () => {
  it('takes the final AUC from the last round that has one', () => {
    const series = makeSeries(4);
    const [r1, r2, r3, r4] = series.rounds;
    r4!.auc = null;
    expect(lastScored([r4!, r1!, r3!, r2!])?.round).toBe(3);
    expect(lastScored([{ ...r1!, auc: null }])).toBeUndefined();
  });

  it('keeps each site at the last round that measured it', () => {
    const series = makeSeries(3);
    delete series.rounds[2]!.siteAuc['hospital-b'];
    const latest = latestSiteAuc(series.rounds);
    expect(latest.map((s) => [s.site, s.round])).toEqual([['hospital-a', 3], ['hospital-b', 2], ['hospital-c', 3]]);
    expect(latest[1]?.auc).toBe(series.rounds[1]!.siteAuc['hospital-b']);
  });
});
