import type { AccountCompliance } from '../../../domain/compliance.js';
import { Forbidden } from '../../../domain/errors.js';
import { canSeeAccount } from '../../../domain/principal.js';
import type { Subscription } from '../../../domain/subscription.js';
import { contextOf } from '../../plugins/auth.js';
import type { App, RouteDeps } from '../../types.js';
import { listAll, quoted } from '../shared.js';
import { convert } from './mapping.js';
import {
  BlueXpErrorSchema,
  BlueXpSubscriptionSchema,
  SubscriptionQuerySchema,
  type BlueXpSubscription,
} from './schemas.js';
import { Type } from 'typebox';

/**
 * Consumed capacity of a subscription: what its accounts (those the token sees) use of the
 * subscription's product metric in the subscription's capacity unit, this month, in TiB.
 */
function toBlueXpSubscription(
  subscription: Subscription,
  compliance: ReadonlyMap<string, AccountCompliance>,
): BlueXpSubscription {
  const unit = subscription.capacityUnit;
  let consumed: number | null = null;
  if (unit !== null) {
    let used = 0;
    for (const accountId of subscription.accounts) {
      const metric = compliance
        .get(accountId)
        ?.products.find((p) => p.productId === subscription.productId)
        ?.metrics.find((m) => m.unit === unit);
      used += metric?.used ?? 0;
    }
    consumed = convert(used, unit, 'TiB');
  }
  return {
    subscriptionNumber: String(subscription.subscriptionNumber),
    subscriptionId: subscription.id,
    accounts: subscription.accounts,
    status: subscription.status,
    entitledCapacityTiB:
      unit === null || subscription.entitledCapacity === null
        ? null
        : convert(subscription.entitledCapacity, unit, 'TiB'),
    consumedCapacityTiB: consumed,
    expirationDate: subscription.expiresAt,
  };
}

/** `GET /license/subscriptions`: the subscriptions of the token's accounts, or of `accountId`. */
export function subscriptionRoutes(app: App, { services, clock }: RouteDeps): void {
  app.get(
    '/subscriptions',
    {
      schema: {
        tags: ['BlueXP digital wallet'],
        querystring: SubscriptionQuerySchema,
        response: {
          200: Type.Array(BlueXpSubscriptionSchema),
          400: BlueXpErrorSchema,
          401: BlueXpErrorSchema,
          403: BlueXpErrorSchema,
        },
      },
    },
    async (request) => {
      const ctx = contextOf(request, clock);
      const { accountId } = request.query;
      if (accountId !== undefined && !canSeeAccount(ctx.principal, accountId))
        throw new Forbidden(`The token has no access to account '${accountId}'.`);
      const subscriptions = await listAll(
        (params) => services.subscriptions.list(ctx, params),
        accountId === undefined ? undefined : `accountId eq ${quoted(accountId)}`,
      );
      const compliance = new Map<string, AccountCompliance>();
      for (const subscription of subscriptions) {
        for (const id of subscription.accounts) {
          if (!compliance.has(id) && canSeeAccount(ctx.principal, id))
            compliance.set(id, await services.compliance.account(ctx, id));
        }
      }
      return subscriptions.map((s) => toBlueXpSubscription(s, compliance));
    },
  );
}
