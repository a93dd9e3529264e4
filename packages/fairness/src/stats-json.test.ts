import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { scoreHistogram } from './eval-stats.js';
import { fromJSON, toJSON } from './stats-json.js';
import type { EvalStatsJSON } from './stats-json.js';
import { syntheticPredictions } from './seeded-data.test-suite.js';

const d = syntheticPredictions(500, 9);
const stats = scoreHistogram({
  labels: d.labels,
  scores: d.scores,
  groups: { g: d.groups, site: d.groups.map(() => 'h1') },
  bins: 100,
});
const wire = (): EvalStatsJSON => JSON.parse(JSON.stringify(toJSON(stats))) as EvalStatsJSON;

function refusal(value: unknown): string {
  try {
    fromJSON(value);
  } catch (e) {
    return isCohortError(e, 'DATA_INVALID') ? e.message : `unexpected ${String(e)}`;
  }
  return 'accepted';
}

describe('toJSON / fromJSON', () => {
  it('round-trips through JSON text exactly', () => {
    const back = fromJSON(JSON.parse(JSON.stringify(toJSON(stats))));
    expect(back).toEqual(stats);
    expect(back.overall.pos).toBeInstanceOf(Uint32Array);
    expect(toJSON(back)).toEqual(toJSON(stats));
  });

  it('refuses malformed or inconsistent statistics', () => {
    expect(refusal(null)).toMatch(/root is not an object/);
    expect(refusal({ ...wire(), extra: 1 })).toMatch(/unknown field 'extra'/);
    expect(refusal({ ...wire(), bins: 15 })).toMatch(/multiple of 10/);
    const cases: [string, (w: EvalStatsJSON) => void, RegExp][] = [
      ['wrong n', (w) => (w.overall.n += 1), /overall.n is not the total/],
      ['negative count', (w) => (w.overall.pos[3] = -1), /unsigned 32-bit/],
      ['fractional count', (w) => (w.overall.neg[3] = 0.5), /unsigned 32-bit/],
      ['short array', (w) => w.overall.pos.pop(), /array of 100 counts/],
      ['Brier above n', (w) => (w.overall.brierSum = w.overall.n + 1), /brierSum/],
      ['NaN Brier', (w) => (w.overall.brierSum = Number.NaN), /brierSum/],
      ['missing field', (w) => delete (w.overall as Partial<EvalStatsJSON['overall']>).neg, /missing 'neg'/],
      [
        'groups not adding up',
        (w) => {
          const a = w.byGroup.g?.a as EvalStatsJSON['overall'];
          const i = a.pos.findIndex((v) => v > 0);
          a.pos[i] = (a.pos[i] ?? 0) + 1;
          a.n += 1;
        },
        /does not add up/,
      ],
    ];
    for (const [name, mutate, pattern] of cases) {
      const w = wire();
      mutate(w);
      expect(refusal(w), name).toMatch(pattern);
    }
  });
});
