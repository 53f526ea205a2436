// The shape of a loaded configuration, after defaults are applied and relative paths are
// resolved against the configuration file's folder. The JSON schema lives in schema.ts.

export interface RouteConfig {
  name: string;
  /** PEM files; every certificate in them is a trust anchor (root or intermediate). */
  trustAnchors: string[];
  /** PEM files of intermediates that help build paths; never anchors. */
  intermediates: string[];
  /** PEM or DER files, each holding one or more CRLs. */
  crls: string[];
  crlRequired: boolean;
  crlGraceSeconds: number;
  /** Extended key usages the leaf must carry: names (clientAuth, …) or dotted OIDs. */
  requiredEku: string[];
  /** Most intermediates between leaf and anchor (self-issued ones not counted); null: no limit. */
  maxDepth: number | null;
  deviceProfile: string;
  /** What the pattern reads: CN, san:dns, san:uri, san:email, serialNumber or subject. */
  subjectField: SubjectField;
  /** JavaScript regular expression, as written in the file. */
  subjectPattern: string;
  /** Name of the platform (ThingsBoard connection) the route's devices live in. */
  platform: string;
  provision: boolean;
  provisionAttributes: boolean;
  shareAnchors: boolean;
}

export type SubjectField = 'CN' | 'san:dns' | 'san:uri' | 'san:email' | 'serialNumber' | 'subject';

export interface TlsConfig {
  cert: string;
  key: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  maxVersion: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list for TLS 1.2; undefined keeps Node's default. */
  ciphers: string | undefined;
  /** TLS 1.3 cipher suites (colon separated); undefined keeps Node's default. */
  cipherSuites: string | undefined;
  handshakeTimeoutSeconds: number;
  clientCertificate: 'required' | 'optional';
}

export interface UpstreamConfig {
  host: string;
  port: number;
  tls: boolean;
  /** Absolute path of a PEM CA file for the upstream TLS connection. */
  caFile: string | undefined;
  servername: string | undefined;
  proxyProtocol: 'off' | 'v1' | 'v2';
}

export interface PlatformConfig {
  /** `default` for a single `platform`; the key under `platforms` otherwise. */
  name: string;
  url: string;
  /** Log in with username and password (JWT), or with an API key. Secrets: never logged. */
  username: string | undefined;
  password: string | undefined;
  apiKey: string | undefined;
  /** Absolute path of a PEM CA file for an https url. */
  caFile: string | undefined;
  requestTimeoutSeconds: number;
  maxConcurrentRequests: number;
  upstream: UpstreamConfig;
}

export interface MqttLimits {
  connectTimeoutSeconds: number;
  maxConnectBytes: number;
  upstreamConnectTimeoutSeconds: number;
  connackTimeoutSeconds: number;
  duplicateSession: 'newest-wins' | 'reject';
}

export interface RevocationConfig {
  reloadSeconds: number;
  dropRevokedSessions: boolean;
}

export interface CacheConfig {
  tokenTtlSeconds: number;
  maxEntries: number;
  negativeTtlSeconds: number;
  staleIfErrorSeconds: number;
}

export interface MigrationConfig {
  lockTokens: boolean;
  /** Absolute path of the SQLite state file; null keeps the state in memory. */
  stateFile: string | null;
}

export interface GateConfig {
  /** Absolute path of the file this came from (for messages). */
  file: string;
  listen: { host: string; port: number; maxConnections: number };
  tls: TlsConfig;
  platforms: Record<string, PlatformConfig>;
  mqtt: MqttLimits;
  cache: CacheConfig;
  migration: MigrationConfig;
  revocation: RevocationConfig;
  metrics: { host: string; port: number | null };
  routes: RouteConfig[];
  logLevel: string;
}
