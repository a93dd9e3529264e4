/**
 * What this site computes for a round, the same shape as the in-process
 * simulation's (packages/sdk/src/simulate.ts): local training with the task's
 * settings and the round's `proxMu`, and evaluation on the validation split
 * (metrics plus score histograms per subgroup for the coordinator's reports).
 * Seeds come from the task seed, site name, round and attempt, so a run is
 * reproducible and each retried attempt gets its own minibatch order. Under
 * patient-level DP, SiteRunner hands train() the DP-SGD plan it charged the
 * ledger for, computed from facts(); the noise is secure Gaussian noise.
 */
import type { SiteDataset } from '@cohortfl/data';
import { scoreHistogram, toJSON as statsToJSON } from '@cohortfl/fairness';
import { evaluate, trainLocal, trainLocalDp } from '@cohortfl/ml';
import { gaussianNoise } from '@cohortfl/privacy';
import { deriveSeed, type DpSgdPlan, type EvaluateOutput, type LocalTrainingFacts, type SiteWork, type TrainOutput } from '@cohortfl/protocol';
import type { Task } from '@cohortfl/sdk';
import { CohortError, type RoundStart } from '@cohortfl/wire';

export interface SiteWorkOptions {
  task: Task;
  site: string;
  /** The site's data for this task; loaded once, shared by every round. */
  dataset: () => Promise<SiteDataset>;
  /** Non-finite metrics cannot travel; they are dropped and reported here. */
  onDroppedMetric?: (name: string) => void;
}

export function createSiteWork(options: SiteWorkOptions): SiteWork {
  const { task, site } = options;
  let data: SiteDataset | undefined;
  const loaded = (): SiteDataset => {
    if (data === undefined) throw new CohortError('INTERNAL', 'site data used before it was loaded');
    return data;
  };
  const finite = (metrics: Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [name, value] of Object.entries(metrics)) {
      if (Number.isFinite(value)) out[name] = value;
      else options.onDroppedMetric?.(name);
    }
    return out;
  };
  return {
    async load() {
      data = await options.dataset();
    },
    facts(): LocalTrainingFacts {
      return { trainExamples: loaded().train.n, epochs: task.training.epochs, batchSize: task.training.batchSize };
    },
    // q-FedAvg weighs a site by its loss at the global weights (it stays at the site).
    async trainLoss(weights: Float32Array): Promise<number> {
      const ds = loaded();
      return (await evaluate({ topology: task.model, weights, data: { ...ds.train, featureCount: ds.featureCount } })).loss;
    },
    async train(start: RoundStart, dpSgd?: DpSgdPlan): Promise<TrainOutput> {
      const ds = loaded();
      if (ds.train.n === 0) throw new CohortError('DATA_INVALID', 'this site has no training records for the task');
      const common = {
        topology: task.model,
        weights: start.weights,
        data: { ...ds.train, featureCount: ds.featureCount },
        // trainLocalDp refuses a proximal term: it would add gradient the DP-SGD accounting does not cover.
        training: { ...task.training, proxMu: dpSgd ? 0 : proxMu(start, task) },
        seed: deriveSeed(task.seed, `${site}:${start.round}:${start.attempt}`),
      };
      const result = dpSgd
        ? await trainLocalDp({ ...common, dp: dpSgd, noise: (count, sigma) => gaussianNoise(count, sigma) })
        : await trainLocal(common);
      return { update: result.update, numExamples: result.numExamples, metrics: finite(result.metrics) };
    },
    async evaluate(start: RoundStart): Promise<EvaluateOutput> {
      const ds = loaded();
      if (ds.validation.n === 0) throw new CohortError('DATA_INVALID', 'this site has no validation records for the task');
      const r = await evaluate({ topology: task.model, weights: start.weights, data: { ...ds.validation, featureCount: ds.featureCount } });
      const metrics = finite({ auc: r.auc, loss: r.loss, accuracy: r.accuracy });
      // A diverged model's NaN scores cannot be binned: the histograms are dropped like any non-finite metric.
      if (!r.scores.every(Number.isFinite)) {
        options.onDroppedMetric?.('stats');
        return { numExamples: r.n, metrics };
      }
      // Score histograms per label and subgroup: sufficient statistics for pooled and fairness reports, never a prediction.
      const stats = statsToJSON(scoreHistogram({ labels: ds.validation.y, scores: r.scores, groups: ds.validation.groups }));
      return { numExamples: r.n, metrics, stats };
    },
  };
}

/** The round's FedProx coefficient, else the task's; the coordinator may set it, within reason. */
function proxMu(start: RoundStart, task: Task): number {
  const value = start.config['proxMu'];
  if (value === undefined) return task.training.proxMu ?? 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CohortError('MESSAGE_INVALID', 'round config proxMu must be a finite number ≥ 0');
  }
  return value;
}
