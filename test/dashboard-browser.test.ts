// The dashboard in a real browser during a demo run: `pnpm demo` (a coordinator and
// site-agent processes on loopback) runs while headless Chromium (Debian's chromium,
// driven by playwright-core) signs in, watches the round advance live, and takes a
// screenshot. .ci/run installs chromium; without it this test fails with how to install it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { cli, COORDINATOR_CLI, ROOT } from './support/consortium.js';

const CHROMIUM = '/usr/bin/chromium';
const DEMO_ROUNDS = 20;
/** Where the screenshot is kept for people (and CI logs) to look at. */
const SCREENSHOT = join(ROOT, '.cohortfl', 'screenshots', 'dashboard.png');

let demo: ChildProcess | undefined;
let demoOutput = '';
let browser: Browser | undefined;
let page: Page | undefined;
const state = mkdtempSync(join(tmpdir(), 'cohortfl-dashboard-'));

afterAll(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    const exited = new Promise((r) => demo!.once('exit', r));
    demo.kill('SIGINT');
    await exited;
  }
  rmSync(state, { recursive: true, force: true });
});

/** Starts `pnpm demo` (its script, directly) and resolves with the dashboard URL it prints. */
function startDemo(rounds: number): Promise<string> {
  // --keep: the coordinator stays up after the run, so the operator's controls can be used on it.
  demo = spawn(process.execPath, [join(ROOT, 'scripts', 'demo.mjs'), '--rounds', String(rounds), '--sites', '3', '--state', state, '--keep'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo printed no dashboard URL within 120 s:\n${demoOutput}`)), 120_000);
    const onData = (chunk: Buffer) => {
      demoOutput += chunk.toString();
      const match = /dashboard: (http:\/\/\S+\/dashboard\/)/.exec(demoOutput);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    demo!.stdout!.on('data', onData);
    demo!.stderr!.on('data', onData);
    demo!.once('exit', (code) => reject(new Error(`the demo exited (${code}) before printing its dashboard URL:\n${demoOutput}`)));
  });
}

/** Resolves once the demo has printed a line matching `pattern`. */
function waitForDemo(pattern: RegExp, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const end = Date.now() + timeoutMs;
    const check = () => {
      if (pattern.test(demoOutput)) return resolve();
      if (demo?.exitCode !== null) return reject(new Error(`the demo exited (${demo?.exitCode}) before printing ${pattern}:\n${demoOutput}`));
      if (Date.now() > end) return reject(new Error(`the demo did not print ${pattern} within ${timeoutMs} ms:\n${demoOutput}`));
      setTimeout(check, 100);
    };
    check();
  });
}

describe('the dashboard in headless Chromium during a demo run', () => {
  it('signs in, sees the round advance live, draws the charts and takes a screenshot', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does this)`).toBe(true);
    // Enough rounds that a slow machine still signs in while rounds are left to watch.
    const url = await startDemo(DEMO_ROUNDS);
    const adminToken = readFileSync(join(state, 'coordinator', 'admin-token'), 'utf8').trim();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(url);

    // A wrong token is refused with a message, and the page stays on the sign-in form.
    await page.fill('#token', 'not-the-token');
    await page.click('#login');
    await page.waitForSelector('#login-error:not([hidden])', { timeout: 15_000 });
    expect(await page.textContent('#login-error')).toMatch(/not accepted/);
    expect(await page.isVisible('#token')).toBe(true);
    expect(await page.isVisible('#app-view')).toBe(false);

    await page.fill('#token', adminToken);
    await page.click('#login');
    await page.waitForFunction(() => document.querySelector('[data-testid=connection]')?.textContent?.trim() === 'live', undefined, { timeout: 30_000 });

    const roundNow = async () => Number((await page!.textContent('[data-testid=round]'))?.trim() || '0');
    // Wait for a round to be shown, then for a later one: pushed over the socket, not reloaded.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=round]')?.textContent?.trim() || '0') >= 1, undefined, { timeout: 90_000 });
    const first = await roundNow();
    await page.waitForFunction((r) => Number(document.querySelector('[data-testid=round]')?.textContent?.trim() || '0') > r, first, { timeout: 90_000 });
    expect(await roundNow()).toBeGreaterThan(first);
    expect(Number(await page.textContent('[data-testid=rounds]'))).toBe(DEMO_ROUNDS);

    // The global-model chart has data drawn: some canvas pixels are not blank.
    await page.waitForFunction(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('#chart-global');
      const ctx = canvas?.getContext('2d');
      if (!canvas || !ctx || canvas.width === 0) return false;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
      return painted > 500;
    }, undefined, { timeout: 30_000 });
    // The operator (admin token) sees the run controls and the running run's stop button.
    expect(await page.textContent('[data-testid=role]')).toMatch(/operator/i);
    expect(await page.isVisible('#operator-controls')).toBe(true);
    expect(await page.isVisible('#stop')).toBe(true);
    // Every enrolled site is listed.
    expect(await page.locator('#sites-body tr').count()).toBe(3);

    // Half-way through, the charts have lines worth looking at.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=round]')?.textContent?.trim() || '0') >= 6, undefined, { timeout: 90_000 });
    mkdirSync(join(ROOT, '.cohortfl', 'screenshots'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(20_000);
    expect(errors).toEqual([]);
    // A demo start (build, keys, processes) plus live rounds: beyond the default on a loaded 2-core machine.
  }, 150_000);

  it('the operator starts a run from the page and stops it', async () => {
    expect(page, 'the test above signs in').toBeDefined();
    const p = page!;
    await waitForDemo(/still serving for the dashboard/);
    await p.waitForFunction(() => document.querySelector('#run-status')?.textContent?.trim() === 'completed', undefined, { timeout: 30_000 });
    await p.fill('#start-rounds', '50');
    await p.click('#start');
    await p.waitForFunction(() => document.querySelector('[data-testid=run-id]')?.textContent?.trim() === '2', undefined, { timeout: 30_000 });
    await p.waitForFunction(() => document.querySelector('#run-status')?.textContent?.trim() === 'running', undefined, { timeout: 30_000 });
    expect(Number(await p.textContent('[data-testid=rounds]'))).toBe(50);
    p.once('dialog', (dialog) => void dialog.accept());
    await p.click('#stop');
    await p.waitForFunction(() => document.querySelector('#run-status')?.textContent?.trim() === 'aborted', undefined, { timeout: 30_000 });
    expect(await p.textContent('#run-message')).toMatch(/stopped by the operator/);
  });

  it('after the demo run: its provenance JSON validates against the documented schema and its signature verifies', async () => {
    expect(demo, 'the browser test above starts the demo').toBeDefined();
    await waitForDemo(/still serving for the dashboard/);
    expect(demoOutput).toMatch(new RegExp(`run 1 completed: ${DEMO_ROUNDS} rounds`));
    const coordDir = join(state, 'coordinator');
    const out = join(state, 'provenance.json');
    const html = join(state, 'provenance.html');
    cli(COORDINATOR_CLI, ['provenance', '1', '--data-dir', coordDir, '--out', out, '--html', html]);
    const record = JSON.parse(readFileSync(out, 'utf8'));
    const schema = JSON.parse(readFileSync(join(ROOT, 'coordinator', 'schemas', 'provenance.schema.json'), 'utf8'));
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    expect(validate(record), JSON.stringify(validate.errors)).toBe(true);
    expect(record.rounds).toHaveLength(DEMO_ROUNDS);
    expect(record.checkpoint.round).toBe(DEMO_ROUNDS);
    expect(record.task.secureAggregation).not.toBeNull();
    expect(cli(COORDINATOR_CLI, ['verify-provenance', out, '--data-dir', coordDir])).toMatch(/^OK: provenance of run 1/);
    expect(readFileSync(html, 'utf8')).toMatch(/<html/i);
    // The demo also wrote its self-contained HTML run report.
    expect(readFileSync(join(state, 'report.html'), 'utf8')).toContain('cohort-report-data');
  });
});
