/**
 * A federated task, written by an ML engineer in TypeScript and compiled to a
 * declarative manifest: the model's topology as JSON (never code), the data
 * schema, training, strategy and run settings. Hospitals approve its hash.
 */
import { encodeFeatureNames, validateSchema, type DataSchema } from '@cohortfl/data';
import { inputDim, modelToTopology, type ModelTopology, type TrainingConfig, type tf } from '@cohortfl/ml';
import { createStrategy, type StrategySpec } from '@cohortfl/strategies';
import { CohortError } from '@cohortfl/wire';
import { canonicalTopology } from './canonical-topology.js';

type LayersModel = tf.LayersModel;

export interface TaskDefinition {
  name: string;
  version: string;
  description?: string;
  /**
   * The model: a TensorFlow.js layers model, its topology JSON, or a function
   * of the encoded input width. Only the topology is kept.
   */
  model: LayersModel | ModelTopology | ((input: { inputDim: number }) => LayersModel);
  schema: DataSchema;
  training: TrainingConfig;
  strategy: StrategySpec;
  rounds: number;
  /** Fewest sites whose results a round needs. */
  minSites: number;
  /** Fraction of available sites sampled per round (default 1: all). */
  fractionFit?: number;
  /** Seed of the initial global weights (default 0). */
  seed?: number;
  /** Fraction of each site's records held out for validation (default 0.2). */
  validationFraction?: number;
  /** Per-phase deadlines in seconds (defaults: train 600, evaluate 120). */
  timeouts?: { train?: number; evaluate?: number };
}

/** A validated task: the definition with its model reduced to canonical topology JSON. */
export interface Task extends Omit<TaskDefinition, 'model'> {
  model: ModelTopology;
  fractionFit: number;
  seed: number;
  validationFraction: number;
  timeouts: { train: number; evaluate: number };
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function isLayersModel(m: unknown): m is LayersModel {
  return typeof m === 'object' && m !== null && typeof (m as { toJSON?: unknown }).toJSON === 'function' && 'layers' in m;
}

function invalid(message: string): never {
  throw new CohortError('TASK_INVALID', message);
}

export function defineTask(definition: TaskDefinition): Task {
  const d = definition;
  if (!NAME_RE.test(d.name ?? '')) invalid(`task name '${d.name}' must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit`);
  if (typeof d.version !== 'string' || d.version.length === 0) invalid(`task '${d.name}' needs a version string, e.g. '1.0.0'`);
  validateSchema(d.schema);
  const features = encodeFeatureNames(d.schema).length;
  const t = d.training;
  if (!t || !Number.isInteger(t.epochs) || t.epochs < 1) invalid(`training.epochs must be a positive integer, got ${t?.epochs}`);
  if (!Number.isInteger(t.batchSize) || t.batchSize < 1) invalid(`training.batchSize must be a positive integer, got ${t.batchSize}`);
  if (!(t.learningRate > 0 && Number.isFinite(t.learningRate))) invalid(`training.learningRate must be a positive number, got ${t.learningRate}`);
  if (!['sgd', 'adam', 'rmsprop', 'adagrad'].includes(t.optimizer)) invalid(`training.optimizer must be sgd, adam, rmsprop or adagrad, got '${t.optimizer}'`);
  if (t.proxMu !== undefined && !(t.proxMu >= 0)) invalid(`training.proxMu must be ≥ 0, got ${t.proxMu}`);
  if (!Number.isInteger(d.rounds) || d.rounds < 1) invalid(`rounds must be a positive integer, got ${d.rounds}`);
  if (!Number.isInteger(d.minSites) || d.minSites < 1) invalid(`minSites must be a positive integer, got ${d.minSites}`);
  const fractionFit = d.fractionFit ?? 1;
  if (!(fractionFit > 0 && fractionFit <= 1)) invalid(`fractionFit must be in (0, 1], got ${fractionFit}`);
  const validationFraction = d.validationFraction ?? 0.2;
  if (!(validationFraction > 0 && validationFraction < 1)) invalid(`validationFraction must be in (0, 1), got ${validationFraction}`);
  createStrategy({ ...d.strategy }); // throws TASK_INVALID on an unknown strategy or bad parameters
  const timeouts = { train: d.timeouts?.train ?? 600, evaluate: d.timeouts?.evaluate ?? 120 };
  if (!(timeouts.train > 0 && timeouts.evaluate > 0)) invalid('timeouts must be positive numbers of seconds');

  const model = typeof d.model === 'function' ? d.model({ inputDim: features }) : d.model;
  const topology = canonicalTopology(isLayersModel(model) ? modelToTopology(model) : model);
  const width = inputDim(topology);
  if (width !== features) {
    invalid(`the model takes ${width} inputs but the schema encodes ${features} features (${encodeFeatureNames(d.schema).slice(0, 5).join(', ')}${features > 5 ? ', …' : ''})`);
  }
  const { model: _omit, ...rest } = d;
  return Object.freeze({ ...rest, model: topology, fractionFit, seed: d.seed ?? 0, validationFraction, timeouts });
}
