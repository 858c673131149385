import { AstraSubscriptionSchema } from './schemas.js';
import { ASTRA_ERRORS, inDocumentOrder } from './problems.js';
import type { App, RouteDeps } from '../../types.js';
import { astraSubscription, SubscriptionParams } from './schemas.js';
import { accountContext } from './scope.js';

/** `GET /accounts/{account_id}/core/v1/subscriptions/{subscription_id}`. */
export function getSubscription(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/subscriptions/:subscription_id',
    {
      serializerCompiler: inDocumentOrder,
      schema: {
        tags: ['astra'],
        summary: 'Astra: retrieve a subscription',
        params: SubscriptionParams,
        response: { 200: AstraSubscriptionSchema, ...ASTRA_ERRORS },
      },
    },
    async (request) => {
      const { account_id: accountId, subscription_id: id } = request.params;
      const ctx = await accountContext(services, request, clock, accountId);
      return astraSubscription(await services.subscriptions.get(ctx, id));
    },
  );
}
