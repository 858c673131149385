import { Type } from 'typebox';
import type { App, RouteDeps } from '../../types.js';
import { controllerOf, hpErrorResponses } from './controller.js';
import { HP_TEXT } from './media.js';
import { ComplianceQuerySchema, ProductQuerySchema } from './schemas.js';

const TAGS = ['compat: HP VAN SDN'];

/**
 * The controller's bare-value answers: its install id, whether a product is licensed, and the
 * compliance level. Each is a bare value (`1234567`, `true`, `0.5`) as `text/plain`: the "mere
 * string" the document describes.
 */
export function controllerQueryRoutes(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/installid',
    {
      schema: {
        tags: TAGS,
        summary: 'Get the install id',
        response: {
          200: bare('The install id, e.g. `1234567`.', '^[0-9]+$'),
          ...hpErrorResponses(401, 404, 503),
        },
      },
    },
    async (request, reply) =>
      reply
        .type(HP_TEXT)
        .send(String((await controllerOf(services, request, clock)).instance.installId)),
  );

  app.get(
    '/islicensed',
    {
      schema: {
        tags: TAGS,
        summary: 'Is a product licensed on this controller',
        description: '`product_id` is the numeric product id; the answer is a bare true or false.',
        querystring: ProductQuerySchema,
        response: {
          200: bare('`true` or `false`.', '^(true|false)$'),
          ...hpErrorResponses(400, 401, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const { ctx, instance } = await controllerOf(services, request, clock);
      const answer = await services.validation.isLicensed(ctx, {
        product: request.query.product_id,
        instance: instance.id,
      });
      return reply.type(HP_TEXT).send(String(answer.licensed));
    },
  );

  app.get(
    '/compliance',
    {
      schema: {
        tags: TAGS,
        summary: 'Compliance level (0 to 1) of a product and metric on this controller',
        querystring: ComplianceQuerySchema,
        response: {
          200: bare('The level from 0 to 1, e.g. `0.5`.', '^(0|1|0\\.[0-9]+)$'),
          ...hpErrorResponses(400, 401, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const { ctx, instance } = await controllerOf(services, request, clock);
      const answer = await services.validation.complianceLevel(ctx, {
        product: request.query.product_id,
        metric: Number(request.query.metric_id),
        instance: instance.id,
      });
      return reply.type(HP_TEXT).send(String(answer.level));
    },
  );
}

/** A bare value as the text/plain body carries it (the schema of its characters). */
function bare(description: string, pattern: string) {
  return Type.String({ description, pattern });
}
