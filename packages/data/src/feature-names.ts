import type { DataSchema } from './schema.js';

/**
 * Names of the encoded features, in the order every site writes them: clinical
 * features in schema order (a category expands to one `name=value` per value),
 * then the genomic variants by their keys.
 */
export function encodeFeatureNames(schema: DataSchema): string[] {
  const names: string[] = [];
  for (const f of schema.clinical) {
    if (f.type === 'category') for (const v of f.values) names.push(`${f.name}=${v}`);
    else names.push(f.name);
  }
  for (const v of schema.genomic?.variants ?? []) names.push(v);
  return names;
}

/** Width of the encoded feature vector. */
export function featureCount(schema: DataSchema): number {
  return encodeFeatureNames(schema).length;
}
