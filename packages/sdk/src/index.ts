export { defineTask } from './define-task.js';
export type { PrivacySpec, ResolvedPrivacy, ResolvedSecureAggregation, SecureAggregationSpec, Task, TaskDefinition } from './define-task.js';
export { roundPrivacyFor, secureOptionsFor } from './secure-options.js';
export { buildManifest, parseManifest, MANIFEST_FORMAT } from './manifest.js';
export type { BuiltManifest, Manifest } from './manifest.js';
export { simulate } from './simulate.js';
export type { RoundSummary, SimulateOptions, SimulationEvent, SimulationResult } from './simulate.js';
export { trainLocalOnly, trainPooled } from './baselines.js';
export { loadSiteForTask } from './site-data.js';
export type { SiteSpec } from './site-data.js';
export { initBackend, mlp, tf } from '@cohortfl/ml';
// A round's metrics (RoundSummary.metrics) carry subgroup gaps as `<column>/aucGap`; this reads them back.
export { aucGapsOf } from '@cohortfl/protocol';
