import { NoContent } from '../../schemas.js';
import { ASTRA_ERRORS } from './problems.js';
import type { App, RouteDeps } from '../../types.js';
import { SubscriptionParams } from './schemas.js';
import { accountContext } from './scope.js';

/** `DELETE /accounts/{account_id}/core/v1/subscriptions/{subscription_id}` → 204. */
export function deleteSubscription(app: App, { services, clock }: RouteDeps): void {
  app.delete(
    '/subscriptions/:subscription_id',
    {
      schema: {
        tags: ['astra'],
        summary: 'Astra: delete a subscription',
        params: SubscriptionParams,
        response: { 204: NoContent, ...ASTRA_ERRORS },
      },
    },
    async (request, reply) => {
      const { account_id: accountId, subscription_id: id } = request.params;
      const ctx = await accountContext(services, request, clock, accountId);
      await services.subscriptions.remove(ctx, id);
      return reply.code(204).send(null);
    },
  );
}
