import { WebhookEndpointSchema } from '../../../domain/webhook.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { WebhookParams } from './schemas.js';

export function getWebhook(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/webhooks/:webhookId',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Get a webhook endpoint',
        description: 'Everything but the secret.',
        params: WebhookParams,
        response: {
          200: WebhookEndpointSchema,
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) => services.webhooks.get(contextOf(request, clock), request.params.webhookId),
  );
}
