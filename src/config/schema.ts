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
});

const tlsVersion = z.enum(['TLSv1.2', 'TLSv1.3']);

export const configSchema = z.strictObject({
  listen: z.strictObject({
    host: z.string().min(1).default('0.0.0.0'),
    port: listenPort.default(8883),
  }),
  tls: z.strictObject({
    cert: file,
    key: file,
    minVersion: tlsVersion.default('TLSv1.2'),
    maxVersion: tlsVersion.default('TLSv1.3'),
    ciphers: z.string().min(1).optional(),
    cipherSuites: z.string().min(1).optional(),
    handshakeTimeoutSeconds: seconds.default(15),
  }),
  upstream: z.strictObject({
    host: z.string().min(1),
    port: port.default(1883),
  }),
  platform: z.strictObject({
    url: z.url({ protocol: /^https?$/ }),
    username: z.string().min(1),
    passwordFile: file.optional(),
    requestTimeoutSeconds: seconds.default(10),
  }),
  mqtt: z.strictObject({
    connectTimeoutSeconds: seconds.default(10),
    maxConnectBytes: z.number().int().min(64).default(65536),
    upstreamConnectTimeoutSeconds: seconds.default(5),
    connackTimeoutSeconds: seconds.default(10),
  }).prefault({}),
  cache: z.strictObject({
    tokenTtlSeconds: seconds.default(300),
    maxEntries: z.number().int().min(1).default(100_000),
  }).prefault({}),
  routes: z.array(routeSchema).min(1),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type ConfigFile = z.infer<typeof configSchema>;
