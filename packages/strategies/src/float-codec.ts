import { CohortError } from '@cohortfl/wire';

/**
 * Float64 arrays as base64 of their little-endian bytes: exact (unlike a decimal
 * round trip through a lossy format), about half the size of a JSON number array,
 * and JSON-safe for checkpoints. Uses btoa/atob, present in Node ≥ 16 and browsers.
 */
export function encodeFloat64(values: Float64Array): string {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i] as number, true);
  let binary = '';
  const chunk = 0x8000; // keeps the spread below the engine's argument limit
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

export function decodeFloat64(text: string, what: string): Float64Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch (cause) {
    throw new CohortError('DATA_INVALID', `${what} is not valid base64`, { cause });
  }
  if (binary.length % 8 !== 0) {
    throw new CohortError('DATA_INVALID', `${what} has ${binary.length} bytes, not a whole number of float64 values`);
  }
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  const out = new Float64Array(binary.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}
