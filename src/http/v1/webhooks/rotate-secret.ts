import { WebhookEndpointWithSecretSchema } from '../../../domain/webhook.js';
import { contextOf } from '../../plugins/auth.js';
import { problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { WebhookParams } from './schemas.js';

export function rotateWebhookSecret(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/webhooks/:webhookId/rotate-secret',
    {
      schema: {
        tags: ['webhooks'],
        summary: "Rotate a webhook endpoint's signing secret",
        description:
          'Operators, or an admin of its account. The answer carries the new `secret`, shown only here; every attempt from now on (retries included) is signed with it.',
        params: WebhookParams,
        response: {
          200: WebhookEndpointWithSecretSchema,
          ...problems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) =>
      services.webhooks.rotateSecret(contextOf(request, clock), request.params.webhookId),
  );
}
