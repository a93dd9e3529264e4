import { describe, expect, it } from 'vitest';
import { aucGapsOf } from './evaluation-report.js';

describe('aucGapsOf', () => {
  it('reads back the per-column AUC gaps flattenReport stores, and nothing else', () => {
    expect(aucGapsOf({ 'ancestry/aucGap': 0.21, 'sex/aucGap': Number.NaN, 'pooled/auc': 0.78, 'auc/sex=F': 0.8, 'sex/worstGroupAuc': 0.7 })).toEqual({ ancestry: 0.21 });
    expect(aucGapsOf({})).toEqual({});
  });
});
