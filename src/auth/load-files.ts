// Reading the PEM (or DER) files a route names: trust anchors, helper intermediates and CRLs.
// Every failure becomes a LoadProblem named by its configuration key and file.

import { readFileSync } from 'node:fs';
import type { LoadProblem } from './types.ts';
import { parseCertificate, type ParsedCert } from './parse-cert.ts';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export interface FileRead<T> {
  items: T[];
  problems: LoadProblem[];
}

/** The DER blocks of a file: every PEM block with one of `labels`, or the file itself when it is DER. */
export function readDerBlocks(file: string, key: string, labels: string[]): FileRead<Buffer> {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (err) {
    return {
      items: [],
      problems: [
        {
          key,
          message: `${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        },
      ],
    };
  }

  if (content[0] === 0x30) return { items: [content], problems: [] };

  const items: Buffer[] = [];
  for (const match of content.toString('latin1').matchAll(PEM_BLOCK)) {
    if (labels.includes(match[1]!)) {
      items.push(Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64'));
    }
  }
  return { items, problems: [] };
}

/** Every certificate in a PEM file; a file without one, or with an unreadable one, is a problem. */
export function readCertificates(file: string, key: string): FileRead<ParsedCert> {
  const blocks = readDerBlocks(file, key, ['CERTIFICATE']);
  if (blocks.problems.length > 0) return { items: [], problems: blocks.problems };
  if (blocks.items.length === 0) {
    return { items: [], problems: [{ key, message: `${file}: no certificate found` }] };
  }

  const items: ParsedCert[] = [];
  const problems: LoadProblem[] = [];
  for (const [n, der] of blocks.items.entries()) {
    try {
      items.push(parseCertificate(der));
    } catch (err) {
      problems.push({
        key,
        message: `${file}: certificate ${n + 1} cannot be read: ${(err as Error).message}`,
      });
    }
  }
  return { items, problems };
}
