// Loads a configuration: reads the JSON file, applies command-line overrides, validates it,
// resolves paths against the file's folder and loads every file it names. All problems at once.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { buildTrust, type Trust } from '../auth/index.ts';
import type { LoadProblem } from '../auth/types.ts';
import { GateError } from '../errors.ts';
import { assignPlatforms, checkSharedAnchors, resolvePlatforms } from './platforms.ts';
import { configSchema, routeSchema, type ConfigFile } from './schema.ts';
import type { GateConfig, RouteConfig } from './types.ts';

export interface Overrides {
  listen?: string;
  upstream?: string;
  platformUrl?: string;
  logLevel?: string;
}

export interface LoadOptions {
  overrides?: Overrides;
  /** False for offline commands (`verify`): the platform password is then not required. */
  requirePlatform?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface Loaded {
  config: GateConfig;
  trust: Trust;
  warnings: string[];
}

export async function loadConfig(file: string, options: LoadOptions = {}): Promise<Loaded> {
  const path = resolve(file);
  const problems: LoadProblem[] = [];

  const raw = readJson(path);
  applyOverrides(raw, options.overrides ?? {}, problems);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...describeIssue(issue));
    problems.push(...checkValidRoutes(raw.routes, path));
    problems.push(...checkFilesOf(raw, path));
    throw invalid(path, problems);
  }

  const config = resolvePaths(parsed.data, path);
  config.platforms = resolvePlatforms(parsed.data, path, { env: options.env ?? process.env, requireCredentials: options.requirePlatform !== false }, problems);
  assignPlatforms(config.routes, config.platforms, problems);
  checkSharedAnchors(config.routes, problems);
  checkServerIdentity(config, problems);
  const built = buildTrust(config.routes, { keyPrefix: 'routes' });
  problems.push(...built.problems);

  if (problems.length > 0 || built.trust === null) throw invalid(path, problems);
  return { config, trust: built.trust, warnings: built.warnings };
}

/**
 * When the file as a whole fails its schema, the routes that are well-formed still get their
 * files and patterns checked, so that every mistake is reported in one go.
 */
function checkValidRoutes(routes: unknown, path: string): LoadProblem[] {
  if (!Array.isArray(routes)) return [];
  const valid: RouteConfig[] = [];
  const indexOf: number[] = [];
  for (const [i, candidate] of routes.entries()) {
    const route = routeSchema.safeParse(candidate);
    if (!route.success) continue;
    valid.push(resolveRoute(route.data, path));
    indexOf.push(i);
  }
  if (valid.length === 0) return [];
  const { problems } = buildTrust(valid, { keyPrefix: 'routes' });
  return problems.map((p) => ({ ...p, key: p.key.replace(/^routes\[(\d+)\]/, (_m, k: string) => `routes[${indexOf[Number(k)]}]`) }));
}

/** A zod issue as problems; an unknown key is named in full (`listen.prot`), one problem each. */
function describeIssue(issue: { path: PropertyKey[]; message: string; code: string; keys?: string[] }): LoadProblem[] {
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    return issue.keys.map((k) => ({ key: keyOf([...issue.path, k]), message: 'unknown key (a typo?)' }));
  }
  return [{ key: keyOf(issue.path), message: issue.message }];
}

/** The server certificate and key named in a file that failed its schema, checked all the same. */
function checkFilesOf(raw: Record<string, unknown>, path: string): LoadProblem[] {
  const problems: LoadProblem[] = [];
  const tls = raw.tls as { cert?: unknown; key?: unknown } | undefined;
  const at = (p: string): string => resolve(dirname(path), p);
  if (typeof tls?.cert === 'string') readPem(at(tls.cert), 'tls.cert', 'CERTIFICATE', problems);
  if (typeof tls?.key === 'string') readPem(at(tls.key), 'tls.key', 'PRIVATE KEY', problems);
  return problems;
}

/** `routes[0].trustAnchors[1]` from zod's path array. */
export function keyOf(path: ReadonlyArray<PropertyKey>): string {
  let key = '';
  for (const part of path) key += typeof part === 'number' ? `[${part}]` : `${key ? '.' : ''}${String(part)}`;
  return key || '(file)';
}

function readJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw invalid(path, [{ key: '(file)', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    throw new Error('the top level must be an object');
  } catch (err) {
    throw invalid(path, [{ key: '(file)', message: `not valid JSON: ${(err as Error).message}` }]);
  }
}

function applyOverrides(raw: Record<string, unknown>, overrides: Overrides, problems: LoadProblem[]): void {
  const section = (name: string): Record<string, unknown> => {
    const value = raw[name];
    if (value && typeof value === 'object') return value as Record<string, unknown>;
    return (raw[name] = {});
  };

  if (overrides.listen !== undefined) Object.assign(section('listen'), hostPort('--listen', overrides.listen, problems));
  if (overrides.upstream !== undefined) Object.assign(section('upstream'), hostPort('--upstream', overrides.upstream, problems));
  if (overrides.platformUrl !== undefined) {
    if (raw.platforms !== undefined) problems.push({ key: '--platform-url', message: 'only for a single `platform`, not `platforms`' });
    else section('platform').url = overrides.platformUrl;
  }
  if (overrides.logLevel !== undefined) raw.logLevel = overrides.logLevel;
}

/** `HOST:PORT` or `[IPv6]:PORT`. */
export function hostPort(flag: string, value: string, problems: LoadProblem[]): { host?: string; port?: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) {
    problems.push({ key: flag, message: `expected HOST:PORT, got '${value}'` });
    return {};
  }
  return { host: match[1] ?? match[2]!, port };
}

function resolvePaths(file: ConfigFile, path: string): GateConfig {
  const at = (p: string): string => resolve(dirname(path), p);
  return {
    file: path,
    listen: file.listen,
    tls: { ...file.tls, cert: at(file.tls.cert), key: at(file.tls.key), ciphers: file.tls.ciphers, cipherSuites: file.tls.cipherSuites },
    platforms: {},
    mqtt: file.mqtt,
    cache: file.cache,
    migration: { lockTokens: file.migration.lockTokens, stateFile: file.migration.stateFile === null ? null : at(file.migration.stateFile) },
    revocation: file.revocation,
    metrics: file.metrics,
    routes: file.routes.map((r) => resolveRoute(r, path)),
    logLevel: file.logLevel,
  };
}

function resolveRoute(route: ConfigFile['routes'][number], path: string): RouteConfig {
  const at = (p: string): string => resolve(dirname(path), p);
  return {
    ...route,
    platform: route.platform ?? '',
    trustAnchors: route.trustAnchors.map(at),
    intermediates: route.intermediates.map(at),
    crls: route.crls.map(at),
  };
}

/** The gate's own certificate and key must load and belong together. */
function checkServerIdentity(config: GateConfig, problems: LoadProblem[]): void {
  const cert = readPem(config.tls.cert, 'tls.cert', 'CERTIFICATE', problems);
  const key = readPem(config.tls.key, 'tls.key', 'PRIVATE KEY', problems);
  if (cert === null || key === null) return;
  try {
    createSecureContext({ cert, key, minVersion: config.tls.minVersion, maxVersion: config.tls.maxVersion, ciphers: config.tls.ciphers });
  } catch (err) {
    // OpenSSL's messages name no secret, only what failed ("key values mismatch", …).
    problems.push({ key: 'tls', message: `the certificate and key cannot be used together: ${(err as Error).message}` });
  }
}

function readPem(path: string, key: string, label: string, problems: LoadProblem[]): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    problems.push({ key, message: `${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
    return null;
  }
  if (!new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(text)) {
    problems.push({ key, message: `${path}: no PEM ${label} found` });
    return null;
  }
  return text;
}

function invalid(path: string, problems: LoadProblem[]): GateError {
  const lines = problems.map((p) => `  ${p.key}: ${p.message}`).join('\n');
  return new GateError('CERTGATE_CONFIG_INVALID', `configuration ${path} is not valid:\n${lines}`, { problems });
}
