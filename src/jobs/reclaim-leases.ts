import type { Services } from '../services/index.js';
import type { JobDefinition } from './scheduler.js';

/** How often dead floating leases are freed: a seat comes back at most this long after death. */
export const RECLAIM_EVERY_MS = 15_000;

/**
 * Frees floating leases whose heartbeat stopped or whose time ran out, with a `lease.reclaimed`
 * event each, so their seats go to the next caller (check-out already ignores dead leases; the
 * pass makes the seat count and the lease list say so too); and deactivates instances whose
 * heartbeat stopped, where the license's terms say so.
 */
export function reclaimLeasesJob(services: Services, everyMs = RECLAIM_EVERY_MS): JobDefinition {
  return {
    name: 'leases.reclaim',
    everyMs,
    run: async (ctx) => ({
      reclaimed: await services.policies.reclaim(ctx),
      deactivated: await services.policies.deactivateDead(ctx),
    }),
  };
}
