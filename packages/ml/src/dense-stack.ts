/**
 * Recognizes the models whose per-record gradient norms can be computed from
 * batched quantities (a Sequential made only of Dense layers, as mlp() builds),
 * and refuses the layers for which per-record gradients do not exist.
 */
import { CohortError } from '@cohortfl/wire';
import { tf } from './tf.js';

type Layer = tf.LayersModel['layers'][number];

/** One Dense layer y = act(x·W + b) with handles to its variables. */
export interface DenseLayer {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  /** The activation name from the layer config ('linear' needs no backward step). */
  activationName: string;
  /** A weightless layer applying the same activation, for forward and backward passes. */
  activation: Layer;
}

function allLayers(layers: Layer[]): Layer[] {
  return layers.flatMap((layer) => {
    const nested = (layer as unknown as { layers?: Layer[] }).layers;
    return Array.isArray(nested) ? [layer, ...allLayers(nested)] : [layer];
  });
}

/**
 * Batch normalization normalizes each record by statistics of the whole batch,
 * so a record's gradient depends on the others and clipping it bounds nothing.
 */
export function refuseBatchCoupledLayers(model: tf.LayersModel): void {
  const coupled = allLayers(model.layers).find((l) => l.getClassName() === 'BatchNormalization');
  if (coupled !== undefined) {
    throw new CohortError(
      'CONFIG_INVALID',
      `DP-SGD needs per-record gradients, but layer '${coupled.name}' (BatchNormalization) mixes the records of a batch; ` +
        'remove it or use LayerNormalization',
    );
  }
}

/** The Dense layers in order, or null when the model is anything else (then the per-record loop is used). */
export function denseStack(model: tf.LayersModel): DenseLayer[] | null {
  if (model.getClassName() !== 'Sequential') return null;
  const out: DenseLayer[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Dense') return null;
    const config = layer.getConfig();
    const activationName = typeof config.activation === 'string' ? config.activation : 'linear';
    const weights = layer.weights;
    const kernel = weights.find((w) => w.shape.length === 2);
    const bias = weights.find((w) => w.shape.length === 1) ?? null;
    if (kernel === undefined || weights.length !== (bias === null ? 1 : 2)) return null;
    out.push({ kernel, bias, activationName, activation: tf.layers.activation({ activation: activationName as never }) });
  }
  return out.length > 0 ? out : null;
}
