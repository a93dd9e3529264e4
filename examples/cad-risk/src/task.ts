/**
 * The cad-risk task: coronary artery disease from a SNP panel (additive dosage)
 * plus clinical covariates, as an ML engineer would write it.
 */
import type { DataSchema } from '@cohortfl/data';
import { defineTask, mlp, type Task } from '@cohortfl/sdk';

import { ANCESTRIES } from './sites.js';

export { ANCESTRIES };

export interface CadTaskOptions {
  /** SNP IDs of the panel (see `snpPanel` in consortium.ts). */
  variants: string[];
  rounds?: number;
  hidden?: number[];
  strategy?: Parameters<typeof defineTask>[0]['strategy'];
  /** Secure aggregation (default on). */
  secure?: boolean;
  /** Differential privacy over the whole run (see PrivacySpec). */
  privacy?: { unit: 'site' | 'patient'; targetEpsilon: number; delta: number };
}

/** L2 clip bounds measured for this task: most site updates stay below 1, most patients' gradients below 1. */
export const CAD_DP_CLIP = { site: 1, patient: 1 } as const;

export function cadSchema(variants: string[]): DataSchema {
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
    genomic: { variants },
    subgroups: ['sex', 'ancestry'],
    consent: 'consent',
    missing: { strategy: 'drop' },
  };
}

export function cadRiskTask(options: CadTaskOptions): Task {
  return defineTask({
    name: 'cad-risk',
    version: '1.0.0',
    description: 'Coronary artery disease risk from a SNP panel and clinical covariates',
    model: ({ inputDim }) => mlp({ inputDim, hidden: options.hidden ?? [] }),
    schema: cadSchema(options.variants),
    training: { epochs: 3, batchSize: 64, optimizer: 'adam', learningRate: 0.02 },
    strategy: options.strategy ?? { name: 'fedavg' },
    rounds: options.rounds ?? 20,
    minSites: 3,
    seed: 1,
    // q-FedAvg's scaled updates and h term are larger than plain updates (L = 50): a wider clip.
    secureAggregation: options.secure === false ? false : { clip: options.strategy?.name === 'qfedavg' ? 100 : 10 },
    ...(options.privacy ? { privacy: { ...options.privacy, clip: CAD_DP_CLIP[options.privacy.unit] } } : {}),
  });
}
