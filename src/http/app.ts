import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { Clock } from '../domain/clock.js';
import type { Services } from '../services/index.js';
import { blackberryFacade } from './compat/blackberry/index.js';
import { blueXpFacade } from './compat/bluexp/index.js';
import { HP_PREFIX, hpFacade } from './compat/hp/index.js';
import { HP_AUTH_PATH, hpAuthFacade } from './compat/hp/auth.js';
import { NETPROFILER_COMMON_PREFIX, netProfilerCommon } from './compat/netprofiler/common.js';
import { NETPROFILER_PREFIX, netProfilerFacade } from './compat/netprofiler/index.js';
import { healthRoutes } from './health.js';
import { uiPlugin } from './ui.js';
import { maskKeys } from './log.js';
import { authPlugin } from './plugins/auth.js';
import { errorsPlugin, handleError } from './plugins/errors.js';
import { handleAstraError } from './compat/astra/problems.js';
import { handleBlackBerryError } from './compat/blackberry/errors.js';
import { handleBlueXpError } from './compat/bluexp/errors.js';
import { handleHpError } from './compat/hp/errors.js';
import { handleNetProfilerError } from './compat/netprofiler/errors.js';
import { metricsPlugin } from './plugins/metrics.js';
import { openApiPlugin } from './plugins/openapi.js';
import { requestIdOf, requestIdPlugin } from './plugins/request-id.js';
import { serializerCompilers } from './serializer.js';
import { ProblemSchema } from './problems.js';
import type { App, RouteDeps } from './types.js';
import { accountRoutes } from './v1/accounts/index.js';
import { activationTokenRoutes } from './v1/activation-tokens/index.js';
import { upstreamRoutes } from './v1/upstream/index.js';
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
import { webhookRoutes } from './v1/webhooks/index.js';
import { userRoutes } from './v1/users/index.js';
import { policyRoutes } from './v1/policies/index.js';
import { registerAstra } from './compat/astra/index.js';
import { registerApiRateLimit, type ApiRateLimit } from './plugins/rate-limit.js';

export interface AppOptions {
  services: Services;
  clock: Clock;
  logger?: FastifyServerOptions['logger'];
  bodyLimitBytes?: number;
  version?: string;
  /** Requests per window per token or address; absent: no API-wide limit (tests, benchmarks). */
  rateLimit?: ApiRateLimit | undefined;
}

/** Builds the whole HTTP server, ready to `listen` or to `inject` in tests. */
export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    genReqId: requestIdOf,
    frameworkErrors: routerError,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    schemaController: { compilersFactory: serializerCompilers },
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
  if (options.rateLimit !== undefined) await registerApiRateLimit(app, options.rateLimit);

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
  activationTokenRoutes(app, deps);
  upstreamRoutes(app, deps);
  certificateRoute(app, deps);
  listEvents(app, deps);
  createToken(app, deps);
  listKeys(app, deps);
  rotateKeys(app, deps);
  usageRoutes(app, deps);
  webhookRoutes(app, deps);
  userRoutes(app, deps);
  policyRoutes(app, deps);
  await registerAstra(app, deps);
  await app.register(blueXpFacade(deps), { prefix: '/license' });
  await app.register(netProfilerFacade(deps), { prefix: NETPROFILER_PREFIX });
  await app.register(blackberryFacade(deps), { prefix: '/:tenantGuid/api/v1' });
  await app.register(hpFacade(deps), { prefix: HP_PREFIX });
  await app.register(hpAuthFacade(deps), { prefix: HP_AUTH_PATH });
  await app.register(netProfilerCommon(deps), { prefix: NETPROFILER_COMMON_PREFIX });
  await app.register(uiPlugin, { prefix: '/ui' });

  await app.ready();
  return app;
}

type ErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => unknown;

/** Which error handler answers a path, by the prefix of the surface it belongs to. */
const SURFACE_ERROR_HANDLERS: [RegExp, ErrorHandler][] = [
  [/^\/accounts\/[^/]*\/core\/v1(\/|$)/, handleAstraError],
  [/^\/license(\/|$)/, handleBlueXpError],
  [/^\/api\/(mgmt\.licenses\/1\.0|common)(\/|$)/, handleNetProfilerError],
  [/^\/sdn\/v2\.0\/(licenses|auth)(\/|$)/, handleHpError],
  [/^\/[^/]*\/api\/v1(\/|$)/, handleBlackBerryError],
];

/**
 * The router refuses a path parameter with bad percent-encoding (400) or longer than
 * `maxParamLength` (414) before any route scope is chosen, so without this no error handler sees
 * it and Fastify answers its own body: answer with the handler of the surface the path is under.
 */
function routerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // The router's message quotes the whole URL, where a `?key=` is a secret: it is logged.
  error.message = error.message.replace(request.url, maskKeys(request.url));
  const path = request.url.split('?')[0] ?? '/';
  // As sent, then as the router reads it (duplicate slashes ignored).
  const candidates = [path, path.replace(/\/{2,}/g, '/')];
  const handler =
    SURFACE_ERROR_HANDLERS.find(([prefix]) => candidates.some((p) => prefix.test(p)))?.[1] ??
    handleError;
  handler(error, request, reply);
}
