/** Small key/value facts about the store itself (e.g. the coordinator's identity fingerprint). */
import type Database from 'better-sqlite3';
import { LIMITS } from '@cohortfl/wire';
import { checkText, refuse } from './check.js';
import type { Store } from './types.js';

/** Meta keys may embed a site name after a short prefix (e.g. `epsilon:<site>`). */
const META_KEY_MAX = LIMITS.KEY_MAX + LIMITS.SITE_NAME_MAX;

export function metaOps(db: Database.Database): Pick<Store, 'getMeta' | 'setMeta'> {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const set = db.prepare<[string, string]>(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  return {
    getMeta: (key) => get.get(key)?.value,
    setMeta(key, value) {
      checkText(key, 'meta key', META_KEY_MAX);
      if (typeof value !== 'string') refuse('DATA_INVALID', `meta value for '${key}' must be a string`);
      set.run(key, value);
    },
  };
}
