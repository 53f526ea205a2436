// Reads one DER CRL (RFC 5280 section 5) into its issuer, dates, number and revoked serials,
// with the defects that make it unusable for revocation checking.

import * as asn1js from 'asn1js';
import { decodeDer } from './der.ts';
import { createHash } from 'node:crypto';
import { nameFromBlock, formatName, type DistinguishedName } from './names.ts';
import { bytesEqual, isoSeconds, type AlgorithmId } from './parse-cert.ts';

export interface ParsedCrl {
  der: Buffer;
  fingerprint: string;
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmId;
  signature: Uint8Array;
  issuer: DistinguishedName;
  issuerLabel: string;
  thisUpdate: Date;
  nextUpdate: Date | null;
  number: bigint | null;
  akiKeyId: Uint8Array | null;
  /** Revoked serial numbers (hex of the encoded INTEGER) and their revocation dates. */
  revoked: Map<string, Date>;
  /** Why the CRL cannot be used (empty when none). */
  defects: string[];
}

const CRL_NUMBER = '2.5.29.20';
const AKI = '2.5.29.35';
const DELTA = '2.5.29.27';
const IDP = '2.5.29.28';
const KNOWN_CRL_EXTENSIONS = new Set([
  CRL_NUMBER,
  AKI,
  '2.5.29.18',
  '2.5.29.46',
  '1.3.6.1.5.5.7.1.1',
]);
const KNOWN_ENTRY_EXTENSIONS = new Set(['2.5.29.21', '2.5.29.24']);

/** Parses a CRL; throws only when its outer structure is unreadable. */
export function parseCrl(der: Uint8Array): ParsedCrl {
  const bytes = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const outer = decodeDer(bytes, 'CRL');
  if (!(outer instanceof asn1js.Sequence)) throw new Error('not a DER CRL');

  const [tbsBlock, algBlock, sigBlock] = outer.valueBlock.value;
  if (!(tbsBlock instanceof asn1js.Sequence) || !(sigBlock instanceof asn1js.BitString)) {
    throw new Error('malformed CRL');
  }
  const items = [...tbsBlock.valueBlock.value];
  if (items[0] instanceof asn1js.Integer) items.shift();

  const [innerAlg, issuerBlock, thisBlock, ...rest] = items;
  if (!(issuerBlock instanceof asn1js.Sequence)) throw new Error('malformed CRL issuer');
  const issuer = nameFromBlock(issuerBlock, issuerBlock.valueBeforeDecodeView);
  const nextUpdate =
    rest[0] instanceof asn1js.UTCTime || rest[0] instanceof asn1js.GeneralizedTime
      ? readTime(rest.shift())
      : null;
  const entries =
    rest[0] instanceof asn1js.Sequence ? (rest.shift() as asn1js.Sequence).valueBlock.value : [];
  const extensions = readExtensionList(rest[0]);

  const signatureAlgorithm = readAlgorithm(algBlock);
  const crl: ParsedCrl = {
    der: bytes,
    fingerprint: createHash('sha256').update(bytes).digest('hex'),
    tbs: tbsBlock.valueBeforeDecodeView,
    signatureAlgorithm,
    signature: sigBlock.valueBlock.valueHexView,
    issuer,
    issuerLabel: formatName(issuer),
    thisUpdate: readTime(thisBlock),
    nextUpdate,
    number: null,
    akiKeyId: null,
    revoked: new Map(),
    defects: [],
  };
  if (!bytesEqual(signatureAlgorithm.der, readAlgorithm(innerAlg).der)) {
    crl.defects.push('its two signature algorithm fields differ');
  }
  readCrlExtensions(crl, extensions);
  readEntries(crl, entries);
  return crl;
}

function readCrlExtensions(
  crl: ParsedCrl,
  extensions: Array<{ oid: string; critical: boolean; value: Uint8Array }>,
): void {
  for (const { oid, critical, value } of extensions) {
    if (oid === CRL_NUMBER) {
      // RFC 5280 section 5.2.3: the CRL number is a non-critical extension.
      if (critical) crl.defects.push('its CRL number extension is marked critical');
      const int = decodeDer(value, 'CRL number');
      if (int instanceof asn1js.Integer) {
        crl.number = BigInt(
          '0x' + (Buffer.from(int.valueBlock.valueHexView).toString('hex') || '0'),
        );
      }
    } else if (oid === AKI) {
      const seq = decodeDer(value, 'CRL authority key identifier') as asn1js.Sequence;
      const keyId = seq.valueBlock?.value.find(
        (b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0,
      );
      crl.akiKeyId = keyId ? (keyId as asn1js.Primitive).valueBlock.valueHexView : null;
    } else if (oid === DELTA) {
      crl.defects.push('it is a delta CRL, which certgate does not support');
    } else if (oid === IDP) {
      // LIMITATION: partitioned and indirect CRLs (issuingDistributionPoint) are not supported;
      // such a CRL is refused at load time instead of being applied partially.
      crl.defects.push(
        'it has an issuingDistributionPoint (partitioned CRL), which certgate does not support',
      );
    } else if (critical && !KNOWN_CRL_EXTENSIONS.has(oid)) {
      crl.defects.push(`it has an unknown critical extension ${oid}`);
    }
  }
  // RFC 5280 sections 5.1.2.5 and 5.2.3: conforming CRLs carry nextUpdate and a CRL number.
  if (crl.number === null) crl.defects.push('it has no CRL number');
  if (crl.nextUpdate === null) crl.defects.push('it has no nextUpdate');
}

function readEntries(crl: ParsedCrl, entries: asn1js.AsnType[]): void {
  for (const entry of entries) {
    if (!(entry instanceof asn1js.Sequence)) throw new Error('malformed CRL entry');
    const [serial, date, extBlock] = entry.valueBlock.value;
    if (!(serial instanceof asn1js.Integer)) throw new Error('malformed CRL entry');
    crl.revoked.set(Buffer.from(serial.valueBlock.valueHexView).toString('hex'), readTime(date));

    for (const ext of extBlock ? readExtensionList(extBlock, false) : []) {
      if (ext.oid === '2.5.29.29') {
        crl.defects.push(
          'it is an indirect CRL (certificateIssuer), which certgate does not support',
        );
      } else if (ext.critical && !KNOWN_ENTRY_EXTENSIONS.has(ext.oid)) {
        crl.defects.push(`an entry has an unknown critical extension ${ext.oid}`);
      }
    }
  }
}

function readExtensionList(
  block: asn1js.AsnType | undefined,
  explicit = true,
): Array<{ oid: string; critical: boolean; value: Uint8Array }> {
  if (!block) return [];
  const seq = explicit ? (block as asn1js.Constructed).valueBlock.value[0] : block;
  if (!(seq instanceof asn1js.Sequence)) throw new Error('malformed CRL extensions');

  return seq.valueBlock.value.map((item) => {
    const [oid, second, third] = (item as asn1js.Sequence).valueBlock.value;
    const critical = second instanceof asn1js.Boolean ? second.valueBlock.value : false;
    const octets = second instanceof asn1js.Boolean ? third : second;
    if (!(oid instanceof asn1js.ObjectIdentifier) || !(octets instanceof asn1js.OctetString)) {
      throw new Error('malformed CRL extension');
    }
    return { oid: oid.valueBlock.toString(), critical, value: octets.valueBlock.valueHexView };
  });
}

function readAlgorithm(block: asn1js.AsnType | undefined): AlgorithmId {
  if (!(block instanceof asn1js.Sequence)) throw new Error('malformed CRL algorithm');
  const [oid, params] = block.valueBlock.value;
  if (!(oid instanceof asn1js.ObjectIdentifier)) throw new Error('malformed CRL algorithm');
  return {
    oid: oid.valueBlock.toString(),
    params: params ? params.valueBeforeDecodeView : null,
    der: block.valueBeforeDecodeView,
  };
}

function readTime(block: asn1js.AsnType | undefined): Date {
  if (block instanceof asn1js.UTCTime || block instanceof asn1js.GeneralizedTime) {
    return block.toDate();
  }
  throw new Error('malformed CRL time');
}

/** A CRL in words, for messages: issuer, number and dates. */
export function describeCrl(crl: ParsedCrl): string {
  const number = crl.number === null ? 'without number' : `#${crl.number}`;
  return `CRL ${number} of '${crl.issuerLabel}' (thisUpdate ${isoSeconds(crl.thisUpdate)})`;
}
