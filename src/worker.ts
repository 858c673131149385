import { pino } from 'pino';
import type { Config } from './config.js';
import { systemClock, type Clock } from './domain/clock.js';
import { allJobs } from './jobs/index.js';
import { createScheduler, type Scheduler } from './jobs/scheduler.js';
import { openStore, servicesFor } from './runtime.js';

export interface RunningWorker {
  scheduler: Scheduler;
  close(): Promise<void>;
}

/**
 * `entitle worker`: the scheduled jobs without the HTTP server, for deployments that keep jobs
 * off the request-serving processes. Any number of workers and servers may share one database.
 */
export async function startWorker(
  config: Config,
  clock: Clock = systemClock,
): Promise<RunningWorker> {
  const log = pino({ level: config.logLevel });
  const store = await openStore(config);
  const services = servicesFor(config, store);
  const scheduler = createScheduler({ services, clock, log, jobs: allJobs(services) });
  scheduler.start({ keepAlive: true });
  log.info({ holder: scheduler.holder }, 'entitle worker is running');
  return {
    scheduler,
    async close() {
      await scheduler.stop();
      await store.close();
    },
  };
}
