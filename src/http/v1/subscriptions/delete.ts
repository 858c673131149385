import { contextOf } from '../../plugins/auth.js';
import { NoContent, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { SubscriptionParams } from './schemas.js';

export function deleteSubscription(app: App, { services, clock }: RouteDeps): void {
  app.delete(
    '/v1/subscriptions/:subscriptionId',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Delete a subscription',
        description: 'Operators only. Its pending charges are voided (and kept, as `void`).',
        params: SubscriptionParams,
        response: { 204: NoContent, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request, reply) => {
      await services.subscriptions.remove(contextOf(request, clock), request.params.subscriptionId);
      return reply.code(204).send(null);
    },
  );
}
