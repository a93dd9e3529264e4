/**
 * Reads the built bundle in dist/web: the root `pnpm test` builds first; on its
 * own, run `pnpm --filter @cohortfl/dashboard build` before this file.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { createAssetReader, dashboardAsset } from './assets.js';
import { makeReport } from './fixtures.test-suite.js';
import { renderReportHtml } from './report-html.js';

const WEB = new URL('../dist/web/', import.meta.url);

beforeAll(() => {
  for (const name of ['index.html', 'dashboard.js', 'dashboard.css', 'report.js', 'report.css']) {
    if (!existsSync(new URL(name, WEB))) {
      throw new Error(`dist/web/${name} is missing: run \`pnpm --filter @cohortfl/dashboard build\` before these tests`);
    }
  }
});

describe('dashboardAsset', () => {
  it('serves the three dashboard files with their content types', () => {
    expect(dashboardAsset('index.html')?.contentType).toBe('text/html; charset=utf-8');
    expect(dashboardAsset('dashboard.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(dashboardAsset('dashboard.css')?.contentType).toBe('text/css; charset=utf-8');
    expect(dashboardAsset('dashboard.js')!.body.length).toBeGreaterThan(10_000);
    expect(dashboardAsset('dashboard.js')!.body).toBe(dashboardAsset('dashboard.js')!.body); // cached
  });

  it('gives a static page that loads its files by relative URL and has the selectors the browser test uses', () => {
    const html = dashboardAsset('index.html')!.body.toString('utf8');
    expect(html).toContain('href="./dashboard.css"');
    expect(html).toContain('src="./dashboard.js"');
    expect(html).not.toMatch(/https?:\/\//);
    for (const sel of ['id="token" name="token" type="password"', 'id="login"', 'data-testid="round"', 'data-testid="rounds"',
      'data-testid="phase"', 'data-testid="run-id"', 'data-testid="connection"', 'id="chart-global"', 'id="chart-sites"',
      'id="chart-fairness"', 'id="chart-traffic"']) {
      expect(html).toContain(sel);
    }
  });

  it('returns undefined for every name outside the whitelist', () => {
    for (const name of ['report.js', 'report.css', '../package.json', '../../package.json', './index.html', 'web/../index.html',
      '..%2Fpackage.json', '/etc/passwd', '', 'INDEX.HTML', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(dashboardAsset(name), name).toBeUndefined();
    }
  });

  it('says to build when the bundle is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-dashboard-'));
    try {
      const reader = createAssetReader(pathToFileURL(`${dir}/`));
      let caught: unknown;
      try {
        reader.read('dashboard.js');
      } catch (err) {
        caught = err;
      }
      expect(isCohortError(caught, 'INTERNAL')).toBe(true);
      expect((caught as Error).message).toMatch(/run pnpm build/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('renderReportHtml with the built report script', () => {
  it('is one self-contained file: no external URL, no loaded resource', () => {
    const html = renderReportHtml(makeReport(4));
    // Bundled libraries keep their MIT notices (with project URLs) in one trailing comment; nothing loads them.
    const withoutLicenses = html.replace(/\/\*! Bundled license information:[\s\S]*?\n\*\//g, '');
    expect(withoutLicenses).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\b(src|href|srcset|action|formaction)\s*=|<link|<iframe|<img|@import|url\(\s*['"]?(https?:)?\/\//i);
    expect(html).toContain("default-src &#39;none&#39;");
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html.length).toBeGreaterThan(100_000);
  });
});
