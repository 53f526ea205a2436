// One way to decode DER with asn1js for the whole judge: embedded OCTET STRING content is left
// alone (it is parsed on purpose where needed) and crafted inputs hit a node limit early.

import * as asn1js from 'asn1js';

/** Enough for a certificate with a few hundred names; a crafted one fails fast instead. */
const MAX_NODES = 4096;

/** Decodes exactly one element filling `bytes`; throws with a short reason otherwise. */
export function decodeDer(bytes: Uint8Array, what: string): asn1js.AsnType {
  const decoded = asn1js.fromBER(bytes, { parseEmbedded: false, maxNodes: MAX_NODES });
  if (decoded.offset === -1) throw new Error(`malformed ${what} (${decoded.result.error})`);
  if (decoded.offset !== bytes.byteLength) throw new Error(`malformed ${what} (trailing bytes)`);
  return decoded.result;
}
