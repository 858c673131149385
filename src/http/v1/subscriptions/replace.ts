import { SubscriptionReplaceSchema, SubscriptionSchema } from '../../../domain/subscription.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { etagOf, ifMatchOf, SubscriptionParams } from './schemas.js';

export function replaceSubscription(app: App, { services, clock }: RouteDeps): void {
  app.put(
    '/v1/subscriptions/:subscriptionId',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Replace a subscription',
        description:
          'Operators only. Replaces the writable fields and keeps what is not user-modifiable (see docs/subscriptions.md). `status: inactive` cancels and records the pending charge; `status: active` reactivates within the grace period. Optional `If-Match: "<revision>"`; a stale revision, a body `id` other than the path\'s, or a refused status change is a 409.',
        params: SubscriptionParams,
        body: SubscriptionReplaceSchema,
        response: {
          200: SubscriptionSchema,
          ...bodyProblems('invalid-params', 'forbidden', 'not-found', 'conflict'),
        },
      },
    },
    async (request, reply) => {
      const subscription = await services.subscriptions.replace(
        contextOf(request, clock),
        request.params.subscriptionId,
        request.body,
        ifMatchOf(request.headers),
      );
      return reply.header('etag', etagOf(subscription)).send(subscription);
    },
  );
}
