import { WebhookDeliveryDetailSchema } from '../../../domain/webhook.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { DeliveryParams } from './schemas.js';

export function getWebhookDelivery(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/webhooks/:webhookId/deliveries/:deliveryId',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Get a webhook delivery with its attempts',
        description:
          '`attemptLog` lists every attempt, oldest first: when, the status code or the error, how long it took, and the first 1 KB of the answer.',
        params: DeliveryParams,
        response: {
          200: WebhookDeliveryDetailSchema,
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) =>
      services.webhooks.delivery(
        contextOf(request, clock),
        request.params.webhookId,
        Number(request.params.deliveryId),
      ),
  );
}
