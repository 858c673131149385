import { contextOf } from '../../plugins/auth.js';
import { ListQuerySchema, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { listBody } from '../list.js';
import { WebhookList } from './schemas.js';

export function listWebhooks(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'List webhook endpoints',
        description:
          "The endpoints of the token's accounts (operators: every endpoint, global ones included). Never the secrets. Filter on any of: id, accountId, url, description, enabled, consecutiveFailures, disabledAt, createdAt, updatedAt.",
        querystring: ListQuerySchema,
        response: { 200: WebhookList, ...problems('invalid-params', 'forbidden') },
      },
    },
    async (request) =>
      listBody(
        await services.webhooks.list(contextOf(request, clock), request.query),
        request.query.include,
      ),
  );
}
