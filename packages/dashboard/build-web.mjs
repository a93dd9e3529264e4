#!/usr/bin/env node
// Bundles the browser code into dist/web: the dashboard (served at /dashboard/)
// and the report script that renderReportHtml inlines into each report.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const out = here('./dist/web/');
await mkdir(out, { recursive: true });

const common = {
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  sourcemap: false,
  // Browser builds of dependencies (msgpackr ships one) and production Chart.js.
  conditions: ['browser'],
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'eof',
  logLevel: 'warning',
};

await build({ ...common, entryPoints: [here('./src/web/dashboard-main.ts')], outfile: `${out}dashboard.js` });
await build({ ...common, entryPoints: [here('./src/web/report-main.ts')], outfile: `${out}report.js` });
await copyFile(here('./src/web/dashboard.css'), `${out}dashboard.css`);
await copyFile(here('./src/web/report.css'), `${out}report.css`);
await copyFile(here('./src/web/index.html'), `${out}index.html`);

// The report inlines report.js and report.css; a closing tag inside them would end the element early.
for (const [name, tag] of [['report.js', '</script'], ['report.css', '</style']]) {
  const text = await readFile(`${out}${name}`, 'utf8');
  if (text.toLowerCase().includes(tag)) throw new Error(`${name} contains "${tag}" and cannot be inlined`);
}

for (const name of ['dashboard.js', 'report.js', 'dashboard.css', 'report.css', 'index.html']) {
  const { size } = await stat(`${out}${name}`);
  console.log(`dist/web/${name}  ${(size / 1024).toFixed(1)} KB`);
}
