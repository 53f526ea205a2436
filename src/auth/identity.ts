// Device identity: the value a route's subjectField selects from the leaf's parsed ASN.1
// structure, checked to be clean text, and the device name its subjectPattern extracts.

import type { SubjectField } from '../config/types.ts';
import type { ParsedCert } from './parse-cert.ts';
import { attributesOf, decodeIdentityText, formatName, Oid, type TextResult } from './names.ts';
import type { GeneralNameType } from './general-names.ts';

const SAN_FIELDS: Record<string, GeneralNameType> = {
  'san:dns': 'dns',
  'san:uri': 'uri',
  'san:email': 'email',
};
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The exact value the route's pattern reads: no trimming, no case folding. */
export function subjectValue(leaf: ParsedCert, field: SubjectField): TextResult {
  if (field === 'CN') return singleAttribute(leaf, Oid.commonName, 'CN');
  if (field === 'serialNumber') return singleAttribute(leaf, Oid.serialNumber, 'serialNumber');
  if (field === 'subject') return wholeSubject(leaf);
  return singleSan(leaf, field, SAN_FIELDS[field]!);
}

function singleAttribute(leaf: ParsedCert, oid: string, label: string): TextResult {
  const values = attributesOf(leaf.subject, oid);
  if (values.length === 0) {
    return { ok: false, why: `the certificate has no ${label} in its subject` };
  }
  if (values.length > 1) {
    return {
      ok: false,
      why: `the certificate has ${values.length} ${label} attributes in its subject; exactly one is required`,
    };
  }

  const text = decodeIdentityText(values[0]!);
  return text.ok ? text : { ok: false, why: `the ${label} ${text.why}` };
}

function wholeSubject(leaf: ParsedCert): TextResult {
  for (const attr of leaf.subject.rdns.flat()) {
    const text = decodeIdentityText(attr);
    // Values that are not strings render as #hex and are fine; broken strings are not.
    if (!text.ok && attr.tag !== -1 && !text.why.startsWith('is not a text string')) {
      return { ok: false, why: `a subject attribute ${text.why}` };
    }
  }
  const rendered = formatName(leaf.subject);
  return rendered === ''
    ? { ok: false, why: 'the certificate has an empty subject' }
    : { ok: true, text: rendered };
}

function singleSan(leaf: ParsedCert, field: string, type: GeneralNameType): TextResult {
  const names = (leaf.ext.san ?? []).filter((n) => n.type === type);
  if (names.length === 0) {
    return { ok: false, why: `the certificate has no ${field} subjectAltName` };
  }
  if (names.length > 1) {
    return {
      ok: false,
      why: `the certificate has ${names.length} ${field} subjectAltNames; exactly one is required`,
    };
  }

  const text = names[0]!.text;
  if (text === undefined) {
    return { ok: false, why: `the ${field} subjectAltName holds bytes outside ASCII` };
  }
  if (CONTROL.test(text)) {
    return { ok: false, why: `the ${field} subjectAltName contains control characters` };
  }
  return { ok: true, text };
}

/**
 * Applies a route's pattern as written (unanchored unless it says ^…$). The device name is the
 * named group `name`, else group 1, else the whole match; null when nothing usable matched.
 */
export function deviceName(pattern: RegExp, value: string): string | null {
  const match = pattern.exec(value);
  if (!match) return null;

  const name =
    match.groups && 'name' in match.groups
      ? match.groups['name']
      : match.length > 1
        ? match[1]
        : match[0];
  return name ? name : null;
}

/** Compiles a configured pattern; the error text says why it does not compile. */
export function compilePattern(source: string): { pattern: RegExp } | { error: string } {
  try {
    return { pattern: new RegExp(source) };
  } catch (err) {
    return { error: `invalid regular expression: ${(err as Error).message}` };
  }
}
