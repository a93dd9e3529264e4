/**
 * One built model per topology, reused across rounds (building a model every
 * round costs more than a small training step). Each model is used by one
 * caller at a time: calls on the same topology queue behind each other, so
 * simulated sites sharing a process cannot interleave their weights.
 */
import { CohortError } from '@cohortfl/wire';
import { createModel } from './topology.js';
import type { tf } from './tf.js';
import type { ModelTopology } from './types.js';
import { weightLayout, type WeightLayout } from './weights.js';

export interface CachedModel {
  model: tf.LayersModel;
  layout: WeightLayout;
  inputDim: number;
}

interface Entry {
  ready: Promise<CachedModel>;
  /** Settles when the last queued use finishes. */
  tail: Promise<unknown>;
  pending: number;
}

/** Enough for every task a site runs at once; older idle models are freed. */
const MAX_MODELS = 8;
const cache = new Map<string, Entry>();

function keyOf(topology: ModelTopology): string {
  try {
    return JSON.stringify(topology);
  } catch (error) {
    throw new CohortError('TASK_INVALID', 'model topology is not JSON (it has cycles or non-JSON values)', { cause: error });
  }
}

async function build(topology: ModelTopology): Promise<CachedModel> {
  const model = await createModel(topology);
  const input = model.inputs[0] as tf.SymbolicTensor;
  return { model, layout: weightLayout(model), inputDim: input.shape[1] as number };
}

function evictIdle(): void {
  for (const [key, entry] of cache) {
    if (cache.size <= MAX_MODELS) return;
    if (entry.pending > 0) continue;
    cache.delete(key);
    entry.ready.then((m) => m.model.dispose(), () => undefined);
  }
}

/** Runs `fn` with the cached model of `topology`, after earlier uses of it finish. */
export async function withModel<T>(topology: ModelTopology, fn: (m: CachedModel) => T | Promise<T>): Promise<T> {
  const key = keyOf(topology);
  let entry = cache.get(key);
  if (entry === undefined) {
    const ready = build(topology);
    entry = { ready, tail: ready, pending: 0 };
    ready.catch(() => {
      if (cache.get(key)?.ready === ready) cache.delete(key);
    });
  } else {
    cache.delete(key); // re-inserted below: the map's order is least recently used first
  }
  cache.set(key, entry);
  const current = entry;
  current.pending++; // before eviction, so this entry is never the one freed
  evictIdle();
  const run = current.tail.then(
    () => current.ready.then(fn),
    () => current.ready.then(fn),
  );
  current.tail = run.catch(() => undefined);
  try {
    return await run;
  } finally {
    current.pending--;
  }
}

/** Frees every cached model once its queued uses finish. */
export async function disposeModels(): Promise<void> {
  const entries = [...cache.values()];
  cache.clear();
  await Promise.all(
    entries.map(async (entry) => {
      await entry.tail.catch(() => undefined);
      const m = await entry.ready.catch(() => null);
      m?.model.dispose();
    }),
  );
}

/** Number of weights (trainable and not) of the topology's model. */
export function countParameters(topology: ModelTopology): Promise<number> {
  return withModel(topology, (m) => m.layout.total);
}
