// Reads one DER certificate into the facts path validation needs (RFC 5280 section 4.1), keeping
// raw bytes for the signed part, names and key. Structural defects are collected, not thrown.

import * as asn1js from 'asn1js';
import { decodeDer } from './der.ts';
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { CertSummary } from './types.ts';
import { nameFromBlock, formatName, type DistinguishedName } from './names.ts';
import { readExtensions, type CertExtensions } from './extensions.ts';

export interface AlgorithmId {
  oid: string;
  /** DER of the parameters, or null when absent. */
  params: Uint8Array | null;
  der: Uint8Array;
}

export interface ParsedCert {
  der: Buffer;
  /** SHA-256 of the DER, lower-case hex. */
  fingerprint: string;
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmId;
  signature: Uint8Array;
  version: number;
  serial: Uint8Array;
  issuer: DistinguishedName;
  subject: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  keyAlgorithm: AlgorithmId;
  /** The public key, or null when Node cannot load it (see keyProblem). */
  publicKey: KeyObject | null;
  keyProblem: string | null;
  /** RFC 5280 section 4.1.2.2 violation; not held against trust anchors, whose serial is never used. */
  serialProblem: string | null;
  ext: CertExtensions;
  /** Why this certificate can never be part of a valid path (empty when none). */
  defects: string[];
  /** Issuer and subject are the same name (RFC 5280 section 6.1: not counted for path length). */
  selfIssued: boolean;
  /** The RFC 4514 subject, for messages. */
  label: string;
  summary: CertSummary;
}

/** Parses a certificate. Throws (with a short reason) only when the outer structure is unreadable. */
export function parseCertificate(der: Uint8Array): ParsedCert {
  const bytes = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const outer = decodeDer(bytes, 'certificate');
  const [tbsBlock, sigAlgBlock, sigBlock] = sequenceItems(outer, 3, 'certificate') as [
    asn1js.AsnType,
    asn1js.AsnType,
    asn1js.AsnType,
  ];
  const tbs = readTbs(tbsBlock);
  const signatureAlgorithm = readAlgorithm(sigAlgBlock);
  if (!(sigBlock instanceof asn1js.BitString)) throw new Error('signature is not a BIT STRING');

  const ext = readExtensions(tbs.extensions);
  const defects = [...tbs.defects, ...ext.defects];
  if (!bytesEqual(signatureAlgorithm.der, tbs.signature.der)) {
    // RFC 5280 section 4.1.1.2: the outer algorithm MUST equal the signature field of the TBS.
    defects.push('its two signature algorithm fields differ');
  }

  const { key, problem } = loadKey(tbs.spki);
  const fingerprint = createHash('sha256').update(bytes).digest('hex');
  const label = formatName(tbs.subject);
  return {
    der: bytes,
    fingerprint,
    tbs: (tbsBlock as asn1js.BaseBlock).valueBeforeDecodeView,
    signatureAlgorithm,
    signature: sigBlock.valueBlock.valueHexView,
    version: tbs.version,
    serial: tbs.serial,
    issuer: tbs.issuer,
    subject: tbs.subject,
    notBefore: tbs.notBefore,
    notAfter: tbs.notAfter,
    spki: tbs.spki,
    keyAlgorithm: tbs.keyAlgorithm,
    publicKey: key,
    keyProblem: problem,
    serialProblem: tbs.serialProblem,
    ext,
    defects,
    selfIssued: tbs.issuer.key === tbs.subject.key,
    label,
    summary: {
      subject: label,
      issuer: formatName(tbs.issuer),
      serial: Buffer.from(tbs.serial).toString('hex'),
      fingerprint,
      notBefore: isoSeconds(tbs.notBefore),
      notAfter: isoSeconds(tbs.notAfter),
    },
  };
}

function readTbs(block: asn1js.AsnType) {
  const items = [...sequenceItems(block, 6, 'tbsCertificate')];
  const defects: string[] = [];

  let version = 1;
  const first = items[0] as asn1js.BaseBlock;
  if (first.idBlock.tagClass === 3 && first.idBlock.tagNumber === 0) {
    const inner = (items.shift() as asn1js.Constructed).valueBlock.value[0];
    if (!(inner instanceof asn1js.Integer)) throw new Error('malformed version');
    version = inner.valueBlock.valueDec + 1;
  }

  const [serialBlock, sigBlock, issuerBlock, validityBlock, subjectBlock, spkiBlock, ...rest] =
    items;
  if (!(serialBlock instanceof asn1js.Integer)) throw new Error('malformed serial number');
  const serial = serialBlock.valueBlock.valueHexView;
  const serialProblem = checkSerial(serial);

  const issuer = nameFromBlock(
    asSequence(issuerBlock, 'issuer'),
    asSequence(issuerBlock, 'issuer').valueBeforeDecodeView,
  );
  const subject = nameFromBlock(
    asSequence(subjectBlock, 'subject'),
    asSequence(subjectBlock, 'subject').valueBeforeDecodeView,
  );
  // RFC 5280 section 4.1.2.4: the issuer field MUST contain a non-empty name.
  if (issuer.rdns.length === 0) defects.push('its issuer name is empty');

  const [notBefore, notAfter] = sequenceItems(validityBlock, 2, 'validity').map(readTime) as [
    Date,
    Date,
  ];
  const spkiSeq = asSequence(spkiBlock, 'subjectPublicKeyInfo');
  const keyAlgorithm = readAlgorithm(spkiSeq.valueBlock.value[0]);

  const extensionsBlock = rest.find(
    (b) =>
      (b as asn1js.BaseBlock).idBlock.tagClass === 3 &&
      (b as asn1js.BaseBlock).idBlock.tagNumber === 3,
  );
  const extensions = extensionsBlock
    ? asSequence((extensionsBlock as asn1js.Constructed).valueBlock.value[0], 'extensions')
    : null;
  if (extensions && version !== 3) {
    defects.push(`it is a version ${version} certificate with extensions`);
  }

  return {
    version,
    serial,
    serialProblem,
    defects,
    issuer,
    subject,
    notBefore,
    notAfter,
    keyAlgorithm,
    extensions,
    signature: readAlgorithm(sigBlock),
    spki: spkiSeq.valueBeforeDecodeView,
  };
}

/** RFC 5280 section 4.1.2.2: a positive integer of at most 20 octets. */
function checkSerial(serial: Uint8Array): string | null {
  if (serial.byteLength > 20) return 'its serial number is longer than 20 octets';
  if ((serial[0] ?? 0) & 0x80) return 'its serial number is negative';
  if (serial.every((b) => b === 0)) return 'its serial number is zero';
  return null;
}

function readAlgorithm(block: asn1js.AsnType | undefined): AlgorithmId {
  const seq = asSequence(block, 'algorithm identifier');
  const [oid, params] = seq.valueBlock.value;
  if (!(oid instanceof asn1js.ObjectIdentifier)) throw new Error('malformed algorithm identifier');
  return {
    oid: oid.valueBlock.toString(),
    params: params ? params.valueBeforeDecodeView : null,
    der: seq.valueBeforeDecodeView,
  };
}

function readTime(block: asn1js.AsnType): Date {
  if (block instanceof asn1js.UTCTime || block instanceof asn1js.GeneralizedTime) {
    return block.toDate();
  }
  throw new Error('malformed validity time');
}

function loadKey(spki: Uint8Array): { key: KeyObject | null; problem: string | null } {
  try {
    return {
      key: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
      problem: null,
    };
  } catch (err) {
    return { key: null, problem: `its public key cannot be loaded (${(err as Error).message})` };
  }
}

function sequenceItems(
  block: asn1js.AsnType | undefined,
  min: number,
  what: string,
): asn1js.AsnType[] {
  const items = asSequence(block, what).valueBlock.value;
  if (items.length < min) throw new Error(`malformed ${what}`);
  return items;
}

function asSequence(block: asn1js.AsnType | undefined, what: string): asn1js.Sequence {
  if (!(block instanceof asn1js.Sequence)) throw new Error(`malformed ${what}`);
  return block;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** ISO 8601 in whole seconds, as operators read it in messages. */
export function isoSeconds(date: Date): string {
  return Number.isNaN(date.getTime()) ? String(date) : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
