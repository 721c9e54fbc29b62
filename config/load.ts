// Loads reflex.yaml: ${ENV} interpolation, environment overrides, then one zod parse.
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { configSchema, type ReflexConfig } from './schema';
import { formatPath, lineOf, parseYaml, type YamlSource } from '../common/yaml-source';

/** A configuration problem; the message names the file, line and key, never a secret value. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Environment variables that override a config key. Every external endpoint and secret
 * can be set this way, so a container needs no config file at all.
 */
export const ENV_OVERRIDES: Readonly<Record<string, readonly string[]>> = {
  REFLEX_DATA_DIR: ['dataDir'],
  PORT: ['server', 'port'],
  HOST: ['server', 'host'],
  PUBLIC_URL: ['server', 'publicUrl'],
  REFLEX_SERVER_SECRET: ['server', 'secret'],
  TEMPORAL_ADDRESS: ['temporal', 'address'],
  TEMPORAL_NAMESPACE: ['temporal', 'namespace'],
  TEMPORAL_TASK_QUEUE: ['temporal', 'taskQueue'],
  TEMPORAL_TLS: ['temporal', 'tls'],
  TEMPORAL_API_KEY: ['temporal', 'apiKey'],
  DATABASE_URL: ['database', 'url'],
  SMTP_URL: ['mail', 'smtpUrl'],
  MAIL_FROM: ['mail', 'from'],
  SMTP_MAX_CONNECTIONS: ['mail', 'maxConnections'],
  ENTRA_TENANT_ID: ['entra', 'tenantId'],
  ENTRA_CLIENT_ID: ['entra', 'clientId'],
  ENTRA_CLIENT_SECRET: ['entra', 'clientSecret'],
  ENTRA_AUTHORITY_HOST: ['entra', 'authorityHost'],
  GRAPH_BASE_URL: ['entra', 'graphBaseUrl'],
};

const BOOLEAN_KEYS = new Set(['TEMPORAL_TLS']);
const NUMBER_KEYS = new Set(['PORT', 'SMTP_MAX_CONNECTIONS']);

export interface LoadConfigOptions {
  /** Path of the YAML file; when absent, REFLEX_CONFIG, then ./reflex.yaml if it exists, else defaults. */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: ReflexConfig;
  /** The file that was read, if any. */
  file?: string;
  /** Its parsed text, so later checks can name lines. */
  source?: YamlSource;
}

/** Reads, interpolates, overrides and validates the configuration, or throws a {@link ConfigError}. */
export function loadConfig({ file, env = process.env }: LoadConfigOptions = {}): LoadedConfig {
  const path = file ?? env.REFLEX_CONFIG ?? (existsSync('reflex.yaml') ? 'reflex.yaml' : undefined);
  let raw: unknown = {};
  let source: YamlSource | undefined;
  if (path) {
    const absolute = resolve(path);
    let text: string;
    try {
      text = readFileSync(absolute, 'utf8');
    } catch (err) {
      throw new ConfigError([`${path}: cannot read the file (${(err as NodeJS.ErrnoException).code})`]);
    }
    try {
      source = parseYaml(path, text);
    } catch (err) {
      throw new ConfigError([(err as Error).message]);
    }
    raw = source.value ?? {};
  }
  const problems: string[] = [];
  raw = interpolate(raw, [], env, (keyPath, name) => {
    const where = source ? `${source.file}:${lineOf(source, keyPath) ?? '?'}: ` : '';
    problems.push(`${where}${formatPath(keyPath)}: environment variable ${name} is not set`);
  });
  applyEnvOverrides(raw as Record<string, unknown>, env);
  if (problems.length) throw new ConfigError(problems);

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, source));
  return { config: parsed.data, file: path, source };
}

function describeIssues(error: z.ZodError, source: YamlSource | undefined): string[] {
  return error.issues.map((issue) => {
    const key = formatPath(issue.path) || '(root)';
    const envName = Object.entries(ENV_OVERRIDES).find(([, p]) => formatPath(p) === key)?.[0];
    const line = source ? lineOf(source, issue.path) : undefined;
    const where = source ? `${source.file}${line ? `:${line}` : ''}: ` : '';
    const fromEnv = envName ? ` (or environment variable ${envName})` : '';
    return `${where}${key}${fromEnv}: ${issue.message}`;
  });
}

const PLACEHOLDER = /\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${NAME}` and `${NAME:-default}` in every string value. */
function interpolate(
  value: unknown,
  path: PropertyKey[],
  env: NodeJS.ProcessEnv,
  missing: (path: PropertyKey[], name: string) => void,
): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      missing(path, name);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...path, i], env, missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, [...path, k], env, missing)]),
    );
  }
  return value;
}

function applyEnvOverrides(target: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const [name, keyPath] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let node = target;
    for (const key of keyPath.slice(0, -1)) {
      const next = node[key];
      node = next && typeof next === 'object' ? (next as Record<string, unknown>) : (node[key] = {});
    }
    node[keyPath[keyPath.length - 1]!] = BOOLEAN_KEYS.has(name)
      ? value === 'true' || value === '1'
      : NUMBER_KEYS.has(name)
        ? Number(value)
        : value;
  }
}
