// Distinguished names as they are encoded: each attribute keeps its ASN.1 string type and raw
// bytes, so identity never comes from a rendered string. Also owns text decoding, the RFC 4514
// rendering and the name comparison used to link a certificate to its issuer.

import * as asn1js from 'asn1js';
import { decodeDer } from './der.ts';

export interface NameAttribute {
  /** Dotted OID of the attribute type. */
  type: string;
  /** Universal tag number of the value (12 UTF8String, 19 PrintableString, 30 BMPString, …). */
  tag: number;
  /** The value's content octets, exactly as encoded. */
  raw: Uint8Array;
}

export interface DistinguishedName {
  der: Uint8Array;
  /** RDNs in encoded order (most significant first); each RDN holds one or more attributes. */
  rdns: NameAttribute[][];
  /** Comparison form (RFC 5280 section 7.1): equal keys mean the names match. */
  key: string;
}

export type TextResult = { ok: true; text: string } | { ok: false; why: string };

export const Oid = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  emailAddress: '1.2.840.113549.1.9.1',
} as const;

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '2.5.4.5': 'serialNumber',
  '2.5.4.4': 'SN',
  '2.5.4.42': 'givenName',
  '2.5.4.12': 'title',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads an encoded Name (an RDNSequence). Throws when the bytes are not one. */
export function parseName(der: Uint8Array): DistinguishedName {
  const seq = decodeDer(der, 'name');
  if (!(seq instanceof asn1js.Sequence)) throw new Error('name is not a SEQUENCE');
  return nameFromBlock(seq, der);
}

/** Builds a name from an already decoded asn1js SEQUENCE. */
export function nameFromBlock(seq: asn1js.Sequence, der: Uint8Array): DistinguishedName {
  const rdns = seq.valueBlock.value.map((set) => {
    if (!(set instanceof asn1js.Set) || set.valueBlock.value.length === 0) {
      throw new Error('malformed RDN');
    }
    return set.valueBlock.value.map(readAttribute);
  });
  return { der, rdns, key: comparisonKey(rdns) };
}

function readAttribute(block: asn1js.AsnType): NameAttribute {
  if (!(block instanceof asn1js.Sequence) || block.valueBlock.value.length !== 2) {
    throw new Error('malformed attribute');
  }
  const [type, value] = block.valueBlock.value as [asn1js.AsnType, asn1js.BaseBlock];
  if (!(type instanceof asn1js.ObjectIdentifier)) throw new Error('malformed attribute type');

  const universal = value.idBlock.tagClass === 1 && !value.idBlock.isConstructed;
  return {
    type: type.valueBlock.toString(),
    tag: universal ? value.idBlock.tagNumber : -1,
    raw: contentOf(value),
  };
}

/** The content octets of a decoded element (everything after its tag and length). */
export function contentOf(block: asn1js.BaseBlock): Uint8Array {
  const whole = block.valueBeforeDecodeView;
  return whole.subarray(block.idBlock.blockLength + block.lenBlock.blockLength);
}

/** Decodes a string attribute to text, refusing bytes that are not valid in its string type. */
export function decodeText(attr: Pick<NameAttribute, 'tag' | 'raw'>): TextResult {
  const bytes = Buffer.from(attr.raw.buffer, attr.raw.byteOffset, attr.raw.byteLength);
  switch (attr.tag) {
    case 12:
      try {
        return { ok: true, text: utf8.decode(bytes) };
      } catch {
        return { ok: false, why: 'is not valid UTF-8' };
      }
    case 19: // PrintableString
    case 22: // IA5String
    case 26: // VisibleString
      return bytes.every((b) => b < 0x80)
        ? { ok: true, text: bytes.toString('latin1') }
        : { ok: false, why: 'holds bytes outside ASCII' };
    case 20: // TeletexString: read as Latin-1, as OpenSSL does
      return { ok: true, text: bytes.toString('latin1') };
    case 30:
      return decodeBmp(bytes);
    case 28:
      return decodeUniversal(bytes);
    default:
      return { ok: false, why: `is not a text string (ASN.1 tag ${attr.tag})` };
  }
}

/** Text without control characters, or the reason it is not acceptable as an identity. */
export function decodeIdentityText(attr: Pick<NameAttribute, 'tag' | 'raw'>): TextResult {
  const result = decodeText(attr);
  if (!result.ok) return result;

  if (CONTROL.test(result.text)) return { ok: false, why: 'contains control characters' };
  return result;
}

function decodeBmp(bytes: Buffer): TextResult {
  if (bytes.length % 2 !== 0) return { ok: false, why: 'is not valid BMPString (odd length)' };

  let text = '';
  for (let i = 0; i < bytes.length; i += 2) {
    const unit = bytes.readUInt16BE(i);
    // BMPString is UCS-2: surrogate code units have no meaning in it.
    if (unit >= 0xd800 && unit <= 0xdfff) {
      return { ok: false, why: 'is not valid BMPString (surrogate)' };
    }
    text += String.fromCharCode(unit);
  }
  return { ok: true, text };
}

function decodeUniversal(bytes: Buffer): TextResult {
  if (bytes.length % 4 !== 0) return { ok: false, why: 'is not valid UniversalString (length)' };

  let text = '';
  for (let i = 0; i < bytes.length; i += 4) {
    const point = bytes.readUInt32BE(i);
    if (point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff)) {
      return { ok: false, why: 'is not valid UniversalString (code point)' };
    }
    text += String.fromCodePoint(point);
  }
  return { ok: true, text };
}

/**
 * RFC 4514 string of a name: RDNs last-to-first, known types by short name, others as dotted
 * OID with a #hex value. Characters below U+0020 and U+007F-U+009F are hex-escaped so a
 * rendered name is always safe to log.
 */
export function formatName(name: DistinguishedName): string {
  return [...name.rdns]
    .reverse()
    .map((rdn) => rdn.map(formatAttribute).join('+'))
    .join(',');
}

function formatAttribute(attr: NameAttribute): string {
  const short = SHORT_NAMES[attr.type];
  const text = decodeText(attr);
  if (!short || !text.ok) return `${short ?? attr.type}=#${encodedHex(attr)}`;

  return `${short}=${escapeValue(text.text)}`;
}

function encodedHex(attr: NameAttribute): string {
  const length = attr.raw.byteLength;
  const lengthBytes = length < 0x80 ? [length] : lengthOctets(length);
  return Buffer.concat([
    Buffer.from([attr.tag < 0 ? 0x04 : attr.tag, ...lengthBytes]),
    attr.raw,
  ]).toString('hex');
}

function lengthOctets(length: number): number[] {
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function escapeValue(value: string): string {
  let out = '';
  for (const [i, ch] of [...value].entries()) {
    const edge =
      (i === 0 && (ch === ' ' || ch === '#')) || (i === [...value].length - 1 && ch === ' ');
    if (edge || '"+,;<>\\'.includes(ch)) out += '\\' + ch;
    else if (CONTROL.test(ch)) {
      out += [...Buffer.from(ch, 'utf8')]
        .map((b) => '\\' + b.toString(16).padStart(2, '0'))
        .join('');
    } else out += ch;
  }
  return out;
}

/**
 * RFC 5280 section 7.1: names compare attribute by attribute; string values compare after
 * case folding and collapsing white space. Values that are not text compare as bytes.
 */
function comparisonKey(rdns: NameAttribute[][]): string {
  return JSON.stringify(
    rdns.map((rdn) =>
      rdn
        .map((attr) => {
          const text = decodeText(attr);
          const value = text.ok
            ? 's:' + text.text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim()
            : 'b:' + Buffer.from(attr.raw).toString('hex');
          return attr.type + '=' + value;
        })
        .sort(),
    ),
  );
}

/** All values of one attribute type, in encoded order. */
export function attributesOf(name: DistinguishedName, type: string): NameAttribute[] {
  return name.rdns.flat().filter((attr) => attr.type === type);
}
