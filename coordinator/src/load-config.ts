/** Reads the config file and combines it with env and flag layers (config.ts has the rules). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CohortError } from '@cohortfl/wire';
import { layerFromEnv, mergeConfig, parseLayer, resolveFilePaths, type ConfigLayer, type CoordinatorConfig } from './config.js';
import { dataPaths } from './data-dir.js';

export interface ConfigSources {
  dataDir: string;
  /** Another config file than <dataDir>/config.json; it must exist. */
  configFile?: string;
  env?: Record<string, string | undefined>;
  /** Flags or programmatic overrides: the highest layer. */
  overrides?: ConfigLayer;
}

export function readConfigFile(path: string, required: boolean): ConfigLayer {
  if (!existsSync(path)) {
    if (required) throw new CohortError('CONFIG_INVALID', `config file ${path} does not exist`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new CohortError('CONFIG_INVALID', `config file ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return resolveFilePaths(parseLayer(parsed, `config file ${path}`), dirname(path));
}

export function loadConfig(sources: ConfigSources): CoordinatorConfig {
  const file = sources.configFile ?? dataPaths(sources.dataDir).config;
  const fileLayer = readConfigFile(file, sources.configFile !== undefined);
  const envLayer = layerFromEnv(sources.env ?? process.env);
  const flags = parseLayer(sources.overrides ?? {}, 'flags');
  return mergeConfig(flags, envLayer, fileLayer);
}
