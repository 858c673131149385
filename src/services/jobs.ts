import { requireRole } from '../domain/principal.js';
import type { Store } from '../store/database.js';
import {
  claimJobRun,
  finishJobRun,
  listJobRuns,
  type JobRun,
} from '../store/job-runs.repository.js';
import type { ServiceContext } from './context.js';

export interface PassClaim {
  name: string;
  /** Who runs the pass (host:pid:random); written on the row while it runs. */
  holder: string;
  everyMs: number;
  /** How long a holder may run before another process may take the pass over. */
  leaseMs: number;
}

/** The bookkeeping of scheduled jobs: which pass is due, who runs it, how it ended. */
export function jobService(store: Store) {
  return {
    /** True when this holder won the job's due pass; false when it is not due or held. */
    claim(ctx: ServiceContext, pass: PassClaim): Promise<boolean> {
      requireRole(ctx.principal, ['operator']);
      const now = ctx.clock.now().getTime();
      return store.transaction('job.claim', (tx) =>
        claimJobRun(tx, {
          name: pass.name,
          holder: pass.holder,
          now: new Date(now).toISOString(),
          dueIfStartedBefore: new Date(now - pass.everyMs).toISOString(),
          leaseUntil: new Date(now + pass.leaseMs).toISOString(),
        }),
      );
    },

    finish(
      ctx: ServiceContext,
      pass: {
        name: string;
        holder: string;
        outcome: 'ok' | 'failed';
        summary: Record<string, unknown>;
      },
    ): Promise<void> {
      requireRole(ctx.principal, ['operator']);
      return store.transaction('job.finish', (tx) =>
        finishJobRun(tx, { ...pass, now: ctx.clock.now().toISOString() }),
      );
    },

    /** Every job that has run at least once, with its last outcome (operators only). */
    list(ctx: ServiceContext): Promise<JobRun[]> {
      requireRole(ctx.principal, ['operator']);
      return store.read(listJobRuns);
    },
  };
}

export type JobService = ReturnType<typeof jobService>;
