export type { DashboardSnapshot, ReportInput, RunSeries, RunView, SeriesRound, SiteView } from './types.js';
export type { Asset } from './assets.js';
export { dashboardAsset } from './assets.js';
export { renderReportHtml } from './report-html.js';
