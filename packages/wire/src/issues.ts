/**
 * Turns zod issues into one short, value-free sentence and a refusal reason.
 * Zod's own messages are not used as-is: some quote input (unknown keys,
 * enum values), and refused input is untrusted and may be patient-derived.
 */
import type { z } from 'zod';
import type { RefusalReason } from './refusal.js';

const SAFE_SEGMENT = /^[A-Za-z0-9_./-]{1,32}$/;

function segment(part: PropertyKey): string {
  if (typeof part === 'number') return `[${part}]`;
  const text = String(part);
  return SAFE_SEGMENT.test(text) ? `.${text}` : '.<key>';
}

export function pathOf(path: readonly PropertyKey[], root: string): string {
  return root + path.map(segment).join('');
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'too_big':
      return `too large (at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : ''})`;
    case 'too_small':
      return `too small (at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : ''})`;
    case 'invalid_format':
      return issue.message && !issue.message.startsWith('Invalid') ? issue.message : `bad ${issue.format} format`;
    case 'not_multiple_of':
      return 'not a whole number';
    case 'unrecognized_keys': {
      const names = issue.keys.slice(0, 3).map((k) => (SAFE_SEGMENT.test(k) ? `'${k}'` : '<key>'));
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${names.join(', ')}${issue.keys.length > 3 ? ', …' : ''}`;
    }
    case 'invalid_value':
      return 'not an allowed value';
    case 'invalid_union':
      return 'matches none of the allowed forms';
    case 'invalid_key':
      return 'bad key';
    case 'invalid_element':
      return 'bad element';
    case 'custom':
      return issue.message;
  }
}

function reasonOf(issue: z.core.$ZodIssue): RefusalReason {
  const reason = issue.code === 'custom' ? (issue.params as Record<string, unknown> | undefined)?.['reason'] : undefined;
  return reason === 'NON_FINITE' || reason === 'VERSION' ? reason : 'SCHEMA';
}

export interface Summary {
  reason: RefusalReason;
  message: string;
  path: string;
  issueCount: number;
}

/** A version issue explains all others; otherwise the first issue decides the reason. */
export function summarize(issues: readonly z.core.$ZodIssue[], root: string): Summary {
  const first = issues.find((i) => reasonOf(i) === 'VERSION') ?? issues[0];
  if (first === undefined) return { reason: 'SCHEMA', message: `${root}: invalid`, path: root, issueCount: 0 };
  const path = pathOf(first.path, root);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return { reason: reasonOf(first), message: `${path}: ${describe(first)}${more}`, path, issueCount: issues.length };
}
