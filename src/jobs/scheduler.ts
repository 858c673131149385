import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../domain/clock.js';
import { systemPrincipal } from '../domain/principal.js';
import type { ServiceContext } from '../services/context.js';
import type { Services } from '../services/index.js';

/** One kind of scheduled work. A pass must be safe to repeat: a crash mid-pass reruns it. */
export interface JobDefinition {
  /** Stable name, e.g. `usage.prune`; the key of its `job_runs` row. */
  name: string;
  /** A pass is due this long after the previous one started. */
  everyMs: number;
  /** How long a pass may run before another process may take it over (default 5 min). */
  leaseMs?: number;
  /** Runs one pass as the system; answers what it did (counts), for the log and `job_runs`. */
  run(ctx: ServiceContext): Promise<Record<string, unknown>>;
}

export interface JobLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface PassOutcome {
  job: string;
  outcome: 'ok' | 'failed';
  summary: Record<string, unknown>;
}

export interface Scheduler {
  readonly holder: string;
  /**
   * Runs every job whose pass is due at the clock's now and that this process claims (through
   * the database, so several processes never run the same pass). Tests move the clock and tick.
   */
  tick(): Promise<PassOutcome[]>;
  /**
   * Ticks every `pollMs`. The timer keeps the process alive only with `keepAlive` (a worker has
   * nothing else to; a server has its listener).
   */
  start(options?: { pollMs?: number; keepAlive?: boolean }): void;
  /** Stops ticking and waits for the passes in progress. */
  stop(): Promise<void>;
}

export const DEFAULT_LEASE_MS = 5 * 60_000;

export function createScheduler(options: {
  services: Services;
  clock: Clock;
  log: JobLogger;
  jobs: readonly JobDefinition[];
  holder?: string;
}): Scheduler {
  const { services, clock, log, jobs } = options;
  const holder =
    options.holder ?? `${hostname()}:${String(process.pid)}:${randomBytes(4).toString('hex')}`;
  const ctx: ServiceContext = { principal: systemPrincipal, requestId: null, clock };
  const running = new Map<string, Promise<PassOutcome | null>>();
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<PassOutcome[]> | undefined;

  const pass = async (job: JobDefinition): Promise<PassOutcome | null> => {
    const won = await services.jobs.claim(ctx, {
      name: job.name,
      holder,
      everyMs: job.everyMs,
      leaseMs: job.leaseMs ?? DEFAULT_LEASE_MS,
    });
    if (!won) return null;
    let outcome: PassOutcome;
    try {
      const summary = await job.run(ctx);
      outcome = { job: job.name, outcome: 'ok', summary };
      const level = didSomething(summary) ? 'info' : 'debug';
      log[level]({ job: job.name, ...summary }, 'job pass done');
    } catch (error) {
      log.error({ job: job.name, err: error }, 'job pass failed');
      outcome = { job: job.name, outcome: 'failed', summary: { error: describe(error) } };
    }
    await services.jobs.finish(ctx, { name: job.name, holder, ...outcome });
    return outcome;
  };

  // A job whose previous pass is still running here is skipped, never run twice at once.
  const passOnce = (job: JobDefinition): Promise<PassOutcome | null> => {
    const current = running.get(job.name);
    if (current !== undefined) return Promise.resolve(null);
    const started = pass(job)
      .catch((error: unknown) => {
        log.error({ job: job.name, err: error }, 'job claim failed');
        return null;
      })
      .finally(() => running.delete(job.name));
    running.set(job.name, started);
    return started;
  };

  const tick = async (): Promise<PassOutcome[]> => {
    const outcomes = await Promise.all(jobs.map(passOnce));
    return outcomes.filter((outcome): outcome is PassOutcome => outcome !== null);
  };

  return {
    holder,
    tick,
    start({ pollMs = 1000, keepAlive = false } = {}) {
      if (timer !== undefined) return;
      const run = () => {
        if (ticking !== undefined) return;
        ticking = tick().finally(() => {
          ticking = undefined;
        });
      };
      timer = setInterval(run, pollMs);
      if (!keepAlive) timer.unref();
      run();
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await Promise.all(running.values());
    },
  };
}

function didSomething(summary: Record<string, unknown>): boolean {
  return Object.values(summary).some((value) => typeof value !== 'number' || value > 0);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
