import { WebhookCreateSchema, WebhookEndpointWithSecretSchema } from '../../../domain/webhook.js';
import { contextOf } from '../../plugins/auth.js';
import { bodyProblems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';

export function createWebhook(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/v1/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Create a webhook endpoint',
        description:
          "Operators, or an admin of the account. `accountId: null` makes a global endpoint that receives every account's events (operators only). The answer carries the signing `secret`, shown only here and in rotate-secret: store it. Unknown `eventTypes` are a 400 naming each one.",
        body: WebhookCreateSchema,
        response: {
          201: WebhookEndpointWithSecretSchema,
          ...bodyProblems('forbidden', 'not-found'),
        },
      },
    },
    async (request, reply) => {
      const endpoint = await services.webhooks.create(contextOf(request, clock), request.body);
      return reply.code(201).header('location', `/v1/webhooks/${endpoint.id}`).send(endpoint);
    },
  );
}
