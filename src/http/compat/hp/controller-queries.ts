import { Type } from 'typebox';
import type { App, RouteDeps } from '../../types.js';
import { controllerOf, hpErrorResponses } from './controller.js';
import { ComplianceQuerySchema, ProductQuerySchema } from './schemas.js';

const TAGS = ['compat: HP VAN SDN'];

/**
 * The controller's bare-value answers: its install id, whether a product is licensed, and the
 * compliance level. Each is a bare JSON value (`1234567`, `true`, `0.5`), which is also the
 * "mere string" the document describes.
 */
export function controllerQueryRoutes(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/installid',
    {
      schema: {
        tags: TAGS,
        summary: 'Get the install id',
        response: { 200: Type.Integer(), ...hpErrorResponses(401, 404, 503) },
      },
    },
    async (request) => (await controllerOf(services, request, clock)).instance.installId,
  );

  app.get(
    '/islicensed',
    {
      schema: {
        tags: TAGS,
        summary: 'Is a product licensed on this controller',
        description: '`product_id` is the numeric product id; the answer is a bare true or false.',
        querystring: ProductQuerySchema,
        response: { 200: Type.Boolean(), ...hpErrorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { ctx, instance } = await controllerOf(services, request, clock);
      const answer = await services.validation.isLicensed(ctx, {
        product: request.query.product_id,
        instance: instance.id,
      });
      return answer.licensed;
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
          200: Type.Number({ minimum: 0, maximum: 1 }),
          ...hpErrorResponses(400, 401, 404, 503),
        },
      },
    },
    async (request) => {
      const { ctx, instance } = await controllerOf(services, request, clock);
      const answer = await services.validation.complianceLevel(ctx, {
        product: request.query.product_id,
        metric: Number(request.query.metric_id),
        instance: instance.id,
      });
      return answer.level;
    },
  );
}
