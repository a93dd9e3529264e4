/**
 * The built browser files in dist/web. `../dist/web/` resolves to the same
 * folder from dist/assets.js (built) and from src/assets.ts (tests import source).
 */
import { readFileSync } from 'node:fs';
import { CohortError } from '@cohortfl/wire';

const WEB_DIR = new URL('../dist/web/', import.meta.url);

/** The only files the coordinator serves at /dashboard/: a fixed whitelist, so no path reaches anything else. */
const DASHBOARD_TYPES: Readonly<Record<string, string>> = Object.freeze({
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
});

export interface Asset {
  body: Buffer;
  contentType: string;
}

export interface AssetReader {
  /** The file's bytes; throws CohortError('INTERNAL') when the bundle was not built. */
  read(name: string): Buffer;
}

export function createAssetReader(dir: URL): AssetReader {
  const cache = new Map<string, Buffer>();
  return {
    read(name) {
      const cached = cache.get(name);
      if (cached) return cached;
      let body: Buffer;
      try {
        body = readFileSync(new URL(name, dir));
      } catch (cause) {
        throw new CohortError('INTERNAL',
          `dashboard bundle file '${name}' is missing; run pnpm build (or pnpm --filter @cohortfl/dashboard build)`, { cause });
      }
      cache.set(name, body);
      return body;
    },
  };
}

const webFiles = createAssetReader(WEB_DIR);

/** A dashboard file by name ('index.html' | 'dashboard.js' | 'dashboard.css'); undefined for any other name. */
export function dashboardAsset(name: string): Asset | undefined {
  if (!Object.hasOwn(DASHBOARD_TYPES, name)) return undefined;
  const contentType = DASHBOARD_TYPES[name];
  if (contentType === undefined) return undefined;
  return { body: webFiles.read(name), contentType };
}

/** The report's inline script and stylesheet. */
export function reportAssets(): { script: string; css: string } {
  return { script: webFiles.read('report.js').toString('utf8'), css: webFiles.read('report.css').toString('utf8') };
}
