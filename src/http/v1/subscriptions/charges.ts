import { contextOf } from '../../plugins/auth.js';
import { ListQuerySchema, problems } from '../../schemas.js';
import type { App, RouteDeps } from '../../types.js';
import { listBody } from '../list.js';
import { AccountChargesParams, ChargeList, SubscriptionParams } from './schemas.js';

const FILTERS =
  'Filter on any of: id, subscriptionId, accountId, status (pending, billed, void), amountMicros, currency, periodStart, periodEnd, createdAt, voidedAt.';

/** Charges, by subscription and by the account they are billed to. */
export function listCharges(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/v1/subscriptions/:subscriptionId/charges',
    {
      schema: {
        tags: ['subscriptions'],
        summary: "List a subscription's charges",
        description: FILTERS,
        params: SubscriptionParams,
        querystring: ListQuerySchema,
        response: { 200: ChargeList, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request) =>
      listBody(
        await services.subscriptions.subscriptionCharges(
          contextOf(request, clock),
          request.params.subscriptionId,
          request.query,
        ),
        request.query.include,
      ),
  );

  app.get(
    '/v1/accounts/:accountId/charges',
    {
      schema: {
        tags: ['subscriptions'],
        summary: 'List the charges billed to an account',
        description: FILTERS,
        params: AccountChargesParams,
        querystring: ListQuerySchema,
        response: { 200: ChargeList, ...problems('invalid-params', 'forbidden', 'not-found') },
      },
    },
    async (request) =>
      listBody(
        await services.subscriptions.accountCharges(
          contextOf(request, clock),
          request.params.accountId,
          request.query,
        ),
        request.query.include,
      ),
  );
}
