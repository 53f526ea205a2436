// The certificate extensions path validation understands (RFC 5280 section 4.2), parsed with
// @peculiar/asn1-x509 or asn1js, plus the defects that make a certificate unusable anywhere.

import * as asn1js from 'asn1js';
import { decodeDer } from './der.ts';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as schema from '@peculiar/asn1-x509';
import { parseGeneralNames, readGeneralName, type GeneralName } from './general-names.ts';

export interface RawExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

export interface NameConstraintSet {
  permitted: GeneralName[] | null;
  excluded: GeneralName[] | null;
}

export interface CertExtensions {
  list: RawExtension[];
  basicConstraints?: { ca: boolean; pathLen: number | null; critical: boolean };
  keyUsage?: number;
  eku?: string[];
  san?: GeneralName[];
  sanCritical?: boolean;
  nameConstraints?: NameConstraintSet;
  akiKeyId?: Uint8Array | null;
  ski?: Uint8Array;
  /** certificatePolicies OIDs (2.5.29.32.0 is anyPolicy). */
  policies?: string[];
  /** policyMappings as [issuerDomainPolicy, subjectDomainPolicy] pairs. */
  policyMappings?: Array<[string, string]>;
  requireExplicitPolicy?: number | null;
  inhibitPolicyMapping?: number | null;
  inhibitAnyPolicy?: number;
  defects: string[];
}

export const ExtOid = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  nameConstraints: '2.5.29.30',
  authorityKeyId: '2.5.29.35',
  subjectKeyId: '2.5.29.14',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  certificatePolicies: '2.5.29.32',
  policyConstraints: '2.5.29.36',
  policyMappings: '2.5.29.33',
  inhibitAnyPolicy: '2.5.29.54',
  crlDistributionPoints: '2.5.29.31',
  issuerAltName: '2.5.29.18',
  freshestCrl: '2.5.29.46',
  subjectInfoAccess: '1.3.6.1.5.5.7.1.11',
  subjectDirectoryAttributes: '2.5.29.9',
  sctList: '1.3.6.1.4.1.11129.2.4.2',
} as const;

export const KeyUsageBit = { digitalSignature: 1, keyCertSign: 32, cRLSign: 64 } as const;

/** Extensions RFC 5280 says conforming CAs MUST mark non-critical. */
const MUST_BE_NONCRITICAL: Record<string, string> = {
  [ExtOid.authorityKeyId]: 'authorityKeyIdentifier (RFC 5280 section 4.2.1.1)',
  [ExtOid.subjectKeyId]: 'subjectKeyIdentifier (RFC 5280 section 4.2.1.2)',
  [ExtOid.authorityInfoAccess]: 'authorityInfoAccess (RFC 5280 section 4.2.2.1)',
};

/** Parsers for each understood extension; each throws when the value is malformed. */
const PARSERS: Record<string, (value: Uint8Array, ext: CertExtensions, critical: boolean) => void> =
  {
    [ExtOid.basicConstraints]: (v, ext, critical) => {
      const bc = AsnConvert.parse(v, schema.BasicConstraints);
      ext.basicConstraints = { ca: bc.cA, pathLen: bc.pathLenConstraint ?? null, critical };
    },
    [ExtOid.keyUsage]: (v, ext) => {
      ext.keyUsage = AsnConvert.parse(v, schema.KeyUsage).toNumber();
    },
    [ExtOid.extKeyUsage]: (v, ext) => {
      ext.eku = [...AsnConvert.parse(v, schema.ExtendedKeyUsage)];
      // RFC 5280 section 4.2.1.12: KeyPurposeId list is SIZE (1..MAX).
      if (ext.eku.length === 0) throw new Error('empty');
    },
    [ExtOid.subjectAltName]: (v, ext, critical) => {
      ext.san = parseGeneralNames(v);
      ext.sanCritical = critical;
      // RFC 5280 section 4.2.1.6: GeneralNames is SIZE (1..MAX).
      if (ext.san.length === 0) throw new Error('empty');
    },
    [ExtOid.nameConstraints]: (v, ext) => {
      ext.nameConstraints = parseNameConstraints(v);
    },
    [ExtOid.authorityKeyId]: (v, ext) => {
      const aki = AsnConvert.parse(v, schema.AuthorityKeyIdentifier);
      ext.akiKeyId = aki.keyIdentifier ? new Uint8Array(aki.keyIdentifier.buffer) : null;
    },
    [ExtOid.subjectKeyId]: (v, ext) => {
      ext.ski = new Uint8Array(AsnConvert.parse(v, schema.SubjectKeyIdentifier).buffer);
    },
    [ExtOid.authorityInfoAccess]: (v) => {
      AsnConvert.parse(v, schema.AuthorityInfoAccessSyntax);
    },
    [ExtOid.certificatePolicies]: (v, ext) => {
      ext.policies = AsnConvert.parse(v, schema.CertificatePolicies).map((p) => p.policyIdentifier);
    },
    [ExtOid.policyConstraints]: (v, ext) => {
      const pc = AsnConvert.parse(v, schema.PolicyConstraints);
      ext.requireExplicitPolicy = pc.requireExplicitPolicy
        ? skipCerts(pc.requireExplicitPolicy)
        : null;
      ext.inhibitPolicyMapping = pc.inhibitPolicyMapping
        ? skipCerts(pc.inhibitPolicyMapping)
        : null;
    },
    [ExtOid.policyMappings]: (v, ext) => {
      ext.policyMappings = AsnConvert.parse(v, schema.PolicyMappings).map((m) => [
        m.issuerDomainPolicy,
        m.subjectDomainPolicy,
      ]);
    },
    [ExtOid.inhibitAnyPolicy]: (v, ext) => {
      ext.inhibitAnyPolicy = skipCerts(AsnConvert.parse(v, schema.InhibitAnyPolicy).value);
    },
    [ExtOid.crlDistributionPoints]: (v) => {
      AsnConvert.parse(v, schema.CRLDistributionPoints);
    },
    [ExtOid.issuerAltName]: (v) => {
      parseGeneralNames(v);
    },
    [ExtOid.freshestCrl]: (v) => {
      AsnConvert.parse(v, schema.FreshestCRL);
    },
    [ExtOid.subjectInfoAccess]: (v) => {
      AsnConvert.parse(v, schema.SubjectInfoAccessSyntax);
    },
    [ExtOid.subjectDirectoryAttributes]: () => {},
    [ExtOid.sctList]: () => {},
  };

/** Reads the extensions SEQUENCE of a certificate (null when it has none). */
export function readExtensions(seq: asn1js.Sequence | null): CertExtensions {
  const ext: CertExtensions = { list: [], defects: [] };
  for (const item of seq?.valueBlock.value ?? []) ext.list.push(readRaw(item));
  if (seq && ext.list.length === 0) ext.defects.push('its extensions field is empty');

  const seen = new Set<string>();
  for (const { oid, critical, value } of ext.list) {
    // RFC 5280 section 4.2: a certificate MUST NOT include more than one instance of an extension.
    if (seen.has(oid)) ext.defects.push(`it carries the extension ${oid} twice`);
    seen.add(oid);
    checkOne(ext, oid, critical, value);
  }
  return ext;
}

function checkOne(ext: CertExtensions, oid: string, critical: boolean, value: Uint8Array): void {
  const parse = PARSERS[oid];
  if (!parse) {
    // RFC 5280 section 4.2: a critical extension that is not recognised MUST cause rejection.
    if (critical) ext.defects.push(`it has an unknown critical extension ${oid}`);
    return;
  }

  try {
    parse(value, ext, critical);
    assertDer(value);
  } catch (err) {
    const tooLarge = /Maximum ASN\.1/.test((err as Error).message);
    ext.defects.push(
      `its ${nameOf(oid)} extension is ${tooLarge ? 'too large to read' : 'malformed'}`,
    );
    return;
  }

  const rule = MUST_BE_NONCRITICAL[oid];
  if (critical && rule) ext.defects.push(`it marks ${rule} critical`);
}

function readRaw(item: asn1js.AsnType): RawExtension {
  if (!(item instanceof asn1js.Sequence)) throw new Error('malformed extension');
  const parts = item.valueBlock.value;
  const [oid, second, third] = parts;
  if (!(oid instanceof asn1js.ObjectIdentifier)) throw new Error('malformed extension');

  const critical = second instanceof asn1js.Boolean ? second.valueBlock.value : false;
  const octets = second instanceof asn1js.Boolean ? third : second;
  if (!(octets instanceof asn1js.OctetString)) throw new Error('malformed extension');
  return { oid: oid.valueBlock.toString(), critical, value: octets.valueBlock.valueHexView };
}

function parseNameConstraints(value: Uint8Array): NameConstraintSet {
  const decoded = decodeDer(value, 'name constraints');
  if (!(decoded instanceof asn1js.Sequence)) throw new Error('malformed');

  const result: NameConstraintSet = { permitted: null, excluded: null };
  for (const part of decoded.valueBlock.value) {
    const tag = (part as asn1js.BaseBlock).idBlock.tagNumber;
    const subtrees = (part as asn1js.Constructed).valueBlock.value ?? [];
    // RFC 5280 section 4.2.1.10: GeneralSubtrees is SIZE (1..MAX).
    if (subtrees.length === 0) throw new Error('empty subtrees');
    const bases = subtrees.map(readSubtree);
    if (tag === 0) result.permitted = bases;
    else if (tag === 1) result.excluded = bases;
    else throw new Error('malformed');
  }
  // RFC 5280 section 4.2.1.10: CAs MUST NOT issue an empty name-constraints sequence.
  if (!result.permitted && !result.excluded) throw new Error('empty');
  return result;
}

function readSubtree(item: asn1js.AsnType): GeneralName {
  if (!(item instanceof asn1js.Sequence)) throw new Error('malformed subtree');
  const [base, ...bounds] = item.valueBlock.value;
  // RFC 5280 section 4.2.1.10: minimum MUST be zero and maximum MUST be absent.
  if (!base || bounds.length > 0) throw new Error('subtree bounds are not allowed');
  return readGeneralName(base);
}

/** Rejects trailing bytes after the value (BER lets parsers stop early). */
function assertDer(value: Uint8Array): void {
  decodeDer(value, 'extension value');
}

/** SkipCerts ::= INTEGER (0..MAX); anything beyond any real path length counts as "never". */
function skipCerts(buffer: ArrayBuffer): number {
  const hex = Buffer.from(buffer).toString('hex');
  const value = hex ? BigInt('0x' + hex) : 0n;
  if ((Buffer.from(buffer)[0] ?? 0) & 0x80) throw new Error('negative SkipCerts');
  return value > 1000n ? 1000 : Number(value);
}

function nameOf(oid: string): string {
  const entry = Object.entries(ExtOid).find(([, value]) => value === oid);
  return entry ? entry[0] : oid;
}
