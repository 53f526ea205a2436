// Turns the file's `platform` or `platforms` section into named ThingsBoard connections: their
// upstream MQTT port, their REST credentials read from files or the environment, and their checks.

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { LoadProblem } from '../auth/types.ts';
import type { ConfigFile } from './schema.ts';
import type { PlatformConfig, RouteConfig, UpstreamConfig } from './types.ts';

type PlatformEntry = NonNullable<ConfigFile['platform']>;
type UpstreamEntry = NonNullable<ConfigFile['upstream']>;

export const DEFAULT_PLATFORM = 'default';
export const PASSWORD_ENV = 'CERTGATE_PLATFORM_PASSWORD';
export const API_KEY_ENV = 'CERTGATE_PLATFORM_API_KEY';

export interface PlatformOptions {
  env: NodeJS.ProcessEnv;
  /** False for offline commands: credentials are then not required. */
  requireCredentials: boolean;
}

/** The named platforms, with `problems` naming the keys of whatever is missing or unreadable. */
export function resolvePlatforms(file: ConfigFile, path: string, options: PlatformOptions, problems: LoadProblem[]): Record<string, PlatformConfig> {
  const at = (p: string): string => resolve(dirname(path), p);
  if (file.platform && file.platforms) problems.push({ key: 'platforms', message: 'give either `platform` or `platforms`, not both' });
  if (!file.platform && !file.platforms) problems.push({ key: 'platform', message: 'required: the ThingsBoard connection (or `platforms` for several)' });

  const entries: Array<[string, string, PlatformEntry]> = file.platforms
    ? Object.entries(file.platforms).map(([name, p]) => [name, `platforms.${name}`, p])
    : file.platform ? [[DEFAULT_PLATFORM, 'platform', file.platform]] : [];

  const platforms: Record<string, PlatformConfig> = {};
  for (const [name, key, entry] of entries) {
    const upstream = entry.upstream ?? file.upstream;
    if (!upstream) problems.push({ key: `${key}.upstream`, message: 'required here, or a top-level `upstream`' });
    const secrets = readSecrets(name, key, entry, at, options, problems);
    platforms[name] = {
      name,
      url: entry.url.replace(/\/+$/, ''),
      username: entry.username,
      ...secrets,
      caFile: entry.caFile === undefined ? undefined : at(entry.caFile),
      requestTimeoutSeconds: entry.requestTimeoutSeconds,
      maxConcurrentRequests: entry.maxConcurrentRequests,
      upstream: resolveUpstream(upstream ?? { host: '', port: 1883, tls: false, proxyProtocol: 'off' }, at),
    };
  }
  return platforms;
}

/** Each route names an existing platform; a route of a single-platform file may omit it. */
export function assignPlatforms(routes: RouteConfig[], platforms: Record<string, PlatformConfig>, problems: LoadProblem[]): void {
  const names = Object.keys(platforms);
  for (const [i, route] of routes.entries()) {
    if (route.platform === '' && names.length === 1) route.platform = names[0]!;
    else if (route.platform === '') problems.push({ key: `routes[${i}].platform`, message: `required with several platforms: one of ${names.join(', ')}` });
    else if (!platforms[route.platform]) problems.push({ key: `routes[${i}].platform`, message: `no platform named '${route.platform}'` });

    if (route.provision && route.deviceProfile === '*') {
      problems.push({ key: `routes[${i}].provision`, message: 'provisioning needs a named deviceProfile, not "*"' });
    }
  }
}

/**
 * An anchor of one platform's route that is the same certificate as, or an issuer above, an
 * anchor of another platform's route would let one tenant's CA admit devices into the other
 * tenant (routes are tried in order). That is a mistake unless both routes say `shareAnchors`.
 */
export function checkSharedAnchors(routes: RouteConfig[], problems: LoadProblem[]): void {
  const certs = routes.map((r) => [...r.trustAnchors, ...r.intermediates].flatMap(readCerts));
  const anchors = routes.map((r) => r.trustAnchors.flatMap(readCerts));
  const pool = certs.flat();

  for (let i = 0; i < routes.length; i++) {
    for (let j = i + 1; j < routes.length; j++) {
      const [a, b] = [routes[i]!, routes[j]!];
      if (a.platform === b.platform || (a.shareAnchors && b.shareAnchors)) continue;
      const covered = (top: X509Certificate[], low: X509Certificate[]): X509Certificate | undefined =>
        low.find((below) => top.some((above) => isAtOrAbove(above, below, pool)));
      const shared = covered(anchors[i]!, anchors[j]!) ?? covered(anchors[j]!, anchors[i]!);
      if (!shared) continue;
      problems.push({
        key: `routes[${j}].trustAnchors`,
        message: `'${shared.subject.replace(/\n/g, ', ')}' is trusted by routes of both platforms '${a.platform}' (routes[${i}]) ` +
          `and '${b.platform}' (the same certificate, or one issued below the other's anchor): set shareAnchors: true on both routes if that is intended`,
      });
    }
  }
}

/** Whether `above` is `below` itself or one of its issuers, through the configured certificates. */
function isAtOrAbove(above: X509Certificate, below: X509Certificate, pool: X509Certificate[]): boolean {
  let current = below;
  for (let step = 0; step < 8; step++) {
    if (current.fingerprint256 === above.fingerprint256) return true;
    if (current.checkIssued(above) && current.verify(above.publicKey)) return true;
    const parent = pool.find((c) => c.fingerprint256 !== current.fingerprint256 && current.checkIssued(c) && current.verify(c.publicKey));
    if (!parent) return false;
    current = parent;
  }
  return false;
}

function resolveUpstream(entry: UpstreamEntry, at: (p: string) => string): UpstreamConfig {
  return {
    host: entry.host,
    port: entry.port,
    tls: entry.tls,
    caFile: entry.caFile === undefined ? undefined : at(entry.caFile),
    servername: entry.servername,
    proxyProtocol: entry.proxyProtocol,
  };
}

function readSecrets(
  name: string, key: string, entry: PlatformEntry, at: (p: string) => string, options: PlatformOptions, problems: LoadProblem[],
): { password: string | undefined; apiKey: string | undefined } {
  const suffix = name === DEFAULT_PLATFORM ? '' : `_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const apiKey = secret(entry.apiKeyFile, `${key}.apiKeyFile`, at, options.env[API_KEY_ENV + suffix], problems);
  const password = secret(entry.passwordFile, `${key}.passwordFile`, at, options.env[PASSWORD_ENV + suffix], problems);

  if (options.requireCredentials && apiKey === undefined) {
    if (entry.username === undefined) {
      problems.push({ key: `${key}.username`, message: `required, unless an API key is given (apiKeyFile or ${API_KEY_ENV}${suffix})` });
    } else if (password === undefined) {
      problems.push({ key: `${key}.passwordFile`, message: `not set, and ${PASSWORD_ENV}${suffix} is empty: the platform password is needed` });
    }
  }
  return { password, apiKey };
}

/** A secret from its file (trailing newline removed) or else from the environment. */
function secret(file: string | undefined, key: string, at: (p: string) => string, fromEnv: string | undefined, problems: LoadProblem[]): string | undefined {
  if (file === undefined) return fromEnv || undefined;
  try {
    return readFileSync(at(file), 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    problems.push({ key, message: `${at(file)}: cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}` });
    return undefined;
  }
}

function readCerts(path: string): X509Certificate[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return []; // reported by the certificate loader, with its key
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.flatMap((pem) => {
    try {
      return [new X509Certificate(pem)];
    } catch {
      return [];
    }
  });
}
