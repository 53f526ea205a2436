// GeneralName values (subjectAltName entries, name-constraint bases) read with their raw
// bytes, because IP masks, directory names and exact IA5 text all matter to the checks.

import * as asn1js from 'asn1js';
import { decodeDer } from './der.ts';
import { contentOf, nameFromBlock, type DistinguishedName } from './names.ts';

export type GeneralNameType =
  'other' | 'email' | 'dns' | 'x400' | 'dn' | 'edi' | 'uri' | 'ip' | 'rid';

export interface GeneralName {
  type: GeneralNameType;
  /** Content octets (for dn: the Name's DER). */
  raw: Uint8Array;
  /** IA5 text for email, dns and uri; undefined when the bytes are not ASCII. */
  text?: string;
  dn?: DistinguishedName;
}

const TYPES: GeneralNameType[] = ['other', 'email', 'dns', 'x400', 'dn', 'edi', 'uri', 'ip', 'rid'];

/** Parses a GeneralNames SEQUENCE (RFC 5280 section 4.2.1.6). Throws on malformed input. */
export function parseGeneralNames(der: Uint8Array): GeneralName[] {
  const decoded = decodeDer(der, 'GeneralNames');
  if (!(decoded instanceof asn1js.Sequence)) throw new Error('malformed GeneralNames');
  return decoded.valueBlock.value.map(readGeneralName);
}

/** Reads one GeneralName from its decoded context-tagged element. */
export function readGeneralName(block: asn1js.AsnType): GeneralName {
  const id = (block as asn1js.BaseBlock).idBlock;
  const type = TYPES[id.tagNumber];
  if (id.tagClass !== 3 || type === undefined) throw new Error('malformed GeneralName');

  const raw = contentOf(block as asn1js.BaseBlock);
  if (type === 'dn') return { type, raw, dn: readDirectoryName(block) };
  if (type === 'email' || type === 'dns' || type === 'uri') {
    if (id.isConstructed) throw new Error('malformed GeneralName');
    const ascii = raw.every((b) => b < 0x80);
    return ascii ? { type, raw, text: Buffer.from(raw).toString('latin1') } : { type, raw };
  }
  if (type === 'ip' && id.isConstructed) throw new Error('malformed GeneralName');
  return { type, raw };
}

function readDirectoryName(block: asn1js.AsnType): DistinguishedName {
  // directoryName is an explicit tag: [4] { Name }.
  const inner = (block as asn1js.Constructed).valueBlock.value;
  const seq = inner?.[0];
  if (inner?.length !== 1 || !(seq instanceof asn1js.Sequence)) {
    throw new Error('malformed directoryName');
  }
  return nameFromBlock(seq, new Uint8Array(seq.valueBeforeDecodeView));
}

/** An IPv4 or IPv6 address as text, for messages. */
export function formatIp(raw: Uint8Array): string {
  if (raw.byteLength === 4) return [...raw].join('.');
  if (raw.byteLength !== 16) return Buffer.from(raw).toString('hex');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((raw[i]! << 8) | raw[i + 1]!).toString(16));
  return groups.join(':');
}

/** A general name in words, for refusal reasons. */
export function describeGeneralName(name: GeneralName): string {
  if (name.text !== undefined) return `${name.type}:${JSON.stringify(name.text).slice(1, -1)}`;
  if (name.type === 'ip') return `ip:${formatIp(name.raw)}`;
  return `${name.type} name`;
}
