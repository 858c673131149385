import type { Clock } from '../domain/clock.js';
import { systemPrincipal } from '../domain/principal.js';
import type { Services } from '../services/index.js';

export interface Job {
  stop(): void;
}

export interface JobLogger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** How often raw usage past its retention is pruned. */
export const PRUNE_EVERY_MS = 6 * 3_600_000;

/**
 * Prunes raw usage records older than the retention, now and then every few hours. Pruning
 * never changes the aggregates, and running it in several processes at once is harmless (each
 * deletes what is left). The timer does not keep the process alive.
 */
export function schedulePruneUsage(
  services: Services,
  clock: Clock,
  log: JobLogger,
  everyMs = PRUNE_EVERY_MS,
): Job {
  const run = async () => {
    try {
      const pruned = await services.usage.prune({
        principal: systemPrincipal,
        requestId: null,
        clock,
      });
      log.info({ job: 'usage.prune', pruned }, 'pruned raw usage records past retention');
    } catch (error) {
      log.error({ job: 'usage.prune', err: error }, 'pruning raw usage failed');
    }
  };
  const timer = setInterval(() => void run(), everyMs);
  timer.unref();
  void run();
  return {
    stop: () => {
      clearInterval(timer);
    },
  };
}
