import { WebhookDeliverySchema } from '../../../domain/webhook.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { DeliveryParams } from './schemas.js';

export function redeliverWebhook(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/webhooks/:webhookId/deliveries/:deliveryId/redeliver',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Send a webhook delivery again',
        description:
          'Operators, or an admin of its account. Queues a delivered or failed delivery as a new series of attempts, with the same `webhook-id`. A pending delivery, or a disabled endpoint, is a 409.',
        params: DeliveryParams,
        response: {
          202: WebhookDeliverySchema,
          ...problems('invalid-params', 'forbidden', 'not-found', 'conflict'),
        },
      },
    },
    async (request, reply) => {
      const delivery = await services.webhooks.redeliver(
        contextOf(request, clock),
        request.params.webhookId,
        Number(request.params.deliveryId),
      );
      return reply.code(202).send(delivery);
    },
  );
}
