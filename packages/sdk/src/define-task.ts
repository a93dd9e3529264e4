/**
 * A federated task, written by an ML engineer in TypeScript and compiled to a
 * declarative manifest: the model's topology as JSON (never code), the data
 * schema, training, strategy and run settings. Hospitals approve its hash.
 */
import { encodeFeatureNames, validateSchema, type DataSchema } from '@cohortfl/data';
import { inputDim, modelToTopology, type ModelTopology, type TrainingConfig, type tf } from '@cohortfl/ml';
import { createStrategy, type StrategySpec } from '@cohortfl/strategies';
import { CohortError } from '@cohortfl/wire';
import { calibrateNoise } from '@cohortfl/privacy';
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
  /**
   * Secure aggregation of the train phase: on unless set to `false`. The coordinator
   * then learns only the example-weighted mean of at least `threshold` sites' updates.
   */
  secureAggregation?: false | SecureAggregationSpec;
  /**
   * Differential privacy. Absent: none (a site whose policy sets a privacy budget
   * then refuses the task). `unit: 'site'` protects a whole hospital's data: each
   * site clips its update to `clip` and the sum carries Gaussian noise of standard
   * deviation noiseMultiplier·clip (distributed discrete Gaussian under secure
   * aggregation). `unit: 'patient'` protects each patient: DP-SGD at every site.
   */
  privacy?: PrivacySpec;
}

export interface PrivacySpec {
  unit: 'site' | 'patient';
  /** L2 bound: of a site's update ('site', default 1) or of a patient's gradient ('patient', default 1). */
  clip?: number;
  /** σ. Give this or `targetEpsilon`. */
  noiseMultiplier?: number;
  /** The ε the whole run may spend at δ; σ is calibrated to it (per site for 'patient', from its own data size). */
  targetEpsilon?: number;
  /** δ (default 1e-5). */
  delta?: number;
}

export interface ResolvedPrivacy {
  unit: 'site' | 'patient';
  clip: number;
  /** σ for 'site'; for 'patient' the σ to use when no targetEpsilon is given. */
  noiseMultiplier?: number;
  targetEpsilon?: number;
  delta: number;
}

export interface SecureAggregationSpec {
  /** false turns secure aggregation off, like `secureAggregation: false` (default true). */
  enabled?: boolean;
  /**
   * A fraction of the cohort in (0.5, 1] or a count ≥ 2. Default: the least that keeps
   * `colluders` colluding sites from splitting the holders of a site's shares
   * (2·threshold > holders + colluders; holders = all members, or k + 1 on a k-regular graph).
   */
  threshold?: number;
  /** Colluding sites the threshold must tolerate (default 1). Hospitals may demand more in their policy. */
  colluders?: number;
  /** 0 = every site shares with every other (default); k = a k-regular neighbour graph for large federations. */
  degree?: number;
  /** L2 norm bound of a site's update before quantization (default 10). */
  clip?: number;
  /** At least the largest number of training records at one site (default 1,000,000). */
  weightScale?: number;
  /** Deadline of each secure aggregation exchange after training, in seconds (default 60). */
  stepTimeout?: number;
}

export interface ResolvedSecureAggregation {
  enabled: boolean;
  threshold?: number;
  colluders?: number;
  degree: number;
  clip: number;
  weightScale: number;
  stepTimeout: number;
}

/** A validated task: the definition with its model reduced to canonical topology JSON. */
export interface Task extends Omit<TaskDefinition, 'model' | 'secureAggregation' | 'privacy'> {
  model: ModelTopology;
  privacy?: ResolvedPrivacy;
  secureAggregation: ResolvedSecureAggregation;
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
  const strategy = createStrategy({ ...d.strategy }); // throws TASK_INVALID on an unknown strategy or bad parameters
  const secureAggregation = resolveSecureAggregation(d.secureAggregation);
  if (secureAggregation.enabled && strategy.requiresIndividualUpdates) {
    invalid(`strategy '${d.strategy.name}' needs each site's update, which secure aggregation hides; set secureAggregation: false or use fedavg, fedprox, fedadam, fedyogi or fedadagrad`);
  }
  if (secureAggregation.enabled && d.minSites < 2) invalid('secure aggregation needs minSites ≥ 2: the sum over one site is that site\'s update');
  const timeouts = { train: d.timeouts?.train ?? 600, evaluate: d.timeouts?.evaluate ?? 120 };
  if (!(timeouts.train > 0 && timeouts.evaluate > 0)) invalid('timeouts must be positive numbers of seconds');

  const model = typeof d.model === 'function' ? d.model({ inputDim: features }) : d.model;
  const topology = canonicalTopology(isLayersModel(model) ? modelToTopology(model) : model);
  const width = inputDim(topology);
  if (width !== features) {
    invalid(`the model takes ${width} inputs but the schema encodes ${features} features (${encodeFeatureNames(d.schema).slice(0, 5).join(', ')}${features > 5 ? ', …' : ''})`);
  }
  const privacy = d.privacy === undefined ? undefined : resolvePrivacy(d.privacy, d.rounds);
  const { model: _omit, secureAggregation: _spec, privacy: _p, ...rest } = d;
  return Object.freeze({ ...rest, model: topology, fractionFit, seed: d.seed ?? 0, validationFraction, timeouts, secureAggregation, ...(privacy ? { privacy } : {}) });
}

/**
 * Safe, documented defaults: δ = 1e-5, clip = 1. Site-level DP with a target ε is
 * calibrated here, for every round of the run (a site takes part in each round
 * it is selected for, and selection is not secret, so no subsampling credit).
 */
function resolvePrivacy(p: PrivacySpec, rounds: number): ResolvedPrivacy {
  if (p.unit !== 'site' && p.unit !== 'patient') invalid(`privacy.unit must be 'site' or 'patient', got '${String(p.unit)}'`);
  const delta = p.delta ?? 1e-5;
  const clip = p.clip ?? 1;
  if (!(delta > 0 && delta < 1)) invalid(`privacy.delta must be in (0, 1), got ${delta}`);
  if (!(clip > 0 && Number.isFinite(clip))) invalid(`privacy.clip must be a positive number, got ${clip}`);
  if ((p.noiseMultiplier === undefined) === (p.targetEpsilon === undefined)) invalid('privacy needs exactly one of noiseMultiplier and targetEpsilon');
  if (p.noiseMultiplier !== undefined && !(p.noiseMultiplier > 0 && Number.isFinite(p.noiseMultiplier))) invalid(`privacy.noiseMultiplier must be positive, got ${p.noiseMultiplier}`);
  if (p.targetEpsilon !== undefined && !(p.targetEpsilon > 0 && Number.isFinite(p.targetEpsilon))) invalid(`privacy.targetEpsilon must be positive, got ${p.targetEpsilon}`);
  let noiseMultiplier = p.noiseMultiplier;
  if (p.unit === 'site' && p.targetEpsilon !== undefined) {
    // Calibrated on the central Gaussian with 1% to spare: under secure aggregation the
    // distributed discrete Gaussian costs slightly more (rounding, sum of discrete
    // Gaussians; about 0.01% on cad-risk), and the sites' ledgers charge what it costs.
    noiseMultiplier = calibrateNoise({ targetEpsilon: p.targetEpsilon * 0.99, delta, samplingRate: 1, steps: rounds });
  }
  return { unit: p.unit, clip, delta, ...(noiseMultiplier === undefined ? {} : { noiseMultiplier }), ...(p.targetEpsilon === undefined ? {} : { targetEpsilon: p.targetEpsilon }) };
}

function resolveSecureAggregation(spec: TaskDefinition['secureAggregation']): ResolvedSecureAggregation {
  const s: SecureAggregationSpec = spec === false ? { enabled: false } : (spec ?? {});
  if (s.enabled === false) return { enabled: false, degree: 0, clip: 10, weightScale: 1_000_000, stepTimeout: 60 };
  const out: ResolvedSecureAggregation = {
    enabled: true,
    degree: s.degree ?? 0,
    clip: s.clip ?? 10,
    weightScale: s.weightScale ?? 1_000_000,
    stepTimeout: s.stepTimeout ?? 60,
    ...(s.threshold === undefined ? {} : { threshold: s.threshold }),
    // Absent unless set, so tasks defined before the setting keep their manifest hash.
    ...(s.colluders === undefined ? {} : { colluders: s.colluders }),
  };
  if (s.colluders !== undefined && !(Number.isInteger(s.colluders) && s.colluders >= 0 && s.colluders <= 1024)) {
    invalid(`secureAggregation.colluders must be an integer in [0, 1024], got ${s.colluders}`);
  }
  if (s.threshold !== undefined && !((s.threshold > 0.5 && s.threshold <= 1) || (Number.isInteger(s.threshold) && s.threshold >= 2))) {
    invalid(`secureAggregation.threshold must be a fraction in (0.5, 1] or an integer ≥ 2, got ${s.threshold}`);
  }
  if (!Number.isInteger(out.degree) || out.degree < 0 || out.degree % 2 !== 0) invalid(`secureAggregation.degree must be 0 or an even positive integer, got ${out.degree}`);
  if (!(out.clip > 0 && Number.isFinite(out.clip))) invalid(`secureAggregation.clip must be a positive number, got ${out.clip}`);
  if (!Number.isInteger(out.weightScale) || out.weightScale < 1 || out.weightScale > 4_000_000) invalid(`secureAggregation.weightScale must be an integer in [1, 4000000], got ${out.weightScale}`);
  if (!(out.stepTimeout > 0)) invalid(`secureAggregation.stepTimeout must be a positive number of seconds, got ${out.stepTimeout}`);
  return out;
}
