// Signature checks for certificates and CRLs with Node's crypto, plus the strength rules of an
// OpenSSL security level (weak digests, small keys, explicit EC parameters).

import * as asn1js from 'asn1js';
import { decodeDer } from './der.ts';
import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { AlgorithmId } from './parse-cert.ts';

/** OpenSSL's security levels as certgate applies them: 1 allows RSA-1024, 2 needs RSA-2048. */
export type SecurityLevel = 1 | 2;

interface Scheme {
  kind: 'rsa' | 'pss' | 'ecdsa' | 'eddsa';
  hash: string | null;
}

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const SCHEMES: Record<string, Scheme> = {
  '1.2.840.113549.1.1.4': { kind: 'rsa', hash: 'md5' },
  '1.2.840.113549.1.1.5': { kind: 'rsa', hash: 'sha1' },
  '1.2.840.113549.1.1.14': { kind: 'rsa', hash: 'sha224' },
  '1.2.840.113549.1.1.11': { kind: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { kind: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { kind: 'rsa', hash: 'sha512' },
  '1.2.840.113549.1.1.10': { kind: 'pss', hash: null },
  '1.2.840.10045.4.1': { kind: 'ecdsa', hash: 'sha1' },
  '1.2.840.10045.4.3.1': { kind: 'ecdsa', hash: 'sha224' },
  '1.2.840.10045.4.3.2': { kind: 'ecdsa', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { kind: 'ecdsa', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { kind: 'ecdsa', hash: 'sha512' },
  '1.3.101.112': { kind: 'eddsa', hash: null },
  '1.3.101.113': { kind: 'eddsa', hash: null },
};

const KEY_TYPES: Record<Scheme['kind'], string[]> = {
  rsa: ['rsa'],
  pss: ['rsa', 'rsa-pss'],
  ecdsa: ['ec'],
  eddsa: ['ed25519', 'ed448'],
};

const EC_BITS: Record<string, number> = {
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
  secp224r1: 224,
};

/** Checks `signature` over `signed` with the issuer's key; returns null or what is wrong. */
export function checkSignature(
  signed: Uint8Array,
  alg: AlgorithmId,
  signature: Uint8Array,
  key: KeyObject,
): string | null {
  const scheme = SCHEMES[alg.oid];
  if (!scheme) return `its signature algorithm ${alg.oid} is not supported`;
  if (!KEY_TYPES[scheme.kind].includes(key.asymmetricKeyType ?? '')) {
    return "its signature does not fit the issuer's key type";
  }

  try {
    const ok =
      scheme.kind === 'pss'
        ? verifyPss(signed, alg, signature, key)
        : cryptoVerify(
            scheme.hash,
            signed,
            { key, dsaEncoding: 'der', padding: constants.RSA_PKCS1_PADDING },
            signature,
          );
    return ok ? null : "its signature does not verify with the issuer's key";
  } catch {
    return "its signature does not verify with the issuer's key";
  }
}

/** A digest too weak for the level (OpenSSL 3 rejects MD5 and SHA-1 from level 1 up). */
export function weakDigest(alg: AlgorithmId): string | null {
  const hash = SCHEMES[alg.oid]?.hash;
  return hash === 'sha1' || hash === 'md5'
    ? `it is signed with ${hash.toUpperCase()}, which is too weak`
    : null;
}

/** A key too small for the level, or EC parameters that are not a named curve (RFC 5480 section 2.1.1). */
export function weakKey(
  key: KeyObject | null,
  keyAlgorithm: AlgorithmId,
  level: SecurityLevel,
): string | null {
  if (keyAlgorithm.oid === '1.2.840.10045.2.1' && keyAlgorithm.params?.[0] !== 0x06) {
    return 'its EC key uses explicit curve parameters instead of a named curve';
  }
  if (!key) return null;

  const details = key.asymmetricKeyDetails ?? {};
  const minRsa = level >= 2 ? 2048 : 1024;
  if (
    (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') &&
    (details.modulusLength ?? 0) < minRsa
  ) {
    return `its RSA key has ${details.modulusLength} bits, below the ${minRsa} that security level ${level} requires`;
  }
  if (
    key.asymmetricKeyType === 'ec' &&
    (EC_BITS[details.namedCurve ?? ''] ?? 0) < (level >= 2 ? 224 : 160)
  ) {
    return `its EC curve ${details.namedCurve ?? 'unknown'} is not accepted`;
  }
  return null;
}

function verifyPss(
  signed: Uint8Array,
  alg: AlgorithmId,
  signature: Uint8Array,
  key: KeyObject,
): boolean {
  const params = readPssParams(alg.params);
  if (!params) return false;

  return cryptoVerify(
    params.hash,
    signed,
    {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: params.saltLength,
    },
    signature,
  );
}

/** RSASSA-PSS-params (RFC 4055 section 3.1); only MGF1 with the same digest is supported. */
function readPssParams(der: Uint8Array | null): { hash: string; saltLength: number } | null {
  if (!der) return null;
  let decoded: asn1js.AsnType;
  try {
    decoded = decodeDer(der, 'RSASSA-PSS parameters');
  } catch {
    return null;
  }
  if (!(decoded instanceof asn1js.Sequence)) return null;

  let hash = 'sha1';
  let mgfHash = 'sha1';
  let saltLength = 20;
  for (const part of decoded.valueBlock.value) {
    const inner = (part as asn1js.Constructed).valueBlock.value?.[0];
    const tag = (part as asn1js.BaseBlock).idBlock.tagNumber;
    if (tag === 0) hash = HASHES[algorithmOid(inner)] ?? '';
    if (tag === 1) {
      mgfHash = HASHES[algorithmOid((inner as asn1js.Sequence)?.valueBlock.value[1])] ?? '';
    }
    if (tag === 2 && inner instanceof asn1js.Integer) saltLength = inner.valueBlock.valueDec;
  }
  return hash && hash === mgfHash ? { hash, saltLength } : null;
}

function algorithmOid(block: asn1js.AsnType | undefined): string {
  const oid = (block as asn1js.Sequence | undefined)?.valueBlock.value[0];
  return oid instanceof asn1js.ObjectIdentifier ? oid.valueBlock.toString() : '';
}
