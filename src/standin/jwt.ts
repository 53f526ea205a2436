// TEST DOUBLE, not part of the gate. HS512 JWTs shaped like ThingsBoard's `JwtTokenFactory`
// output (thingsboard.md §1.3): access and refresh tokens with `exp`, and "expire them all now".

import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { NULL_UUID } from './store.ts';

export interface JwtUser {
  email: string;
  userId: string;
  tenantId: string;
}

export interface JwtOptions {
  accessSeconds: number;
  refreshSeconds: number;
  now: () => number;
}

export type TokenKind = 'access' | 'refresh';

export type Verdict =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; reason: 'malformed' | 'expired' | 'wrong-kind' };

const HEADER = base64url(JSON.stringify({ alg: 'HS512' }));

export class JwtIssuer {
  #key = randomBytes(64);
  #options: JwtOptions;
  #issued = new Set<string>();
  #expired = new Set<string>();

  constructor(options: JwtOptions) {
    this.#options = options;
  }

  /** A new session: a fresh access token and refresh token sharing one `sessionId`. */
  issuePair(user: JwtUser): { token: string; refreshToken: string } {
    const sessionId = randomUUID();
    const iat = Math.floor(this.#options.now() / 1000);

    const token = this.#sign({
      sub: user.email,
      userId: user.userId,
      scopes: ['TENANT_ADMIN'],
      sessionId,
      iss: 'thingsboard.io',
      iat,
      exp: iat + this.#options.accessSeconds,
      firstName: null,
      lastName: null,
      enabled: true,
      isPublic: false,
      tenantId: user.tenantId,
      customerId: NULL_UUID,
    });

    const refreshToken = this.#sign({
      sub: user.email,
      userId: user.userId,
      scopes: ['REFRESH_TOKEN'],
      sessionId,
      iss: 'thingsboard.io',
      jti: randomUUID(),
      iat,
      exp: iat + this.#options.refreshSeconds,
      isPublic: false,
    });
    return { token, refreshToken };
  }

  /** Checks signature, `exp`, the forced expiry and that the token is of the expected kind. */
  verify(token: string, kind: TokenKind): Verdict {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'malformed' };

    const claims = decodeClaims(parts[1] ?? '');
    if (!claims) return { ok: false, reason: 'malformed' };

    // ThingsBoard treats a bad signature like an expired token (errorCode 11).
    if (!this.#signatureMatches(`${parts[0]}.${parts[1]}`, parts[2] ?? '')) {
      return { ok: false, reason: 'expired' };
    }
    if (this.#expired.has(token)) return { ok: false, reason: 'expired' };
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= this.#options.now()) {
      return { ok: false, reason: 'expired' };
    }

    const isRefresh = Array.isArray(claims.scopes) && claims.scopes.includes('REFRESH_TOKEN');
    if (isRefresh !== (kind === 'refresh')) return { ok: false, reason: 'wrong-kind' };
    return { ok: true, claims };
  }

  /** Every token issued so far (access only, or refresh too) is expired from now on. */
  expireAll(includeRefresh: boolean): void {
    for (const token of this.#issued) {
      const claims = decodeClaims(token.split('.')[1] ?? '');
      const isRefresh = Array.isArray(claims?.scopes) && claims.scopes.includes('REFRESH_TOKEN');
      if (isRefresh && !includeRefresh) continue;

      this.#expired.add(token);
      this.#issued.delete(token);
    }
  }

  #sign(claims: Record<string, unknown>): string {
    const unsigned = `${HEADER}.${base64url(JSON.stringify(claims))}`;
    const token = `${unsigned}.${this.#mac(unsigned).toString('base64url')}`;

    this.#issued.add(token);
    return token;
  }

  #mac(text: string): Buffer {
    return createHmac('sha512', this.#key).update(text).digest();
  }

  #signatureMatches(unsigned: string, signature: string): boolean {
    const given = Buffer.from(signature, 'base64url');
    const expected = this.#mac(unsigned);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function decodeClaims(part: string): Record<string, unknown> | undefined {
  try {
    const claims: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
