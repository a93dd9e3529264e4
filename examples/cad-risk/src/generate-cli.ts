#!/usr/bin/env node
import { access, readFile, realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CohortError, exitCodeFor } from '@cohortfl/wire';
import { consortiumConfigHash, DEFAULT_SEED, DEFAULT_VARIANT_COUNT, generateConsortium } from './generate.js';

const USAGE = 'usage: generate-cli --out <dir> [--seed N] [--variants N] [--force]';

function parseCount(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new CohortError('CONFIG_INVALID', `--${name} must be a non-negative integer, got '${raw}'`);
  return Number(raw);
}

interface TruthSite {
  name: string;
  n: number;
  prevalence: number;
  files: Record<string, string>;
}

/** The existing consortium if it was generated from this exact config and is complete, else null. */
async function upToDate(outDir: string, configHash: string): Promise<{ sites: TruthSite[]; oracleAuc: number | null } | null> {
  let truth: { configHash?: unknown; sites?: TruthSite[]; oracleAuc?: number | null };
  try {
    truth = JSON.parse(await readFile(join(outDir, 'truth.json'), 'utf8')) as typeof truth;
  } catch {
    return null; // absent or unreadable: regenerate
  }
  if (truth.configHash !== configHash || !Array.isArray(truth.sites)) return null;
  try {
    for (const s of truth.sites) {
      for (const [key, file] of Object.entries(s.files)) if (!key.endsWith('Sha256')) await access(join(outDir, file));
    }
  } catch {
    return null;
  }
  return { sites: truth.sites, oracleAuc: truth.oracleAuc ?? null };
}

const siteLine = (name: string, n: number, prevalence: number, path: string): string =>
  `${name.padEnd(16)} n=${String(n).padStart(6)}  prevalence=${prevalence.toFixed(3)}  ${path}`;
const aucText = (auc: number | null): string => (auc === null ? 'n/a' : auc.toFixed(4));

export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Runs the CLI on `argv` (without node and script); returns the exit code instead of exiting. */
export async function runGenerateCli(argv: readonly string[], io: CliOutput = { out: console.log, err: console.error }): Promise<number> {
  const print = io.out;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        out: { type: 'string' },
        seed: { type: 'string' },
        variants: { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      print(USAGE);
      return 0;
    }
    if (values.out === undefined) throw new CohortError('CONFIG_INVALID', `--out is required\n${USAGE}`);
    const outDir = values.out;
    const seed = parseCount('seed', values.seed, DEFAULT_SEED);
    const variants = parseCount('variants', values.variants, DEFAULT_VARIANT_COUNT);
    const configHash = consortiumConfigHash({ seed, variants });

    const existing = values.force ? null : await upToDate(outDir, configHash);
    if (existing !== null) {
      print(`${outDir} is up to date (seed ${seed}, ${variants} variants, config ${configHash.slice(0, 12)}); skipping, use --force to regenerate`);
      for (const s of existing.sites) print(siteLine(s.name, s.n, s.prevalence, join(outDir, s.name)));
      print(`oracle AUC (true risk): ${aucText(existing.oracleAuc)}`);
      return 0;
    }
    const started = performance.now();
    const result = await generateConsortium({ outDir, seed, variants });
    const seconds = (performance.now() - started) / 1000;
    for (const s of result.sites) print(siteLine(s.name, s.n, s.prevalence, s.dir));
    print(`oracle AUC (true risk): ${aucText(result.oracleAuc)}`);
    print(`truth: ${result.truthPath} (${result.variantIds.length} variants, ${result.causalVariantIds.length} causal); generated in ${seconds.toFixed(1)} s`);
    return 0;
  } catch (error) {
    // parseArgs throws plain TypeErrors for unknown or malformed options: those are config errors too.
    const message = error instanceof Error ? error.message : String(error);
    io.err(`error: ${message}`);
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      return exitCodeFor(new CohortError('CONFIG_INVALID', message));
    }
    return exitCodeFor(error);
  }
}

async function isMain(): Promise<boolean> {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return relative(await realpath(script), await realpath(fileURLToPath(import.meta.url))) === '';
  } catch {
    return false;
  }
}

if (await isMain()) process.exitCode = await runGenerateCli(process.argv.slice(2));
