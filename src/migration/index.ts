// The migration ledger, for the gate (record logins, decide token-only locks) and for the
// `migration-report` command (read it while the gate runs).

export { openLedger } from './ledger.ts';
export { LedgerFileError, SCHEMA_VERSION } from './store.ts';
export { CERT_LOGIN_KINDS } from './types.ts';
export type * from './types.ts';
