import { AstraSubscriptionSchema } from './schemas.js';
import { ASTRA_ERRORS, inDocumentOrder } from './problems.js';
import type { App, RouteDeps } from '../../types.js';
import { AccountParams, AstraCreateSchema, astraSubscription } from './schemas.js';
import { accountContext, subscriptionPath } from './scope.js';

/** `POST /accounts/{account_id}/core/v1/subscriptions` → 201 with the created resource. */
export function createSubscription(app: App, { services, clock }: RouteDeps): void {
  app.post(
    '/subscriptions',
    {
      serializerCompiler: inDocumentOrder,
      schema: {
        tags: ['astra'],
        summary: 'Astra: create a subscription',
        description:
          'Operators only. The subscription belongs to the path account. See docs/compat/astra.md.',
        params: AccountParams,
        body: AstraCreateSchema,
        response: { 201: AstraSubscriptionSchema, ...ASTRA_ERRORS },
      },
    },
    async (request, reply) => {
      const accountId = request.params.account_id;
      const ctx = await accountContext(services, request, clock, accountId);
      const created = await services.subscriptions.create(ctx, {
        ...request.body,
        accounts: [accountId],
      });
      return reply
        .code(201)
        .header('location', subscriptionPath(accountId, created.id))
        .send(astraSubscription(created));
    },
  );
}
