// Devices without a certificate while `tls.clientCertificate` is `optional` (a fleet mid-migration):
// forwarded with their own CONNECT unchanged, unless their token belongs to a migrated device.

import type { Logger } from '../log.ts';
import { GateError } from '../errors.ts';
import type { ConnectInfo } from '../mqtt/connect.ts';
import type { Endpoints } from '../upstream/dial.ts';
import { admission, type Admission, type GateContext } from './admit.ts';
import { exchangeConnect } from './exchange.ts';

import type { MigrationLedger } from '../migration/index.ts';

/** The migration ledger and whether migrated devices' tokens are locked. */
export interface Migration {
  ledger: MigrationLedger;
  lockTokens: boolean;
}

export async function admitTokenOnly(
  packet: Buffer, info: ConnectInfo, endpoints: Endpoints, ctx: GateContext, log: Logger, signal: AbortSignal,
): Promise<Admission> {
  const { lockedBy } = ctx.migration.ledger.tokenOnlyLogin({ username: info.username, lockTokens: ctx.migration.lockTokens });
  if (lockedBy !== null) {
    throw new GateError('CERTGATE_TOKEN_LOCKED', `token-only login refused: the token belongs to '${lockedBy}', which has moved to certificates`, { device: lockedBy });
  }

  // LIMITATION: with several platforms, token-only devices all go to the first one in the file.
  const platform = ctx.platforms.values().next().value!;
  signal.throwIfAborted();
  const answer = await exchangeConnect(platform.config.upstream, packet, ctx.limits, endpoints);
  // The client id is not logged: ThingsBoard's MQTT basic credentials can use it as the secret.
  log.info({ mqtt: info.version, connackCode: answer.code }, 'token-only device forwarded unchanged');
  return admission(answer, info, { device: 'token-only device', sessionKey: null, fingerprint: '' });
}
