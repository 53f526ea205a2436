// The catalogue of every reason certgate refuses a device or stops: a stable string code,
// what the device is told (the refusal kind), and who is at fault (which sets the log level).
// docs/errors.md documents each code; a test keeps the two in step.

/** What the device sees when the gate refuses it. */
export type Refusal =
  | 'not-authorized' // CONNACK 3.1.1: 0x05, 5.0: 0x87
  | 'server-unavailable' // CONNACK 3.1.1: 0x03, 5.0: 0x88
  | 'server-busy' // CONNACK 3.1.1: 0x03, 5.0: 0x89
  | 'unsupported-protocol' // CONNACK 3.1.1: 0x01, 5.0: 0x84
  | 'close'; // no CONNACK: the bytes were not a usable MQTT CONNECT

/** Who caused it: the device (info), the platform or upstream (warn), or certgate itself (error). */
export type Fault = 'device' | 'platform' | 'gate';

interface CodeInfo {
  refusal: Refusal;
  fault: Fault;
}

export const ErrorCodes = {
  // TLS identity
  CERTGATE_NO_CLIENT_CERT: { refusal: 'not-authorized', fault: 'device' },
  CERTGATE_CHAIN_REFUSED: { refusal: 'not-authorized', fault: 'device' },
  CERTGATE_CERT_REVOKED: { refusal: 'not-authorized', fault: 'device' },
  CERTGATE_SUBJECT_REFUSED: { refusal: 'not-authorized', fault: 'device' },
  CERTGATE_NO_ROUTE: { refusal: 'not-authorized', fault: 'device' },

  // MQTT CONNECT
  CERTGATE_MALFORMED_PACKET: { refusal: 'close', fault: 'device' },
  CERTGATE_NOT_CONNECT: { refusal: 'close', fault: 'device' },
  CERTGATE_CONNECT_TOO_LARGE: { refusal: 'close', fault: 'device' },
  CERTGATE_CONNECT_TIMEOUT: { refusal: 'close', fault: 'device' },
  CERTGATE_UNSUPPORTED_PROTOCOL: { refusal: 'unsupported-protocol', fault: 'device' },
  CERTGATE_PROVISION_CLIENT_ID: { refusal: 'not-authorized', fault: 'device' },

  // The platform (ThingsBoard REST)
  CERTGATE_DEVICE_NOT_FOUND: { refusal: 'not-authorized', fault: 'device' },
  CERTGATE_DEVICE_WRONG_PROFILE: { refusal: 'not-authorized', fault: 'device' },
  CERTGATE_CREDENTIALS_UNSUPPORTED: { refusal: 'not-authorized', fault: 'device' },
  CERTGATE_TOKEN_LOCKED: { refusal: 'not-authorized', fault: 'device' },
  CERTGATE_DUPLICATE_SESSION: { refusal: 'not-authorized', fault: 'device' },
  CERTGATE_PLATFORM_UNAVAILABLE: { refusal: 'server-unavailable', fault: 'platform' },
  CERTGATE_PLATFORM_BUSY: { refusal: 'server-busy', fault: 'platform' },
  CERTGATE_PLATFORM_AUTH_FAILED: { refusal: 'server-unavailable', fault: 'platform' },

  // ThingsBoard's MQTT port
  CERTGATE_UPSTREAM_UNAVAILABLE: { refusal: 'server-unavailable', fault: 'platform' },

  // Start-up
  CERTGATE_CONFIG_INVALID: { refusal: 'close', fault: 'gate' },
  CERTGATE_LISTEN_FAILED: { refusal: 'close', fault: 'gate' },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ErrorCodes;

/**
 * Every refusal and start-up failure is a GateError. `message` is written for an operator
 * and must never hold a token, password, JWT or key; `detail` carries extra log fields
 * (certificate facts, route, device name) under the same rule.
 */
export class GateError extends Error {
  override readonly name = 'GateError';
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, detail: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.detail = detail;
  }

  get refusal(): Refusal {
    return ErrorCodes[this.code].refusal;
  }

  get fault(): Fault {
    return ErrorCodes[this.code].fault;
  }
}

export function isGateError(value: unknown): value is GateError {
  return value instanceof GateError;
}

/** Exit codes of every certgate command. */
export const Exit = { ok: 0, refused: 1, usage: 2 } as const;
