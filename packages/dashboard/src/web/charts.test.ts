import { describe, expect, it } from 'vitest';
import { makeSeries, SITES } from '../fixtures.test-suite.js';
import type { SeriesRound } from '../types.js';
import {
  allChartConfigs, fairnessChartConfig, globalChartConfig, roundSeconds, SERIES_COLORS,
  siteAucChartConfig, trafficChartConfig,
} from './charts.js';
import { colorFor, hashName, PALETTE } from './colors.js';

function round(r: number, patch: Partial<SeriesRound> = {}): SeriesRound {
  return {
    round: r, attempt: 1, startedAt: 1_000, finishedAt: 4_500, trained: ['a'], failures: [],
    trainLoss: 0.5, evalLoss: 0.6, auc: 0.7, worstSiteAuc: 0.65, siteAuc: { a: 0.7 }, groupAucGap: { sex: 0.02 },
    bytesReceived: 2048, ...patch,
  };
}

describe('globalChartConfig', () => {
  it('draws train loss, eval loss and pooled AUC on two y axes, without animation', () => {
    const cfg = globalChartConfig(makeSeries(4));
    expect(cfg.type).toBe('line');
    expect(cfg.data.labels).toEqual(['1', '2', '3', '4']);
    expect(cfg.data.datasets.map((d) => [d.label, d.yAxisID])).toEqual([
      ['Train loss', 'yLoss'], ['Eval loss', 'yLoss'], ['Pooled AUC', 'yAuc'],
    ]);
    const scales = cfg.options?.scales ?? {};
    expect(Object.keys(scales).sort()).toEqual(['x', 'yAuc', 'yLoss']);
    expect(scales['yLoss']?.position).toBe('left');
    expect(scales['yAuc']?.position).toBe('right');
    expect(cfg.options?.animation).toBe(false);
    expect(cfg.options?.responsive).toBe(true);
    expect(cfg.data.datasets.every((d) => d.data.length === 4)).toBe(true);
  });

  it('turns null and non-finite values into gaps, never zeros', () => {
    const cfg = globalChartConfig({ rounds: [round(1), round(2, { trainLoss: null, auc: Number.NaN, evalLoss: Infinity }), round(3)] });
    const [train, evalLoss, auc] = cfg.data.datasets;
    expect(train?.data).toEqual([0.5, null, 0.5]);
    expect(evalLoss?.data).toEqual([0.6, null, 0.6]);
    expect(auc?.data).toEqual([0.7, null, 0.7]);
    expect(cfg.options?.spanGaps).toBe(false);
  });

  it('orders rounds chronologically whatever order they arrive in', () => {
    const cfg = globalChartConfig({ rounds: [round(3, { auc: 0.9 }), round(1, { auc: 0.6 }), round(2, { auc: 0.8 })] });
    expect(cfg.data.labels).toEqual(['1', '2', '3']);
    expect(cfg.data.datasets[2]?.data).toEqual([0.6, 0.8, 0.9]);
  });

  it('handles a run with no rounds yet', () => {
    const all = allChartConfigs({ rounds: [] });
    expect(all.global.data.labels).toEqual([]);
    expect(all.sites.data.datasets).toEqual([]);
    expect(all.fairness.data.datasets).toEqual([]);
    expect(all.traffic.data.datasets.map((d) => d.data)).toEqual([[], []]);
  });
});

describe('siteAucChartConfig', () => {
  it('draws one line per site, in name order, with a gap where a site was not measured', () => {
    const cfg = siteAucChartConfig({
      rounds: [round(1, { siteAuc: { b: 0.6, a: 0.7 } }), round(2, { siteAuc: { a: 0.72 } }), round(3, { siteAuc: { a: 0.75, c: 0.8 } })],
    });
    expect(cfg.data.datasets.map((d) => d.label)).toEqual(['a', 'b', 'c']);
    expect(cfg.data.datasets.map((d) => d.data)).toEqual([[0.7, 0.72, 0.75], [0.6, null, null], [null, null, 0.8]]);
  });

  it('gives each site the same colour in every series and chart', () => {
    const first = siteAucChartConfig(makeSeries(3, 1));
    const fewer = siteAucChartConfig(makeSeries(2, 99, ['hospital-c']));
    const colorOf = (cfg: typeof first, site: string) => cfg.data.datasets.find((d) => d.label === site)?.borderColor;
    for (const site of SITES) expect(colorOf(first, site)).toBe(colorFor(site));
    expect(colorOf(fewer, 'hospital-c')).toBe(colorOf(first, 'hospital-c'));
  });

  it('does not read inherited keys as sites', () => {
    const cfg = siteAucChartConfig({ rounds: [round(1, { siteAuc: { a: 0.7 } }), round(2, { siteAuc: { constructor: 0.5 } })] });
    expect(cfg.data.datasets.find((d) => d.label === 'constructor')?.data).toEqual([null, 0.5]);
    expect(cfg.data.datasets.find((d) => d.label === 'a')?.data).toEqual([0.7, null]);
  });
});

describe('fairnessChartConfig', () => {
  it('draws one AUC-gap line per subgroup column', () => {
    const cfg = fairnessChartConfig({ rounds: [round(1, { groupAucGap: { sex: 0.02, ancestry: 0.09 } }), round(2, { groupAucGap: { ancestry: 0.05 } })] });
    expect(cfg.data.datasets.map((d) => [d.label, d.data])).toEqual([['ancestry', [0.09, 0.05]], ['sex', [0.02, null]]]);
    expect(cfg.options?.scales?.['y']?.title).toMatchObject({ text: 'AUC gap' });
  });
});

describe('trafficChartConfig', () => {
  it('draws bytes as bars on the left and round seconds as a line on the right', () => {
    const cfg = trafficChartConfig({ rounds: [round(1), round(2, { bytesReceived: null, finishedAt: 500 })] });
    const [bytes, seconds] = cfg.data.datasets;
    expect(bytes?.type).toBe('bar');
    expect(bytes?.yAxisID).toBe('yBytes');
    expect(bytes?.data).toEqual([2048, null]);
    expect(seconds?.type).toBe('line');
    expect(seconds?.yAxisID).toBe('ySeconds');
    expect(seconds?.borderColor).toBe(SERIES_COLORS.duration);
    // Round 2 finished before it started: an unusable duration is a gap, not a negative bar.
    expect(seconds?.data).toEqual([3.5, null]);
    expect(cfg.options?.scales?.['ySeconds']?.position).toBe('right');
  });

  it('hides the bytes axis when no round recorded bytes (a simulation), and shows it when one did', () => {
    const none = trafficChartConfig({ rounds: [round(1, { bytesReceived: null }), round(2, { bytesReceived: null })] });
    expect(none.options?.scales?.['yBytes']?.display).toBe(false);
    const some = trafficChartConfig({ rounds: [round(1, { bytesReceived: null }), round(2)] });
    expect(some.options?.scales?.['yBytes']?.display).toBe(true);
  });

  it('labels the bytes axis in readable units', () => {
    const ticks = trafficChartConfig(makeSeries(1)).options?.scales?.['yBytes']?.ticks as { callback: (v: number) => string };
    expect(ticks.callback.call(undefined as never, 1536)).toBe('1.50 KB');
  });

  it('computes round seconds from the timestamps', () => {
    expect(roundSeconds(round(1, { startedAt: 0, finishedAt: 12_000 }))).toBe(12);
    expect(roundSeconds(round(1, { startedAt: 0, finishedAt: Number.NaN }))).toBeNull();
  });
});

describe('colours', () => {
  it('hashes names with FNV-1a into the fixed palette', () => {
    expect(hashName('')).toBe(0x811c9dc5);
    expect(hashName('a')).toBe(0xe40c292c);
    expect(PALETTE).toContain(colorFor('hospital-a'));
    expect(colorFor('hospital-a')).toBe(colorFor('hospital-a'));
  });

  it('spreads typical site names over several colours', () => {
    const names = Array.from({ length: 12 }, (_, i) => `site-${i}`);
    expect(new Set(names.map(colorFor)).size).toBeGreaterThanOrEqual(6);
  });
});
