import { WebhookEndpointSchema, WebhookPatchSchema } from '../../../domain/webhook.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { WebhookParams } from './schemas.js';

export function updateWebhook(app: App, { services, clock }: RouteDeps): void {
  app.patch(
    '/v1/webhooks/:webhookId',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Update a webhook endpoint',
        description:
          'Operators, or an admin of its account. Only the fields present change. `enabled: true` on a disabled endpoint resets its count of failed deliveries; its pending deliveries resume.',
        params: WebhookParams,
        body: WebhookPatchSchema,
        response: {
          200: WebhookEndpointSchema,
          ...bodyProblems('invalid-params', 'forbidden', 'not-found'),
        },
      },
    },
    (request) =>
      services.webhooks.update(contextOf(request, clock), request.params.webhookId, request.body),
  );
}
