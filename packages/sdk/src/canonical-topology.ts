/**
 * TensorFlow.js names layers from a process-wide counter (dense_Dense3,
 * sequential_7), so the same model built twice serializes differently. The
 * manifest renames them by position, which keeps the topology valid (functional
 * models refer to layers by name and the renaming is applied everywhere) and
 * makes the hash depend only on the architecture.
 */
import type { ModelTopology } from '@cohortfl/ml';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function canonicalTopology(topology: ModelTopology): ModelTopology {
  const names = new Map<string, string>();
  const config = (topology as { config?: { name?: unknown; layers?: unknown } }).config;
  if (config && typeof config.name === 'string') names.set(config.name, 'model');
  const layers = Array.isArray(config?.layers) ? (config.layers as Array<Record<string, unknown>>) : [];
  layers.forEach((layer, i) => {
    const inner = layer.config as { name?: unknown } | undefined;
    for (const n of [layer.name, inner?.name]) {
      if (typeof n === 'string' && !names.has(n)) names.set(n, `layer_${i}`);
    }
  });
  const rename = (v: Json): Json => {
    if (typeof v === 'string') return names.get(v) ?? v;
    if (Array.isArray(v)) return v.map(rename);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rename(x)]));
    return v;
  };
  return rename(topology as Json) as ModelTopology;
}
