import { SubscriptionSchema } from '../../../domain/subscription.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { etagOf, SubscriptionParams } from './schemas.js';

export function getSubscription(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/subscriptions/:subscriptionId',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Get a subscription',
        description: 'The `ETag` header carries the revision, for `If-Match`.',
        params: SubscriptionParams,
        response: {
          200: SubscriptionSchema,
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    async (request, reply) => {
      const subscription = await services.subscriptions.get(
        contextOf(request, clock),
        request.params.subscriptionId,
      );
      return reply.header('etag', etagOf(subscription)).send(subscription);
    },
  );
}
