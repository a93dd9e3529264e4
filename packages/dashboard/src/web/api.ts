/** Operator actions over HTTP (same origin), with the coordinator's `{code, message}` errors surfaced as text. */

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

function isWireError(v: unknown): v is { code: string; message: string } {
  return typeof v === 'object' && v !== null &&
    typeof (v as Record<string, unknown>)['code'] === 'string' &&
    typeof (v as Record<string, unknown>)['message'] === 'string';
}

export async function postJson(path: string, token: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Could not reach the coordinator.');
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    if (isWireError(parsed)) throw new ApiError(res.status, parsed.code, `${parsed.code}: ${parsed.message}`);
    throw new ApiError(res.status, 'HTTP', `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }
  return parsed;
}
