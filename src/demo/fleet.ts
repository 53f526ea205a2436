// A throw-away fleet on disk: a device CA hierarchy, a foreign CA, the gate's server certificate,
// device certificates and a configuration file pointing at all of them. Used by the demo and the tests.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Eku, createRoot, issue, pemBundle, type CertOptions, type Identity } from '../pki/throwaway-pki.ts';

export interface DeviceFiles {
  identity: Identity;
  /** PEM of the leaf followed by the certificates the device sends with it. */
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
}

export interface Fleet {
  dir: string;
  /** Example Fleet Root R1, its issuing intermediate I1 and a sibling intermediate I2. */
  root: Identity;
  issuing: Identity;
  sibling: Identity;
  /** A CA nobody configured. */
  foreign: Identity;
  /** The CA devices trust for the gate's own certificate, and its PEM path. */
  serverCa: Identity;
  serverCaPath: string;
  /** Writes a PEM file in the fleet folder and returns its path. */
  write(name: string, content: string): string;
  /** A device certificate (default: issued by I1, sent together with I1). */
  device(cn: string, options?: DeviceOptions): Promise<DeviceFiles>;
  /** Writes a configuration file; `patch` replaces top-level sections. Returns its path. */
  writeConfig(settings: FleetSettings, patch?: Record<string, unknown>): string;
}

export interface DeviceOptions extends Partial<CertOptions> {
  issuer?: Identity;
  /** Certificates sent after the leaf; default: the issuer when it is an intermediate. */
  chain?: Identity[];
  file?: string;
}

export interface FleetSettings {
  upstreamPort: number;
  platformUrl: string;
  platformUsername: string;
  platformPassword: string;
  listenPort?: number;
}

export async function createFleet(dir = mkdtempSync(join(tmpdir(), 'certgate-fleet-'))): Promise<Fleet> {
  const root = await createRoot('CN=Example Fleet Root R1, O=Example Widgets');
  const issuing = await issue(root, { subject: 'CN=Example Thermostat Issuing CA 1, O=Example Widgets', ca: { pathLength: 0 } });
  const sibling = await issue(root, { subject: 'CN=Example Meter Issuing CA 1, O=Example Widgets', ca: { pathLength: 0 } });
  const foreign = await createRoot('CN=Someone Else Root, O=Not Example Widgets');
  const serverCa = await createRoot('CN=Example Gate Server CA');
  const server = await issue(serverCa, {
    subject: 'CN=localhost',
    eku: [Eku.serverAuth],
    san: [{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }],
  });

  const write = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  write('root-r1.pem', root.certPem);
  write('issuing-i1.pem', issuing.certPem);
  write('sibling-i2.pem', sibling.certPem);
  write('gate.pem', server.certPem);
  write('gate.key', server.keyPem);
  const serverCaPath = write('gate-ca.pem', serverCa.certPem);

  const device = async (cn: string, options: DeviceOptions = {}): Promise<DeviceFiles> => {
    const issuer = options.issuer ?? issuing;
    const identity = await issue(issuer, { subject: `CN=${cn}, O=Example Widgets`, ...options });
    const chain = options.chain ?? (issuer === root || issuer === foreign ? [] : [issuer]);
    const certPem = pemBundle(identity, ...chain);
    const base = options.file ?? cn.replace(/[^A-Za-z0-9._-]/g, '_');
    return {
      identity,
      certPem,
      keyPem: identity.keyPem,
      certPath: write(`${base}.pem`, certPem),
      keyPath: write(`${base}.key`, identity.keyPem),
    };
  };

  const writeConfig = (settings: FleetSettings, patch: Record<string, unknown> = {}): string => {
    write('platform-password', settings.platformPassword + '\n');
    const config = {
      listen: { host: '127.0.0.1', port: settings.listenPort ?? 0 },
      tls: { cert: 'gate.pem', key: 'gate.key' },
      upstream: { host: '127.0.0.1', port: settings.upstreamPort },
      platform: { url: settings.platformUrl, username: settings.platformUsername, passwordFile: 'platform-password' },
      routes: [{
        name: 'thermostats',
        trustAnchors: ['issuing-i1.pem'],
        deviceProfile: 'thermostat',
        subjectPattern: '^(?<name>[^@]+)(@.*)?$',
      }],
      ...patch,
    };
    return write('certgate.json', JSON.stringify(config, null, 2) + '\n');
  };

  return { dir, root, issuing, sibling, foreign, serverCa, serverCaPath, write, device, writeConfig };
}
