import type { Services } from '../services/index.js';
import type { JobDefinition } from './scheduler.js';

/** How often raw usage past its retention is pruned. */
export const PRUNE_EVERY_MS = 6 * 3_600_000;

/**
 * Prunes raw usage records older than the retention. Pruning never changes the aggregates, and a
 * pass repeated after a crash deletes only what is left.
 */
export function pruneUsageJob(services: Services, everyMs = PRUNE_EVERY_MS): JobDefinition {
  return {
    name: 'usage.prune',
    everyMs,
    run: async (ctx) => ({ pruned: await services.usage.prune(ctx) }),
  };
}
