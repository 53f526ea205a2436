// TEST DOUBLE, not part of the gate. ThingsBoard's REST error body and error codes as the
// stand-in returns them (thingsboard.md §1.4): `{status, message, errorCode, timestamp}`.

/** ThingsBoard's `ThingsboardErrorCode` numbers the stand-in uses. */
export const TbCode = {
  general: 2,
  authentication: 10,
  jwtExpired: 11,
  permissionDenied: 20,
  invalidArguments: 30,
  badRequestParams: 31,
  itemNotFound: 32,
  tooManyRequests: 33,
  versionConflict: 35,
} as const;

/** The usual error code and message for an HTTP status, used by forced failures. */
const defaultsByStatus: Record<number, { errorCode: number; message: string }> = {
  400: { errorCode: TbCode.badRequestParams, message: 'Bad request' },
  401: { errorCode: TbCode.authentication, message: 'Authentication failed' },
  403: {
    errorCode: TbCode.permissionDenied,
    message: "You don't have permission to perform this operation!",
  },
  404: { errorCode: TbCode.itemNotFound, message: "Requested item wasn't found!" },
  409: { errorCode: TbCode.versionConflict, message: 'Version conflict' },
  429: { errorCode: TbCode.tooManyRequests, message: 'Too many requests for current tenant!' },
};

/** A failure a route raises; the REST server turns it into ThingsBoard's error body. */
export class TbError extends Error {
  readonly status: number;
  readonly errorCode: number;

  constructor(status: number, errorCode: number, message: string) {
    super(message);
    this.name = 'TbError';
    this.status = status;
    this.errorCode = errorCode;
  }
}

export const notFound = (message = "Requested item wasn't found!"): TbError =>
  new TbError(404, TbCode.itemNotFound, message);

export const badRequest = (message: string): TbError =>
  new TbError(400, TbCode.badRequestParams, message);

export const unauthorized = (message = 'Authentication failed'): TbError =>
  new TbError(401, TbCode.authentication, message);

export const tokenExpired = (): TbError => new TbError(401, TbCode.jwtExpired, 'Token has expired');

/** The JSON body ThingsBoard sends with every REST error. */
export function errorBody(status: number, errorCode: number, message: string): object {
  return { status, message, errorCode, timestamp: Date.now() };
}

/** The body of a forced failure: the usual code and message for that status. */
export function forcedErrorBody(status: number): object {
  const known = defaultsByStatus[status];
  if (known) return errorBody(status, known.errorCode, known.message);

  return errorBody(
    status,
    TbCode.general,
    status >= 500 ? 'Service unavailable' : 'Request failed',
  );
}
