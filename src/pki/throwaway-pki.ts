// A throw-away PKI made in memory: roots, intermediates, device certificates and CRLs.
// `certgate demo` and the test suite use it; the gate itself never issues certificates.

import 'reflect-metadata';
import { KeyObject, sign as cryptoSign, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type EcdsaParams = webcrypto.EcdsaParams;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const DAY = 86_400_000;
const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const RSA_KEY = {
  name: 'RSASSA-PKCS1-v1_5',
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const;

export const Eku = {
  clientAuth: '1.3.6.1.5.5.7.3.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

export const KeyUsage = x509.KeyUsageFlags;

/** A certificate together with its private key. */
export interface Identity {
  cert: x509.X509Certificate;
  certPem: string;
  der: Buffer;
  keyPem: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  serial: string;
}

export interface CertOptions {
  /** `CN=…, O=…` or a JSON name (lets a test pick BMPString, several CNs, …). */
  subject: string | x509.JsonNameParams;
  /** Omit for an end-entity certificate; `{ pathLength }` for a CA. */
  ca?: { pathLength?: number } | false;
  /** Set to false to leave basicConstraints out entirely. */
  basicConstraints?: boolean;
  keyUsage?: number | false;
  /** EKU OIDs; false leaves the extension out. Default for leaves: clientAuth. */
  eku?: string[] | false;
  notBefore?: Date;
  notAfter?: Date;
  /** Hexadecimal serial; random when omitted. */
  serial?: string;
  san?: x509.JsonGeneralNames;
  extensions?: x509.Extension[];
  hash?: 'SHA-256' | 'SHA-1' | 'SHA-384';
  keyType?: 'ec' | 'rsa';
  rsaBits?: number;
  /** Reuse a key pair instead of generating one (a re-issued certificate, a forged chain). */
  keys?: CryptoKeyPair;
  /**
   * Replace bytes of the signed part with others of the same length and sign it again, for
   * encodings the generator will not produce (invalid UTF-8, odd string types).
   */
  patchTbs?: { find: Buffer; replace: Buffer };
}

export interface CrlOptions {
  revoked?: Array<{ serial: string; date?: Date }>;
  thisUpdate?: Date;
  nextUpdate?: Date;
  crlNumber?: number;
}

export async function generateKeys(type: 'ec' | 'rsa' = 'ec', rsaBits = 2048): Promise<CryptoKeyPair> {
  const algorithm = type === 'ec' ? EC_KEY : { ...RSA_KEY, modulusLength: rsaBits };
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** A self-signed root CA. */
export async function createRoot(subject: string, options: Partial<CertOptions> = {}): Promise<Identity> {
  return issue(null, { ca: {}, ...options, subject });
}

/** A certificate signed by `issuer`, or self-signed when `issuer` is null. */
export async function issue(issuer: Identity | null, options: CertOptions): Promise<Identity> {
  const keys = options.keys ?? (await generateKeys(options.keyType, options.rsaBits));
  const isCa = Boolean(options.ca);
  const now = Date.now();
  const extensions = await standardExtensions(issuer, keys, options, isCa);

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: options.serial ?? randomSerial(),
    subject: options.subject as x509.JsonName,
    issuer: issuer ? issuer.cert.subjectName : (options.subject as x509.JsonName),
    notBefore: options.notBefore ?? new Date(now - (isCa ? 365 : 1) * DAY),
    notAfter: options.notAfter ?? new Date(now + (isCa ? 5 * 365 : 365) * DAY),
    publicKey: keys.publicKey,
    signingKey: issuer ? issuer.privateKey : keys.privateKey,
    signingAlgorithm: signingAlgorithm(issuer ? issuer.privateKey : keys.privateKey, options.hash),
    extensions,
  });
  if (!options.patchTbs) return toIdentity(cert, keys);
  const signer = issuer ? issuer.privateKey : keys.privateKey;
  return toIdentity(new x509.X509Certificate(resign(cert, signer, options.patchTbs, options.hash)), keys);
}

/** A CRL signed by `issuer`. */
export async function createCrl(issuer: Identity, options: CrlOptions = {}): Promise<{ pem: string; der: Buffer }> {
  const now = Date.now();
  const extensions: x509.Extension[] = [
    await x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey),
    new x509.Extension('2.5.29.20', false, encodeInteger(options.crlNumber ?? 1)),
  ];
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.cert.subjectName,
    thisUpdate: options.thisUpdate ?? new Date(now - DAY),
    nextUpdate: options.nextUpdate ?? new Date(now + 7 * DAY),
    signingKey: issuer.privateKey,
    signingAlgorithm: signingAlgorithm(issuer.privateKey),
    extensions,
    entries: (options.revoked ?? []).map((r) => ({
      serialNumber: r.serial,
      revocationDate: r.date ?? new Date(now - DAY),
    })),
  });
  const der = Buffer.from(crl.rawData);
  return { pem: x509.PemConverter.encode(crl.rawData, 'X509 CRL') + '\n', der };
}

/** PEM text of several certificates, in the order given. */
export function pemBundle(...ids: Identity[]): string {
  return ids.map((id) => id.certPem).join('');
}

async function standardExtensions(
  issuer: Identity | null,
  keys: CryptoKeyPair,
  options: CertOptions,
  isCa: boolean,
): Promise<x509.Extension[]> {
  const list: x509.Extension[] = [];
  if (options.basicConstraints !== false) {
    const pathLength = options.ca ? options.ca.pathLength : undefined;
    list.push(new x509.BasicConstraintsExtension(isCa, pathLength, true));
  }
  const keyUsage = options.keyUsage ?? (isCa
    ? KeyUsage.keyCertSign | KeyUsage.cRLSign
    : KeyUsage.digitalSignature);
  if (keyUsage !== false) list.push(new x509.KeyUsagesExtension(keyUsage, true));
  const eku = options.eku ?? (isCa ? false : [Eku.clientAuth]);
  if (eku !== false) list.push(new x509.ExtendedKeyUsageExtension(eku, false));
  list.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  list.push(await x509.AuthorityKeyIdentifierExtension.create(issuer ? issuer.publicKey : keys.publicKey));
  if (options.san) list.push(new x509.SubjectAlternativeNameExtension(options.san));
  list.push(...(options.extensions ?? []));
  return list;
}

function signingAlgorithm(key: CryptoKey, hash: CertOptions['hash'] = 'SHA-256'): Algorithm {
  return key.algorithm.name === 'ECDSA'
    ? ({ name: 'ECDSA', hash } as EcdsaParams)
    : ({ name: 'RSASSA-PKCS1-v1_5', hash } as Algorithm);
}

async function toIdentity(cert: x509.X509Certificate, keys: CryptoKeyPair): Promise<Identity> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    cert,
    certPem: cert.toString('pem') + '\n',
    der: Buffer.from(cert.rawData),
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n',
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    serial: cert.serialNumber,
  };
}

function resign(cert: x509.X509Certificate, signer: CryptoKey, patch: { find: Buffer; replace: Buffer }, hash: CertOptions['hash'] = 'SHA-256'): Buffer {
  const outer = asn1js.fromBER(cert.rawData).result as asn1js.Sequence;
  const [tbsBlock, algBlock] = outer.valueBlock.value as [asn1js.Sequence, asn1js.Sequence];
  const tbs = Buffer.from(tbsBlock.valueBeforeDecodeView);
  const at = tbs.indexOf(patch.find);
  if (at < 0 || patch.find.length !== patch.replace.length) throw new Error('patchTbs: bytes not found or lengths differ');
  patch.replace.copy(tbs, at);

  const key = KeyObject.from(signer);
  const digest = hash.replace('-', '').toLowerCase();
  const signature = cryptoSign(digest, tbs, { key, dsaEncoding: 'der' });
  const bitString = derElement(0x03, Buffer.concat([Buffer.from([0]), signature]));
  return derElement(0x30, Buffer.concat([tbs, Buffer.from(algBlock.valueBeforeDecodeView), bitString]));
}

function derElement(tag: number, body: Buffer): Buffer {
  const length = body.length < 0x80 ? Buffer.from([body.length]) : lengthBytes(body.length);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

function lengthBytes(length: number): Buffer {
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(12));
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return Buffer.from(bytes).toString('hex');
}

function encodeInteger(value: number): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = '00' + hex;
  const body = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from([0x02, body.length]), body]);
}
