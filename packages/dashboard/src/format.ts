/** Small pure formatters shared by the dashboard, the report and the chart ticks. */

/** A finite number, or null: charts draw null as a gap, never as 0. */
export function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** 1536 -> "1.5 KB" (powers of 1024, as transfer sizes are usually read). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${bytes < 0 ? '-' : ''}${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** 75_000 -> "1m 15s"; 4_000 -> "4s"; negative durations (clock skew) read as 0s. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/** "12s ago", "3m ago", "never" — relative to `now` (both ms since epoch). */
export function formatAgo(at: number | null, now: number): string {
  if (at === null) return 'never';
  const ms = now - at;
  if (ms < 1500) return 'just now';
  return `${formatDuration(ms)} ago`;
}

/** A metric with fixed digits, or an en dash when it is missing. */
export function formatMetric(value: number | null | undefined, digits = 3): string {
  const v = finiteOrNull(value);
  return v === null ? '–' : v.toFixed(digits);
}

/** ISO-like local time without seconds' fractions: "2025-03-01 14:05:09". */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '–';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
