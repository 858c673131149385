import { SubscriptionCreateSchema, SubscriptionSchema } from '../../../domain/subscription.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { etagOf } from './schemas.js';

export function createSubscription(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/subscriptions',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'Create a subscription',
        description:
          "Operators only. Astra's create body plus limits, costs and Entitle's fields; `accounts` names one or more accounts, the first is billed.",
        body: SubscriptionCreateSchema,
        response: { 201: SubscriptionSchema, ...bodyProblems('forbidden', 'conflict') },
      },
    },
    async (request, reply) => {
      const subscription = await services.subscriptions.create(
        contextOf(request, clock),
        request.body,
      );
      return reply
        .code(201)
        .header('location', `/v1/subscriptions/${subscription.id}`)
        .header('etag', etagOf(subscription))
        .send(subscription);
    },
  );
}
