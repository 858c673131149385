import { contextOf } from '../../plugins/auth.js';
import { NoContent, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { WebhookParams } from './schemas.js';

export function deleteWebhook(app: App, { services, clock }: RouteDeps): void {
  app.delete(
    '/v1/webhooks/:webhookId',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Delete a webhook endpoint',
        description:
          'Operators, or an admin of its account. Its delivery log goes with it; deliveries not yet sent are dropped.',
        params: WebhookParams,
        response: { 204: NoContent, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request, reply) => {
      await services.webhooks.remove(contextOf(request, clock), request.params.webhookId);
      return reply.code(204).send(null);
    },
  );
}
