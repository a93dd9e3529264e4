import { encodeContext, type RoundContext } from './context.js';
import { concatBytes, encodeSite, encodeTag, isBytes, sha256, u16be } from './bytes.js';
import { invalid } from './fail.js';
import type { RosterEntry, UnmaskRequest } from './types.js';
import { DOMAINS, MAX_ROSTER, SIZES } from './vocabulary.js';

const ADVERTISE_TAG = encodeTag(DOMAINS.ADVERTISE);
const UNMASK_TAG = encodeTag(DOMAINS.UNMASK_REQUEST);

/**
 * The exact bytes a site signs (with its enrolled identity key) over its key
 * advertisement, so the coordinator cannot substitute keys it controls:
 * tag || context 40 || site 65 || cPk 32 || sPk 32 — 198 bytes for every site.
 */
export function advertisementBytes(site: string, cPk: Uint8Array, sPk: Uint8Array, context: RoundContext): Uint8Array {
  if (!isBytes(cPk, SIZES.KEY) || !isBytes(sPk, SIZES.KEY)) throw invalid('advertised keys must be 32 bytes each');
  return concatBytes([ADVERTISE_TAG, encodeContext(context), encodeSite(site), cPk, sPk]);
}

/** Status byte per roster site in an unmask request. */
const STATUS = { absent: 0, survivor: 1, dropped: 2 } as const;

/**
 * The bytes the coordinator may sign over an unmask request, so a coordinator that
 * tells different sites different stories leaves signed evidence:
 * tag || context 40 || SHA-256(roster) 32 || u16 n || one status byte per roster site
 * (sorted order: 0 absent, 1 survivor, 2 dropped). Constant size for a roster.
 */
export function unmaskRequestBytes(context: RoundContext, roster: readonly string[], request: UnmaskRequest): Uint8Array {
  const sites = [...roster].sort();
  if (sites.length > MAX_ROSTER) throw invalid('roster too large');
  const status = new Uint8Array(sites.length);
  const index = new Map(sites.map((site, i) => [site, i]));
  if (index.size !== sites.length) throw invalid('roster has a duplicate site');
  const mark = (list: readonly string[], value: number): void => {
    for (const site of list) {
      const i = index.get(site);
      if (i === undefined) throw invalid(`unmask request names '${String(site).slice(0, 80)}', which is not in the roster`);
      if (status[i] !== STATUS.absent) throw invalid(`unmask request lists '${site}' twice`);
      status[i] = value;
    }
  };
  mark(request.survivors, STATUS.survivor);
  mark(request.dropped, STATUS.dropped);
  const rosterDigest = sha256(sites.map(encodeSite));
  return concatBytes([UNMASK_TAG, encodeContext(context), rosterDigest, u16be(sites.length), status]);
}

const SURVIVORS_TAG = encodeTag(DOMAINS.SURVIVORS);

/**
 * The bytes every survivor signs in the consistency step (with its identity key), and
 * checks at least `threshold` holders signed before it reveals anything:
 * tag || context 40 || SHA-256(roster: site 65 || cPk 32 || sPk 32 per site, sorted)
 * || u16 n || one status byte per roster site (0 absent, 1 survivor, 2 dropped).
 * Binding the roster's keys, not only its names, means sites that were shown
 * different rosters never count each other's signatures. Constant size for a roster.
 */
export function survivorSetBytes(context: RoundContext, roster: readonly RosterEntry[], request: UnmaskRequest): Uint8Array {
  const sorted = [...roster].sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
  const names = unmaskRequestBytes(context, sorted.map((e) => e.site), request);
  const statusOffset = UNMASK_TAG.length + SIZES.CONTEXT + 32 + 2;
  const status = names.subarray(statusOffset);
  for (const entry of sorted) {
    if (!isBytes(entry.cPk, SIZES.KEY) || !isBytes(entry.sPk, SIZES.KEY)) throw invalid('roster keys must be 32 bytes each');
  }
  const rosterDigest = sha256(sorted.flatMap((e) => [encodeSite(e.site), e.cPk, e.sPk]));
  return concatBytes([SURVIVORS_TAG, encodeContext(context), rosterDigest, u16be(sorted.length), status]);
}
