import { describe, expect, it } from 'vitest';
import { createQFedAvg } from './q-fed-avg.js';

describe('q-FedAvg', () => {
  it('steps by −Σu/Σh (hand-computed), and the means of u and h give the same step', () => {
    const s = createQFedAvg({ q: 1, lipschitz: 10 });
    const global = new Float32Array([1, 1]);
    // Σu = [4, 2], Σh = 4: w' = [1, 1] − [1, 0.5] = [0, 0.5].
    const plain = s.aggregateTrain({ round: 1, global, failures: [], results: [
      { site: 'a', update: new Float32Array([1, 2]), numExamples: 1, metrics: { h: 2 } },
      { site: 'b', update: new Float32Array([3, 0]), numExamples: 1, metrics: { h: 2 } },
    ] });
    expect(plain.ok && Array.from(plain.weights)).toEqual([0, 0.5]);
    // Under secure aggregation one result carries the means: u = [2, 1], h (in the loss slot) = 2.
    const secure = s.aggregateTrain({ round: 1, global, failures: [], results: [{ site: 'secure-aggregate', update: new Float32Array([2, 1]), numExamples: 2, metrics: { loss: 2 } }] });
    expect(secure.ok && Array.from(secure.weights)).toEqual([0, 0.5]);
    expect(Array.from(global)).toEqual([1, 1]);
  });

  it('sends q and L to the sites and refuses a negative q', () => {
    expect(createQFedAvg({ q: 5, lipschitz: 50 }).configureTrain({ round: 1, available: ['a'], random: () => 0 }).config).toEqual({ qffl: 5, qfflL: 50 });
    expect(() => createQFedAvg({ q: -1 })).toThrow(/q/);
  });
});
