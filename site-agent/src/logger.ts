/** JSON log lines on stderr (stdout is kept for the few lines scripts wait for). */
import { pino, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel = 'info', site?: string): Logger {
  return pino(
    { name: 'cohort-site', level, base: site === undefined ? { pid: process.pid } : { pid: process.pid, site } },
    // Synchronous so the last lines before an exit are not lost.
    pino.destination({ fd: 2, sync: true }),
  );
}
