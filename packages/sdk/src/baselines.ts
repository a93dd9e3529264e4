/**
 * References a federated run is judged against, computed in one process:
 * the same model trained centrally on every site's training data ("pooled",
 * what federation tries to match without moving data), and each site's model
 * trained on its own data alone ("local only", what a hospital gets without
 * the consortium). Both get the same number of passes over their data as the
 * federated run (rounds × local epochs).
 */
import type { SiteDataset } from '@cohortfl/data';
import { evaluate, initialWeights, trainLocal } from '@cohortfl/ml';
import { deriveSeed } from '@cohortfl/protocol';
import type { Task } from './define-task.js';
import { stack } from './site-data.js';


async function trainFrom(task: Task, data: { x: Float32Array; y: Float32Array; n: number; featureCount: number }, rounds: number, seed: number) {
  const start = await initialWeights(task.model, task.seed);
  const out = await trainLocal({ topology: task.model, weights: start, data, training: { ...task.training, epochs: task.training.epochs * rounds, proxMu: 0 }, seed });
  const weights = new Float32Array(start.length);
  for (let i = 0; i < start.length; i++) weights[i] = start[i]! + out.update[i]!;
  return weights;
}

function union(datasets: Map<string, SiteDataset>, split: 'train' | 'validation') {
  const list = [...datasets.values()];
  return stack(list.map((d) => d[split]), list[0]!.featureCount);
}

/** The model trained on the union of all sites' training data, scored on the union of validation data. */
export async function trainPooled(task: Task, datasets: Map<string, SiteDataset>, options: { rounds?: number; seed?: number } = {}) {
  const weights = await trainFrom(task, union(datasets, 'train'), options.rounds ?? task.rounds, deriveSeed(options.seed ?? task.seed, 'pooled'));
  const score = await evaluate({ topology: task.model, weights, data: union(datasets, 'validation') });
  return { weights, auc: score.auc, loss: score.loss, accuracy: score.accuracy };
}

/** Each site's own model, scored on its own validation data and on the union of all sites' validation data. */
export async function trainLocalOnly(task: Task, datasets: Map<string, SiteDataset>, options: { rounds?: number; seed?: number } = {}) {
  const all = union(datasets, 'validation');
  const out: { name: string; n: number; ownAuc: number; unionAuc: number }[] = [];
  for (const [name, ds] of datasets) {
    const weights = await trainFrom(task, { ...ds.train, featureCount: ds.featureCount }, options.rounds ?? task.rounds, deriveSeed(options.seed ?? task.seed, `local:${name}`));
    const own = await evaluate({ topology: task.model, weights, data: { ...ds.validation, featureCount: ds.featureCount } });
    const everywhere = await evaluate({ topology: task.model, weights, data: all });
    out.push({ name, n: ds.train.n, ownAuc: own.auc, unionAuc: everywhere.auc });
  }
  return out;
}
