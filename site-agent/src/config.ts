/**
 * Loads the agent config: parse, resolve relative paths from the config file's
 * folder, read the policy and mapping (from their files or inline), and check
 * that the key file and data folder are usable. Every error names the file and
 * the field, so hospital IT can fix it without reading code.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import type { SiteMapping } from '@cohortfl/data';
import { readKeyFile } from '@cohortfl/identity';
import { createMembership, parseMembershipFile, type Membership, type SitePolicy } from '@cohortfl/protocol';
import { CohortError, LIMITS } from '@cohortfl/wire';
import { configSchema, describeIssues, mappingSchema, policySchema, type ConsortiumSpec, type PrivacyBudget } from './config-schema.js';

export interface SiteConfig {
  /** Where the config came from (a file path, or a label for in-memory configs); used in messages. */
  source: string;
  site: string;
  coordinator: { url: string; publicKey: string; ca?: string; channelBinding?: 'required' | 'optional' };
  /** Absolute paths from here on. */
  keyFile: string;
  dataDir: string;
  stateDir: string;
  mapping?: SiteMapping;
  policy: SitePolicy;
  /** The consortium membership the policy approved; absent: secure aggregation rounds are refused. */
  membership?: Membership;
  /** The policy's privacy budget; absent: no budget (rounds without DP are accepted). */
  privacy?: PrivacyBudget;
  /** Absent: no metrics endpoint. */
  metrics?: { host: string; port: number };
  limits: { maxMessageBytes: number; maxModelBytes: number };
}

export interface ParseConfigOptions {
  /** Folder that relative paths are resolved from. */
  baseDir: string;
  /** Name used in error messages (the config file path). */
  source: string;
}

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

function invalid(message: string, cause?: unknown): CohortError {
  return new CohortError('CONFIG_INVALID', message, cause === undefined ? {} : { cause });
}

/** Reads a JSON file, naming it in every failure. */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    if (statSync(path).size > MAX_CONFIG_BYTES) throw invalid(`${what} ${path} is larger than ${MAX_CONFIG_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CohortError) throw error;
    throw invalid(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, error);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalid(`${what} ${path} is not valid JSON: ${(error as Error).message}`, error);
  }
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: string, prefix: string[] = []): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(describeIssues(source, result.error, prefix));
  return result.data;
}

/** A policy or mapping given as a path (read from it) or inline (already parsed). */
function fileOrInline<S extends z.ZodType>(schema: S, value: unknown, field: string, what: string, options: ParseConfigOptions): z.infer<S> {
  if (typeof value === 'string') {
    const path = resolve(options.baseDir, value);
    return parseWith(schema, readJsonFile(path, what), path);
  }
  return parseWith(schema, value, options.source, [field]);
}

function requireDirectory(path: string, field: string, source: string): void {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw invalid(`${source}: ${field}: folder ${path} does not exist`);
  }
  if (!isDir) throw invalid(`${source}: ${field}: ${path} is not a folder`);
}

/** Validates an already-parsed config object; reads the policy, mapping and key files it names. */
export function parseSiteConfig(raw: unknown, options: ParseConfigOptions): SiteConfig {
  const c = parseWith(configSchema, raw, options.source);
  const at = (p: string) => resolve(options.baseDir, p);
  const keyFile = at(c.keyFile);
  try {
    readKeyFile(keyFile);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw invalid(`${options.source}: keyFile: ${why}${/cannot open/.test(why) ? ' (create one with `cohort-site keygen --out <file>`)' : ''}`, error);
  }
  const dataDir = at(c.dataDir);
  requireDirectory(dataDir, 'dataDir', options.source);
  const ca = c.coordinator.ca === undefined ? undefined : at(c.coordinator.ca);
  if (ca !== undefined) readCa(ca, options.source);
  const { privacy, consortium, ...policy } = fileOrInline(policySchema, c.policy, 'policy', 'policy file', options);
  const policyDir = typeof c.policy === 'string' ? dirname(at(c.policy)) : options.baseDir;
  const policySource = typeof c.policy === 'string' ? at(c.policy) : `${options.source}: policy`;
  const membership = consortium === undefined ? undefined : loadConsortium(consortium, policyDir, policySource);
  const mapping = c.mapping === undefined ? undefined : (fileOrInline(mappingSchema, c.mapping, 'mapping', 'mapping file', options) as SiteMapping);
  return {
    source: options.source,
    site: c.site,
    coordinator: { url: c.coordinator.url, publicKey: c.coordinator.publicKey, ...(ca ? { ca } : {}), ...(c.coordinator.channelBinding ? { channelBinding: c.coordinator.channelBinding } : {}) },
    keyFile,
    dataDir,
    stateDir: at(c.stateDir),
    ...(mapping ? { mapping } : {}),
    policy,
    ...(membership ? { membership } : {}),
    ...(privacy ? { privacy } : {}),
    ...(c.metrics ? { metrics: { host: c.metrics.host, port: c.metrics.port } } : {}),
    limits: c.limits ?? { maxMessageBytes: LIMITS.MAX_MESSAGE_BYTES, maxModelBytes: LIMITS.MAX_MODEL_BYTES },
  };
}

/** The approved consortium membership; the file's digest must be the one the policy approved. */
function loadConsortium(spec: ConsortiumSpec, dir: string, source: string): Membership {
  try {
    if ('file' in spec) {
      const path = resolve(dir, spec.file);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        throw invalid(`${source}: consortium.file: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, error);
      }
      const membership = parseMembershipFile(text);
      if (membership.digest !== spec.sha256) {
        throw invalid(`${source}: consortium: ${path} has membership SHA-256 ${membership.digest}, not the approved ${spec.sha256}; check the new membership with your consortium before approving it`);
      }
      return membership;
    }
    const membership = createMembership(spec.members);
    if (spec.sha256 !== undefined && membership.digest !== spec.sha256) {
      throw invalid(`${source}: consortium: the listed members have SHA-256 ${membership.digest}, not the approved ${spec.sha256}`);
    }
    return membership;
  } catch (error) {
    if (error instanceof CohortError && error.message.startsWith(source)) throw error;
    throw invalid(`${source}: consortium: ${(error as Error).message}`, error);
  }
}

/** Reads and validates a config file; relative paths inside it are resolved from its folder. */
export function loadSiteConfig(path: string): SiteConfig {
  const file = resolve(path);
  return parseSiteConfig(readJsonFile(file, 'config file'), { baseDir: dirname(file), source: file });
}

/** The PEM text of the CA bundle trusted for the coordinator's TLS certificate. */
export function readCa(path: string, source: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw invalid(`${source}: coordinator.ca: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, error);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw invalid(`${source}: coordinator.ca: ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return text;
}
