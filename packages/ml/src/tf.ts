/**
 * The one TensorFlow.js instance of CohortFL. Task authors build models with
 * this `tf` so that layers, tensors and backends all live in the same engine.
 */
import * as tf from '@tensorflow/tfjs';
// Registering wasm (priority 2) at import, before any tensor exists, means an
// early tensor cannot silently start the cpu backend: tfjs then asks for
// `await tf.ready()` instead of running slowly with its "install tfjs-node" banner.
import '@tensorflow/tfjs-backend-wasm';

export { tf };
