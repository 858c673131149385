import { contextOf } from '../../plugins/auth.js';
import { ListQuerySchema, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { listBody } from '../list.js';
import { SubscriptionList } from './schemas.js';

export function listSubscriptions(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/subscriptions',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'List subscriptions',
        description:
          'Subscriptions sharing an account with the token. Filter on any of: id, subscriptionNumber, accountId (one of its accounts), terms, status, marketplace, onboardStatus, licenseSN, purchaseOrderNumber, version, appLimit, namespaceLimit, productId, createdAt (metadata.creationTimestamp), modifiedAt (metadata.modificationTimestamp), expiresAt.',
        querystring: ListQuerySchema,
        response: { 200: SubscriptionList, ...problems('invalid-params', 'forbidden') },
      },
    },
    async (request) =>
      listBody(
        await services.subscriptions.list(contextOf(request, clock), request.query),
        request.query.include,
      ),
  );
}
