/**
 * The receiving boundary: an untrusted decoded value in, a typed Envelope out,
 * or a CohortError whose `details.reason` classifies the refusal. Nothing else
 * is ever thrown, whatever the input.
 */
import { z } from 'zod';
import { isCohortError, type CohortError } from './errors.js';
import type { Envelope, EnvelopeOf } from './envelope.js';
import { BODY_SCHEMAS } from './body-schemas.js';
import { summarize } from './issues.js';
import { LIMITS, MESSAGE_ID_PATTERN, VERSION_PATTERN } from './limits.js';
import { MESSAGE_TYPES, type MessageBodies, type MessageType } from './messages.js';
import { refusal } from './refusal.js';
import { bytes } from './schema-primitives.js';
import { isCompatibleVersion } from './version-rule.js';
import { PROTOCOL_VERSION } from './version.js';

const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.values(MESSAGE_TYPES));

const header = z.strictObject({
  v: z.string().max(LIMITS.VERSION_MAX),
  type: z.string().max(32),
  id: z.string().regex(MESSAGE_ID_PATTERN, 'expected 32 lowercase hex characters'),
  body: z.unknown(),
  sig: bytes({ exact: LIMITS.SIGNATURE_BYTES }).optional(),
});

export function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' && KNOWN_TYPES.has(value);
}

function guarded<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    // Hostile input (getters, proxies) must not surface as anything but a refusal.
    if (isCohortError(error)) throw error;
    throw refusal('SCHEMA', 'message could not be validated');
  }
}

/** Validate one message body of a known type. */
export function parseBody<T extends MessageType>(type: T, value: unknown): MessageBodies[T] {
  return guarded(() => {
    const result = (BODY_SCHEMAS[type] as z.ZodType).safeParse(value);
    if (result.success) return result.data as MessageBodies[T];
    throw toRefusal(result.error, `${type} body`, type);
  });
}

export function parseEnvelope(value: unknown): Envelope {
  return guarded(() => {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
      throw refusal('SCHEMA', 'envelope: expected a map');
    }
    // Checked first: another major version may legitimately have another shape.
    const v = (value as { v?: unknown }).v;
    if (typeof v === 'string' && !isCompatibleVersion(v)) {
      const theirs = v.length <= LIMITS.VERSION_MAX && VERSION_PATTERN.test(v) ? v : 'an unreadable version';
      throw refusal('VERSION', `protocol version mismatch: peer speaks ${theirs}, we speak ${PROTOCOL_VERSION}`);
    }
    const head = header.safeParse(value);
    if (!head.success) throw toRefusal(head.error, 'envelope');
    const { type } = head.data;
    if (!isMessageType(type)) throw refusal('SCHEMA', 'envelope.type: unknown message type');
    const body = parseBody(type, head.data.body);
    const envelope: EnvelopeOf<MessageType> = { v: head.data.v, type, id: head.data.id, body };
    if (head.data.sig !== undefined) envelope.sig = head.data.sig;
    return envelope as Envelope;
  });
}

function toRefusal(error: z.ZodError, root: string, type?: MessageType): CohortError {
  const s = summarize(error.issues, root);
  return refusal(s.reason, s.message, { path: s.path, issues: s.issueCount, ...(type ? { type } : {}) });
}
