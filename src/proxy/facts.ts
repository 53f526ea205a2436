// Records what the certificate says about a device as server attributes in ThingsBoard, so an
// operator sees it on the device page: fingerprint, serial, issuer, expiry, and the subject's rest.

import type { Accepted } from '../auth/types.ts';
import type { Logger } from '../log.ts';
import type { DeviceRecord } from '../platform/device-directory.ts';
import type { Platform } from '../platform/platform.ts';
import { saveServerAttributes } from '../platform/provisioning.ts';

/** Fingerprints already recorded per device, so a reconnect with the same certificate costs no call. */
const recorded = new Map<string, string>();
const MAX_REMEMBERED = 100_000;

/** Fire and forget: a failure is logged, never held against the device. */
export function recordCertificateFacts(platform: Platform, device: DeviceRecord, identity: Accepted, log: Logger): void {
  const key = `${platform.config.name}/${device.deviceId}`;
  if (recorded.get(key) === identity.leaf.fingerprint) return;

  const attributes = {
    certFingerprint: identity.leaf.fingerprint,
    certSerial: identity.leaf.serial,
    certIssuer: identity.leaf.issuer,
    certNotAfter: identity.leaf.notAfter,
    // What the pattern left out of the subject value, e.g. the hardware id after '@'.
    certSubjectRest: identity.subjectValue.replace(identity.device, ''),
  };
  saveServerAttributes(platform.rest, device.deviceId, attributes).then(
    () => {
      if (recorded.size >= MAX_REMEMBERED) recorded.clear();
      recorded.set(key, identity.leaf.fingerprint);
    },
    (err: Error) => log.warn({ device: device.name }, `recording certificate attributes failed: ${err.message}`),
  );
}
