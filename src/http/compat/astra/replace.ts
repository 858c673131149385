import { NoContent } from '../../schemas.js';
import { ASTRA_ERRORS } from './problems.js';
import type { App, RouteDeps } from '../../types.js';
import { AstraReplaceSchema, SubscriptionParams } from './schemas.js';
import { accountContext } from './scope.js';

/**
 * `PUT /accounts/{account_id}/core/v1/subscriptions/{subscription_id}` → 204, no body.
 * `status: "inactive"` cancels (and records the pending charge), as the document's side effects
 * say. An `If-Match` revision is honoured as on the native API.
 */
export function replaceSubscription(app: App, { services, clock }: RouteDeps): void {
  app.put(
    '/subscriptions/:subscription_id',
    {
      schema: {
        tags: ['astra'],
        summary: 'Astra: modify a subscription',
        params: SubscriptionParams,
        body: AstraReplaceSchema,
        response: { 204: NoContent, ...ASTRA_ERRORS },
      },
    },
    async (request, reply) => {
      const { account_id: accountId, subscription_id: id } = request.params;
      const ctx = await accountContext(services, request, clock, accountId);
      const ifMatch = request.headers['if-match'];
      await services.subscriptions.replace(
        ctx,
        id,
        request.body,
        typeof ifMatch === 'string' ? ifMatch : undefined,
      );
      return reply.code(204).send(null);
    },
  );
}
