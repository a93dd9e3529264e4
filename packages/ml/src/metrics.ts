/** Host-side metrics of scores against 0/1 labels, shared by training and evaluation. */
import { EPS } from './losses.js';

/** Mean binary cross-entropy with scores clipped to [EPS, 1 − EPS]. */
export function meanBce(labels: Float32Array, scores: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - EPS, Math.max(EPS, scores[i] as number));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / labels.length;
}

/** Share of records whose prediction (score ≥ 0.5 means 1) equals the label. */
export function accuracyAtHalf(labels: Float32Array, scores: Float32Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (((scores[i] as number) >= 0.5 ? 1 : 0) === labels[i]) correct++;
  return correct / labels.length;
}
