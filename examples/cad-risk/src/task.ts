/**
 * The cad-risk task: coronary artery disease from a SNP panel (additive dosage)
 * plus clinical covariates, as an ML engineer would write it.
 */
import type { DataSchema } from '@cohortfl/data';
import { defineTask, mlp, type Task } from '@cohortfl/sdk';

import { ANCESTRIES } from './sites.js';

export { ANCESTRIES };

/** The generator's variant IDs: rs1000001, rs1000002, … */
export function panel(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `rs${1_000_001 + i}`);
}

export interface CadTaskOptions {
  variants?: number;
  rounds?: number;
  hidden?: number[];
  strategy?: Parameters<typeof defineTask>[0]['strategy'];
}

export function cadSchema(variants: number): DataSchema {
  return {
    id: 'sample_id',
    label: { name: 'cad' },
    clinical: [
      { name: 'age', type: 'number', unit: 'years', range: [30, 85] },
      { name: 'sex', type: 'category', values: ['M', 'F'] },
      { name: 'bmi', type: 'number', unit: 'kg/m2', range: [18, 50] },
      { name: 'ldl', type: 'number', unit: 'mg/dL', range: [50, 250] },
      { name: 'sbp', type: 'number', unit: 'mmHg', range: [90, 200] },
      { name: 'smoker', type: 'boolean' },
      { name: 'diabetes', type: 'boolean' },
      { name: 'ancestry', type: 'category', values: [...ANCESTRIES] },
    ],
    genomic: { variants: panel(variants) },
    subgroups: ['sex', 'ancestry'],
    consent: 'consent',
    missing: { strategy: 'drop' },
  };
}

export function cadRiskTask(options: CadTaskOptions = {}): Task {
  return defineTask({
    name: 'cad-risk',
    version: '1.0.0',
    description: 'Coronary artery disease risk from a SNP panel and clinical covariates',
    model: ({ inputDim }) => mlp({ inputDim, hidden: options.hidden ?? [] }),
    schema: cadSchema(options.variants ?? 2000),
    training: { epochs: 1, batchSize: 64, optimizer: 'adam', learningRate: 0.003 },
    strategy: options.strategy ?? { name: 'fedavg' },
    rounds: options.rounds ?? 20,
    minSites: 3,
    seed: 1,
  });
}
