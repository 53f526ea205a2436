// Name constraints (RFC 5280 sections 4.2.1.10 and 6.1.4 (g)): every name of every certificate
// below a constraining CA must lie inside its permitted subtrees and outside its excluded ones.

import type { ParsedCert } from './parse-cert.ts';
import type { NameConstraintSet } from './extensions.ts';
import { describeGeneralName, type GeneralName } from './general-names.ts';
import { attributesOf, decodeText, Oid, type DistinguishedName } from './names.ts';

/** Upper bound on name-by-subtree comparisons for one path, against crafted certificates. */
const MAX_COMPARISONS = 65_536;

// LIMITATION: otherName, x400Address, ediPartyName and registeredID constraints are not
// evaluated; a certificate carrying a name of such a form under such a constraint is refused
// (RFC 5280 section 4.2.1.10 allows exactly that), and one without such a name is unaffected.
const SUPPORTED = new Set(['dns', 'email', 'ip', 'dn', 'uri']);
const DNS_LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/** Returns null when every constrained name fits, else the reason in words. */
export function checkNameConstraints(path: ParsedCert[]): string | null {
  let comparisons = 0;
  for (let k = path.length - 1; k >= 1; k -= 1) {
    const constraints = path[k]!.ext.nameConstraints;
    if (!constraints) continue;

    const invalid = [...(constraints.permitted ?? []), ...(constraints.excluded ?? [])].find(
      (c) => !validConstraint(c),
    );
    if (invalid) {
      return `certificate '${path[k]!.label}' (depth ${k}) has an invalid name constraint (${describeGeneralName(invalid)})`;
    }

    for (let depth = k - 1; depth >= 0; depth -= 1) {
      const cert = path[depth]!;
      // RFC 5280 section 6.1.4 (g) and 6.1.3 (b): self-issued intermediates are not checked.
      if (depth > 0 && cert.selfIssued) continue;

      const names = namesOf(cert);
      comparisons +=
        names.length * ((constraints.permitted?.length ?? 0) + (constraints.excluded?.length ?? 0));
      if (comparisons > MAX_COMPARISONS) {
        return `the name constraints of '${path[k]!.label}' are too large to check against '${cert.label}'`;
      }

      const problem = names.map((name) => judgeName(name, constraints)).find((p) => p !== null);
      if (problem) {
        return `certificate '${cert.label}' (depth ${depth}) ${problem} under the name constraints of '${path[k]!.label}'`;
      }
    }
  }
  return null;
}

/** The subject (when not empty), the subjectAltName entries, and e-mail addresses in the subject. */
function namesOf(cert: ParsedCert): GeneralName[] {
  const names: GeneralName[] = [...(cert.ext.san ?? [])];
  if (cert.subject.rdns.length > 0) {
    names.push({ type: 'dn', raw: cert.subject.der, dn: cert.subject });
  }

  // RFC 5280 section 4.2.1.10: without a subjectAltName, e-mail constraints apply to emailAddress.
  if (!cert.ext.san) {
    for (const attr of attributesOf(cert.subject, Oid.emailAddress)) {
      const text = decodeText(attr);
      names.push(
        text.ok
          ? { type: 'email', raw: attr.raw, text: text.text }
          : { type: 'email', raw: attr.raw },
      );
    }
  }
  return names;
}

function judgeName(name: GeneralName, constraints: NameConstraintSet): string | null {
  const permitted = (constraints.permitted ?? []).filter((c) => c.type === name.type);
  const excluded = (constraints.excluded ?? []).filter((c) => c.type === name.type);
  if (permitted.length + excluded.length === 0) return null;

  if (!SUPPORTED.has(name.type)) return `has a ${name.type} name that certgate cannot check`;
  if (!validName(name)) {
    return `has a malformed ${describeGeneralName(name)} that cannot be checked`;
  }

  if (excluded.some((c) => within(name, c))) {
    return `has ${describeGeneralName(name)}, which is excluded`;
  }
  if (permitted.length > 0 && !permitted.some((c) => within(name, c))) {
    return `has ${describeGeneralName(name)}, which is not permitted`;
  }
  return null;
}

function within(name: GeneralName, base: GeneralName): boolean {
  switch (name.type) {
    case 'dns':
      return dnsWithin(name.text!.toLowerCase(), base.text!.toLowerCase());
    case 'email':
      return emailWithin(name.text!, base.text!);
    case 'uri':
      return uriWithin(name.text!, base.text!);
    case 'ip':
      return ipWithin(name.raw, base.raw);
    case 'dn':
      return dnWithin(name.dn!, base.dn!);
    default:
      return false;
  }
}

/** RFC 5280: a DNS constraint is satisfied by the name itself and any name with labels added on the left. */
function dnsWithin(name: string, base: string): boolean {
  return base === '' || name === base || name.endsWith('.' + base);
}

function emailWithin(name: string, base: string): boolean {
  const at = name.lastIndexOf('@');
  const domain = name.slice(at + 1).toLowerCase();
  if (base.includes('@')) {
    const baseAt = base.lastIndexOf('@');
    return (
      name.slice(0, at) === base.slice(0, baseAt) && domain === base.slice(baseAt + 1).toLowerCase()
    );
  }
  const lower = base.toLowerCase();
  return lower.startsWith('.') ? domain.endsWith(lower) : domain === lower;
}

function uriWithin(name: string, base: string): boolean {
  const host = uriHost(name);
  if (host === null) return false;
  const lower = base.toLowerCase();
  return lower.startsWith('.') ? host.endsWith(lower) : host === lower;
}

function ipWithin(address: Uint8Array, base: Uint8Array): boolean {
  if (base.byteLength !== address.byteLength * 2) return false;
  return address.every(
    (byte, i) =>
      (byte & base[address.byteLength + i]!) === (base[i]! & base[address.byteLength + i]!),
  );
}

/** A directory name is within a subtree when the subtree's RDNs are a prefix of its RDNs. */
function dnWithin(name: DistinguishedName, base: DistinguishedName): boolean {
  if (base.rdns.length > name.rdns.length) return false;
  return base.rdns.every((rdn, i) => rdnKey(rdn) === rdnKey(name.rdns[i]!));
}

function rdnKey(rdn: DistinguishedName['rdns'][number]): string {
  const one: DistinguishedName['rdns'] = [rdn];
  return JSON.stringify(
    one.map((r) =>
      r
        .map((a) => {
          const text = decodeText(a);
          return (
            a.type +
            '=' +
            (text.ok
              ? text.text.toLowerCase().replace(/\s+/g, ' ').trim()
              : Buffer.from(a.raw).toString('hex'))
          );
        })
        .sort(),
    ),
  );
}

function validName(name: GeneralName): boolean {
  switch (name.type) {
    case 'dns':
      return name.text !== undefined && validDns(name.text, true);
    case 'email':
      return name.text !== undefined && validMailbox(name.text);
    case 'uri':
      return name.text !== undefined && uriHost(name.text) !== null;
    case 'ip':
      return name.raw.byteLength === 4 || name.raw.byteLength === 16;
    default:
      return true;
  }
}

function validConstraint(base: GeneralName): boolean {
  switch (base.type) {
    case 'dns':
      return base.text !== undefined && (base.text === '' || validDns(base.text, false));
    case 'email':
      return base.text !== undefined && validEmailConstraint(base.text);
    case 'uri':
      return base.text !== undefined && validDns(base.text.replace(/^\./, ''), false);
    case 'ip':
      return (
        (base.raw.byteLength === 8 || base.raw.byteLength === 32) &&
        contiguousMask(base.raw.subarray(base.raw.byteLength / 2))
      );
    default:
      return true;
  }
}

function validDns(text: string, allowWildcard: boolean): boolean {
  const labels = text.split('.');
  if (allowWildcard && labels[0] === '*' && labels.length > 2) labels.shift();
  return text.length <= 253 && labels.every((label) => DNS_LABEL.test(label));
}

function validMailbox(text: string): boolean {
  const parts = text.split('@');
  return (
    parts.length === 2 &&
    parts[0] !== '' &&
    !/[\s"<>()]/.test(parts[0]!) &&
    validDns(parts[1]!, false)
  );
}

function validEmailConstraint(text: string): boolean {
  if (text.includes('@')) return validMailbox(text);
  return validDns(text.startsWith('.') ? text.slice(1) : text, false);
}

function contiguousMask(mask: Uint8Array): boolean {
  const bits = [...mask].map((b) => b.toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits);
}

function uriHost(uri: string): string | null {
  const match = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(uri);
  const host = match?.[1]?.toLowerCase();
  return host && validDns(host, false) ? host : null;
}
