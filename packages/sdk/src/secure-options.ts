import type { Membership, RoundPrivacy, SecureAggregationOptions } from '@cohortfl/protocol';
import type { Task } from './define-task.js';

/**
 * The round engine's secure aggregation options for a task, or undefined when the
 * task turned it off. `membership`: the consortium (every enrolled site and its key).
 * `stepTimeoutMs` overrides the task's per-step deadline (operators and tests).
 */
export function secureOptionsFor(task: Task, membership: Membership, stepTimeoutMs?: number): SecureAggregationOptions | undefined {
  const s = task.secureAggregation;
  if (!s.enabled) return undefined;
  return {
    ...(s.threshold === undefined ? {} : { threshold: s.threshold }),
    ...(s.colluders === undefined ? {} : { colluders: s.colluders }),
    degree: s.degree,
    clip: s.clip,
    weightScale: s.weightScale,
    stepTimeoutMs: stepTimeoutMs ?? s.stepTimeout * 1000,
    membership,
  };
}

/** The differential privacy every site applies in a round of this task, or undefined for none. */
export function roundPrivacyFor(task: Task, rounds: number = task.rounds): RoundPrivacy | undefined {
  const p = task.privacy;
  if (!p) return undefined;
  return {
    unit: p.unit,
    clip: p.clip,
    delta: p.delta,
    rounds,
    minSites: task.minSites,
    ...(p.noiseMultiplier === undefined ? {} : { noiseMultiplier: p.noiseMultiplier }),
    ...(p.targetEpsilon === undefined ? {} : { targetEpsilon: p.targetEpsilon }),
  };
}
