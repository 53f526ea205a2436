// Verdicts and trust summaries in words, for `certgate verify` and `certgate check`: the text
// an operator reads, and the JSON object scripts read.

import type { Verdict } from './types.ts';
import type { TrustSummary } from './summary.ts';

/** The JSON form of a verdict: always verdict, route, device and reason, then the details. */
export function verdictJson(verdict: Verdict): Record<string, unknown> {
  if (verdict.verdict === 'accepted') {
    const { verdict: v, route, device, ...rest } = verdict;
    return { verdict: v, route, device, reason: null, code: null, ...rest };
  }
  const { verdict: v, route, device, reason, code, leaf } = verdict;
  return { verdict: v, route, device, reason, code, leaf };
}

export function verdictText(verdict: Verdict): string[] {
  if (verdict.verdict === 'refused') {
    const where = verdict.route ? ` (route '${verdict.route}')` : '';
    return [`refused${where}: ${verdict.reason}`, `  code: ${verdict.code}`];
  }

  const lines = [
    `accepted: route '${verdict.route}', device '${verdict.device}'`,
    `  subject value: ${JSON.stringify(verdict.subjectValue)}`,
    `  path: ${verdict.path.map((c) => `'${c.subject}'`).join(' <- ')}`,
    `  leaf: serial 0x${verdict.leaf.serial}, valid until ${verdict.leaf.notAfter}, sha256 ${verdict.leaf.fingerprint}`,
  ];
  return [...lines, ...verdict.warnings.map((w) => `  warning: ${w}`)];
}

export function summaryText(summary: TrustSummary): string[] {
  const lines: string[] = [];
  for (const route of summary.routes) {
    lines.push(`route '${route.name}'`);
    lines.push(
      `  identity: ${route.subjectField} matched by ${JSON.stringify(route.subjectPattern)}`,
    );
    lines.push(
      `  requires: ${route.requiredEku.length > 0 ? route.requiredEku.join(', ') : 'no extended key usage'}, maxDepth ${route.maxDepth ?? 'unlimited'}`,
    );
    for (const anchor of route.anchors) {
      lines.push(
        `  anchor: '${anchor.subject}' sha256 ${anchor.fingerprint} expires ${anchor.notAfter}${anchor.expired ? ' (EXPIRED)' : ''}`,
      );
    }
    for (const cert of route.intermediates) {
      lines.push(
        `  intermediate: '${cert.subject}' sha256 ${cert.fingerprint} expires ${cert.notAfter}${cert.expired ? ' (EXPIRED)' : ''}`,
      );
    }

    const crlRule = route.crlRequired ? 'required' : 'checked where available';
    lines.push(`  revocation: ${crlRule}, grace ${route.crlGraceSeconds} s`);
    for (const crl of route.crls) {
      const stale = crl.stale ? ' (PAST nextUpdate)' : '';
      lines.push(
        `  crl: '${crl.issuer}' number ${crl.number ?? '-'}, ${crl.revoked} revoked, nextUpdate ${crl.nextUpdate ?? '-'}${stale} (${crl.file})`,
      );
    }
  }
  return lines;
}
