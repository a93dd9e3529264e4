/**
 * socket.io calls event handlers from a nextTick without a try/catch: an exception
 * there is uncaught and would end the process. Every handler the coordinator registers
 * on a socket goes through `contain`, which keeps a failure to that socket: logged,
 * counted (refusal `handler_error`), the connection closed; the process keeps serving.
 */
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface Closable {
  disconnect(close?: boolean): unknown;
}

export type Contain = <A extends unknown[]>(handler: (...args: A) => unknown) => (...args: A) => void;

/** A wrapper for `socket`'s handlers; `context` adds fields (site, stage) to the log line. */
export function socketGuard(deps: { logger: Logger; metrics: Pick<Metrics, 'rejected'> }, socket: Closable, context: () => Record<string, unknown> = () => ({})): Contain {
  const fail = (error: unknown): void => {
    try {
      deps.metrics.rejected('handler_error');
      deps.logger.error({ err: error, reason: 'handler_error', ...context() }, 'a socket handler failed; closing its connection');
      socket.disconnect(true);
    } catch (secondary) {
      deps.logger.error({ err: secondary }, 'could not close a connection after a handler failure');
    }
  };
  return (handler) =>
    (...args) => {
      try {
        const result = handler(...args);
        if (result instanceof Promise) result.catch(fail);
      } catch (error) {
        fail(error);
      }
    };
}
