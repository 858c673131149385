import { WebhookDeliverySchema } from '../../../domain/webhook.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { WebhookParams } from './schemas.js';

export function testWebhook(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/webhooks/:webhookId/test',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Send a test event to a webhook endpoint',
        description:
          'Operators, or an admin of its account. Queues a `webhook.test` event for this endpoint alone; the answer is its delivery, which the worker sends within a second or so. A disabled endpoint is a 409.',
        params: WebhookParams,
        response: {
          202: WebhookDeliverySchema,
          ...problems('invalid-params', 'forbidden', 'not-found', 'conflict'),
        },
      },
    },
    async (request, reply) => {
      const delivery = await services.webhooks.test(
        contextOf(request, clock),
        request.params.webhookId,
      );
      return reply.code(202).send(delivery);
    },
  );
}
