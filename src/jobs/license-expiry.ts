import type { Services } from '../services/index.js';
import type { JobDefinition } from './scheduler.js';

/** How often licenses are checked for a passed expiry or an ended grace. */
export const LICENSE_EXPIRY_EVERY_MS = 5 * 60_000;

/**
 * Records `license.expired` and `license.grace_ended` once per expiry of each license. The
 * marks are written with the events, under a unique key: a pass repeated after a crash, or run
 * by two processes, records nothing twice.
 */
export function licenseExpiryJob(
  services: Services,
  everyMs = LICENSE_EXPIRY_EVERY_MS,
): JobDefinition {
  return {
    name: 'licenses.expiry',
    everyMs,
    run: (ctx) => services.lifecycle.licenseExpiry(ctx),
  };
}
