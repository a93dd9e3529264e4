/** Enrolled sites: a name and an Ed25519 public key each, revoked but never deleted. */
import type Database from 'better-sqlite3';
import { decodePublicKey } from '@cohortfl/identity';
import { checkSiteName, checkTime, clipMessage, refuse } from './check.js';
import type { SiteRow, SiteStatus, Store } from './types.js';

interface SitesRecord {
  name: string;
  public_key: string;
  status: SiteStatus;
  enrolled_at: number;
  revoked_at: number | null;
  revoke_reason: string | null;
  last_seen: number | null;
}

const toSite = (r: SitesRecord): SiteRow => ({
  name: r.name,
  publicKey: r.public_key,
  status: r.status,
  enrolledAt: r.enrolled_at,
  revokedAt: r.revoked_at,
  revokeReason: r.revoke_reason,
  lastSeen: r.last_seen,
});

export type SiteOps = Pick<Store, 'addSite' | 'getSite' | 'getSiteByKey' | 'listSites' | 'revokeSite' | 'touchSite'>;

export function siteOps(db: Database.Database): SiteOps {
  const byName = db.prepare<[string], SitesRecord>('SELECT * FROM sites WHERE name = ?');
  const byKey = db.prepare<[string], SitesRecord>('SELECT * FROM sites WHERE public_key = ?');
  const all = db.prepare<[], SitesRecord>('SELECT * FROM sites ORDER BY name');
  const insert = db.prepare<[string, string, number]>(
    "INSERT INTO sites (name, public_key, status, enrolled_at) VALUES (?, ?, 'active', ?)",
  );
  const revoke = db.prepare<[number, string | null, string]>(
    "UPDATE sites SET status = 'revoked', revoked_at = ?, revoke_reason = ? WHERE name = ? AND status = 'active'",
  );
  const touch = db.prepare<[number, string]>('UPDATE sites SET last_seen = ? WHERE name = ?');

  const mustGet = (name: string): SitesRecord => byName.get(name) ?? refuse('NOT_FOUND', `no site named '${name}' is enrolled`);

  const addSite = db.transaction((name: string, publicKey: string, at: number): SiteRow => {
    const sameName = byName.get(name);
    if (sameName) {
      refuse('CONFIG_INVALID', `site name '${name}' is already taken (enrolled, ${sameName.status}); choose another name`);
    }
    const sameKey = byKey.get(publicKey);
    if (sameKey) refuse('CONFIG_INVALID', `this public key is already enrolled as site '${sameKey.name}'; each site needs its own key`);
    insert.run(name, publicKey, at);
    return toSite(mustGet(name));
  });

  const revokeSite = db.transaction((name: string, at: number, reason: string | null): SiteRow => {
    mustGet(name);
    revoke.run(at, reason, name); // no-op when already revoked: the first revocation stands
    return toSite(mustGet(name));
  });

  return {
    addSite(input) {
      const name = checkSiteName(input.name, 'site name');
      decodePublicKey(input.publicKey); // throws CONFIG_INVALID naming the expected form
      return addSite.immediate(name, input.publicKey, checkTime(input.at, 'enrollment time'));
    },
    getSite(name) {
      const row = byName.get(name);
      return row && toSite(row);
    },
    getSiteByKey(publicKey) {
      const row = byKey.get(publicKey);
      return row && toSite(row);
    },
    listSites: () => all.all().map(toSite),
    revokeSite(name, options) {
      checkSiteName(name, 'site name');
      return revokeSite.immediate(name, checkTime(options.at, 'revocation time'), clipMessage(options.reason, 'revocation reason'));
    },
    touchSite(name, at) {
      checkSiteName(name, 'site name');
      if (touch.run(checkTime(at, 'last-seen time'), name).changes === 0) mustGet(name);
    },
  };
}
