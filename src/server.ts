import type { Config } from './config.js';
import { systemClock, type Clock } from './domain/clock.js';
import { systemPrincipal } from './domain/principal.js';
import { buildApp } from './http/app.js';
import { allJobs } from './jobs/index.js';
import { createScheduler } from './jobs/scheduler.js';
import { LOG_REDACT_PATHS, requestForLog } from './http/log.js';
import type { App } from './http/types.js';
import { openStore, servicesFor, VERSION } from './runtime.js';
import type { Services } from './services/index.js';

export interface RunningServer {
  app: App;
  services: Services;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the server: store, migrations, first-start operator token, HTTP listener.
 * `print` receives what a person must see once (the bootstrap token), apart from the JSON log.
 */
export async function startServer(
  config: Config,
  print: (line: string) => void,
  clock: Clock = systemClock,
): Promise<RunningServer> {
  const started = performance.now();
  const store = await openStore(config);
  const services = servicesFor(config, store);
  const bootstrap = await services.tokens.bootstrap({
    principal: systemPrincipal,
    requestId: null,
    clock,
  });
  if (bootstrap !== null) {
    print(
      [
        '',
        'Entitle: first start with an empty store. This operator token is shown once, now:',
        '',
        `  ${bootstrap.token}`,
        '',
        `It expires ${bootstrap.expiresAt}. Mint more with: entitle token create --role operator --accounts '*'`,
        '',
      ].join('\n'),
    );
  }
  const app = await buildApp({
    services,
    clock,
    logger: {
      level: config.logLevel,
      redact: LOG_REDACT_PATHS,
      serializers: { req: requestForLog },
    },
    bodyLimitBytes: config.bodyLimitBytes,
    version: VERSION,
    rateLimit:
      config.rateLimitPerMinute === 0
        ? undefined
        : { max: config.rateLimitPerMinute, windowMs: 60_000 },
  });
  const url = await app.listen({ port: config.port, host: config.host });
  app.log.info(
    {
      url,
      database: config.databaseUrl.replace(/\/\/[^@]*@/, '//***@'),
      startupMs: Math.round(performance.now() - started),
    },
    'entitle is ready',
  );
  const scheduler = createScheduler({ services, clock, log: app.log, jobs: allJobs(services) });
  if (config.jobs) scheduler.start();
  return {
    app,
    services,
    url,
    async close() {
      await scheduler.stop();
      await app.close();
      await store.close();
    },
  };
}
