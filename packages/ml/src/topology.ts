/**
 * Model topology as plain JSON (a Keras-style config, no weights, no code) and
 * back. A topology arrives inside a hospital-approved manifest, so it is
 * checked to be the one supported shape: binary risk from one feature vector.
 */
import { CohortError } from '@cohortfl/wire';
import { initBackend } from './backend.js';
import { tf } from './tf.js';
import type { ModelTopology } from './types.js';

type Json = Record<string, unknown>;

function invalid(message: string, cause?: unknown): never {
  throw new CohortError('TASK_INVALID', message, cause === undefined ? {} : { cause });
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The model's architecture as JSON-safe data, without weights. */
export function modelToTopology(model: tf.LayersModel): ModelTopology {
  return JSON.parse(JSON.stringify(model.toJSON(null, false))) as ModelTopology;
}

function unwrap(topology: ModelTopology): Json {
  if (!isObject(topology)) invalid('model topology must be a JSON object');
  // Full Keras model files nest the architecture under model_config.
  const inner = isObject(topology.model_config) ? topology.model_config : topology;
  if (typeof inner.class_name !== 'string' || !isObject(inner.config)) {
    invalid("model topology needs 'class_name' and 'config' (the output of model.toJSON(null, false))");
  }
  return inner;
}

function layerList(config: Json): Json[] {
  const layers = config.layers;
  if (!Array.isArray(layers) || layers.length === 0 || !layers.every(isObject)) {
    invalid("model topology 'config.layers' must be a non-empty list of layers");
  }
  return layers;
}

function layerConfig(layer: Json): Json {
  return isObject(layer.config) ? layer.config : {};
}

function shapeOfInput(topology: ModelTopology): unknown {
  const top = unwrap(topology);
  const config = top.config as Json;
  const layers = layerList(config);
  if (top.class_name === 'Sequential') {
    const first = layerConfig(layers[0] as Json);
    return first.batch_input_shape ?? (Array.isArray(first.input_shape) ? [null, ...first.input_shape] : undefined);
  }
  const inputs = config.input_layers;
  if (!Array.isArray(inputs) || inputs.length !== 1 || !Array.isArray(inputs[0])) {
    invalid(`the model must have exactly one input, found ${Array.isArray(inputs) ? inputs.length : 'none'}`);
  }
  const name = (inputs[0] as unknown[])[0];
  const layer = layers.find((l) => l.name === name || layerConfig(l).name === name);
  if (layer === undefined) invalid(`the model's input layer '${String(name)}' is not among its layers`);
  return layerConfig(layer).batch_input_shape;
}

/** Width k of the model's single input [null, k], read from the JSON alone. */
export function inputDim(topology: ModelTopology): number {
  const shape = shapeOfInput(topology);
  if (!Array.isArray(shape) || shape.length !== 2 || shape[0] !== null || !Number.isInteger(shape[1]) || (shape[1] as number) < 1) {
    invalid(`the model input must have shape [null, k] (one feature vector per record), found ${JSON.stringify(shape ?? null)}`);
  }
  return shape[1] as number;
}

function sameShape(shape: ReadonlyArray<number | null>, expected: ReadonlyArray<number | null>): boolean {
  return shape.length === expected.length && shape.every((d, i) => d === expected[i]);
}

/** Checks the built model is one input [null, k] → one sigmoid output [null, 1]. */
export function validateModel(model: tf.LayersModel, k: number): void {
  if (model.inputs.length !== 1) invalid(`the model must have exactly one input, found ${model.inputs.length}`);
  if (model.outputs.length !== 1) invalid(`the model must have exactly one output, found ${model.outputs.length}`);
  const input = model.inputs[0] as tf.SymbolicTensor;
  const output = model.outputs[0] as tf.SymbolicTensor;
  if (!sameShape(input.shape, [null, k])) invalid(`the model input must have shape [null, ${k}], found ${JSON.stringify(input.shape)}`);
  if (!sameShape(output.shape, [null, 1])) {
    invalid(`the model output must have shape [null, 1] (one risk per record), found ${JSON.stringify(output.shape)}`);
  }
  if (model.trainableWeights.length === 0) invalid('the model has no trainable weights, so there is nothing to learn');
  const last = output.sourceLayer.getConfig();
  if (last.activation !== 'sigmoid') {
    invalid(`the model's last layer '${output.sourceLayer.name}' must use a sigmoid activation (binary risk), found '${String(last.activation ?? 'none')}'`);
  }
}

/**
 * Builds an untrained model from topology JSON and validates it. The caller
 * owns the model (dispose it); training and evaluation use a shared cache.
 */
export async function createModel(topology: ModelTopology): Promise<tf.LayersModel> {
  const k = inputDim(topology);
  await initBackend();
  let model: tf.LayersModel;
  try {
    // Wrapped as { modelTopology } so no key of the topology can make tfjs fetch weights.
    model = await tf.models.modelFromJSON({ modelTopology: JSON.parse(JSON.stringify(topology)) as tf.io.ModelJSON['modelTopology'] });
  } catch (error) {
    invalid(`the model topology cannot be built: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  try {
    validateModel(model, k);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
