/**
 * The operator CLI's side of the admin API (`rounds start`, `status`): where the
 * server is (flag > env COHORT_COORDINATOR_URL > <data-dir>/serve.json) and the
 * token (flag > env COHORT_ADMIN_TOKEN > <data-dir>/admin-token).
 */
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CohortError, ERROR_CODES, type ErrorCode } from '@cohortfl/wire';
import { dataPaths } from './data-dir.js';

export interface AdminTarget {
  url: string;
  token: string;
  /** PEM of a CA to trust (a self-signed coordinator certificate). */
  ca?: string;
}

export interface AdminTargetInput {
  dataDir?: string;
  url?: string;
  token?: string;
  caFile?: string;
  env: Record<string, string | undefined>;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new CohortError('CONFIG_INVALID', `cannot read ${what} ${path}: ${(cause as Error).message}`, { cause });
  }
}

function serveUrl(dataDir: string | undefined): string | undefined {
  if (dataDir === undefined) return undefined;
  const path = dataPaths(dataDir).serve;
  if (!existsSync(path)) {
    throw new CohortError('CONFIG_INVALID', `${path} does not exist: is \`cohort-coordinator serve\` running on this data directory? (or pass --url)`);
  }
  const parsed = JSON.parse(readText(path, 'serve file')) as { url?: unknown };
  if (typeof parsed.url !== 'string') throw new CohortError('CONFIG_INVALID', `${path} holds no url`);
  return parsed.url;
}

export function resolveAdminTarget(input: AdminTargetInput): AdminTarget {
  const url = input.url ?? nonEmpty(input.env['COHORT_COORDINATOR_URL']) ?? serveUrl(input.dataDir);
  if (url === undefined) throw new CohortError('CONFIG_INVALID', 'where is the coordinator? pass --data-dir, --url or set COHORT_COORDINATOR_URL');
  let token = input.token ?? nonEmpty(input.env['COHORT_ADMIN_TOKEN']);
  if (token === undefined && input.dataDir !== undefined) token = readText(dataPaths(input.dataDir).token, 'admin token').trim();
  if (token === undefined) throw new CohortError('CONFIG_INVALID', 'no admin token: pass --data-dir, --token or set COHORT_ADMIN_TOKEN');
  if (!/^https?:\/\/[^/]+/.test(url)) throw new CohortError('CONFIG_INVALID', `coordinator url '${url}' must start with http:// or https://`);
  return { url: url.replace(/\/+$/, ''), token, ...(input.caFile ? { ca: readText(input.caFile, 'CA file') } : {}) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function asCode(value: unknown): ErrorCode {
  return typeof value === 'string' && value in ERROR_CODES ? (value as ErrorCode) : 'INTERNAL';
}

/** One JSON request; a 4xx/5xx answer becomes the CohortError it carries (so the CLI exits with its code). */
export function adminRequest<T>(target: AdminTarget, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const url = new URL(path, `${target.url}/`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<T>((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        headers: {
          authorization: `Bearer ${target.token}`,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
        ...(target.ca ? { ca: target.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            reject(new CohortError('INTERNAL', `${method} ${url.pathname}: the coordinator answered ${res.statusCode} without JSON`));
            return;
          }
          if ((res.statusCode ?? 500) >= 400) {
            const e = json as { code?: unknown; message?: unknown };
            reject(new CohortError(asCode(e.code), typeof e.message === 'string' ? e.message : `HTTP ${res.statusCode}`));
          } else resolve(json as T);
        });
      },
    );
    req.on('error', (error) => {
      reject(new CohortError('CONFIG_INVALID', `cannot reach the coordinator at ${target.url}: ${error.message}`, { cause: error }));
    });
    req.end(payload);
  });
}
