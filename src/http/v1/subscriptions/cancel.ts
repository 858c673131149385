import { SubscriptionSchema } from '../../../domain/subscription.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { etagOf, ifMatchOf, SubscriptionParams } from './schemas.js';

export function cancelSubscription(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/subscriptions/:subscriptionId/cancel',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Cancel a subscription',
        description:
          'Operators, or an admin of one of its accounts. Sets `status: inactive` and records one pending charge for the period (costs × usage). Cancelling twice, or a stale `If-Match`, is a 409.',
        params: SubscriptionParams,
        response: {
          200: SubscriptionSchema,
          ...problems('invalid-params', 'forbidden', 'not-found', 'conflict'),
        },
      },
    },
    async (request, reply) => {
      const subscription = await services.subscriptions.cancel(
        contextOf(request, clock),
        request.params.subscriptionId,
        ifMatchOf(request.headers),
      );
      return reply.header('etag', etagOf(subscription)).send(subscription);
    },
  );
}
