#!/usr/bin/env node
// Fails when a unit imports against the dependency direction of ARCHITECTURE.md,
// imports a library another unit owns, or reaches into another package's internals.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALLOWED_INTERNAL, OWNED_LIBRARIES, PUBLIC_SUBPATHS } from './dependency-rules.mjs';

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* sourceFiles(full);
    else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts')) yield full;
  }
}

/** Units: every packages/<noun>/src plus the two apps. */
export function units(root) {
  const list = [];
  const pk = join(root, 'packages');
  for (const noun of readdirSync(pk)) {
    const src = join(pk, noun, 'src');
    try { if (statSync(src).isDirectory()) list.push({ name: noun, dir: src }); } catch { /* no src yet */ }
  }
  for (const app of ['coordinator', 'site-agent']) {
    const src = join(root, app, 'src');
    try { if (statSync(src).isDirectory()) list.push({ name: app, dir: src }); } catch { /* not built yet */ }
  }
  return list;
}

export function importsOf(text) {
  const out = [];
  for (const m of text.matchAll(IMPORT_RE)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** Violations of one file's imports for a given unit. */
export function checkImports(unit, file, specifiers, unitDir) {
  const problems = [];
  const allowed = ALLOWED_INTERNAL[unit];
  for (const spec of specifiers) {
    const ours = /^@cohortfl\/([^/]+)(\/.*)?$/.exec(spec);
    if (ours) {
      const [, target, sub] = ours;
      if (sub && !PUBLIC_SUBPATHS.includes(spec)) problems.push(`${file}: imports '${spec}': import packages by name only, never their internals`);
      else if (target === unit) problems.push(`${file}: imports its own package '${spec}' by name; use a relative import`);
      else if (allowed && !allowed.includes(target)) {
        problems.push(`${file}: '${unit}' may not import '@cohortfl/${target}' (allowed: ${allowed.join(', ') || 'none'})`);
      }
      continue;
    }
    if (spec.startsWith('.')) {
      const target = resolve(join(file, '..'), spec);
      if (unitDir && !target.startsWith(unitDir + sep) && target !== unitDir) {
        problems.push(`${file}: relative import '${spec}' leaves its package; import the other package by name`);
      }
      continue;
    }
    for (const lib of OWNED_LIBRARIES) {
      if (lib.pattern.test(spec) && !lib.owners.includes(unit)) {
        problems.push(`${file}: '${unit}' imports '${spec}', which only ${lib.owners.join(' / ')} may import`);
      }
    }
  }
  if (!allowed) problems.push(`${file}: unit '${unit}' is not in scripts/dependency-rules.mjs; add it`);
  return problems;
}

export function findViolations(root) {
  const problems = [];
  for (const { name, dir } of units(root)) {
    for (const file of sourceFiles(dir)) {
      const rel = relative(root, file);
      problems.push(...checkImports(name, file, importsOf(readFileSync(file, 'utf8')), dir).map((p) => p.replace(file, rel)));
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(fileURLToPath(import.meta.url), '..', '..');
  const problems = findViolations(root);
  if (problems.length > 0) {
    console.error(`Dependency direction check failed (${problems.length}):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`Dependency direction check passed (${units(root).length} units).`);
}
