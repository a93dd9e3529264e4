import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCohortError } from '@cohortfl/wire';
import { makeReport } from './fixtures.test-suite.js';
import { escapeHtml, jsonForScript } from './html-escape.js';
import { buildReportHtml } from './report-html.js';
import type { ReportInput } from './types.js';

const ASSETS = { script: 'document.title = "drawn";', css: 'body { color: #111; }' };
const HOSTILE = '</script><script>alert(1)</script>';

function embeddedData(html: string): unknown {
  const m = /<script type="application\/json" id="cohort-report-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('data script not found');
  return JSON.parse(m[1]!);
}

function hostileReport(): ReportInput {
  const input = makeReport(3);
  input.title = 'Run <b>"7"</b> & co';
  input.subtitle = "<img src=x onerror=alert('x')>";
  input.sites = [{ site: HOSTILE, numExamples: 10, auc: 0.81234, epsilonSpent: null }];
  for (const r of input.series.rounds) r.siteAuc[HOSTILE] = 0.7;
  input.notes = ['line\u2028separator\u2029and <!-- comment -->', 'a & b > c'];
  input.facts = [{ label: '<i>k</i>', value: '</noscript><script>x()</script>' }];
  return input;
}

describe('buildReportHtml', () => {
  it('round-trips the data, including a site named like a closing script tag', () => {
    const input = hostileReport();
    const html = buildReportHtml(input, ASSETS);
    expect(embeddedData(html)).toEqual(input);
    // Only the page's own two script elements close; data never does.
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<!-- comment');
    const json = /id="cohort-report-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(json).not.toMatch(/[\u2028\u2029]/);
    expect(json).toContain('\\u2028');
  });

  it('escapes title, subtitle, facts and notes as text', () => {
    const html = buildReportHtml(hostileReport(), ASSETS);
    expect(html).toContain('<title>Run &lt;b&gt;&quot;7&quot;&lt;/b&gt; &amp; co</title>');
    expect(html).toContain('<h1>Run &lt;b&gt;&quot;7&quot;&lt;/b&gt; &amp; co</h1>');
    expect(html).toContain('&lt;img src=x onerror=alert(&#39;x&#39;)&gt;');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;/noscript&gt;&lt;script&gt;x()&lt;/script&gt;');
    expect(html.match(/<\/noscript>/g)).toHaveLength(1);
  });

  it('states the key numbers in <noscript> for readers without JavaScript', () => {
    const input = makeReport(5);
    input.series.rounds[4]!.auc = null;
    const html = buildReportHtml(input, ASSETS);
    const noscript = /<noscript>([\s\S]*)<\/noscript>/.exec(html)?.[1] ?? '';
    const final = input.series.rounds[3]!.auc!.toFixed(3);
    expect(noscript).toContain(`<td>Final pooled AUC</td><td>${final} (round 4)</td>`);
    for (const s of input.sites!) expect(noscript).toContain(`<td>${s.site}</td><td>${s.auc!.toFixed(3)}</td>`);
    expect(noscript).toContain('<td>Strategy</td><td>FedAvg</td>');
  });

  it('falls back to the per-round site AUCs when no site table is given', () => {
    const input = makeReport(2);
    delete input.sites;
    const noscript = /<noscript>([\s\S]*)<\/noscript>/.exec(buildReportHtml(input, ASSETS))?.[1] ?? '';
    const auc = input.series.rounds[1]!.siteAuc['hospital-b']!.toFixed(3);
    expect(noscript).toContain(`<td>hospital-b</td><td>${auc} (round 2)</td>`);
  });

  it('inlines its script and CSS and pins them with CSP hashes; nothing external', () => {
    const html = buildReportHtml(makeReport(2), ASSETS);
    const hash = (t: string) => createHash('sha256').update(t).digest('base64');
    expect(html).toContain(`<script>${ASSETS.script}</script>`);
    expect(html).toContain(`<style>${ASSETS.css}</style>`);
    expect(html).toContain(`script-src &#39;sha256-${hash(ASSETS.script)}&#39;`);
    expect(html).toContain(`style-src &#39;sha256-${hash(ASSETS.css)}&#39;`);
    expect(html).toContain('default-src &#39;none&#39;');
    expect(html).not.toMatch(/https?:|\bsrc=|\bhref=|<link|url\(/i);
    for (const id of ['chart-global', 'chart-sites', 'chart-fairness', 'chart-traffic']) expect(html).toContain(`<canvas id="${id}">`);
  });

  it('refuses assets that would close their element early', () => {
    const bad = () => buildReportHtml(makeReport(1), { ...ASSETS, script: 'x = "</script>"' });
    expect(bad).toThrow(/closing tag/);
    expect(() => buildReportHtml(makeReport(1), { ...ASSETS, css: '</STYLE>' })).toThrow(/closing tag/);
  });

  it('refuses malformed input with DATA_INVALID', () => {
    const cases: unknown[] = [
      { ...makeReport(1), title: 7 },
      { ...makeReport(1), generatedAt: Number.NaN },
      { ...makeReport(1), generatedAt: 1e20 },
      { ...makeReport(1), series: { rounds: 'none' } },
      null,
    ];
    for (const input of cases) {
      let caught: unknown;
      try {
        buildReportHtml(input as ReportInput, ASSETS);
      } catch (err) {
        caught = err;
      }
      expect(isCohortError(caught, 'DATA_INVALID'), JSON.stringify(input)?.slice(0, 60)).toBe(true);
    }
  });
});

describe('escaping helpers', () => {
  it('escapes the HTML specials', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('writes JSON with no character that can end a script element', () => {
    const value = { s: '</script>&<!--\u2028\u2029' };
    const json = jsonForScript(value);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});
