import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyServerOptions } from 'fastify';
import type { Clock } from '../domain/clock.js';
import type { Services } from '../services/index.js';
import { blackberryFacade } from './compat/blackberry/index.js';
import { blueXpFacade } from './compat/bluexp/index.js';
import { HP_PREFIX, hpFacade } from './compat/hp/index.js';
import { NETPROFILER_PREFIX, netProfilerFacade } from './compat/netprofiler/index.js';
import { healthRoutes } from './health.js';
import { authPlugin } from './plugins/auth.js';
import { errorsPlugin } from './plugins/errors.js';
import { metricsPlugin } from './plugins/metrics.js';
import { openApiPlugin } from './plugins/openapi.js';
import { requestIdOf, requestIdPlugin } from './plugins/request-id.js';
import { ProblemSchema } from './problems.js';
import type { App, RouteDeps } from './types.js';
import { accountRoutes } from './v1/accounts/index.js';
import { complianceRoutes } from './v1/compliance/index.js';
import { groupRoutes } from './v1/groups/index.js';
import { instanceRoutes } from './v1/instances/index.js';
import { activationRoutes } from './v1/licenses/activation.js';
import { certificateRoute } from './v1/licenses/certificate.js';
import { manageLicenseRoutes } from './v1/licenses/manage.js';
import { validateRoutes } from './v1/licenses/validate.js';
import { listEvents } from './v1/events/list.js';
import { listKeys } from './v1/keys/list.js';
import { rotateKeys } from './v1/keys/rotate.js';
import { productRoutes } from './v1/products/index.js';
import { subscriptionRoutes } from './v1/subscriptions/index.js';
import { createToken } from './v1/tokens/create.js';
import { usageRoutes } from './v1/usage/index.js';
import { registerAstra } from './compat/astra/index.js';

export interface AppOptions {
  services: Services;
  clock: Clock;
  logger?: FastifyServerOptions['logger'];
  bodyLimitBytes?: number;
  version?: string;
}

/** Builds the whole HTTP server, ready to `listen` or to `inject` in tests. */
export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    genReqId: requestIdOf,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    ajv: {
      customOptions: {
        // Reject what is wrong instead of silently fixing it: no coercion, no stripping.
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: true,
        allErrors: true,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON only at the root; a facade that takes plain text registers its own parser in its scope.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(
    'application/merge-patch+json',
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  );
  app.addSchema(ProblemSchema);

  const deps: RouteDeps = { services: options.services, clock: options.clock };
  await app.register(errorsPlugin);
  await app.register(requestIdPlugin);
  await app.register(openApiPlugin, { version: options.version ?? '0.0.0' });
  await app.register(metricsPlugin, { store: options.services.store });
  await app.register(authPlugin, { tokens: options.services.tokens, clock: options.clock });

  healthRoutes(app, deps);
  accountRoutes(app, deps);
  productRoutes(app, deps);
  instanceRoutes(app, deps);
  groupRoutes(app, deps);
  complianceRoutes(app, deps);
  manageLicenseRoutes(app, deps);
  activationRoutes(app, deps);
  validateRoutes(app, deps);
  subscriptionRoutes(app, deps);
  certificateRoute(app, deps);
  listEvents(app, deps);
  createToken(app, deps);
  listKeys(app, deps);
  rotateKeys(app, deps);
  usageRoutes(app, deps);
  await registerAstra(app, deps);
  await app.register(blueXpFacade(deps), { prefix: '/license' });
  await app.register(netProfilerFacade(deps), { prefix: NETPROFILER_PREFIX });
  await app.register(blackberryFacade(deps), { prefix: '/:tenantGuid/api/v1' });
  await app.register(hpFacade(deps), { prefix: HP_PREFIX });

  await app.ready();
  return app;
}
