/**
 * Times shown relative to "now" tick every second without a new snapshot.
 * Elements carry the server timestamp in a data attribute; `now` is the
 * server's clock (local clock plus the offset measured at the last snapshot),
 * so a browser whose clock is off still shows correct ages.
 */
import { formatAgo, formatDuration } from '../format.js';

let offsetMs = 0;

/** Call with each snapshot's `at`. */
export function syncServerClock(serverNow: number): void {
  offsetMs = serverNow - Date.now();
}

export function serverNow(): number {
  return Date.now() + offsetMs;
}

/** Marks `el` to show "Xs ago" since `at`. */
export function agoAttrs(at: number | null): Record<string, string | null> {
  return { 'data-ago': at === null ? null : String(at) };
}

/** Re-renders every relative time inside `root`. */
export function tick(root: ParentNode): void {
  const now = serverNow();
  for (const el of root.querySelectorAll<HTMLElement>('[data-ago]')) {
    el.textContent = formatAgo(Number(el.dataset['ago']), now);
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-since]')) {
    el.textContent = formatDuration(now - Number(el.dataset['since']));
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-until]')) {
    const left = Number(el.dataset['until']) - now;
    el.textContent = left > 0 ? `in ${formatDuration(left)}` : 'passed';
  }
}
