// The JSON configuration file's schema: every key, its type and its default. Unknown keys are
// mistakes (a typo must not silently fall back to a default). Durations are seconds, in keys ending in `Seconds`.

import { z } from 'zod';

const port = z.number().int().min(1).max(65535);
// 0 asks the system for a free port (tests, the demo).
const listenPort = z.number().int().min(0).max(65535);
const seconds = z.number().positive();
const file = z.string().min(1);

export const routeSchema = z.strictObject({
  name: z.string().min(1),
  trustAnchors: z.array(file).min(1),
  intermediates: z.array(file).default([]),
  crls: z.array(file).default([]),
  crlRequired: z.boolean().default(false),
  crlGraceSeconds: z.number().min(0).default(0),
  requiredEku: z.array(z.string().min(1)).default(['clientAuth']),
  maxDepth: z.number().int().min(0).nullable().default(null),
  deviceProfile: z.string().min(1),
  subjectField: z.enum(['CN', 'san:dns', 'san:uri', 'san:email', 'serialNumber', 'subject']).default('CN'),
  subjectPattern: z.string().min(1),
  /** Which entry of `platforms` this route's devices live in; optional with a single platform. */
  platform: z.string().min(1).optional(),
  /** Create a device missing from ThingsBoard, with a fresh access token, on its first connection. */
  provision: z.boolean().default(false),
  /** Record certificate facts on the device as server attributes when it connects. */
  provisionAttributes: z.boolean().default(false),
  /** This route's anchors may also be used by routes of other platforms (on purpose). */
  shareAnchors: z.boolean().default(false),
});

const upstreamSchema = z.strictObject({
  host: z.string().min(1),
  port: port.default(1883),
  /** TLS to ThingsBoard's MQTT port (its 8883), verified against `caFile` or the system's CAs. */
  tls: z.boolean().default(false),
  caFile: file.optional(),
  servername: z.string().min(1).optional(),
  /** Send a PROXY protocol header so ThingsBoard sees the device's address. */
  proxyProtocol: z.enum(['off', 'v1', 'v2']).default('off'),
});

export const platformSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  username: z.string().min(1).optional(),
  passwordFile: file.optional(),
  /** A ThingsBoard 4.3+ API key, instead of username and password. */
  apiKeyFile: file.optional(),
  /** CA certificates (PEM) for an https url. */
  caFile: file.optional(),
  requestTimeoutSeconds: seconds.default(10),
  /** REST requests in flight at once; more wait in a queue. */
  maxConcurrentRequests: z.number().int().min(1).default(8),
  /** This platform's MQTT port, when it is not the top-level `upstream`. */
  upstream: upstreamSchema.optional(),
});

const tlsVersion = z.enum(['TLSv1.2', 'TLSv1.3']);

export const configSchema = z.strictObject({
  listen: z.strictObject({
    host: z.string().min(1).default('0.0.0.0'),
    port: listenPort.default(8883),
    /** Most device connections at once (including handshakes in progress); 0: no limit. */
    maxConnections: z.number().int().min(0).default(0),
  }).prefault({}),
  tls: z.strictObject({
    cert: file,
    key: file,
    minVersion: tlsVersion.default('TLSv1.2'),
    maxVersion: tlsVersion.default('TLSv1.3'),
    ciphers: z.string().min(1).optional(),
    cipherSuites: z.string().min(1).optional(),
    handshakeTimeoutSeconds: seconds.default(15),
    /** `optional` lets devices without a certificate through with their own CONNECT (migration). */
    clientCertificate: z.enum(['required', 'optional']).default('required'),
  }),
  upstream: upstreamSchema.optional(),
  platform: platformSchema.optional(),
  platforms: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'platform names use letters, digits, - and _'), platformSchema).optional(),
  mqtt: z.strictObject({
    connectTimeoutSeconds: seconds.default(10),
    maxConnectBytes: z.number().int().min(64).default(65536),
    upstreamConnectTimeoutSeconds: seconds.default(5),
    connackTimeoutSeconds: seconds.default(10),
    /** Two connections for one device: the newer takes over (as ThingsBoard does), or is refused. */
    duplicateSession: z.enum(['newest-wins', 'reject']).default('newest-wins'),
  }).prefault({}),
  metrics: z.strictObject({
    host: z.string().min(1).default('0.0.0.0'),
    /** Where Prometheus scrapes `/metrics` (and `/healthz`); null: not served. */
    port: listenPort.nullable().default(null),
  }).prefault({}),
  revocation: z.strictObject({
    /** How often CRL files are read again; 0 only on SIGHUP. */
    reloadSeconds: z.number().min(0).default(300),
    /** Close live sessions whose certificate a reloaded CRL revokes. */
    dropRevokedSessions: z.boolean().default(true),
  }).prefault({}),
  cache: z.strictObject({
    tokenTtlSeconds: seconds.default(300),
    maxEntries: z.number().int().min(1).default(100_000),
    /** How long "no such device" and "wrong profile" answers are remembered. */
    negativeTtlSeconds: z.number().min(0).default(30),
    /** How long past its time limit a cached token still serves while ThingsBoard's REST API fails. */
    staleIfErrorSeconds: z.number().min(0).default(3600),
  }).prefault({}),
  migration: z.strictObject({
    /** Refuse a token-only login with the token of a device that has connected with a certificate. */
    lockTokens: z.boolean().default(false),
    /** SQLite file remembering migrated devices (token hashes only); null keeps it in memory. */
    stateFile: file.nullable().default(null),
  }).prefault({}),
  routes: z.array(routeSchema).min(1),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type ConfigFile = z.infer<typeof configSchema>;
