/**
 * The consortium's membership: every site's name and enrolled identity key, fixed
 * out of band. A hospital approves it the way it approves task hashes and the
 * coordinator's key (its SHA-256 in the site policy), and from then on accepts
 * secure-aggregation peers only from it: the identity key a roster entry names must
 * be the pinned one, so a coordinator cannot invent peers whose secrets it holds.
 * The membership also fixes the neighbour graph's nodes (see @cohortfl/secagg graph).
 */
import { createHash } from 'node:crypto';
import { decodePublicKey } from '@cohortfl/identity';
import { canonicalJson, CohortError, SITE_NAME_PATTERN } from '@cohortfl/wire';

export const MEMBERSHIP_FORMAT = 'cohortfl-consortium/1';

export interface Member {
  site: string;
  /** `ed25519:…`, as enrolled at the coordinator. */
  identityKey: string;
}

export interface Membership {
  /** Sorted by site name; names and keys are unique. */
  readonly members: readonly Member[];
  /** SHA-256 (hex) of the canonical JSON of `{ format, members }`: what hospitals approve. */
  readonly digest: string;
  keyOf(site: string): string | undefined;
  readonly sites: readonly string[];
}

function invalid(message: string): never {
  throw new CohortError('CONFIG_INVALID', `consortium membership: ${message}`);
}

/** Checks and freezes a member list (any order). Throws CONFIG_INVALID naming the problem. */
export function createMembership(list: readonly Member[]): Membership {
  if (!Array.isArray(list) || list.length === 0) invalid('must list at least one member');
  const members = [...list]
    .map((m) => {
      if (typeof m?.site !== 'string' || !SITE_NAME_PATTERN.test(m.site)) invalid(`'${String(m?.site).slice(0, 80)}' is not a site name`);
      try {
        decodePublicKey(m.identityKey);
      } catch {
        invalid(`member '${m.site}' has no valid identity key ('ed25519:' followed by 43 base64url characters)`);
      }
      return { site: m.site, identityKey: m.identityKey };
    })
    .sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
  const byName = new Map<string, string>();
  const keys = new Set<string>();
  for (const m of members) {
    if (byName.has(m.site)) invalid(`site '${m.site}' is listed twice`);
    if (keys.has(m.identityKey)) invalid(`the identity key of '${m.site}' is listed for another site too`);
    byName.set(m.site, m.identityKey);
    keys.add(m.identityKey);
  }
  const digest = createHash('sha256').update(canonicalJson({ format: MEMBERSHIP_FORMAT, members })).digest('hex');
  return Object.freeze({
    members: Object.freeze(members),
    digest,
    sites: Object.freeze(members.map((m) => m.site)),
    keyOf: (site: string) => byName.get(site),
  });
}

/** The JSON file a consortium operator hands to every hospital (`cohort-coordinator consortium`). */
export function membershipFile(membership: Membership): string {
  return `${JSON.stringify({ format: MEMBERSHIP_FORMAT, members: membership.members }, null, 2)}\n`;
}

/** Parses a consortium file's text. Throws CONFIG_INVALID with what is wrong. */
export function parseMembershipFile(text: string): Membership {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    invalid('the file is not JSON');
  }
  const v = value as { format?: unknown; members?: unknown };
  if (v?.format !== MEMBERSHIP_FORMAT) invalid(`format must be '${MEMBERSHIP_FORMAT}'`);
  if (!Array.isArray(v.members)) invalid('members must be a list of { site, identityKey }');
  return createMembership(v.members as Member[]);
}
