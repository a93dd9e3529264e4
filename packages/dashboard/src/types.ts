/**
 * The data the dashboard and the run report draw (Issue 7 contract). The
 * coordinator and the simulator build these; this package only renders them.
 */

/** One completed round, as the charts draw it. Missing values are null, never 0. */
export interface SeriesRound {
  round: number;
  attempt: number;
  startedAt: number; // ms since epoch
  finishedAt: number;
  trained: string[]; // sites whose update was aggregated
  failures: { site: string; reason: string }[];
  trainLoss: number | null; // mean local training loss
  evalLoss: number | null; // global model, pooled evaluation loss
  auc: number | null; // global model, pooled AUC
  worstSiteAuc: number | null;
  siteAuc: Record<string, number>; // site -> AUC of the global model at that site
  groupAucGap: Record<string, number>; // subgroup column (e.g. 'ancestry') -> AUC gap between its groups
  bytesReceived: number | null; // update bytes the coordinator received this round
}

export interface RunSeries {
  rounds: SeriesRound[];
}

export interface SiteView {
  name: string;
  status: 'active' | 'revoked';
  fingerprint: string;
  connected: boolean;
  ready: boolean;
  lastSeen: number | null;
  epsilonSpent: number | null;
  epsilonBudget: number | null;
  policy: { minCohortSize: number; approvedTasks: number; acceptTasks: boolean } | null;
}

export interface RunView {
  id: number;
  task: string;
  taskHash: string;
  status: 'running' | 'completed' | 'aborted';
  rounds: number; // planned rounds
  round: number | null; // current (running) or last completed round
  attempt: number | null;
  phase: string; // 'idle' | 'train' | 'evaluate' | 'done' (+ secureStep when secure aggregation runs)
  secureStep: string | null;
  cohort: string[];
  answered: string[];
  stragglers: string[]; // in the cohort, not answered yet
  phaseStartedAt: number | null;
  deadlineAt: number | null;
  holdOut: string[];
  message: string | null; // e.g. why it was aborted/stopped
}

export interface DashboardSnapshot {
  at: number;
  role: 'viewer' | 'operator'; // operator may start/stop runs
  coordinator: { publicKey: string; fingerprint: string };
  sites: SiteView[];
  run: RunView | null; // the running run, else the latest
  series: RunSeries; // of that run
  tasks: { name: string; version: string; hash: string }[];
  runs: { id: number; task: string; status: string; rounds: number; createdAt: number }[];
}

/** Everything a self-contained run report shows. */
export interface ReportInput {
  title: string;
  subtitle?: string;
  generatedAt: number; // ms since epoch
  series: RunSeries;
  sites?: { site: string; numExamples: number | null; auc: number | null; epsilonSpent?: number | null }[];
  facts?: { label: string; value: string }[];
  notes?: string[];
}
