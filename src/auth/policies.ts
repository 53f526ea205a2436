// Certificate policies (RFC 5280 section 6.1.3 (d)-(f), 6.1.4 (a)-(j), 6.1.5): what a CA's
// requireExplicitPolicy, policy mappings and inhibitAnyPolicy demand of the certificates below it.

import type { ParsedCert } from './parse-cert.ts';

const ANY_POLICY = '2.5.29.32.0';

/**
 * certgate asks for no particular policy (user-initial-policy-set = anyPolicy, no initial
 * explicit policy), so policies only matter when a CA in the path requires them.
 *
 * LIMITATION: the valid policy tree is kept as a set of policy OIDs, so the rare chains whose
 * verdict depends on which branch of a mapped tree a policy came from are judged by the set.
 */
export function checkPolicies(path: ParsedCert[]): string | null {
  const certs = path.slice(0, -1).reverse();
  const n = certs.length;
  let valid: Set<string> | null = new Set([ANY_POLICY]);
  let explicit = n + 1;
  let mapping = n + 1;
  let inhibitAny = n + 1;

  for (const [index, cert] of certs.entries()) {
    const i = index + 1;
    const isLast = i === n;
    valid = applyPolicies(valid, cert, inhibitAny > 0 || (!isLast && cert.selfIssued));
    if (explicit === 0 && isEmpty(valid)) return noPolicy(cert, n - i);
    if (isLast) break;

    const mapped = applyMappings(valid, cert, mapping > 0);
    if (mapped === 'any') {
      return `certificate '${cert.label}' (depth ${n - i}) maps anyPolicy, which RFC 5280 section 6.1.4 (a) forbids`;
    }
    valid = mapped;

    if (!cert.selfIssued) {
      explicit = Math.max(0, explicit - 1);
      mapping = Math.max(0, mapping - 1);
      inhibitAny = Math.max(0, inhibitAny - 1);
    }
    explicit = Math.min(explicit, cert.ext.requireExplicitPolicy ?? Infinity);
    mapping = Math.min(mapping, cert.ext.inhibitPolicyMapping ?? Infinity);
    inhibitAny = Math.min(inhibitAny, cert.ext.inhibitAnyPolicy ?? Infinity);
  }

  // RFC 5280 section 6.1.5 (a) and (b): the leaf's own requireExplicitPolicy of 0 counts too.
  const leaf = certs[n - 1]!;
  explicit = leaf.ext.requireExplicitPolicy === 0 ? 0 : Math.max(0, explicit - 1);
  return explicit === 0 && isEmpty(valid) ? noPolicy(leaf, 0) : null;
}

/** RFC 5280 section 6.1.3 (d) and (e). */
function applyPolicies(
  valid: Set<string> | null,
  cert: ParsedCert,
  anyAllowed: boolean,
): Set<string> | null {
  const policies = cert.ext.policies;
  if (!valid || !policies) return null;

  const next = new Set<string>();
  for (const policy of policies) {
    if (policy !== ANY_POLICY && (valid.has(policy) || valid.has(ANY_POLICY))) next.add(policy);
  }
  if (anyAllowed && policies.includes(ANY_POLICY)) for (const policy of valid) next.add(policy);
  return next;
}

/** RFC 5280 section 6.1.4 (b): mapped policies are renamed, or dropped when mapping is inhibited. */
function applyMappings(
  valid: Set<string> | null,
  cert: ParsedCert,
  allowed: boolean,
): Set<string> | null | 'any' {
  const mappings = cert.ext.policyMappings;
  if (!mappings || !valid) return valid;
  if (mappings.some(([from, to]) => from === ANY_POLICY || to === ANY_POLICY)) return 'any';

  const next = new Set(valid);
  for (const [from] of mappings) next.delete(from);
  if (!allowed) return next;

  for (const [from, to] of mappings) {
    if (valid.has(from) || valid.has(ANY_POLICY)) next.add(to);
  }
  return next;
}

function isEmpty(valid: Set<string> | null): boolean {
  return !valid || valid.size === 0;
}

function noPolicy(cert: ParsedCert, depth: number): string {
  return `certificate '${cert.label}' (depth ${depth}) leaves no acceptable certificate policy, and a CA in the path requires an explicit policy`;
}
