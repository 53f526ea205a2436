// The one logger: pino, JSON lines on stdout, with secrets redacted by key wherever they appear.
// Levels follow who is at fault: the device → info, the platform → warn, certgate itself → error.

import { pino, type Logger, type DestinationStream } from 'pino';
import type { Fault } from './errors.ts';

export type { Logger };

/** Keys that may hold a secret; a value under any of them is replaced before it is written. */
const REDACT = [
  'password', 'token', 'accessToken', 'refreshToken', 'jwt', 'authorization', 'key',
  '*.password', '*.token', '*.accessToken', '*.refreshToken', '*.jwt', '*.authorization', '*.key',
  'headers["x-authorization"]', '*.headers["x-authorization"]',
];

export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { name: 'certgate' },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

export function levelFor(fault: Fault): 'info' | 'warn' | 'error' {
  if (fault === 'device') return 'info';
  if (fault === 'platform') return 'warn';
  return 'error';
}

/** A URL as it may be logged: without user information, query or fragment. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '[unparsable url]';
  }
}
