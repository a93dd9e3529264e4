/** JSON in and out of node:http, with errors as `{ code, message }` only. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CohortError, isCohortError, type ErrorCode } from '@cohortfl/wire';

const STATUS: Partial<Record<ErrorCode, number>> = {
  CONFIG_INVALID: 400,
  TASK_INVALID: 400,
  MESSAGE_INVALID: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
};

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * A CohortError keeps its code (HTTP status from the code, or `details.httpStatus`);
 * anything else is INTERNAL with a generic message (no stack on the wire).
 */
export function sendError(res: ServerResponse, error: unknown, status?: number): void {
  if (isCohortError(error)) {
    const explicit = error.details?.['httpStatus'];
    const http = status ?? (typeof explicit === 'number' ? explicit : undefined) ?? STATUS[error.code] ?? 409;
    sendJson(res, http, { code: error.code, message: error.message });
  } else {
    sendJson(res, 500, { code: 'INTERNAL', message: 'internal error; see the coordinator log' });
  }
}

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new CohortError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new CohortError('CONFIG_INVALID', 'request body is not valid JSON');
  }
}
