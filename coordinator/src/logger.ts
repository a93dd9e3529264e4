/** JSON log lines to stderr (stdout is kept for the one "listening" line and command output). */
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

export function createLogger(level: LogLevel): Logger {
  return pino({ name: 'cohort-coordinator', level }, pino.destination({ fd: 2, sync: true }));
}
