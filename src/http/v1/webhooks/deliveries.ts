import { contextOf } from '../../plugins/auth.js';
import { ListQuerySchema, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { listBody } from '../list.js';
import { DeliveryList, WebhookParams } from './schemas.js';

export function listWebhookDeliveries(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/webhooks/:webhookId/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        summary: "List a webhook endpoint's deliveries",
        description:
          'The delivery log, newest first by default. Filter on any of: id, eventId, eventType, status (pending, delivered, failed), attempts, nextAttemptAt, lastAttemptAt, lastStatusCode, createdAt, deliveredAt.',
        params: WebhookParams,
        querystring: ListQuerySchema,
        response: { 200: DeliveryList, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request) =>
      listBody(
        await services.webhooks.deliveries(
          contextOf(request, clock),
          request.params.webhookId,
          request.query,
        ),
        request.query.include,
      ),
  );
}
