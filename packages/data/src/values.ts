/**
 * Parsing of single clinical values into task units, and the encoders that
 * write one feature's value into its slot(s) of the feature vector.
 */
import type { ClinicalFeature } from './schema.js';

export const DEFAULT_MISSING_TOKENS: readonly string[] = ['', 'NA', 'N/A', 'NaN', '.', 'null'];

// A plain decimal number: no hex, no "Infinity", no thousands separators.
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export type TaskValue = string | number | boolean;

export function parseNumber(value: TaskValue): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return undefined;
  const text = value.trim();
  return NUMBER_RE.test(text) ? Number(text) : undefined;
}

/** 1/0, true/false, yes/no (any case) → 1/0. */
export function parseBinary(value: TaskValue): 0 | 1 | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value === 1 ? 1 : value === 0 ? 0 : undefined;
  switch (value.trim().toLowerCase()) {
    case '1': case 'true': case 'yes': return 1;
    case '0': case 'false': case 'no': return 0;
    default: return undefined;
  }
}

/** Consent is given only by an explicit 1/true/yes/y; anything else (including blank) withholds it. */
export function isConsentGiven(value: TaskValue): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1;
  const v = value.trim().toLowerCase();
  return v === '1' || v === 'true' || v === 'yes' || v === 'y';
}

export const BINARY_EXPECTATION = 'expected 1/0, true/false or yes/no';

/** Slots a feature occupies in the encoded vector. */
export function featureWidth(feature: ClinicalFeature): number {
  return feature.type === 'category' ? feature.values.length : 1;
}

/**
 * Writes `value` encoded into `out[offset..offset+width)`. Returns null on
 * success, else what was expected (the tail of an error message).
 */
export function encodeValue(feature: ClinicalFeature, value: TaskValue, out: Float32Array, offset: number): string | null {
  switch (feature.type) {
    case 'number': {
      const v = parseNumber(value);
      if (v === undefined) return 'expected a number';
      if (feature.range === undefined) {
        out[offset] = v;
        return null;
      }
      const [min, max] = feature.range;
      if (v < min || v > max) return `expected a number from ${min} to ${max}${feature.unit ? ` ${feature.unit}` : ''} (the task's range)`;
      out[offset] = (v - min) / (max - min);
      return null;
    }
    case 'category': {
      const index = feature.values.indexOf(String(value));
      if (index < 0) return `expected one of ${feature.values.join(', ')}`;
      out.fill(0, offset, offset + feature.values.length);
      out[offset + index] = 1;
      return null;
    }
    case 'boolean': {
      const v = parseBinary(value);
      if (v === undefined) return BINARY_EXPECTATION;
      out[offset] = v;
      return null;
    }
  }
}
