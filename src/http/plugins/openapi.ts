import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PROBLEM_TYPES, problem, sendProblem } from '../problems.js';

/** OpenAPI 3.1 generated from the routes' TypeBox schemas, at /openapi.json, with docs at /docs. */
export const openApiPlugin = fp(
  async (app: FastifyInstance, options: { version: string }) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Entitle API',
          version: options.version,
          description:
            'License and subscription management: accounts, the product catalog, licenses, ' +
            'subscriptions, usage and compliance. Errors are RFC 9457 problems ' +
            '(`application/problem+json`); collections take the query language ' +
            '(`filter`, `orderBy`, `limit`, `skip`, `count`, `continue`, `include`).',
          license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          },
        },
        security: [{ bearer: [] }],
        tags: [
          { name: 'accounts', description: 'Tenants: customer wallets.' },
          { name: 'products', description: 'The product catalog: features and metrics.' },
          { name: 'instances', description: 'Installs that consume licenses.' },
          { name: 'groups', description: 'Group licensing: groups, orders, licensing status.' },
          { name: 'compliance', description: 'Entitled vs used, per account, product and metric.' },
          { name: 'licenses', description: 'Licenses, keys, activation and validation.' },
          {
            name: 'activation-tokens',
            description: 'One-time purchase tokens that issue licenses when redeemed.',
          },
          {
            name: 'upstream',
            description: "Federation: fetching a host's licenses from the vendor's Entitle.",
          },
          {
            name: 'subscriptions',
            description: 'Subscriptions (the Astra resource), cancellation and charges.',
          },
          { name: 'usage', description: 'Usage reports and consumption.' },
          { name: 'events', description: 'The audit log of every change.' },
          { name: 'webhooks', description: 'Signed event deliveries, retries and their log.' },
          { name: 'tokens', description: 'Bearer tokens.' },
          { name: 'keys', description: 'Public keys that verify license certificates.' },
          { name: 'operations', description: 'Health, readiness, metrics and documentation.' },
          {
            name: 'blackberry',
            description: 'BlackBerry UEM licensing facade (docs/compat/blackberry.md).',
          },
          {
            name: 'astra',
            description: 'NetApp Astra subscriptions facade (docs/compat/astra.md).',
          },
        ],
      },
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === 'string' ? json.$id : `def-${String(i)}`,
      },
    });
    // The interactive docs are public: mark their routes so the auth hook lets them through.
    app.addHook('onRoute', (route) => {
      if (route.url.startsWith('/docs')) route.config = { ...route.config, public: true };
    });
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });

    app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, () =>
      app.swagger(),
    );
    app.get(
      '/problems/:slug',
      {
        config: { public: true },
        schema: { hide: true },
      },
      (request, reply) => {
        const { slug } = request.params as { slug: string };
        const entry = (
          PROBLEM_TYPES as Record<
            string,
            (typeof PROBLEM_TYPES)[keyof typeof PROBLEM_TYPES] | undefined
          >
        )[slug];
        if (entry === undefined) {
          return sendProblem(
            reply,
            problem('not-found', request.id, `There is no problem type '${slug}'.`),
          );
        }
        return { type: `/problems/${slug}`, ...entry };
      },
    );
  },
  { name: 'entitle-openapi' },
);
