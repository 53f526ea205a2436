// The certificates a device presented in its TLS handshake, leaf first, as DER: the input
// of the certificate judge. Node hands them over as a linked list of parsed certificates.

import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

// LIMITATION: Node exposes the chain only as OpenSSL linked it, so a certificate the device sent
// that OpenSSL does not accept as an issuer (no keyCertSign, say) is missing here. The verdict
// is the same (refused), but the log then says "issuer not found" where `certgate verify`,
// given the same files, names the precise defect.
export function presentedChain(socket: TLSSocket): Buffer[] {
  // Without a client certificate Node returns an empty object, not null.
  const leaf = socket.getPeerCertificate(true) as Partial<DetailedPeerCertificate> | null;
  if (!leaf?.raw || !leaf.fingerprint256) return [];

  const chain: Buffer[] = [leaf.raw];
  const seen = new Set<string>([leaf.fingerprint256]);
  let current = leaf as DetailedPeerCertificate;
  // Node links each certificate to the one that issued it; a self-issued one links to itself.
  while (current.issuerCertificate && !seen.has(current.issuerCertificate.fingerprint256)) {
    current = current.issuerCertificate;
    seen.add(current.fingerprint256);
    chain.push(current.raw);
  }
  return chain;
}
