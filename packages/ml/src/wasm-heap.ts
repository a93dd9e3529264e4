/**
 * Tensors written in place in tfjs-wasm's heap. tf.tensor2d(values) on the wasm
 * backend allocates in the heap and copies the values there; at genomic width
 * the fused step's batch and its transpose are megabytes per step, gathered on
 * the host anyway, so they are written straight into freshly allocated tensors
 * instead (and the transpose made inside the heap by transpose-simd.ts). This
 * reads BackendWasm's tensor table (dataIdMap: memoryOffset) and the
 * emscripten module's memory (wasm.asm.memory, wasm.HEAPU8), which tfjs-wasm
 * 4.x does not document: heapAccess returns null when they are not there (or
 * on another backend), and the caller uploads as usual.
 */
import { CohortError } from '@cohortfl/wire';
import { tf } from './tf.js';
import { createTransposer, type Transpose, type WasmMemory } from './transpose-simd.js';

interface BackendWasm {
  write(values: null, shape: number[], dtype: 'float32'): object;
  dataIdMap?: { get(dataId: object): { memoryOffset?: number | null } | undefined };
  wasm?: { HEAPU8?: Uint8Array; asm?: { memory?: WasmMemory } };
}

export interface HeapAccess {
  /** A float32 tensor of `shape`, allocated in the heap and not written, and its byte offset there. */
  allocate(shape: [number, number]): { tensor: tf.Tensor2D; offset: number };
  /** A view of `size` floats at byte offset `offset` (take it after the last allocation: the heap may grow). */
  view(offset: number, size: number): Float32Array;
  /** The heap's transpose (transpose-simd.ts). */
  transpose: Transpose;
}

export function heapAccess(): HeapAccess | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as BackendWasm;
  const memory = backend.wasm?.asm?.memory;
  const dataIdMap = backend.dataIdMap;
  if (memory === undefined || dataIdMap === undefined || typeof backend.write !== 'function') return null;
  const transpose = createTransposer(memory);
  if (transpose === null) return null;
  const engine = tf.engine() as unknown as {
    makeTensorFromDataId(dataId: object, shape: number[], dtype: 'float32', backend: unknown): tf.Tensor;
  };
  return {
    allocate(shape) {
      const dataId = backend.write(null, shape, 'float32');
      const tensor = engine.makeTensorFromDataId(dataId, shape, 'float32', backend) as tf.Tensor2D;
      const offset = dataIdMap.get(dataId)?.memoryOffset;
      if (typeof offset !== 'number') {
        tensor.dispose();
        throw new CohortError('INTERNAL', 'the TensorFlow.js wasm backend did not place a new tensor in its memory as this version expects; training cannot use the fast path (please report the @tensorflow/tfjs-backend-wasm version in use)');
      }
      return { tensor, offset };
    },
    view: (offset, size) => new Float32Array(memory.buffer, offset, size),
    transpose,
  };
}
