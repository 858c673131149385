import { Type } from 'typebox';
import { ChargeSchema } from '../../../domain/subscription.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { SubscriptionParams } from './schemas.js';

/** The charge as it would be recorded, without what only a recorded charge has. */
export const ChargePreviewSchema = Type.Omit(ChargeSchema, [
  'id',
  'status',
  'createdAt',
  'voidedAt',
]);

/** Read-only: what cancelling now would charge, for the dashboard's confirmation step. */
export function cancelPreview(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/subscriptions/:subscriptionId/cancel-preview',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Preview the charge of cancelling now',
        description:
          'Readers with one of its accounts. The pending charge `POST …/cancel` would record now (costs × usage over the current period), computed by the same code and written nowhere. An inactive subscription is a 409.',
        params: SubscriptionParams,
        response: {
          200: ChargePreviewSchema,
          ...problems('invalid-params', 'forbidden', 'not-found', 'conflict'),
        },
      },
    },
    async (request, reply) => {
      const preview = await services.subscriptions.cancelPreview(
        contextOf(request, clock),
        request.params.subscriptionId,
      );
      return reply.header('cache-control', 'no-store').send(preview);
    },
  );
}
