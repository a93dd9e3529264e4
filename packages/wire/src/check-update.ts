import { refusal } from './refusal.js';

/**
 * An update must have exactly the global model's length and only finite values;
 * anything else would poison the aggregate. The refused value is never quoted.
 */
export function checkUpdate(update: Float32Array, expectedLength: number): void {
  if (!(update instanceof Float32Array)) {
    throw refusal('SCHEMA', 'update must be a Float32Array');
  }
  if (update.length !== expectedLength) {
    throw refusal('SHAPE', `update has ${update.length} values, the global model has ${expectedLength}`, {
      length: update.length,
      expectedLength,
    });
  }
  for (let i = 0; i < update.length; i++) {
    if (!Number.isFinite(update[i])) {
      throw refusal('NON_FINITE', `update value at index ${i} is not finite`, { index: i });
    }
  }
}
