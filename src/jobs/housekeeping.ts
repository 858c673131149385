import type { Services } from '../services/index.js';
import type { JobDefinition } from './scheduler.js';

/** How often housekeeping runs: rate windows and sessions pile up by the hour under load. */
export const HOUSEKEEPING_EVERY_MS = 3_600_000;

/**
 * Deletes ended rate-limit windows, expired sessions, stale failed-login windows and finished
 * webhook deliveries past their retention, and seals secrets an older version stored in the
 * clear (services/housekeeping.ts). A pass repeated after a crash does only what is left.
 */
export function housekeepingJob(
  services: Services,
  everyMs = HOUSEKEEPING_EVERY_MS,
): JobDefinition {
  return {
    name: 'housekeeping',
    everyMs,
    run: async (ctx) => ({ ...(await services.housekeeping.prune(ctx)) }),
  };
}
