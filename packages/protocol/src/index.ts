export { CoordinatorRun } from './coordinator-run.js';
export type { CoordinatorRunOptions } from './coordinator-run.js';
export { REJECT_REASONS } from './actions.js';
export type { CoordinatorAction, RejectReason, RoundRecord, SiteEvalMetrics } from './actions.js';
export { SiteRunner, SITE_STAGES } from './site-runner.js';
export type { EvaluateOutput, SiteRunnerOptions, SiteStage, SiteWork, TrainOutput, UpdateTransform } from './site-runner.js';
export { enforcePolicy, PERMISSIVE_SIMULATION_POLICY } from './site-policy.js';
export type { SitePolicy } from './site-policy.js';
export { createRandom, deriveSeed } from './random.js';
